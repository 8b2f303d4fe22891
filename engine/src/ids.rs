//! The two names of an engine: the integer id the hub gives it and the uuid every socket of
//! it routes by.

use std::fmt;

/// The integer id the hub assigned at registration (`rc[3]`, `[stdout:3]`, the `3` in IOPub
/// topics `engine.3.stdout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EngineId(pub u32);

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The engine's uuid, used everywhere at once: the registration request, the routing id of
/// every engine socket, `header.session` of everything it sends, `metadata.engine` of its
/// replies. The hub and clients match these against each other, so one value must serve
/// all of them for the engine's whole life, re-registrations included.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineUuid(String);

impl EngineUuid {
    /// A fresh uuid in jupyter_client's `new_id()` form, as stock engines make theirs.
    pub fn generate() -> Self {
        EngineUuid(px_wire::new_id())
    }

    /// A chosen uuid.
    pub fn new(uuid: impl Into<String>) -> Self {
        EngineUuid(uuid.into())
    }

    /// The uuid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The routing id its sockets advertise.
    pub fn routing_id(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for EngineUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
