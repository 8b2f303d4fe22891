//! Reading the fields of a query's content. Any of them may be missing or of the wrong
//! type; each reader turns that into the error stock's hub would answer with.

use serde_json::{Map, Value};

use super::error::QueryError;

/// The content as an object.
pub(super) fn object(content: &Value) -> Result<&Map<String, Value>, QueryError> {
    content
        .as_object()
        .ok_or_else(|| QueryError::type_error("the request content must be a dict".to_owned()))
}

/// A field stock reads with `content[key]`: missing is a KeyError.
pub(super) fn required<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a Value, QueryError> {
    map.get(key).ok_or_else(|| QueryError::key(key))
}

/// A flag stock reads with `content.get(key, False)` and tests for truth.
pub(super) fn flag(map: &Map<String, Value>, key: &str) -> bool {
    match map.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
    }
}

/// A list of msg_ids.
pub(super) fn msg_ids<'a>(key: &str, value: &'a Value) -> Result<Vec<&'a str>, QueryError> {
    let not_a_list = || QueryError::type_error(format!("{key} must be a list of str"));
    value
        .as_array()
        .ok_or_else(not_a_list)?
        .iter()
        .map(|v| v.as_str().ok_or_else(not_a_list))
        .collect()
}
