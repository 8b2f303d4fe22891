//! The two names of an engine: the integer id users see (`rc[3]`, `[stdout:3]`) and the
//! uuid every socket routes by.

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

/// An engine's uuid: its `Session.session`, the routing id of each of its sockets, the
/// `engine` of its reply metadata. Held as text; its UTF-8 bytes are the routing id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EngineUuid(pub String);

impl EngineUuid {
    /// The routing frame that addresses this engine on a ROUTER.
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

/// A request's `header.msg_id`: what replies, dependencies and the result store are keyed by.
pub type MsgId = String;
