//! A sink that records IOPub messages as JSON, merging consecutive stream text the way
//! ipykernel does, so tests compare directly with the recorded captures.

use px_client::StreamName;
use serde_json::{json, Value};

use super::sink::OutputSink;

/// Records `{"msg_type", "content"}` values in the order a stock kernel would publish them.
///
/// Stream text is buffered per stream and flushed (stdout first, then stderr) before any
/// other message, on [`OutputSink::flush`] and by [`CaptureSink::finish`], like ipykernel's
/// `OutStream`s, which flush before each display and when the writer flushes.
#[derive(Debug, Default)]
pub struct CaptureSink {
    messages: Vec<Value>,
    stdout: String,
    stderr: String,
}

impl CaptureSink {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    fn flush_streams(&mut self) {
        for (name, buf) in [("stdout", &mut self.stdout), ("stderr", &mut self.stderr)] {
            if !buf.is_empty() {
                let text = std::mem::take(buf);
                self.messages.push(json!({
                    "msg_type": "stream",
                    "content": {"name": name, "text": text},
                }));
            }
        }
    }

    /// Flushes buffered stream text and returns every message recorded.
    pub fn finish(mut self) -> Vec<Value> {
        self.flush_streams();
        self.messages
    }
}

impl OutputSink for CaptureSink {
    fn flush(&mut self) {
        self.flush_streams();
    }

    fn stream(&mut self, name: StreamName, text: &str) {
        match name {
            StreamName::Stdout => self.stdout.push_str(text),
            StreamName::Stderr => self.stderr.push_str(text),
        }
    }

    fn display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        self.flush_streams();
        self.messages.push(json!({
            "msg_type": "display_data",
            "content": {"data": data, "metadata": metadata, "transient": transient},
        }));
    }

    fn update_display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        self.flush_streams();
        self.messages.push(json!({
            "msg_type": "update_display_data",
            "content": {"data": data, "metadata": metadata, "transient": transient},
        }));
    }

    fn execute_result(&mut self, data: &Value, metadata: &Value) {
        self.flush_streams();
        self.messages.push(json!({
            "msg_type": "execute_result",
            "content": {"data": data, "metadata": metadata},
        }));
    }

    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.flush_streams();
        self.messages.push(json!({
            "msg_type": "error",
            "content": {"ename": ename, "evalue": evalue, "traceback": traceback},
        }));
    }
}
