//! What the scheduler reads from a client's broadcast request, and nothing more.
//!
//! Only the header and the metadata are parsed: the content and the buffers go to every
//! engine as the bytes the client sent, as stock does.

use std::collections::HashSet;

use px_wire::RawMessage;
use serde_json::{Map, Value};

use super::error::BroadcastError;
use crate::ids::{EngineId, EngineUuid, MsgId};

/// One engine a request is addressed to, as the client named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub uuid: EngineUuid,
    pub id: EngineId,
}

impl Target {
    /// The `[uuid, id]` pair of `metadata.targets` and `broadcast_targets`.
    pub fn pair(&self) -> Value {
        Value::Array(vec![
            Value::String(self.uuid.0.clone()),
            Value::from(self.id.0),
        ])
    }
}

/// A parsed broadcast request.
#[derive(Debug)]
pub(super) struct BroadcastRequest {
    /// The header as sent; each engine copy only changes its `msg_id`.
    pub header: Map<String, Value>,
    /// The metadata as sent, with `original_msg_id` filled in.
    pub metadata: Map<String, Value>,
    /// The id every engine copy and every reply is named after.
    pub original_msg_id: MsgId,
    /// The engines, in the client's order, each once.
    pub targets: Vec<Target>,
    /// Whether the engines' replies are merged into one.
    pub is_coalescing: bool,
}

impl BroadcastRequest {
    /// Reads a request; fails when stock's scheduler would drop it (no `targets`, no
    /// `is_coalescing`) or when a target is not a `[uuid, id]` pair.
    ///
    /// An engine named twice is kept once: two copies for one engine would carry identical
    /// signed bytes, which a Python engine refuses as a replay.
    pub fn parse(raw: &RawMessage) -> Result<Self, BroadcastError> {
        let header = json_object("request header", &raw.header)?;
        let mut metadata = json_object("request metadata", &raw.metadata)?;
        let msg_id = match header.get("msg_id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Err(BroadcastError::MissingMsgId),
        };
        let targets = parse_targets(metadata.get("targets"))?;
        let is_coalescing = match metadata.get("is_coalescing") {
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(BroadcastError::InvalidField {
                    field: "is_coalescing",
                    expected: "true or false",
                })
            }
            None => return Err(BroadcastError::MissingField("is_coalescing")),
        };
        // A request that already names its original (a relayed one, in stock's tree) keeps it.
        let original_msg_id = match metadata.get("original_msg_id") {
            Some(Value::String(id)) => id.clone(),
            Some(_) => {
                return Err(BroadcastError::InvalidField {
                    field: "original_msg_id",
                    expected: "a string",
                })
            }
            None => {
                metadata.insert("original_msg_id".to_owned(), Value::String(msg_id.clone()));
                msg_id
            }
        };
        Ok(BroadcastRequest {
            header,
            metadata,
            original_msg_id,
            targets,
            is_coalescing,
        })
    }
}

/// Parses a JSON frame that must be an object.
pub(super) fn json_object(
    frame: &'static str,
    bytes: &[u8],
) -> Result<Map<String, Value>, BroadcastError> {
    serde_json::from_slice(bytes).map_err(|e| BroadcastError::InvalidJson {
        frame,
        reason: e.to_string(),
    })
}

fn parse_targets(value: Option<&Value>) -> Result<Vec<Target>, BroadcastError> {
    let list = match value {
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(BroadcastError::InvalidField {
                field: "targets",
                expected: "a list of [uuid, engine id] pairs",
            })
        }
        None => return Err(BroadcastError::MissingField("targets")),
    };
    let mut seen = HashSet::new();
    let mut targets = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let target = parse_pair(entry).ok_or_else(|| BroadcastError::InvalidTarget {
            index,
            found: entry.to_string(),
        })?;
        if seen.insert(target.uuid.clone()) {
            targets.push(target);
        }
    }
    Ok(targets)
}

fn parse_pair(entry: &Value) -> Option<Target> {
    let [uuid, id] = entry.as_array()?.as_slice() else {
        return None;
    };
    let uuid = uuid.as_str().filter(|u| !u.is_empty())?;
    let id = u32::try_from(id.as_u64()?).ok()?;
    Some(Target {
        uuid: EngineUuid(uuid.to_owned()),
        id: EngineId(id),
    })
}
