//! The names the controller keys its state by.

pub use px_wire::{EngineId, EngineUuid};

/// A request's `header.msg_id`: what replies, dependencies and the result store are keyed by.
pub type MsgId = String;
