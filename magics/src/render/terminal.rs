//! A sink for a plain terminal: what IPython's terminal shell prints for the same calls.

use std::io::Write;

use px_client::StreamName;
use serde_json::Value;

use super::sink::OutputSink;

/// Writes stdout text and displays to `out`, stderr text to `err`.
///
/// A display shows as its `text/plain` plus a newline (how IPython's terminal shows a
/// displayed object: `[output:2]`, `<IPython.core.display.HTML object>`, `Out[0:1]: 5`);
/// updates are not shown (the live display never sends them to a terminal); a cell's value
/// shows as its `text/plain` (a shell wanting IPython's `Out[n]: ` prompt wraps the sink);
/// errors print their traceback lines. Write errors are ignored: a closed terminal must
/// not fail a cell.
#[derive(Debug)]
pub struct TerminalSink<O: Write, E: Write> {
    out: O,
    err: E,
}

impl<O: Write, E: Write> TerminalSink<O, E> {
    /// A sink printing to these two writers (usually locked stdout and stderr).
    pub fn new(out: O, err: E) -> Self {
        TerminalSink { out, err }
    }

    /// The writers back.
    pub fn into_inner(self) -> (O, E) {
        (self.out, self.err)
    }
}

impl<O: Write, E: Write> OutputSink for TerminalSink<O, E> {
    fn stream(&mut self, name: StreamName, text: &str) {
        let _ = match name {
            StreamName::Stdout => self.out.write_all(text.as_bytes()),
            StreamName::Stderr => self.err.write_all(text.as_bytes()),
        };
    }

    fn display_data(&mut self, data: &Value, _metadata: &Value, _transient: &Value) {
        if let Some(text) = data.get("text/plain").and_then(Value::as_str) {
            let _ = writeln!(self.out, "{text}");
        }
    }

    fn update_display_data(&mut self, _data: &Value, _metadata: &Value, _transient: &Value) {}

    fn execute_result(&mut self, data: &Value, _metadata: &Value) {
        if let Some(text) = data.get("text/plain").and_then(Value::as_str) {
            let _ = writeln!(self.out, "{text}");
        }
    }

    fn error(&mut self, _ename: &str, _evalue: &str, traceback: &[String]) {
        let _ = writeln!(self.out, "{}", traceback.join("\n"));
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }

    fn is_terminal(&self) -> bool {
        true
    }
}
