//! `resubmit_request`: what the hub needs to send stored requests again as new tasks.

use bytes::Bytes;
use px_wire::{Header, Message};
use serde_json::{Map, Value};

use super::error::{py_repr, QueryError};
use super::fields::{msg_ids, object, required};
use super::ResultStore;
use crate::ids::MsgId;

/// A stored request to send again.
#[derive(Debug, Clone, PartialEq)]
pub struct ResubmitSource {
    /// The id it was stored under (the key of `resubmitted` in the reply).
    pub msg_id: MsgId,
    /// Its original header.
    pub header: Header,
    /// Its original content.
    pub content: Value,
    /// Its original buffers (the pickled function and arguments of an apply).
    pub buffers: Vec<Bytes>,
}

impl ResubmitSource {
    /// The message to send to the task scheduler, as stock's hub builds it: the original
    /// header with a fresh `msg_id` and `date` (its `session` kept, so the result is the
    /// original client's), the original header as parent, the original content and buffers,
    /// and empty metadata (targets, dependencies and label are not carried over).
    pub fn message(&self, new_msg_id: MsgId, date: String) -> Message {
        let header = Header {
            msg_id: new_msg_id,
            date,
            ..self.header.clone()
        };
        Message {
            idents: Vec::new(),
            header,
            parent_header: Some(self.header.clone()),
            metadata: Map::new(),
            content: self.content.clone(),
            buffers: self.buffers.clone(),
        }
    }
}

impl ResultStore {
    /// The requests named by `{msg_ids}`, once each, in the order asked. Pending requests
    /// may be resubmitted too. Ids the store does not hold, or holds only output for, fail
    /// the query with KeyError `No such msg(s): [...]`.
    ///
    /// The hub then sends [`ResubmitSource::message`] for each, records it with
    /// [`ResultStore::resubmitted`], and replies `{status: "ok", resubmitted: {old: new}}`.
    pub fn resubmit_sources(&self, content: &Value) -> Result<Vec<ResubmitSource>, QueryError> {
        let map = object(content)?;
        let ids = msg_ids("msg_ids", required(map, "msg_ids")?)?;
        let mut sources: Vec<ResubmitSource> = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            if sources.iter().any(|s| s.msg_id == id) {
                continue;
            }
            let request = self.records.get(id).and_then(|r| {
                Some(ResubmitSource {
                    msg_id: r.msg_id.clone(),
                    header: r.header.clone()?,
                    content: r.content.clone()?,
                    buffers: r.buffers.clone(),
                })
            });
            match request {
                Some(source) => sources.push(source),
                None => missing.push(Value::String(id.to_owned())),
            }
        }
        if !missing.is_empty() {
            return Err(QueryError::key(&format!(
                "No such msg(s): {}",
                py_repr(&Value::Array(missing))
            )));
        }
        Ok(sources)
    }
}
