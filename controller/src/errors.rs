//! Error replies the controller itself produces.
//!
//! They have the content every ipyparallel error has (§3.6) with an empty `engine_info`:
//! that is how a client knows no engine ran the request and no output will follow. The
//! traceback is written as Python's `traceback.format_exception` would print a controller
//! exception, since the client shows it as such.

use serde_json::{json, Value};

/// A controller-side error: the exception class name and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerError {
    /// Python exception class, e.g. `KeyError`, `EngineError`.
    pub ename: String,
    /// Its message.
    pub evalue: String,
}

impl ControllerError {
    /// An error of class `ename` with message `evalue`.
    pub fn new(ename: impl Into<String>, evalue: impl Into<String>) -> Self {
        ControllerError {
            ename: ename.into(),
            evalue: evalue.into(),
        }
    }

    /// The §3.6 error content.
    pub fn content(&self) -> Value {
        error_content(
            &self.ename,
            &self.evalue,
            traceback(&self.ename, &self.evalue),
        )
    }
}

/// The §3.6 content of an error no engine ran: `engine_info` is empty, so a client knows no
/// output will follow.
pub fn error_content(ename: &str, evalue: &str, traceback: Vec<String>) -> Value {
    json!({
        "status": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": traceback,
        "engine_info": {},
    })
}

/// A Python-style traceback for an exception raised in the controller.
pub fn traceback(ename: &str, evalue: &str) -> Vec<String> {
    vec![
        "Traceback (most recent call last):\n".to_owned(),
        "  File \"pxcontroller\", in the controller\n".to_owned(),
        if evalue.is_empty() {
            format!("{ename}\n")
        } else {
            format!("{ename}: {evalue}\n")
        },
    ]
}

/// The reply type answering `request_type`: `execute_request` → `execute_reply`; anything
/// not ending in `_request` is answered as `apply_reply`, as the schedulers answer.
pub fn reply_type(request_type: &str) -> String {
    match request_type.strip_suffix("_request") {
        Some(stem) if !stem.is_empty() => format!("{stem}_reply"),
        _ => "apply_reply".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_has_the_fields_clients_read_and_an_empty_engine_info() {
        let c = ControllerError::new("KeyError", "No such message: x").content();
        assert_eq!(c["status"], "error");
        assert_eq!(c["ename"], "KeyError");
        assert_eq!(c["engine_info"], json!({}));
        let tb = c["traceback"].as_array().unwrap();
        assert_eq!(tb.last().unwrap(), "KeyError: No such message: x\n");
    }

    #[test]
    fn replies_are_named_after_requests() {
        assert_eq!(reply_type("execute_request"), "execute_reply");
        assert_eq!(reply_type("queue_request"), "queue_reply");
        assert_eq!(reply_type("bogus"), "apply_reply");
    }
}
