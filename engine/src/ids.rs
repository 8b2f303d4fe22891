//! The two names of an engine (shared with the controller, in px-wire).

pub use px_wire::{EngineId, EngineUuid};
