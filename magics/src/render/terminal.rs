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
/// errors print their traceback lines. Before writing to one writer the other is flushed,
/// so that text stays in the order it came in when both reach one terminal or pipe (a
/// line-buffered stdout would otherwise hold an unfinished line back until after later
/// stderr text). Write errors are ignored: a closed terminal must not fail a cell.
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

    /// `out`, once what was written to `err` is out.
    fn out(&mut self) -> &mut O {
        let _ = self.err.flush();
        &mut self.out
    }

    /// `err`, once what was written to `out` is out.
    fn err(&mut self) -> &mut E {
        let _ = self.out.flush();
        &mut self.err
    }
}

impl<O: Write, E: Write> OutputSink for TerminalSink<O, E> {
    fn stream(&mut self, name: StreamName, text: &str) {
        let _ = match name {
            StreamName::Stdout => self.out().write_all(text.as_bytes()),
            StreamName::Stderr => self.err().write_all(text.as_bytes()),
        };
    }

    fn display_data(&mut self, data: &Value, _metadata: &Value, _transient: &Value) {
        if let Some(text) = data.get("text/plain").and_then(Value::as_str) {
            let _ = writeln!(self.out(), "{text}");
        }
    }

    fn update_display_data(&mut self, _data: &Value, _metadata: &Value, _transient: &Value) {}

    fn execute_result(&mut self, data: &Value, _metadata: &Value) {
        if let Some(text) = data.get("text/plain").and_then(Value::as_str) {
            let _ = writeln!(self.out(), "{text}");
        }
    }

    fn error(&mut self, _ename: &str, _evalue: &str, traceback: &[String]) {
        let _ = writeln!(self.out(), "{}", traceback.join("\n"));
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }

    fn is_terminal(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::io::{self, BufWriter, LineWriter};
    use std::rc::Rc;

    /// Both writers of a sink into one buffer, as stdout and stderr into one terminal.
    #[derive(Clone, Default)]
    struct Screen(Rc<RefCell<Vec<u8>>>);

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_unfinished_stdout_line_comes_before_later_stderr_text() {
        let screen = Screen::default();
        // Line-buffered like Rust's stdout, and a buffered stderr for the other direction.
        let mut sink = TerminalSink::new(
            LineWriter::new(screen.clone()),
            BufWriter::new(screen.clone()),
        );
        sink.stream(StreamName::Stdout, "[stdout:0] \nx");
        sink.stream(StreamName::Stderr, "\n[stderr:0] \ny");
        sink.stream(StreamName::Stdout, "\nz");
        sink.flush();
        let text = String::from_utf8(screen.0.borrow().clone()).unwrap();
        assert_eq!(text, "[stdout:0] \nx\n[stderr:0] \ny\nz");
    }
}
