//! The result object of one submission, as the magics keep it for `%pxresult` and as
//! `-o NAME` hands it to the kernel.

use std::sync::{Arc, Mutex, MutexGuard};

use px_client::{AsyncResult, EngineResult, Targets};

use super::outcome::{client_failure, ErrorReply, Failure};
use crate::flags::GroupBy;
use crate::render::{
    async_result_repr, display_outputs, DisplayOptions, OutputSink, ResultState, StreamPrefixState,
};

/// One `%px` submission: its requests, the targets it was sent with, and the header
/// state of its grouped display, which stock keeps on the result object so that showing
/// it again omits a repeated `[stdout:N]` header (spec §9.1).
///
/// Cheap to clone; clones are the same result.
#[derive(Debug, Clone)]
pub struct PxResult {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ar: AsyncResult,
    targets: Targets,
    prefix: Mutex<StreamPrefixState>,
}

impl PxResult {
    /// Keeps a handle on `ar` (not its event stream, which the submitter reads).
    pub(crate) fn new(ar: &AsyncResult, targets: Targets) -> Self {
        PxResult {
            inner: Arc::new(Inner {
                ar: ar.share(),
                targets,
                prefix: Mutex::new(StreamPrefixState::default()),
            }),
        }
    }

    /// The targets as the cell gave them (`all`, `[0, 2]`, `1`).
    pub fn targets(&self) -> &Targets {
        &self.inner.targets
    }

    /// Whether this is a single-result submission (an int target): no headers in its
    /// display, and its failure is the engine's own error.
    pub fn is_single(&self) -> bool {
        self.inner.targets.is_single()
    }

    /// The client's result, to wait on or read per-engine results from.
    pub fn async_result(&self) -> &AsyncResult {
        &self.inner.ar
    }

    /// Per-engine results so far, in target order.
    pub fn results(&self) -> Vec<EngineResult> {
        self.inner.ar.results()
    }

    /// `pending` until every engine replied, then `finished` or `failed`.
    pub fn state(&self) -> ResultState {
        match self.inner.ar.try_get() {
            None => ResultState::Pending,
            Some(Ok(_)) => ResultState::Finished,
            Some(Err(_)) => ResultState::Failed,
        }
    }

    /// The exception `%pxresult` raises for this result once it failed: the composite
    /// error, or for an int target the engine's own error (never the short `N errors`).
    /// `None` while pending and when it succeeded.
    pub fn error(&self) -> Option<ErrorReply> {
        let Some(Err(e)) = self.inner.ar.try_get() else {
            return None;
        };
        Some(match client_failure(e, self.is_single(), false) {
            Failure::Cell(cell) => ErrorReply::from_content(&cell.content()),
            Failure::Magics(m) => ErrorReply::one_line(m.python_ename(), m.python_evalue()),
            Failure::Local(reply) => reply,
        })
    }

    /// `<AsyncResult(%px): pending>`: the text stock shows for the object.
    pub fn repr(&self) -> String {
        async_result_repr(self.state())
    }

    /// Shows every engine's output grouped (spec §9), continuing this result's header
    /// state. Call once every engine replied.
    pub(crate) fn display(&self, sink: &mut dyn OutputSink, group_by: GroupBy, color: bool) {
        let opts = DisplayOptions {
            group_by,
            single: self.is_single(),
            color,
        };
        display_outputs(sink, &self.results(), opts, &mut self.prefix());
    }

    fn prefix(&self) -> MutexGuard<'_, StreamPrefixState> {
        // A panic while displaying must not make the result undisplayable.
        self.inner.prefix.lock().unwrap_or_else(|p| p.into_inner())
    }
}
