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
    let content = error.content();
    let text = |k: &str| {
        content
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let traceback: Vec<String> = content
        .get("traceback")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    sink.error(&text("ename"), &text("evalue"), &traceback);
}

/// Shows a UsageError as IPython does: `UsageError: <message>` on stderr and no `error`
/// message (the reply still has `status: "error"`, `ename: "UsageError"`, no traceback).
pub fn render_usage_error(sink: &mut dyn OutputSink, error: &UsageError) {
    sink.stream(StreamName::Stderr, &format!("UsageError: {error}\n"));
}
