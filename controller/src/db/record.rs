//! One task record: what the hub knows of a request, its reply and its output, with the
//! keys stock's `TaskRecord` has, so `db_request` answers look the same.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use px_wire::{format_iso, Header};
use serde_json::{Map, Value};

use crate::ids::{EngineUuid, MsgId};

/// Which relay a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Direct (MUX): addressed to one engine by the client.
    Mux,
    /// Load-balanced: the task scheduler picks the engine.
    Task,
}

impl Queue {
    /// The record's `queue` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Mux => "mux",
            Queue::Task => "task",
        }
    }
}

/// Where a record stands; only `Pending` records are protected from culling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// The request was seen and its reply was not.
    Pending,
    /// A reply (or the hub's EngineError for a dead engine) was stored.
    Completed,
    /// Only IOPub output was seen for this msg_id: its request never passed through a relay
    /// the hub records (broadcast, control), or has not yet.
    OutputOnly,
}

/// Every key of a record as `db_request` may name it, in stock's column order.
/// `display_data` is not a column in stock either; it exists on records that got one.
pub(crate) const RECORD_KEYS: [&str; 24] = [
    "msg_id",
    "header",
    "metadata",
    "content",
    "buffers",
    "submitted",
    "client_uuid",
    "engine_uuid",
    "started",
    "completed",
    "resubmitted",
    "received",
    "result_header",
    "result_metadata",
    "result_content",
    "result_buffers",
    "queue",
    "execute_input",
    "execute_result",
    "error",
    "stdout",
    "stderr",
    "label",
    "display_data",
];

/// What every record costs beyond its measured fields (the struct, map entries, ids).
const RECORD_OVERHEAD: usize = 256;

/// A task record.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub msg_id: MsgId,
    /// Position in arrival order; culling takes the smallest first.
    pub seq: u64,
    pub state: State,
    pub queue: Option<Queue>,
    pub header: Option<Header>,
    pub metadata: Option<Map<String, Value>>,
    pub content: Option<Value>,
    pub buffers: Vec<Bytes>,
    pub submitted: Option<DateTime<Utc>>,
    pub client_uuid: Option<String>,
    pub engine_uuid: Option<String>,
    pub started: Option<DateTime<Utc>>,
    pub completed: Option<DateTime<Utc>>,
    pub resubmitted: Option<MsgId>,
    pub received: Option<DateTime<Utc>>,
    pub result_header: Option<Value>,
    pub result_metadata: Option<Value>,
    pub result_content: Option<Value>,
    pub result_buffers: Vec<Bytes>,
    pub execute_input: Option<Value>,
    pub execute_result: Option<Value>,
    pub error: Option<Value>,
    pub display_data: Option<Value>,
    pub stdout: String,
    pub stderr: String,
    pub label: Option<Value>,
    /// The engine whose `completed` list in `queue_reply` counts this record, if any
    /// (stock leaves aborted tasks and dead-engine failures out).
    pub counted_on: Option<EngineUuid>,
    /// Position in completion order, for the verbose `completed` lists.
    pub completion_seq: u64,
    /// The bytes this record is charged for in the store's size budget.
    pub size: usize,
}

impl Record {
    /// A record with nothing but its id.
    pub fn empty(msg_id: MsgId, seq: u64, state: State) -> Self {
        Record {
            msg_id,
            seq,
            state,
            queue: None,
            header: None,
            metadata: None,
            content: None,
            buffers: Vec::new(),
            submitted: None,
            client_uuid: None,
            engine_uuid: None,
            started: None,
            completed: None,
            resubmitted: None,
            received: None,
            result_header: None,
            result_metadata: None,
            result_content: None,
            result_buffers: Vec::new(),
            execute_input: None,
            execute_result: None,
            error: None,
            display_data: None,
            stdout: String::new(),
            stderr: String::new(),
            label: None,
            counted_on: None,
            completion_seq: 0,
            size: 0,
        }
    }

    /// Whether culling may drop it.
    pub fn cullable(&self) -> bool {
        self.state != State::Pending
    }

    /// The bytes this record holds, approximately: buffers exactly, JSON by its serialized
    /// length. Used for the store's size budget, so it must grow with everything that can.
    pub fn measure(&self) -> usize {
        let buffers: usize = self
            .buffers
            .iter()
            .chain(&self.result_buffers)
            .map(Bytes::len)
            .sum();
        let json: usize = [
            &self.content,
            &self.result_header,
            &self.result_metadata,
            &self.result_content,
            &self.execute_input,
            &self.execute_result,
            &self.error,
            &self.display_data,
            &self.label,
        ]
        .into_iter()
        .flatten()
        .map(json_size)
        .sum();
        let metadata = self
            .metadata
            .as_ref()
            .map_or(0, |m| m.iter().map(|(k, v)| k.len() + json_size(v)).sum());
        let header = self.header.as_ref().map_or(0, header_size);
        RECORD_OVERHEAD
            + self.msg_id.len()
            + buffers
            + json
            + metadata
            + header
            + self.stdout.len()
            + self.stderr.len()
    }

    /// The value of one record key as JSON, `None` for a name that is not a record key.
    /// Buffers are not JSON; callers that send them take them from the record directly.
    pub fn field(&self, key: &str) -> Option<Value> {
        let date = |d: &Option<DateTime<Utc>>| d.map_or(Value::Null, |d| format_iso(d).into());
        let opt = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
        let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
        Some(match key {
            "msg_id" => Value::String(self.msg_id.clone()),
            "header" => self
                .header
                .as_ref()
                .and_then(|h| serde_json::to_value(h).ok())
                .unwrap_or(Value::Null),
            "metadata" => self.metadata.clone().map_or(Value::Null, Value::Object),
            "content" => opt(&self.content),
            "submitted" => date(&self.submitted),
            "client_uuid" => text(&self.client_uuid),
            "engine_uuid" => text(&self.engine_uuid),
            "started" => date(&self.started),
            "completed" => date(&self.completed),
            "resubmitted" => text(&self.resubmitted),
            "received" => date(&self.received),
            "result_header" => opt(&self.result_header),
            "result_metadata" => opt(&self.result_metadata),
            "result_content" => opt(&self.result_content),
            "queue" => self.queue.map_or(Value::Null, |q| q.as_str().into()),
            "execute_input" => opt(&self.execute_input),
            "execute_result" => opt(&self.execute_result),
            "error" => opt(&self.error),
            "stdout" => Value::String(self.stdout.clone()),
            "stderr" => Value::String(self.stderr.clone()),
            "label" => opt(&self.label),
            "display_data" => opt(&self.display_data),
            _ => return None,
        })
    }

    /// The record as `db_reply` lists it with no `keys`: every key but the two buffer lists,
    /// and `display_data` only on records that got one, as stock's records have it.
    pub fn to_json(&self) -> Map<String, Value> {
        RECORD_KEYS
            .iter()
            .filter(|k| !is_buffer_key(k))
            .filter(|k| **k != "display_data" || self.display_data.is_some())
            .filter_map(|k| self.field(k).map(|v| ((*k).to_owned(), v)))
            .collect()
    }

    /// The entry `result_reply` gives for a completed record.
    pub fn to_result_entry(&self) -> Value {
        let mut io = Map::new();
        for key in [
            "execute_input",
            "execute_result",
            "error",
            "stdout",
            "stderr",
        ] {
            io.insert(key.to_owned(), self.field(key).unwrap_or(Value::Null));
        }
        let mut entry = Map::new();
        for key in [
            "header",
            "metadata",
            "result_header",
            "result_metadata",
            "result_content",
            "received",
        ] {
            entry.insert(key.to_owned(), self.field(key).unwrap_or(Value::Null));
        }
        entry.insert("io".to_owned(), Value::Object(io));
        Value::Object(entry)
    }
}

/// Whether a record key names binary frames rather than JSON.
pub(crate) fn is_buffer_key(key: &str) -> bool {
    key == "buffers" || key == "result_buffers"
}

/// The length `value` would have as compact JSON, closely enough for a memory budget.
pub(crate) fn json_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_size(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
        }
    }
}

fn header_size(h: &Header) -> usize {
    h.msg_id.len()
        + h.msg_type.len()
        + h.username.len()
        + h.session.len()
        + h.date.len()
        + h.version.len()
        + h.extra
            .iter()
            .map(|(k, v)| k.len() + json_size(v))
            .sum::<usize>()
}
