//! The streamed display (spec §10): output rendered as each engine's messages arrive.

use std::collections::HashMap;

use px_client::{
    apply_carriage_returns, EngineResult, OutputEvent, RemoteError, StreamName, TB_LIMIT,
};
use serde_json::json;

use super::out::{out_bundle, output_label, republish};
use super::prefix::{header, stream_word, StreamPrefixState};
use super::sink::OutputSink;

/// Renders [`OutputEvent`]s of one submission as they arrive.
///
/// In a kernel, each (request, stream) is one display, `display_id = "<msg_id>-stdout"`,
/// published on its first chunk as `"[stdout:N] " + all text so far` and updated with the
/// whole text on every later chunk; in a terminal, chunks are printed with the header
/// algorithm. Engine displays get an `[output:N]` label each, values show as `Out[N:k]`,
/// errors print on stderr (full tracebacks for the first [`TB_LIMIT`], then one line each).
/// `clear_output` and `update_display_data` from engines are ignored, as stock does.
#[derive(Debug, Default)]
pub struct LiveDisplay {
    /// Accumulated text per display id, after carriage-return cleaning.
    streams: HashMap<String, String>,
    /// Streamed errors so far.
    errors: usize,
    /// Header state for terminal output.
    prefix: StreamPrefixState,
    color: bool,
}

impl LiveDisplay {
    /// A live display; `color` colours `Out[N:k]: `.
    pub fn new(color: bool) -> Self {
        LiveDisplay {
            color,
            ..LiveDisplay::default()
        }
    }

    /// How many errors were streamed.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Shows what already arrived before the display was attached: per request, its
    /// stdout, stderr, displays and value (stock's replay on `stream_output()`).
    pub fn replay(&mut self, sink: &mut dyn OutputSink, results: &[EngineResult]) {
        for r in results {
            let engine_id = r.engine_id;
            for (name, text) in [
                (StreamName::Stdout, &r.stdout),
                (StreamName::Stderr, &r.stderr),
            ] {
                if !text.is_empty() {
                    self.handle(
                        sink,
                        &OutputEvent::Stream {
                            engine_id,
                            msg_id: r.msg_id.clone(),
                            name,
                            text: text.clone(),
                        },
                    );
                }
            }
            for output in &r.outputs {
                self.handle(
                    sink,
                    &OutputEvent::Display {
                        engine_id,
                        msg_id: r.msg_id.clone(),
                        msg_type: "display_data".into(),
                        content: output.clone(),
                    },
                );
            }
            if let Some(er) = &r.execute_result {
                self.handle(
                    sink,
                    &OutputEvent::ExecuteResult {
                        engine_id,
                        msg_id: r.msg_id.clone(),
                        content: er.clone(),
                    },
                );
            }
        }
    }

    /// Renders one event.
    pub fn handle(&mut self, sink: &mut dyn OutputSink, event: &OutputEvent) {
        match event {
            OutputEvent::Stream {
                engine_id,
                msg_id,
                name,
                text,
            } => {
                let eid = engine_id.unwrap_or(-1);
                if sink.is_terminal() {
                    self.prefix.print(sink, *name, &header(*name, eid), text);
                    return;
                }
                let display_id = format!("{msg_id}-{}", stream_word(*name));
                let update = self.streams.contains_key(&display_id);
                let full = self.streams.entry(display_id.clone()).or_default();
                full.push_str(text);
                if text.contains('\r') {
                    *full = apply_carriage_returns(full);
                }
                let data = json!({"text/plain": format!("{}{}", header(*name, eid), full)});
                let transient = json!({"display_id": display_id});
                if update {
                    sink.update_display_data(&data, &json!({}), &transient);
                } else {
                    sink.display_data(&data, &json!({}), &transient);
                }
            }
            OutputEvent::Display {
                engine_id,
                msg_type,
                content,
                ..
            } if msg_type == "display_data" => {
                let eid = engine_id.unwrap_or(-1);
                output_label(sink, eid);
                republish(sink, content, eid);
            }
            OutputEvent::ExecuteResult {
                engine_id,
                msg_id,
                content,
            } => {
                let eid = engine_id.unwrap_or(-1);
                // The record is still incomplete here (no reply yet), as in stock.
                let metadata =
                    json!({"msg_id": msg_id, "engine_id": engine_id, "execute_result": content});
                sink.display_data(&out_bundle(eid, content, self.color), &metadata, &json!({}));
            }
            OutputEvent::Error { error, .. } => {
                self.errors += 1;
                sink.stream(
                    StreamName::Stderr,
                    &format!("{}\n", streamed_error_text(error, self.errors)),
                );
            }
            _ => {}
        }
    }
}

/// The text stock prints for the `n`-th streamed error (1-based).
fn streamed_error_text(error: &RemoteError, n: usize) -> String {
    if n <= TB_LIMIT {
        error.render_traceback().join("\n")
    } else {
        error.to_string()
    }
}
