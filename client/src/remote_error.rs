//! TEMPORARY: replaced by the full implementation.
use serde_json::Value;
/// RemoteError.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("[{engine_id:?}] {ename}: {evalue}")]
pub struct RemoteError {
    /// id
    pub engine_id: Option<i64>,
    /// uuid
    pub engine_uuid: Option<String>,
    /// ename
    pub ename: String,
    /// evalue
    pub evalue: String,
    /// tb
    pub traceback: Vec<String>,
}
impl RemoteError {
    /// from content
    pub fn from_content(c: &Value) -> Self {
        let s = |k: &str| {
            c.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        RemoteError {
            engine_id: c.pointer("/engine_info/engine_id").and_then(Value::as_i64),
            engine_uuid: c
                .pointer("/engine_info/engine_uuid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            ename: s("ename"),
            evalue: s("evalue"),
            traceback: vec![],
        }
    }
    /// died
    pub fn engine_died(id: i64, uuid: &str, msg_id: &str) -> Self {
        RemoteError {
            engine_id: Some(id),
            engine_uuid: Some(uuid.into()),
            ename: "EngineError".into(),
            evalue: format!("Engine {uuid} died while running task {msg_id}"),
            traceback: vec![],
        }
    }
    /// aborted
    pub fn aborted(id: Option<i64>, msg_id: &str) -> Self {
        RemoteError {
            engine_id: id,
            engine_uuid: None,
            ename: "TaskAborted".into(),
            evalue: msg_id.into(),
            traceback: vec![],
        }
    }
}
/// Composite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("one or more exceptions")]
pub struct CompositeError {
    /// errors
    pub errors: Vec<RemoteError>,
}
impl CompositeError {
    /// new
    pub fn new(errors: Vec<RemoteError>) -> Self {
        CompositeError { errors }
    }
}
