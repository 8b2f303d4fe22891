//! Comparing what a cell published with what stock published for it in a recording.
//!
//! Both sides go through the same normalisation (the captures' README lists what varies
//! between runs): display ids, the opaque metadata of `Out[N:k]` displays, the state word
//! of `<AsyncResult(%px): …>`, and the local execution count of `execute_result`s.
//! Streamed cells vary more: engines' output arrives in any order, and an engine's text
//! may come in one chunk or two. For them, the comparison is on what a notebook finally
//! shows (updates applied, as the README asks), with each engine's items kept in order
//! but engines sorted between the cell's own (engine-less) messages.

use std::path::PathBuf;

use serde_json::{json, Value};

/// The recordings, beside the repository.
pub fn captures_dir() -> PathBuf {
    std::env::var_os("PX_MAGICS_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/spec/magics-captures"
            ))
        })
}

/// One recording.
pub fn load(name: &str) -> Value {
    let path = captures_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("capture is JSON")
}

const OUTPUT_TYPES: [&str; 5] = [
    "stream",
    "display_data",
    "update_display_data",
    "error",
    "execute_result",
];

/// Errors raised locally by stock (a Python traceback through the magics' source, which
/// we do not reproduce): compared by name, and by value where ours is stock's text.
const LOCAL_ERRORS: [(&str, bool); 5] = [
    ("NameError", false),
    ("IndexError", true),
    ("TimeoutError", true),
    ("SyntaxError", true),
    ("KeyboardInterrupt", false),
];

fn is_out_metadata(md: &Value) -> bool {
    md.get("msg_id").is_some() || md.get("engine_id").is_some()
}

fn normalise(msg_type: &str, content: &Value) -> Value {
    let mut content = content.clone();
    match msg_type {
        "display_data" | "update_display_data" => {
            if is_out_metadata(&content["metadata"]) {
                content["metadata"] = json!("<Out metadata>");
            }
            if content["transient"].get("display_id").is_some() {
                content["transient"]["display_id"] = json!("<display id>");
            }
        }
        "execute_result" => {
            if let Some(obj) = content.as_object_mut() {
                obj.remove("execution_count");
            }
            if let Some(text) = content["data"]["text/plain"].as_str() {
                if text.starts_with("<AsyncResult(%px): ") {
                    content["data"]["text/plain"] = json!("<AsyncResult(%px): <state>>");
                }
            }
        }
        "error" => {
            let ename = content["ename"].as_str().unwrap_or_default().to_owned();
            if let Some((_, keep_value)) = LOCAL_ERRORS.iter().find(|(n, _)| *n == ename) {
                let mut evalue = content["evalue"].as_str().unwrap_or_default().to_owned();
                // The file name of a SyntaxError is the cell's, which varies.
                if let Some(at) = evalue.find(" (") {
                    evalue.truncate(at);
                }
                content = if *keep_value {
                    json!({"ename": ename, "evalue": evalue})
                } else {
                    json!({"ename": ename})
                };
            }
        }
        _ => {}
    }
    json!({"msg_type": msg_type, "content": content})
}

/// The output messages stock published for `cell`, normalised.
pub fn recorded(cell: &Value) -> Vec<Value> {
    let messages: Vec<Value> = cell["iopub"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["parent_is_cell"] == true)
        .filter(|m| OUTPUT_TYPES.contains(&m["msg_type"].as_str().unwrap_or_default()))
        .map(|m| normalise(m["msg_type"].as_str().unwrap_or_default(), &m["content"]))
        .collect();
    collapse_bars(messages)
}

/// Our messages (from a `CaptureSink`), normalised.
pub fn ours(messages: &[Value]) -> Vec<Value> {
    let messages = messages
        .iter()
        .map(|m| normalise(m["msg_type"].as_str().unwrap_or_default(), &m["content"]))
        .collect();
    collapse_bars(messages)
}

const RUNNING: &str = "%px: <running>";

/// A progress bar's redraws vary in number, rate and time from run to run: each redraw
/// becomes `%px: <running>` or the final `%px: 100%`, and repeated redraws collapse.
fn normalise_bar(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for (i, segment) in text.split('\r').enumerate() {
        let normal = match segment.strip_prefix("%px: ") {
            Some(rest) if i > 0 => {
                let end = rest.find(']').map_or(rest.len(), |at| at + 1);
                let state = if rest.starts_with("100%") {
                    "%px: 100%"
                } else {
                    RUNNING
                };
                format!("{state}{}", &rest[end..])
            }
            _ => segment.to_owned(),
        };
        if normal != RUNNING || out.last().map(String::as_str) != Some(RUNNING) {
            out.push(normal);
        }
    }
    out.join("\r")
}

fn collapse_bars(messages: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for mut m in messages {
        if m["msg_type"] == "stream" {
            if let Some(text) = m["content"]["text"]
                .as_str()
                .filter(|t| t.contains("\r%px: "))
            {
                m["content"]["text"] = json!(normalise_bar(text));
                let running = json!(format!("\r{RUNNING}"));
                if m["content"]["text"] == running && out.last() == Some(&m) {
                    continue;
                }
            }
        }
        out.push(m);
    }
    out
}

/// What a notebook finally shows: updates applied to the display they name.
fn rendered(messages: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut by_id: std::collections::HashMap<String, usize> = Default::default();
    let id_of = |m: &Value| {
        m["content"]["transient"]["display_id"]
            .as_str()
            .map(str::to_owned)
    };
    for m in messages {
        // Display ids are normalised away; the stream header names the display.
        let key = id_of(m).and_then(|_| text(m).split_once("] ").map(|(h, _)| h.to_owned()));
        match (m["msg_type"].as_str(), key) {
            (Some("update_display_data"), Some(key)) if by_id.contains_key(&key) => {
                out[by_id[&key]]["content"]["data"] = m["content"]["data"].clone();
            }
            (_, Some(key)) => {
                by_id.insert(key, out.len());
                let mut m = m.clone();
                m["msg_type"] = json!("display_data");
                out.push(m);
            }
            (_, None) => out.push(m.clone()),
        }
    }
    out
}

fn text(m: &Value) -> &str {
    m["content"]["data"]["text/plain"]
        .as_str()
        .or_else(|| m["content"]["text"].as_str())
        .unwrap_or_default()
}

/// `N` from `[stdout:N] …`, `[output:N]`, `Out[N:k]: …` (coloured or not).
fn engine_of_text(t: &str) -> Option<i64> {
    let t = t.strip_prefix("\u{1b}[0;31m").unwrap_or(t);
    let rest = t
        .strip_prefix("[stdout:")
        .or_else(|| t.strip_prefix("[stderr:"))
        .or_else(|| t.strip_prefix("[output:"))
        .or_else(|| t.strip_prefix("Out["))?;
    let end = rest.find([':', ']'])?;
    rest[..end].parse().ok()
}

/// Splits streamed stderr into one block per `[N:execute]` error; text before the first
/// label stays the cell's own.
fn error_blocks(text: &str) -> Vec<(Option<i64>, String)> {
    let mut blocks: Vec<(Option<i64>, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let label = line
            .strip_prefix('[')
            .and_then(|r| r.split_once(":execute]"))
            .and_then(|(id, _)| id.parse::<i64>().ok());
        match (label, blocks.last_mut()) {
            (Some(id), _) => blocks.push((Some(id), line.to_owned())),
            (None, Some(last)) => last.1.push_str(line),
            (None, None) => blocks.push((None, line.to_owned())),
        }
    }
    blocks
}

/// Streamed output in a canonical order: each message attributed to an engine (or to the
/// cell), the cell's stream text merged, and between two of the cell's messages the
/// engines' items sorted by engine, each engine's in its own order.
fn canonical(messages: &[Value]) -> Vec<Value> {
    let mut items: Vec<(Option<i64>, Value)> = Vec::new();
    let mut labelled: Option<i64> = None;
    for m in rendered(messages) {
        let msg_type = m["msg_type"].as_str().unwrap_or_default().to_owned();
        if msg_type == "stream" {
            let name = m["content"]["name"].clone();
            for (engine, block) in error_blocks(text(&m)) {
                let item = json!({"msg_type": "stream", "content": {"name": name, "text": block}});
                match (engine, items.last_mut()) {
                    (None, Some((None, last)))
                        if last["msg_type"] == "stream" && last["content"]["name"] == name =>
                    {
                        let joined = format!("{}{block}", text(last));
                        last["content"]["text"] = json!(joined);
                    }
                    _ => items.push((engine, item)),
                }
            }
            continue;
        }
        let engine = match engine_of_text(text(&m)) {
            Some(id) if text(&m).starts_with("[output:") => {
                labelled = Some(id);
                Some(id)
            }
            Some(id) => Some(id),
            None => m["content"]["metadata"]["engine"].as_i64().or(labelled),
        };
        items.push((engine, m));
    }
    let mut out = Vec::new();
    let mut segment: Vec<(i64, Value)> = Vec::new();
    for (engine, item) in items {
        match engine {
            Some(id) => segment.push((id, item)),
            None => {
                segment.sort_by_key(|(id, _)| *id);
                out.extend(segment.drain(..).map(|(_, v)| v));
                out.push(item);
            }
        }
    }
    segment.sort_by_key(|(id, _)| *id);
    out.extend(segment.into_iter().map(|(_, v)| v));
    out
}

/// Compares; `streamed` cells are compared in canonical order after an exact mismatch.
pub fn compare(ours: &[Value], recorded: &[Value], streamed: bool) -> Result<(), String> {
    if ours == recorded {
        return Ok(());
    }
    let (a, b) = if streamed {
        (canonical(ours), canonical(recorded))
    } else {
        (ours.to_vec(), recorded.to_vec())
    };
    if a == b {
        return Ok(());
    }
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    Err(format!(
        "first difference at message {at} (ours {} messages, stock {})\nours:  {}\nstock: {}\n--- ours ---\n{}\n--- stock ---\n{}",
        a.len(),
        b.len(),
        a.get(at).map_or("<none>".into(), Value::to_string),
        b.get(at).map_or("<none>".into(), Value::to_string),
        serde_json::to_string_pretty(&a).unwrap_or_default(),
        serde_json::to_string_pretty(&b).unwrap_or_default(),
    ))
}
