//! `Out[N:k]:` displays of engine results, and the re-published engine displays.

use chrono::{DateTime, Utc};
use px_client::EngineResult;
use serde_json::{json, Map, Value};

use super::sink::OutputSink;

/// The red-on / reset codes stock puts around `Out[N:k]: ` when the shell has colours.
const RED: &str = "\u{1b}[0;31m";
const NORMAL: &str = "\u{1b}[0m";

/// The MIME bundle of an engine's `execute_result` shown as `Out[N:k]` (spec §9.3):
/// `text/plain` gets the coloured prefix, a multi-line value starts on the next line, an
/// empty `text/plain` stays empty; other MIME types pass through.
pub fn out_bundle(engine_id: i64, execute_result: &Value, color: bool) -> Value {
    let mut data = execute_result
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let count = execute_result
        .get("execution_count")
        .map_or_else(|| "None".to_owned(), python_str);
    let text = data
        .get("text/plain")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let plain = if text.is_empty() {
        String::new()
    } else {
        let text = if text.contains('\n') && !text.starts_with('\n') {
            format!("\n{text}")
        } else {
            text
        };
        let (on, off) = if color { (RED, NORMAL) } else { ("", "") };
        format!("{on}Out[{engine_id}:{count}]: {off}{text}")
    };
    // Without text/plain in the engine's bundle, IPython's plain-text formatter still
    // adds one, from the same (empty) text.
    data.insert("text/plain".into(), Value::String(plain));
    Value::Object(data)
}

fn python_str(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The metadata stock attaches to an `Out[N:k]` display: the client's per-request record.
/// It is volatile and compared by nobody; we give the same keys.
pub fn out_metadata(r: &EngineResult) -> Value {
    let date = |d: &Option<DateTime<Utc>>| d.map(|d| Value::String(d.to_rfc3339()));
    json!({
        "msg_id": r.msg_id,
        "submitted": date(&r.submitted),
        "started": date(&r.started),
        "completed": date(&r.completed),
        "received": date(&r.received),
        "engine_uuid": r.engine_uuid,
        "engine_id": r.engine_id,
        "follow": [],
        "after": [],
        "status": r.status,
        "execute_input": r.execute_input,
        "execute_result": r.execute_result,
        "error": r.error.as_ref().map(|e| e.to_content()),
        "stdout": r.stdout,
        "stderr": r.stderr,
        "outputs": r.outputs,
        "data": {},
        "label": null,
    })
}

/// Shows `[output:N]`: a raw-text display, no newline, empty metadata.
pub(crate) fn output_label(sink: &mut dyn OutputSink, engine_id: i64) {
    sink.display_data(
        &json!({"text/plain": format!("[output:{engine_id}]")}),
        &json!({}),
        &json!({}),
    );
}

/// Re-publishes one engine display (`display_data` content): same bundle, metadata plus
/// `engine: N`, the engine's `transient` (display id) dropped.
pub(crate) fn republish(sink: &mut dyn OutputSink, content: &Value, engine_id: i64) {
    let data = content.get("data").cloned().unwrap_or_else(|| json!({}));
    let mut metadata: Map<String, Value> = content
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    metadata.insert("engine".into(), json!(engine_id));
    sink.display_data(&data, &Value::Object(metadata), &json!({}));
}
