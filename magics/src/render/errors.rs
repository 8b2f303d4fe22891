//! How a magic's failure ends the cell (spec §12): the `error` message of an exception, or
//! the one stderr line of a UsageError.

use px_client::{AlreadyDisplayedError, CompositeError, RemoteError, StreamName};
use serde_json::Value;

use super::sink::OutputSink;
use crate::error::UsageError;

/// The exceptions a submission can end with, as the kernel reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellError {
    /// Several targets, at least one failed; shown in full (no streaming, or output missing).
    Composite(CompositeError),
    /// Streaming already printed the tracebacks: only `N errors`.
    AlreadyDisplayed(AlreadyDisplayedError),
    /// An int target failed: that engine's error itself.
    Remote(RemoteError),
}

impl CellError {
    /// The kernel's `error` content (`ename`, `evalue`, `traceback`): also what the
    /// `execute_reply` carries with `status: "error"`.
    pub fn content(&self) -> Value {
        match self {
            CellError::Composite(e) => e.kernel_error_content(),
            CellError::AlreadyDisplayed(e) => e.kernel_error_content(),
            CellError::Remote(e) => e.kernel_error_content(),
        }
    }
}

/// Publishes `error` as the cell's `error` message.
pub fn render_error(sink: &mut dyn OutputSink, error: &CellError) {
    let reply = crate::session::ErrorReply::from_content(&error.content());
    sink.error(&reply.ename, &reply.evalue, &reply.traceback);
}

/// Shows a UsageError as IPython does: `UsageError: <message>` on stderr and no `error`
/// message (the reply still has `status: "error"`, `ename: "UsageError"`, no traceback).
pub fn render_usage_error(sink: &mut dyn OutputSink, error: &UsageError) {
    sink.stream(StreamName::Stderr, &format!("UsageError: {error}\n"));
}
