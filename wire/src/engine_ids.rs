//! The two names of an engine: the integer id users see (`rc[3]`, `[stdout:3]`, the `3` of
//! IOPub topics `engine.3.stdout`) and the uuid every socket of it routes by. The
//! controller hands them out and the engine carries them, so both use these types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The integer id the hub gives an engine at registration; never reused while the
/// controller runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EngineId(pub u32);

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An engine's uuid, used everywhere at once: the registration request, the routing id of
/// each of its sockets, `header.session` of everything it sends, `metadata.engine` of its
/// replies. Hub and clients match these against each other, so one value serves them all
/// for the engine's whole life, re-registrations included. Held as text; its UTF-8 bytes
/// are the routing id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EngineUuid(pub String);

impl EngineUuid {
    /// A fresh uuid in jupyter_client's `new_id()` form, as stock engines make theirs.
    pub fn generate() -> Self {
        EngineUuid(crate::new_id())
    }

    /// A chosen uuid.
    pub fn new(uuid: impl Into<String>) -> Self {
        EngineUuid(uuid.into())
    }

    /// The routing frame that addresses this engine on a ROUTER, and the identity its own
    /// sockets advertise.
    pub fn routing_id(&self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self.0.as_bytes())
    }

    /// The uuid a routing frame names; `None` when the frame is not UTF-8 (no engine of
    /// ours sends such an identity).
    pub fn from_routing_id(frame: &[u8]) -> Option<Self> {
        std::str::from_utf8(frame)
            .ok()
            .map(|s| EngineUuid(s.to_owned()))
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EngineUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
