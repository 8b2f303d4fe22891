//! What the handlers share: who the engine is, how it signs, where output goes, and the
//! state that outlives one registration with a controller (the Python, its count, aborts).

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, MutexGuard};

use px_wire::{History, Message, MsgType, Session};
use px_worker::Worker;
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::aborts::Aborts;
use crate::iopub::Publisher;
use crate::metadata::Identity;

/// The Python behind the engine, as the handlers see it while it starts.
#[derive(Clone)]
pub(crate) enum WorkerState {
    /// Still starting (the engine registers meanwhile).
    Starting,
    /// Ready to run code.
    Ready(Arc<Worker>),
    /// It could not start; the reason.
    Failed(String),
}

/// Why the engine should stop, sent to its main loop by a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopRequest {
    /// A client sent `shutdown_request` (the hub has been told on IOPub).
    Shutdown,
    /// A `signal_request` carried a stopping signal.
    Signal(i32),
}

/// What survives re-registration.
pub(crate) struct EngineState {
    pub worker: watch::Receiver<WorkerState>,
    pub aborts: Aborts,
    /// The count of the last counted execution (ipykernel's `execution_count`).
    pub execution_count: AtomicU32,
    /// The cells stored in history, for `history_request`.
    pub history: Mutex<History>,
    pub stop: mpsc::UnboundedSender<StopRequest>,
    /// The heart waits for the Python to be ready before its first beat: set when startup
    /// files run, because a stock engine runs them before its heart starts, and the hub
    /// counts an engine registered only once it beats.
    pub beat_after_startup: bool,
}

impl EngineState {
    /// The worker once it is ready, or why there is none.
    pub(crate) async fn worker(&self) -> Result<Arc<Worker>, String> {
        let mut rx = self.worker.clone();
        let state = rx
            .wait_for(|s| !matches!(s, WorkerState::Starting))
            .await
            .map(|s| s.clone());
        match state {
            Ok(WorkerState::Ready(worker)) => Ok(worker),
            Ok(WorkerState::Failed(reason)) => Err(reason),
            Ok(WorkerState::Starting) | Err(_) => Err("the engine is stopping".into()),
        }
    }

    /// The stored cells; a panic elsewhere while holding it leaves the list usable.
    pub(crate) fn history(&self) -> MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The worker if it is ready now.
    pub(crate) fn worker_now(&self) -> Option<Arc<Worker>> {
        match &*self.worker.borrow() {
            WorkerState::Ready(worker) => Some(worker.clone()),
            _ => None,
        }
    }
}

/// Everything a handler of one registration needs.
#[derive(Clone)]
pub(crate) struct Context {
    pub identity: Identity,
    pub session: Arc<Session>,
    pub publisher: Publisher,
    pub state: Arc<EngineState>,
}

impl Context {
    /// A reply carrying `{"engine": uuid}` in its metadata, as every message of a stock
    /// engine does (execute and apply replies carry more: see `ReplyMetadata`).
    pub(crate) fn engine_reply(&self, request: &Message, kind: MsgType, content: Value) -> Message {
        self.session
            .reply(request, kind, content)
            .with_metadata(self.identity.engine_metadata())
    }
}
