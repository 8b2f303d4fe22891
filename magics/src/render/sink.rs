//! Where rendered output goes: the messages an IPython kernel publishes on IOPub for the
//! magics, as calls. The kernel turns them into Jupyter messages, `pxsh` prints them, tests
//! record them ([`crate::CaptureSink`]).

use px_client::StreamName;
use serde_json::Value;

/// Receives what the magics show, in order.
///
/// The methods mirror the IOPub messages stock emits for the magics (captures in
/// `spec/magics-captures`): text on the local stdout/stderr, displays (with
/// `update_display_data` for the live per-engine stream blocks), and the final error. A
/// kernel should buffer `stream` text per stream name and flush stdout then stderr before
/// any other message, as ipykernel does: the captures show consecutive prints merged into
/// one `stream` message.
pub trait OutputSink {
    /// Text written to the local stdout or stderr.
    fn stream(&mut self, name: StreamName, text: &str);

    /// A `display_data`: `data` is a MIME bundle, `metadata` and `transient` are objects
    /// (`transient` holds `display_id` for displays that are updated later).
    fn display_data(&mut self, data: &Value, metadata: &Value, transient: &Value);

    /// An `update_display_data` for the display published with the same
    /// `transient.display_id`.
    fn update_display_data(&mut self, data: &Value, metadata: &Value, transient: &Value);

    /// The cell's own value (`execute_result`), to which the kernel adds the cell's
    /// execution count: `<AsyncResult(%px): pending>` for a non-blocking submission, and
    /// the local value of a `%%px --local` cell (sent by the local executor).
    fn execute_result(&mut self, data: &Value, metadata: &Value);

    /// The exception that ends the cell (`error` message; the reply carries the same).
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]);

    /// A hint that the magics are about to wait with text written: publish buffered
    /// stream text now. ipykernel publishes its buffered stdout/stderr on a timer and
    /// whenever the writer flushes; the magics flush where stock's output is flushed
    /// (each progress-bar redraw, the interrupt message before the signal's round trip).
    /// A sink that buffers nothing ignores it.
    fn flush(&mut self) {}

    /// The progress bar of a slow blocking `%px` (spec §14): `done` of `total` engines have
    /// replied; `finished` when the wait is over (all replied, an error, an interrupt).
    /// Return `true` to show it yourself (a terminal's own bar); by default (`false`) the
    /// magics write stock's tqdm text bar to stdout.
    fn progress(&mut self, done: usize, total: usize, finished: bool) -> bool {
        let _ = (done, total, finished);
        false
    }

    /// Whether this sink is a terminal: stock's live display prints stream chunks with
    /// `[stdout:N]` header lines there, instead of one growing display per engine stream.
    fn is_terminal(&self) -> bool {
        false
    }
}
