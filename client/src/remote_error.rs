//! The errors engines send back, and how ipyparallel shows them.
//!
//! - [`RemoteError`]: one engine's exception (`ename`, `evalue`, its IPython-formatted
//!   traceback) and which engine raised it, read from a reply or an IOPub `error`.
//! - [`CompositeError`]: what a multi-engine request fails with when one or more engines
//!   raised; rendered as stock renders it, at most [`TB_LIMIT`] tracebacks.
//! - [`AlreadyDisplayedError`]: the short stand-in `%px` raises when streaming has already
//!   printed the tracebacks.
//! - [`TaskAborted`] and [`ReplyStatus`]: an `aborted` reply is not an engine error; stock
//!   leaves it out of composite errors.
//!
//! `Display` mirrors Python's `str()` of each exception, `render_traceback` its
//! `render_traceback()`, and `kernel_error_content` the `error` content an IPython kernel
//! publishes when the exception escapes a cell (what the magics captures show).

use std::fmt;

use serde_json::{json, Map, Value};

/// How many tracebacks a composite error renders in full. Stock caps it so a failure on
/// hundreds of engines stays readable; the live display (streaming) uses the same cap
/// before switching to one line per error.
pub const TB_LIMIT: usize = 4;

/// Shown instead of a traceback when an engine sent none (e.g. a UsageError on the engine).
const NO_TRACEBACK: &str = "No traceback available";

/// An exception raised on an engine (or made up by the controller or client on its behalf).
///
/// Engine-raised errors carry the engine's id, uuid and the request kind (`method`):
/// `[1:execute] ZeroDivisionError: division by zero`. Errors made by the controller or the
/// client (a dead engine, a hub failure) carry none of them and are labelled
/// `[Engine Exception]`; stock also takes that absence to mean no IOPub output will follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// The engine's integer id. Replies may carry only the uuid; see
    /// [`RemoteError::resolve_engine_id`].
    pub engine_id: Option<i64>,
    /// The engine's uuid (its ZeroMQ identity).
    pub engine_uuid: Option<String>,
    /// `"execute"` or `"apply"`: the kind of request that failed.
    pub method: Option<String>,
    /// The exception class name (`ZeroDivisionError`).
    pub ename: String,
    /// The exception's `str()`.
    pub evalue: String,
    /// The traceback as sent: a list of strings (ANSI colours included), joined with `"\n"`
    /// before rendering, so elements may themselves hold several lines.
    pub traceback: Vec<String>,
}

impl RemoteError {
    /// Reads the error content of an `execute_reply` / `apply_reply` or of a hub error:
    /// `{ename, evalue, traceback, engine_info}`. Missing or mistyped fields become empty
    /// (stock would raise a KeyError instead); `engine_info: {}` means "not from an engine".
    pub fn from_content(content: &Value) -> Self {
        let text = |key: &str| match content.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let traceback = match content.get("traceback") {
            Some(Value::Array(lines)) => lines
                .iter()
                .map(|l| match l {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let info = content.get("engine_info");
        let info_str = |key: &str| {
            info.and_then(|i| i.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        RemoteError {
            engine_id: info
                .and_then(|i| i.get("engine_id"))
                .and_then(Value::as_i64),
            engine_uuid: info_str("engine_uuid"),
            method: info_str("method"),
            ename: text("ename"),
            evalue: text("evalue"),
            traceback,
        }
    }

    /// Reads an IOPub `error` message. Engines publish those without `engine_info`, so,
    /// like stock, the engine comes from what the client knows about the request, and the
    /// method from the request's type (`execute_request` → `execute`). An `engine_info`
    /// present in the content wins.
    pub fn from_iopub(
        content: &Value,
        engine_id: Option<i64>,
        engine_uuid: Option<&str>,
        request_msg_type: &str,
    ) -> Self {
        let mut error = RemoteError::from_content(content);
        if content.get("engine_info").is_none() {
            error.engine_id = engine_id;
            error.engine_uuid = engine_uuid.map(str::to_owned);
            let method = request_msg_type.split('_').next().unwrap_or_default();
            error.method = Some(method.to_owned());
        }
        error
    }

    /// The error stock's client makes up for a request still outstanding on an engine that
    /// unregistered: an `EngineError` with no engine info, so it is labelled
    /// `[Engine Exception]`. Stock's traceback there is a local Python one; ours is the
    /// exception line alone.
    pub fn engine_died(engine_id: i64, msg_id: &str) -> Self {
        let evalue = format!(
            "Engine {engine_id} died while running task {}",
            px_wire::python_str_repr(msg_id)
        );
        RemoteError {
            engine_id: None,
            engine_uuid: None,
            method: None,
            traceback: vec![format!("EngineError: {evalue}")],
            ename: "EngineError".to_owned(),
            evalue,
        }
    }

    /// Fills in the engine id from the uuid when the reply carried only the uuid, as stock's
    /// client does with its engine table. Errors without engine info are left alone.
    pub fn resolve_engine_id(&mut self, lookup: impl FnOnce(&str) -> Option<i64>) {
        if self.engine_id.is_none() {
            if let Some(uuid) = &self.engine_uuid {
                self.engine_id = lookup(uuid);
            }
        }
    }

    /// Whether an engine ran this (non-empty `engine_info`). Stock completes a failed
    /// request's output at once when this is false, since no IOPub output will follow.
    pub fn has_engine_info(&self) -> bool {
        self.engine_id.is_some() || self.engine_uuid.is_some() || self.method.is_some()
    }

    /// `[1:execute]`, or `[Engine Exception]` without engine info. A missing id or method
    /// next to other engine info shows as `None`, as Python formats a `None` value.
    pub fn label(&self) -> String {
        if !self.has_engine_info() {
            return "[Engine Exception]".to_owned();
        }
        let id = self
            .engine_id
            .map_or_else(|| "None".to_owned(), |id| id.to_string());
        let method = self.method.as_deref().unwrap_or("None");
        format!("[{id}:{method}]")
    }

    /// The traceback lines as rendered: the sent strings joined with `"\n"` and split again
    /// as Python's `str.splitlines` splits; an empty traceback is one
    /// `No traceback available` line.
    pub fn traceback_lines(&self) -> Vec<String> {
        let joined = self.traceback.join("\n");
        if joined.is_empty() {
            vec![NO_TRACEBACK.to_owned()]
        } else {
            python_splitlines(&joined)
        }
    }

    /// The label line, then the traceback lines: what the live display prints for each of
    /// the first [`TB_LIMIT`] streamed errors, and what a single-engine failure shows.
    pub fn render_traceback(&self) -> Vec<String> {
        let mut lines = vec![self.label()];
        lines.extend(self.traceback_lines());
        lines
    }

    /// The `error` content an IPython kernel publishes when this escapes a cell (a failed
    /// `%%px -t 1`): `ename` is the class, `RemoteError`, not the engine's exception.
    pub fn kernel_error_content(&self) -> Value {
        json!({
            "ename": "RemoteError",
            "evalue": self.to_string(),
            "traceback": self.render_traceback(),
        })
    }

    /// The error content as a reply carries it (`status: "error"`), with `engine_info`
    /// holding only the fields known; what an engine or the controller sends.
    pub fn to_content(&self) -> Value {
        let mut info = Map::new();
        if let Some(uuid) = &self.engine_uuid {
            info.insert("engine_uuid".into(), json!(uuid));
        }
        if let Some(id) = self.engine_id {
            info.insert("engine_id".into(), json!(id));
        }
        if let Some(method) = &self.method {
            info.insert("method".into(), json!(method));
        }
        json!({
            "status": "error",
            "ename": self.ename,
            "evalue": self.evalue,
            "traceback": self.traceback,
            "engine_info": info,
        })
    }
}

/// Python's `str(RemoteError)`: `[1:execute] ZeroDivisionError: division by zero`; also the
/// one line the live display prints for streamed errors past [`TB_LIMIT`].
impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.label(), self.ename, self.evalue)
    }
}

impl std::error::Error for RemoteError {}

/// The failure of a request sent to several engines: every engine error, in target order.
///
/// Engines that succeeded are not listed, nor are aborted requests ([`TaskAborted`] is not
/// an engine error to stock). An int target does not make one of these: its failure is the
/// single [`RemoteError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeError {
    /// What was called, for the first line: `%px` for the magics, `execute` for
    /// `DirectView.execute`, the function's name for `apply`.
    pub raised_in: String,
    /// The engines' errors, in target order.
    pub errors: Vec<RemoteError>,
}

impl CompositeError {
    /// A composite of `errors`, raised by the call named `raised_in`.
    pub fn new(raised_in: impl Into<String>, errors: Vec<RemoteError>) -> Self {
        CompositeError {
            raised_in: raised_in.into(),
            errors,
        }
    }

    /// `None` when there is no error, as stock's `collect_exceptions` passes results
    /// through then; otherwise the composite. Give the errors in target order.
    pub fn collect(
        raised_in: impl Into<String>,
        errors: impl IntoIterator<Item = RemoteError>,
    ) -> Option<Self> {
        let errors: Vec<RemoteError> = errors.into_iter().collect();
        (!errors.is_empty()).then(|| CompositeError::new(raised_in, errors))
    }

    /// The first line of the message: `one or more exceptions raised in: %px`.
    pub fn message(&self) -> String {
        format!("one or more exceptions raised in: {}", self.raised_in)
    }

    /// Stock's `render_traceback()` with no index: for each of the first [`TB_LIMIT`]
    /// errors its label with a colon (`[0:execute]:`), its traceback lines and an empty
    /// line; then `... N more exceptions ...` if some were left out. This is the
    /// traceback of the kernel's `error` message for a failed `%px --no-stream`.
    pub fn render_traceback(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for error in self.errors.iter().take(TB_LIMIT) {
            lines.push(format!("{}:", error.label()));
            lines.extend(error.traceback_lines());
            lines.push(String::new());
        }
        if let Some(more) = self.more() {
            lines.push(format!("... {more} more exceptions ..."));
        }
        lines
    }

    /// Stock's `render_traceback(excid)`: one error's label with a colon and its traceback,
    /// or `None` if there is no error at `index`.
    pub fn render_one(&self, index: usize) -> Option<Vec<String>> {
        let error = self.errors.get(index)?;
        let mut lines = vec![format!("{}:", error.label())];
        lines.extend(error.traceback_lines());
        Some(lines)
    }

    /// The error at `index`, as stock's `raise_exception(excid)` re-raises it alone.
    pub fn error(&self, index: usize) -> Option<&RemoteError> {
        self.errors.get(index)
    }

    /// The `error` content an IPython kernel publishes when this escapes a cell:
    /// `CompositeError`, the `str()` message, the rendered tracebacks.
    pub fn kernel_error_content(&self) -> Value {
        json!({
            "ename": "CompositeError",
            "evalue": self.to_string(),
            "traceback": self.render_traceback(),
        })
    }

    fn more(&self) -> Option<usize> {
        self.errors.len().checked_sub(TB_LIMIT).filter(|&n| n > 0)
    }
}

/// Python's `str(CompositeError)`: the message line, then `[0:execute]Ename: evalue` per
/// error (stock puts no space after the label here), at most [`TB_LIMIT`], then
/// `.... N more exceptions ...` (four dots, unlike the traceback's three).
impl fmt::Display for CompositeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())?;
        for error in self.errors.iter().take(TB_LIMIT) {
            write!(f, "\n{}{}: {}", error.label(), error.ename, error.evalue)?;
        }
        if let Some(more) = self.more() {
            write!(f, "\n.... {more} more exceptions ...")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompositeError {}

/// What `%px` raises instead of a [`CompositeError`] when streaming already printed the
/// tracebacks: only the count, `4 errors` (always the plural, even `1 errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyDisplayedError {
    /// How many engines failed.
    pub count: usize,
}

impl AlreadyDisplayedError {
    /// The whole traceback is the one line `N errors`.
    pub fn render_traceback(&self) -> Vec<String> {
        vec![self.to_string()]
    }

    /// The `error` content an IPython kernel publishes for it.
    pub fn kernel_error_content(&self) -> Value {
        json!({
            "ename": "AlreadyDisplayedError",
            "evalue": self.to_string(),
            "traceback": self.render_traceback(),
        })
    }
}

impl From<&CompositeError> for AlreadyDisplayedError {
    fn from(e: &CompositeError) -> Self {
        AlreadyDisplayedError {
            count: e.errors.len(),
        }
    }
}

/// Python's `str()`: `4 errors`.
impl fmt::Display for AlreadyDisplayedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} errors", self.count)
    }
}

impl std::error::Error for AlreadyDisplayedError {}

/// A request the engine did not run: it was queued behind a failure (stop-on-error) or
/// aborted on request, and its reply has `status: "aborted"`.
///
/// Stock stores this as the request's result. A multi-engine `get()` ignores it (the
/// request counts as a silent success, and prints nothing); a single-result request
/// (int target) raises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskAborted {
    /// The aborted request.
    pub msg_id: String,
}

/// Python's `str(TaskAborted(msg_id))`: the msg_id alone.
impl fmt::Display for TaskAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg_id)
    }
}

impl std::error::Error for TaskAborted {}

/// What a reply's `status` makes of a request, as stock's reply handlers decide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyStatus {
    /// `ok`: the result is in the reply.
    Ok,
    /// `aborted`: not run; see [`TaskAborted`].
    Aborted(TaskAborted),
    /// `resubmitted`: stock leaves the request pending (nothing sends this today).
    Resubmitted,
    /// `error`, or any other status: the engine's (or controller's) error.
    Error(RemoteError),
}

impl ReplyStatus {
    /// Classifies the content of the reply to `msg_id`.
    pub fn from_content(content: &Value, msg_id: &str) -> Self {
        match content.get("status").and_then(Value::as_str) {
            Some("ok") => ReplyStatus::Ok,
            Some("aborted") => ReplyStatus::Aborted(TaskAborted {
                msg_id: msg_id.to_owned(),
            }),
            Some("resubmitted") => ReplyStatus::Resubmitted,
            _ => ReplyStatus::Error(RemoteError::from_content(content)),
        }
    }
}

/// Python's `str.splitlines()`: splits at every line boundary Python knows, drops the
/// boundaries, and yields no empty last line for a trailing boundary.
fn python_splitlines(s: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    // Literal text from /work/shared/spec/magics-captures/*.json (stock IPython 9.18.1 +
    // ipyparallel 9.2.0), extracted verbatim by py/capture_literals.py in this crate's folder.
    // The engines' own reply contents are not recorded there; the tests rebuild them from
    // the traceback lines the capture shows under each label.

    /// px_error_all_nostream.json, cell `%%px --no-stream\n1/0`, IOPub `error` traceback
    const ALL_NOSTREAM_TRACEBACK: &[&str] = &[
        "[0:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[1:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[2:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[3:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
    ];
    /// px_error_all_nostream.json, cell `%%px --no-stream\n1/0`, IOPub `error` evalue
    const ALL_NOSTREAM_EVALUE: &str = "one or more exceptions raised in: %px\n[0:execute]ZeroDivisionError: division by zero\n[1:execute]ZeroDivisionError: division by zero\n[2:execute]ZeroDivisionError: division by zero\n[3:execute]ZeroDivisionError: division by zero";
    /// px_error_six_engines.json, cell `%%px --no-stream\n1/0`, IOPub `error` traceback
    const SIX_NOSTREAM_TRACEBACK: &[&str] = &[
        "[0:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[1:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[2:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "[3:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[1]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
        "",
        "... 2 more exceptions ...",
    ];
    /// px_error_six_engines.json, cell `%%px --no-stream\n1/0`, IOPub `error` evalue
    const SIX_NOSTREAM_EVALUE: &str = "one or more exceptions raised in: %px\n[0:execute]ZeroDivisionError: division by zero\n[1:execute]ZeroDivisionError: division by zero\n[2:execute]ZeroDivisionError: division by zero\n[3:execute]ZeroDivisionError: division by zero\n.... 2 more exceptions ...";
    /// px_error_six_engines.json, cell `%px 1/0`, IOPub stderr stream (streamed errors)
    const SIX_STREAM_STDERR: &str = "[0:execute]\n\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m\n\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)\n\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[2]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m\n\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m\n\n\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero\n[2:execute]\n\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m\n\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)\n\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[2]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m\n\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m\n\n\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero\n[4:execute]\n\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m\n\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)\n\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[2]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m\n\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m\n\n\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero\n[1:execute]\n\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m\n\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)\n\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[2]\u{1b}[39m\u{1b}[32m, line 1\u{1b}[39m\n\u{1b}[32m----> \u{1b}[39m\u{1b}[32m1\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m\n\n\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero\n[5:execute] ZeroDivisionError: division by zero\n[3:execute] ZeroDivisionError: division by zero\n";
    /// px_error_six_engines.json, cell `%px 1/0`, IOPub `error` traceback
    const SIX_STREAM_ALREADY_DISPLAYED: &[&str] = &["6 errors"];
    /// error_single_int_target.json, cell `%%px --targets 1 --no-stream`, IOPub `error` traceback
    const SINGLE_TRACEBACK: &[&str] = &[
        "[1:execute]",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m                         Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[2]\u{1b}[39m\u{1b}[32m, line 2\u{1b}[39m",
        "\u{1b}[32m      1\u{1b}[39m print(\u{1b}[33m'before'\u{1b}[39m)",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m2\u{1b}[39m \u{1b}[32m1\u{1b}[39m/\u{1b}[32m0\u{1b}[39m",
        "",
        "\u{1b}[31mZeroDivisionError\u{1b}[39m: division by zero",
    ];
    /// error_single_int_target.json, cell `%%px --targets 1 --no-stream`, IOPub `error` evalue
    const SINGLE_EVALUE: &str = "[1:execute] ZeroDivisionError: division by zero";
    /// error_single_int_target.json, cell `%%px --targets 1 --no-stream`, IOPub `error` ename
    const SINGLE_ENAME: &str = "RemoteError";
    /// px_error_one_engine.json, cell `%%px --no-stream` (engine 1 fails), IOPub `error` traceback
    const ONE_ENGINE_TRACEBACK: &[&str] = &[
        "[1:execute]:",
        "\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m",
        "\u{1b}[31mValueError\u{1b}[39m                                Traceback (most recent call last)",
        "\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[4]\u{1b}[39m\u{1b}[32m, line 3\u{1b}[39m",
        "\u{1b}[32m      1\u{1b}[39m print(\u{1b}[33m'before'\u{1b}[39m)",
        "\u{1b}[32m      2\u{1b}[39m \u{1b}[38;5;28;01mif\u{1b}[39;00m bad:",
        "\u{1b}[32m----> \u{1b}[39m\u{1b}[32m3\u{1b}[39m     \u{1b}[38;5;28;01mraise\u{1b}[39;00m ValueError(\u{1b}[33m'only engine 1'\u{1b}[39m)",
        "\u{1b}[32m      4\u{1b}[39m print(\u{1b}[33m'after'\u{1b}[39m)",
        "\u{1b}[32m      5\u{1b}[39m \u{1b}[33m'done'\u{1b}[39m",
        "",
        "\u{1b}[31mValueError\u{1b}[39m: only engine 1",
        "",
    ];
    /// px_error_one_engine.json, cell `%%px --no-stream` (engine 1 fails), IOPub `error` evalue
    const ONE_ENGINE_EVALUE: &str =
        "one or more exceptions raised in: %px\n[1:execute]ValueError: only engine 1";
    /// px_error_one_engine.json, cell `%%px` (streaming), IOPub stderr stream
    const ONE_ENGINE_STREAM_STDERR: &str = "[1:execute]\n\u{1b}[31m---------------------------------------------------------------------------\u{1b}[39m\n\u{1b}[31mValueError\u{1b}[39m                                Traceback (most recent call last)\n\u{1b}[36mCell\u{1b}[39m\u{1b}[36m \u{1b}[39m\u{1b}[32mIn[3]\u{1b}[39m\u{1b}[32m, line 3\u{1b}[39m\n\u{1b}[32m      1\u{1b}[39m print(\u{1b}[33m'before'\u{1b}[39m)\n\u{1b}[32m      2\u{1b}[39m \u{1b}[38;5;28;01mif\u{1b}[39;00m bad:\n\u{1b}[32m----> \u{1b}[39m\u{1b}[32m3\u{1b}[39m     \u{1b}[38;5;28;01mraise\u{1b}[39;00m ValueError(\u{1b}[33m'only engine 1'\u{1b}[39m)\n\u{1b}[32m      4\u{1b}[39m print(\u{1b}[33m'after'\u{1b}[39m)\n\u{1b}[32m      5\u{1b}[39m \u{1b}[33m'done'\u{1b}[39m\n\n\u{1b}[31mValueError\u{1b}[39m: only engine 1\n";
    /// suffix_activate.json, cell `%pxresult_a` (engine errors without traceback), IOPub `error` traceback
    const NO_TRACEBACK_TRACEBACK: &[&str] = &[
        "[0:execute]:",
        "No traceback available",
        "",
        "[1:execute]:",
        "No traceback available",
        "",
    ];
    /// suffix_activate.json, cell `%pxresult_a` (engine errors without traceback), IOPub `error` evalue
    const NO_TRACEBACK_EVALUE: &str = "one or more exceptions raised in: %px\n[0:execute]UsageError: Line magic function `%autopx_a` not found.\n[1:execute]UsageError: Line magic function `%autopx_a` not found.";

    /// An engine's error reply, as stock engines send it.
    fn engine_reply(id: i64, tb: &[&str], ename: &str, evalue: &str) -> Value {
        json!({
            "status": "error",
            "ename": ename,
            "evalue": evalue,
            "traceback": tb,
            "engine_info": {"engine_uuid": format!("uuid-{id}"), "engine_id": id, "method": "execute"},
            "execution_count": 1,
            "payload": [],
            "user_expressions": {},
        })
    }

    fn strings(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    fn zero_division(id: i64, tb: &[&str]) -> RemoteError {
        RemoteError::from_content(&engine_reply(
            id,
            tb,
            "ZeroDivisionError",
            "division by zero",
        ))
    }

    #[test]
    fn composite_renders_like_px_error_all_nostream() {
        // Each engine's traceback is the 6 lines after its label in the capture.
        let tb = &ALL_NOSTREAM_TRACEBACK[1..7];
        let errors = (0..4).map(|id| zero_division(id, tb)).collect();
        let composite = CompositeError::new("%px", errors);
        assert_eq!(
            composite.render_traceback(),
            strings(ALL_NOSTREAM_TRACEBACK)
        );
        assert_eq!(composite.to_string(), ALL_NOSTREAM_EVALUE);
        assert_eq!(
            composite.kernel_error_content(),
            json!({"ename": "CompositeError", "evalue": ALL_NOSTREAM_EVALUE, "traceback": ALL_NOSTREAM_TRACEBACK})
        );
    }

    #[test]
    fn composite_past_tb_limit_renders_like_px_error_six_engines() {
        let tb = &SIX_NOSTREAM_TRACEBACK[1..7];
        let errors = (0..6).map(|id| zero_division(id, tb)).collect();
        let composite = CompositeError::new("%px", errors);
        assert_eq!(
            composite.render_traceback(),
            strings(SIX_NOSTREAM_TRACEBACK)
        );
        assert_eq!(composite.to_string(), SIX_NOSTREAM_EVALUE);
    }

    #[test]
    fn streamed_errors_print_like_px_error_six_engines() {
        // The live display prints the first TB_LIMIT errors' render_traceback and the
        // rest's str(), each followed by a newline, in arrival order.
        let tb: Vec<&str> = SIX_STREAM_STDERR.split('\n').skip(1).take(6).collect();
        let mut stderr = String::new();
        for (n, id) in [0, 2, 4, 1, 5, 3].into_iter().enumerate() {
            let error = zero_division(id, &tb);
            if n < TB_LIMIT {
                stderr += &error.render_traceback().join("\n");
            } else {
                stderr += &error.to_string();
            }
            stderr.push('\n');
        }
        assert_eq!(stderr, SIX_STREAM_STDERR);
        let composite =
            CompositeError::new("%px", (0..6).map(|id| zero_division(id, &tb)).collect());
        assert_eq!(
            AlreadyDisplayedError::from(&composite).render_traceback(),
            strings(SIX_STREAM_ALREADY_DISPLAYED)
        );
    }

    #[test]
    fn single_engine_error_renders_like_error_single_int_target() {
        let error = zero_division(1, &SINGLE_TRACEBACK[1..]);
        assert_eq!(
            error.kernel_error_content(),
            json!({"ename": SINGLE_ENAME, "evalue": SINGLE_EVALUE, "traceback": SINGLE_TRACEBACK})
        );
    }

    #[test]
    fn one_failing_engine_renders_like_px_error_one_engine() {
        let tb = &ONE_ENGINE_TRACEBACK[1..ONE_ENGINE_TRACEBACK.len() - 1];
        let error = RemoteError::from_content(&engine_reply(1, tb, "ValueError", "only engine 1"));
        let composite = CompositeError::collect("%px", [error.clone()]).unwrap();
        assert_eq!(composite.render_traceback(), strings(ONE_ENGINE_TRACEBACK));
        assert_eq!(composite.to_string(), ONE_ENGINE_EVALUE);
        // Streaming (an earlier cell, so `In[3]`): the IOPub error has no engine_info and
        // gets its engine from the request. Its traceback is the lines after the label.
        let lines: Vec<&str> = ONE_ENGINE_STREAM_STDERR.split('\n').collect();
        let tb = &lines[1..lines.len() - 1];
        let iopub = json!({"ename": "ValueError", "evalue": "only engine 1", "traceback": tb});
        let streamed = RemoteError::from_iopub(&iopub, Some(1), Some("uuid-1"), "execute_request");
        assert_eq!(
            streamed.render_traceback().join("\n") + "\n",
            ONE_ENGINE_STREAM_STDERR
        );
    }

    #[test]
    fn empty_tracebacks_render_like_suffix_activate() {
        let evalue = "Line magic function `%autopx_a` not found.";
        let errors = (0..2)
            .map(|id| RemoteError::from_content(&engine_reply(id, &[], "UsageError", evalue)))
            .collect();
        let composite = CompositeError::new("%px", errors);
        assert_eq!(
            composite.render_traceback(),
            strings(NO_TRACEBACK_TRACEBACK)
        );
        assert_eq!(composite.to_string(), NO_TRACEBACK_EVALUE);
    }

    // The expectations below were printed by stock ipyparallel 9.2.0's own classes
    // (`ipyparallel.error.RemoteError`, `CompositeError`, `unwrap_exception`,
    // `collect_exceptions`) in /work/main/.venv, for the same inputs.

    fn apply_error(id: i64, ename: &str, evalue: &str, tb: &str) -> RemoteError {
        RemoteError {
            engine_id: Some(id),
            engine_uuid: Some(format!("uuid-{id}")),
            method: Some("apply".into()),
            ename: ename.into(),
            evalue: evalue.into(),
            traceback: vec![tb.into()],
        }
    }

    #[test]
    fn remote_error_str_and_traceback_match_python() {
        let e = apply_error(2, "KeyError", "'x'", "a\nb\nc");
        assert_eq!(e.to_string(), "[2:apply] KeyError: 'x'");
        assert_eq!(e.render_traceback(), ["[2:apply]", "a", "b", "c"]);
    }

    #[test]
    fn traceback_is_joined_then_split_like_python() {
        let render = |tb: &[&str]| {
            let mut e = apply_error(0, "E", "v", "");
            e.traceback = strings(tb);
            e.render_traceback()
        };
        assert_eq!(render(&[]), ["[0:apply]", "No traceback available"]);
        assert_eq!(render(&[""]), ["[0:apply]", "No traceback available"]);
        assert_eq!(render(&["", ""]), ["[0:apply]", ""]);
        assert_eq!(
            render(&["a\r\nb\rc\u{0b}d\u{85}e\u{2028}f\n"]),
            ["[0:apply]", "a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(render(&["x\n", "y"]), ["[0:apply]", "x", "", "y"]);
    }

    #[test]
    fn controller_errors_have_no_engine_label() {
        let content = json!({"status": "error", "ename": "E", "evalue": "v", "traceback": [], "engine_info": {}});
        let e = RemoteError::from_content(&content);
        assert!(!e.has_engine_info());
        assert_eq!(e.to_string(), "[Engine Exception] E: v");
        assert_eq!(
            e.render_traceback(),
            ["[Engine Exception]", "No traceback available"]
        );
    }

    #[test]
    fn engine_death_is_an_engine_error_without_engine_info() {
        let e = RemoteError::engine_died(0, "abc-1");
        assert_eq!(e.ename, "EngineError");
        assert_eq!(e.evalue, "Engine 0 died while running task 'abc-1'");
        assert!(!e.has_engine_info());
        // Stock prints the same line (its traceback is a local Python one instead).
        assert_eq!(
            e.to_string(),
            "[Engine Exception] EngineError: Engine 0 died while running task 'abc-1'"
        );
        assert_eq!(
            RemoteError::engine_died(3, "it's").evalue,
            "Engine 3 died while running task \"it's\""
        );
        // The fake reply content stock builds has an empty engine_info.
        assert_eq!(e.to_content()["engine_info"], json!({}));
        assert_eq!(RemoteError::from_content(&e.to_content()), e);
    }

    #[test]
    fn from_content_tolerates_missing_and_odd_fields() {
        let e = RemoteError::from_content(&json!({}));
        assert_eq!((e.ename.as_str(), e.evalue.as_str()), ("", ""));
        assert!(e.traceback.is_empty() && !e.has_engine_info());
        let e = RemoteError::from_content(&json!({
            "ename": "E", "evalue": 5, "traceback": ["a", 1, null], "engine_info": {"engine_uuid": "u"}
        }));
        assert_eq!(e.evalue, "5");
        assert_eq!(e.traceback, ["a", "1", "null"]);
        assert_eq!(e.engine_uuid.as_deref(), Some("u"));
        // Stock would raise KeyError on the missing id and method; we show None.
        assert_eq!(e.label(), "[None:None]");
        let e = RemoteError::from_content(&json!({"traceback": "one string"}));
        assert_eq!(e.traceback, ["one string"]);
    }

    #[test]
    fn engine_id_is_looked_up_from_the_uuid() {
        let mut e = RemoteError::from_content(&json!({
            "ename": "E", "evalue": "v", "traceback": [],
            "engine_info": {"engine_uuid": "u-7", "method": "execute"}
        }));
        e.resolve_engine_id(|uuid| (uuid == "u-7").then_some(7));
        assert_eq!(e.label(), "[7:execute]");
        let mut known = apply_error(1, "E", "v", "");
        known.resolve_engine_id(|_| panic!("the id is known"));
    }

    #[test]
    fn iopub_errors_keep_their_own_engine_info() {
        let content = json!({"ename": "E", "evalue": "v", "traceback": [],
            "engine_info": {"engine_id": 2, "engine_uuid": "u2", "method": "apply"}});
        let e = RemoteError::from_iopub(&content, Some(9), Some("u9"), "execute_request");
        assert_eq!(e.label(), "[2:apply]");
        let bare = json!({"ename": "E", "evalue": "v", "traceback": []});
        let e = RemoteError::from_iopub(&bare, None, None, "apply_request");
        assert_eq!(e.label(), "[None:apply]");
    }

    #[test]
    fn composite_str_and_traceback_match_python_around_tb_limit() {
        let errors = |n: i64| -> Vec<RemoteError> {
            (0..n)
                .map(|i| apply_error(i, &format!("E{i}"), &format!("v{i}"), &format!("tb{i}")))
                .collect()
        };
        let five = CompositeError::new("f", errors(5));
        assert_eq!(
            five.to_string(),
            "one or more exceptions raised in: f\n[0:apply]E0: v0\n[1:apply]E1: v1\n\
             [2:apply]E2: v2\n[3:apply]E3: v3\n.... 1 more exceptions ..."
        );
        assert_eq!(
            five.render_traceback(),
            [
                "[0:apply]:",
                "tb0",
                "",
                "[1:apply]:",
                "tb1",
                "",
                "[2:apply]:",
                "tb2",
                "",
                "[3:apply]:",
                "tb3",
                "",
                "... 1 more exceptions ..."
            ]
        );
        assert_eq!(five.render_one(4).unwrap(), ["[4:apply]:", "tb4"]);
        assert_eq!(five.render_one(5), None);
        assert_eq!(five.error(1).map(|e| e.ename.as_str()), Some("E1"));

        let four = CompositeError::new("f", errors(4));
        assert_eq!(
            four.to_string(),
            "one or more exceptions raised in: f\n[0:apply]E0: v0\n[1:apply]E1: v1\n\
             [2:apply]E2: v2\n[3:apply]E3: v3"
        );
        assert_eq!(
            four.render_traceback(),
            [
                "[0:apply]:",
                "tb0",
                "",
                "[1:apply]:",
                "tb1",
                "",
                "[2:apply]:",
                "tb2",
                "",
                "[3:apply]:",
                "tb3",
                ""
            ]
        );

        let none = CompositeError::new("execute", vec![]);
        assert_eq!(
            none.to_string(),
            "one or more exceptions raised in: execute"
        );
        assert!(none.render_traceback().is_empty());
        assert_eq!(CompositeError::collect("execute", Vec::new()), None);
    }

    #[test]
    fn aborted_replies_are_not_remote_errors() {
        assert_eq!(
            ReplyStatus::from_content(&json!({"status": "aborted"}), "m1"),
            ReplyStatus::Aborted(TaskAborted {
                msg_id: "m1".into()
            })
        );
        assert_eq!(
            ReplyStatus::from_content(&json!({"status": "ok"}), "m1"),
            ReplyStatus::Ok
        );
        assert_eq!(
            ReplyStatus::from_content(&json!({"status": "resubmitted"}), "m1"),
            ReplyStatus::Resubmitted
        );
        let error = json!({"status": "error", "ename": "E", "evalue": "v", "traceback": []});
        assert_eq!(
            ReplyStatus::from_content(&error, "m1"),
            ReplyStatus::Error(RemoteError::from_content(&error))
        );
        // Any other status is read as an error, as stock's handlers do.
        assert!(matches!(
            ReplyStatus::from_content(&json!({"status": "weird"}), "m1"),
            ReplyStatus::Error(_)
        ));
        assert_eq!(
            TaskAborted {
                msg_id: "abc".into()
            }
            .to_string(),
            "abc"
        );
    }

    #[test]
    fn already_displayed_error_counts_errors() {
        let composite = CompositeError::new("%px", vec![apply_error(1, "E", "v", "")]);
        let short = AlreadyDisplayedError::from(&composite);
        assert_eq!(short.to_string(), "1 errors");
        assert_eq!(
            short.kernel_error_content(),
            json!({"ename": "AlreadyDisplayedError", "evalue": "1 errors", "traceback": ["1 errors"]})
        );
    }
}
