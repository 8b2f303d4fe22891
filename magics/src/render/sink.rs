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

    /// The exception that ends the cell (`error` message; the reply carries the same).
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]);

    /// Whether this sink is a terminal: stock's live display prints stream chunks with
    /// `[stdout:N]` header lines there, instead of one growing display per engine stream.
    fn is_terminal(&self) -> bool {
        false
    }
}
