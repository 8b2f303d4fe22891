//! What the hub keeps of each request and reply, for clients' queries.

use px_wire::RawMessage;

use crate::core::Core;
use crate::ids::EngineUuid;

/// Which scheduler a request went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Direct, to one engine.
    Mux,
    /// Load-balanced.
    #[allow(dead_code)] // until the task scheduler is connected
    Task,
}

impl Core {
    /// A request on its way to `engine` (or to the task scheduler).
    pub(crate) fn record_submission(
        &mut self,
        _queue: Queue,
        _raw: &RawMessage,
        _engine: Option<&EngineUuid>,
    ) {
    }

    /// A reply on its way to the client.
    pub(crate) fn record_completion(&mut self, _raw: &RawMessage, _engine: Option<&EngineUuid>) {}
}
