//! The error a hub query answers with, named and worded as stock's hub words it, because
//! the stock client shows `ename: evalue` to the user verbatim.

use px_wire::python_str_repr;
use serde_json::Value;

/// Why a query could not be answered. The hub sends it as §3.6 error content
/// ([`QueryError::to_content`]); `ename` is the Python exception name stock would raise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ename}: {evalue}")]
pub struct QueryError {
    /// The Python exception class name (`KeyError`, `IndexError`, `TypeError`, ...).
    pub ename: String,
    /// The exception text, as Python's `str(exception)` would print it.
    pub evalue: String,
}

impl QueryError {
    fn new(ename: &str, evalue: String) -> Self {
        QueryError {
            ename: ename.to_owned(),
            evalue,
        }
    }

    /// A `KeyError`. Python prints a KeyError's message as the repr of its argument, quotes
    /// included, so the quotes are added here.
    pub(crate) fn key(message: &str) -> Self {
        Self::new("KeyError", python_str_repr(message))
    }

    /// An `IndexError` (printed without quotes).
    pub(crate) fn index(message: String) -> Self {
        Self::new("IndexError", message)
    }

    /// A `TypeError`: a field of the request has the wrong JSON type.
    pub(crate) fn type_error(message: String) -> Self {
        Self::new("TypeError", message)
    }

    /// A `ValueError`: a field has the right type but a value we cannot use.
    pub(crate) fn value(message: String) -> Self {
        Self::new("ValueError", message)
    }

    /// A `ZeroDivisionError`, as a `$mod` by zero raises in Python.
    pub(crate) fn zero_division() -> Self {
        Self::new("ZeroDivisionError", "integer modulo by zero".to_owned())
    }

    /// The §3.6 error content: `engine_info` is empty because no engine ran anything, which
    /// also tells the stock client not to wait for IOPub output.
    pub fn to_content(&self) -> Value {
        crate::errors::error_content(
            &self.ename,
            &self.evalue,
            vec![format!("{}: {}", self.ename, self.evalue)],
        )
    }
}

/// A JSON value as Python's `repr()` of its decoded form writes it (`None`, `True`,
/// `['a', 1]`), for error texts that embed request values the way stock's do.
pub(crate) fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_str_repr(k), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A JSON value as Python's `str()` writes it: like [`py_repr`] except a string is bare.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repr_picks_quotes_as_python_does() {
        assert_eq!(python_str_repr("ab"), "'ab'");
        assert_eq!(python_str_repr("it's"), "\"it's\"");
        assert_eq!(python_str_repr("a\"b"), "'a\"b'");
        assert_eq!(python_str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(python_str_repr("t\u{7}\n"), "'t\\x07\\n'");
        assert_eq!(python_str_repr("é"), "'é'");
    }

    #[test]
    fn key_error_text_is_quoted_like_python_str_of_keyerror() {
        let e = QueryError::key("No such message: ab");
        assert_eq!(e.evalue, "'No such message: ab'");
        let e = QueryError::key(&format!("No such msg(s): {}", py_repr(&json!(["a", "b"]))));
        assert_eq!(e.evalue, "\"No such msg(s): ['a', 'b']\"");
    }

    #[test]
    fn values_print_as_python_literals() {
        assert_eq!(
            py_repr(&json!([5, "x", null, true, {"k": 1.5}])),
            "[5, 'x', None, True, {'k': 1.5}]"
        );
        assert_eq!(py_str(&json!("x")), "x");
        assert_eq!(py_str(&json!(3)), "3");
    }

    #[test]
    fn error_content_has_an_empty_engine_info() {
        let c = QueryError::index("No such engine: 4".to_owned()).to_content();
        assert_eq!(c["status"], "error");
        assert_eq!(c["ename"], "IndexError");
        assert_eq!(c["evalue"], "No such engine: 4");
        assert_eq!(c["engine_info"], json!({}));
        assert_eq!(c["traceback"][0], "IndexError: No such engine: 4");
    }
}
