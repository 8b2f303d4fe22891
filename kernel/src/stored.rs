//! `-o NAME` (`%%px -o NAME`, `%pxresult -o NAME`): the result object in the local
//! namespace, as stock's magics put their `AsyncResult` there.
//!
//! The submission lives in the kernel; the local Python gets a snapshot of it (the
//! worker's `px_worker.results.AsyncResult`), bound under the name, and brought up to date
//! before later local cells while it is pending, so that `NAME` shows
//! `<AsyncResult(%px): finished>` once the engines are done.

use px_magics::{out_bundle, PxResult, ResultState};
use serde_json::{json, Value};

/// A bound result whose snapshot may still change.
pub(crate) struct Stored {
    token: u64,
    result: PxResult,
}

fn state_word(state: ResultState) -> &'static str {
    match state {
        ResultState::Pending => "pending",
        ResultState::Finished => "finished",
        ResultState::Failed => "failed",
    }
}

/// What the local object shows: state, and per engine its id, output and value
/// (`value` is the `Out[N:k]: …` text `get()` gives, empty without a value).
pub(crate) fn snapshot(result: &PxResult, color: bool) -> Value {
    let engines: Vec<Value> = result
        .results()
        .iter()
        .map(|r| {
            let id = r.engine_id.unwrap_or(-1);
            let value = r.execute_result.as_ref().map_or(String::new(), |er| {
                out_bundle(id, er, color)["text/plain"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
            json!({
                "engine_id": r.engine_id,
                "stdout": r.stdout,
                "stderr": r.stderr,
                "outputs": r.outputs,
                "execute_result": r.execute_result,
                "value": value,
            })
        })
        .collect();
    json!({
        "state": state_word(result.state()),
        "single": result.is_single(),
        "engines": engines,
        "error": result.error().map(|e| e.content()),
    })
}

/// A Python string literal of `text` (JSON's string syntax is a subset of Python's).
fn literal(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// Python that binds `result` under `name`: run silently in the local namespace.
pub(crate) fn bind_code(name: &str, token: u64, result: &PxResult, color: bool) -> String {
    format!(
        "__import__('sys').modules['px_worker.results'].bind(globals(), {}, {token}, {})",
        literal(name),
        literal(&snapshot(result, color).to_string())
    )
}

impl Stored {
    /// A result bound with `token`.
    pub(crate) fn new(token: u64, result: PxResult) -> Self {
        Stored { token, result }
    }

    /// Python that brings the local object up to date, once the result is no longer
    /// pending; `None` while it is (nothing changed that the object shows).
    pub(crate) fn update_code(&self, color: bool) -> Option<String> {
        if self.result.state() == ResultState::Pending {
            return None;
        }
        Some(format!(
            "__import__('sys').modules['px_worker.results'].update({}, {})",
            self.token,
            literal(&snapshot(&self.result, color).to_string())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_python_strings() {
        assert_eq!(literal("a'b\"c\n"), r#""a'b\"c\n""#);
        assert_eq!(literal("é"), "\"é\"");
    }
}
