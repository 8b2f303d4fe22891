//! The `[stdout:N]` header algorithm of the non-streamed display (spec §9.1), also used
//! by the terminal's live display (§10.2).

use px_client::StreamName;

use super::sink::OutputSink;

/// What the header algorithm remembers between prints. Stock keeps it on the result
/// object, so it survives between displays of the same result: a second `%result` omits
/// the first header if the previous display ended with it. One flag is shared between
/// stdout and stderr, which is why stderr text can begin with a newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPrefixState {
    last_header: String,
    ended_with_newline: bool,
}

impl Default for StreamPrefixState {
    fn default() -> Self {
        StreamPrefixState {
            last_header: String::new(),
            ended_with_newline: true,
        }
    }
}

impl StreamPrefixState {
    /// Prints `text` on `name` under `header` (`"[stdout:0] "`, or `""` for no header):
    /// nothing if `text` is empty; the header (on its own line) only if it differs from the
    /// last one printed, preceded by a newline if the last text did not end with one.
    pub fn print(&mut self, sink: &mut dyn OutputSink, name: StreamName, header: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut header = header;
        if !header.is_empty() {
            if header == self.last_header {
                header = "";
            } else {
                self.last_header = header.to_owned();
            }
        }
        let mut out = String::with_capacity(header.len() + text.len() + 2);
        if !header.is_empty() {
            if !self.ended_with_newline {
                out.push('\n');
            }
            out.push_str(header);
            out.push('\n');
        }
        out.push_str(text);
        self.ended_with_newline = text.ends_with('\n');
        sink.stream(name, &out);
    }
}

/// `"[stdout:N] "` / `"[stderr:N] "`, trailing space included.
pub(crate) fn header(name: StreamName, engine_id: i64) -> String {
    format!("[{}:{engine_id}] ", stream_word(name))
}

pub(crate) fn stream_word(name: StreamName) -> &'static str {
    match name {
        StreamName::Stdout => "stdout",
        StreamName::Stderr => "stderr",
    }
}
