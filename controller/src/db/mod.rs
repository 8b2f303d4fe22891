//! The Hub's result store: a bounded, in-memory record of every request that passed through
//! the MUX and task relays, its reply and its IOPub output, and the contents of the replies
//! to the client queries that read it (`queue_request`, `result_request`, `history_request`,
//! `db_request`, `purge_request`, `resubmit_request`).
//!
//! It does no I/O: the hub feeds it parsed messages as it relays them and sends what the
//! query methods return. It plays the part of stock's in-memory `DictDB` together with the
//! hub's pending/completed bookkeeping, which stock keeps beside the DB; here that
//! bookkeeping is derived from the records, so it is bounded by them.
//!
//! Memory is bounded: at most `record_limit` records and `size_limit` bytes (buffers, stream
//! text and JSON). Past either, the oldest records that are not pending are dropped, a
//! `cull_fraction` at a time. Pending records are never dropped.

mod cull;
mod engines;
mod error;
mod fields;
mod glob;
mod purge;
mod query;
mod record;
mod replies;
mod resubmit;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use px_wire::{format_iso, Message, MsgType};
use serde_json::{json, Value};

use crate::ids::{EngineId, EngineUuid, MsgId};
use record::{Record, State};

pub use engines::{EngineDirectory, EngineEntry};
pub use error::QueryError;
pub use record::Queue;
pub use resubmit::ResubmitSource;

/// How much the store may hold. The defaults are stock `DictDB`'s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreLimits {
    /// Most records kept (pending ones may push the count past it; they are never dropped).
    pub record_limit: usize,
    /// Most bytes kept: request and result buffers, stream text, and JSON by its length.
    pub size_limit: usize,
    /// The share of `record_limit` dropped at once, and the share of `size_limit` freed
    /// below the limit, so that culling runs once per many records rather than per record.
    pub cull_fraction: f64,
    /// Most bytes of stdout, and of stderr, kept per record. A request that prints without
    /// end stays pending and so cannot be culled; past this its stored stream stops growing
    /// (clients still get every byte on IOPub).
    pub stream_limit: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            record_limit: 1024,
            size_limit: 1 << 30,
            cull_fraction: 0.1,
            stream_limit: 64 << 20,
        }
    }
}

/// The Hub's record of requests, results and output; see the module docs.
///
/// ```
/// use chrono::Utc;
/// use px_controller::{EngineUuid, Queue, ResultStore, StoreLimits};
/// use px_wire::{MsgType, Session, Signer};
/// use serde_json::json;
///
/// let client = Session::new(Signer::new(b"key", "hmac-sha256")?);
/// let engine = Session::new(Signer::new(b"key", "hmac-sha256")?);
/// let uuid = EngineUuid(engine.id().to_owned());
///
/// let mut store = ResultStore::new(StoreLimits::default());
/// let request = client.msg(MsgType::ExecuteRequest, json!({"code": "a = 5"}));
/// store.submitted(Queue::Mux, &request, Some(&uuid), Utc::now());
///
/// let ok = json!({"status": "ok", "execution_count": 1});
/// let reply = engine.reply(&request, MsgType::ExecuteReply, ok);
/// store.completed(&reply, Some(&uuid), Utc::now());
///
/// let ask = json!({"msg_ids": [request.header.msg_id.clone()], "status_only": false});
/// let (content, buffers) = store.result_reply(&ask).expect("a known id");
/// assert_eq!(content["completed"], json!([request.header.msg_id.clone()]));
/// assert_eq!(content[&request.header.msg_id]["result_content"]["execution_count"], 1);
/// assert!(buffers.is_empty());
/// # Ok::<(), px_wire::WireError>(())
/// ```
#[derive(Debug)]
pub struct ResultStore {
    limits: StoreLimits,
    records: HashMap<MsgId, Record>,
    /// Arrival order (`Record::seq` → msg_id): history ties and the culling order.
    order: BTreeMap<u64, MsgId>,
    /// The records culling may drop (not pending), in arrival order: a cull walks only
    /// these, so a store full of pending tasks costs nothing per new record.
    cullable: BTreeMap<u64, MsgId>,
    next_seq: u64,
    next_completion: u64,
    /// The sum of every record's `size`.
    bytes: usize,
}

impl ResultStore {
    /// An empty store. A `cull_fraction` outside 0..=1 (or NaN) is taken as stock's 0.1.
    pub fn new(limits: StoreLimits) -> Self {
        let mut limits = limits;
        if !(0.0..=1.0).contains(&limits.cull_fraction) {
            limits.cull_fraction = StoreLimits::default().cull_fraction;
        }
        ResultStore {
            limits,
            records: HashMap::new(),
            order: BTreeMap::new(),
            cullable: BTreeMap::new(),
            next_seq: 0,
            next_completion: 0,
            bytes: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> StoreLimits {
        self.limits
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The bytes charged against `size_limit`.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether a record for `msg_id` is held.
    pub fn contains(&self, msg_id: &str) -> bool {
        self.records.contains_key(msg_id)
    }

    /// Whether `msg_id` was submitted and has no result yet.
    pub fn is_pending(&self, msg_id: &str) -> bool {
        self.records
            .get(msg_id)
            .is_some_and(|r| r.state == State::Pending)
    }

    /// Records a request the MUX or task relay received (`in` / `intask` in stock's hub).
    /// `engine` is the MUX target; a task gets its engine from [`ResultStore::assigned`].
    /// Submitting an id twice updates its record (a resubmitted task passes both the hub
    /// and the task relay); output that arrived before the request is kept.
    pub fn submitted(
        &mut self,
        queue: Queue,
        request: &Message,
        engine: Option<&EngineUuid>,
        now: DateTime<Utc>,
    ) {
        let msg_id = request.header.msg_id.clone();
        if msg_id.is_empty() {
            tracing::warn!("result store: a {queue:?} request without msg_id is not recorded");
            return;
        }
        // Stock drops a request whose date it cannot parse; keeping it with the hub's
        // clock loses less.
        let submitted = request.header.parsed_date().unwrap_or(now);
        let fill = |r: &mut Record| {
            r.queue = Some(queue);
            r.header = Some(request.header.clone());
            r.metadata = Some(request.metadata.clone());
            r.content = Some(request.content.clone());
            r.buffers = request.buffers.clone();
            r.submitted = Some(submitted);
            r.client_uuid = Some(request.header.session.clone());
            if let Some(engine) = engine {
                r.engine_uuid = Some(engine.as_str().to_owned());
            }
            r.label = request
                .metadata
                .get("label")
                .filter(|l| !l.is_null())
                .cloned();
        };
        match self.records.get(&msg_id).map(|r| r.state) {
            Some(state) => {
                if state == State::OutputOnly {
                    self.resequence(&msg_id);
                }
                self.update(&msg_id, |r| {
                    fill(r);
                    if r.state == State::OutputOnly {
                        r.state = State::Pending;
                    }
                });
            }
            None => {
                let mut record = Record::empty(msg_id, 0, State::Pending);
                fill(&mut record);
                self.insert(record);
            }
        }
        self.maybe_cull();
    }

    /// Records that the task scheduler sent a task to `engine` (`tracktask`). Returns
    /// whether a pending record took it.
    pub fn assigned(&mut self, msg_id: &str, engine: &EngineUuid) -> bool {
        if !self.is_pending(msg_id) {
            return false;
        }
        self.update(msg_id, |r| r.engine_uuid = Some(engine.as_str().to_owned()))
    }

    /// Records a reply on its way back to a client (`out` / `outtask`). `engine` is the
    /// engine it came from when the relay knows it; otherwise `metadata.engine` is used.
    /// Returns whether a record took it: replies to unknown or culled requests, and repeated
    /// task replies, are ignored as stock ignores them. A MUX reply that comes after the hub
    /// gave up on its engine replaces the EngineError, as in stock.
    pub fn completed(
        &mut self,
        reply: &Message,
        engine: Option<&EngineUuid>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(msg_id) = reply.parent_msg_id().map(str::to_owned) else {
            return false;
        };
        let Some(record) = self.records.get(&msg_id) else {
            tracing::debug!("result store: reply to unknown request {msg_id}");
            return false;
        };
        let first = record.state == State::Pending;
        let late_mux = record.state == State::Completed && record.queue == Some(Queue::Mux);
        if !first && !late_mux {
            return false;
        }
        let queue = record.queue;
        let md_engine = reply
            .metadata
            .get("engine")
            .and_then(Value::as_str)
            .map(|s| EngineUuid(s.to_owned()));
        let engine = engine.cloned().or(md_engine);
        let aborted = reply.metadata.get("status").and_then(Value::as_str) == Some("aborted");
        let completion_seq = self.next_completion;
        self.next_completion += 1;
        self.update(&msg_id, |r| {
            r.result_header = serde_json::to_value(&reply.header).ok();
            r.result_metadata = Some(Value::Object(reply.metadata.clone()));
            r.result_content = Some(reply.content.clone());
            r.result_buffers = reply.buffers.clone();
            r.started = reply
                .metadata
                .get("started")
                .and_then(Value::as_str)
                .and_then(|s| px_wire::parse_iso(s).ok());
            r.completed = Some(reply.header.parsed_date().unwrap_or(now));
            r.received = Some(now);
            if queue == Some(Queue::Task) {
                if let Some(engine) = &engine {
                    r.engine_uuid = Some(engine.as_str().to_owned());
                }
            }
            if first {
                r.state = State::Completed;
                r.completion_seq = completion_seq;
                r.counted_on = match queue {
                    Some(Queue::Mux) => engine
                        .clone()
                        .or_else(|| r.engine_uuid.clone().map(EngineUuid)),
                    _ if aborted => None,
                    _ => engine.clone(),
                };
            }
        });
        self.maybe_cull();
        true
    }

    /// Records an IOPub message from an engine against the request it answers: stream text
    /// is appended to `stdout`/`stderr`; `error`, `execute_input` (its code),
    /// `execute_result` and the last `display_data` are kept. Output for a request the store
    /// has not seen makes a record of its own, as in stock. Returns whether it was stored.
    pub fn iopub(&mut self, msg: &Message) -> bool {
        let Some(msg_id) = msg.parent_msg_id().filter(|id| !id.is_empty()) else {
            return false;
        };
        let content = &msg.content;
        let stream_limit = self.limits.stream_limit;
        let apply: Box<dyn Fn(&mut Record)> = match msg.kind() {
            Ok(MsgType::Stream) => {
                let (Some(name), Some(text)) = (
                    content.get("name").and_then(Value::as_str),
                    content.get("text").and_then(Value::as_str),
                ) else {
                    return false;
                };
                let text = text.to_owned();
                match name {
                    "stdout" => {
                        Box::new(move |r| append_capped(&mut r.stdout, &text, stream_limit))
                    }
                    "stderr" => {
                        Box::new(move |r| append_capped(&mut r.stderr, &text, stream_limit))
                    }
                    _ => return false,
                }
            }
            Ok(MsgType::Error) => Box::new(|r| r.error = Some(content.clone())),
            Ok(MsgType::ExecuteInput) => match content.get("code") {
                Some(code) => Box::new(move |r| r.execute_input = Some(code.clone())),
                None => return false,
            },
            Ok(MsgType::ExecuteResult) => Box::new(|r| r.execute_result = Some(content.clone())),
            Ok(MsgType::DisplayData) => Box::new(|r| r.display_data = Some(content.clone())),
            _ => return false,
        };
        if !self.records.contains_key(msg_id) {
            let record = Record::empty(msg_id.to_owned(), 0, State::OutputOnly);
            self.insert(record);
        }
        self.update(msg_id, |r| apply(r));
        self.maybe_cull();
        true
    }

    /// Fails every MUX request still pending on an engine that unregistered (stock does this
    /// `registration_timeout` after the unregistration): each gets an `EngineError` result
    /// so that `result_request` stops reporting it pending. Returns the failed msg_ids in
    /// submission order. Tasks are left to the task scheduler, which replies for them.
    pub fn engine_lost(
        &mut self,
        engine_id: EngineId,
        engine: &EngineUuid,
        now: DateTime<Utc>,
    ) -> Vec<MsgId> {
        let stranded: Vec<MsgId> = self
            .order
            .values()
            .filter(|id| {
                self.records.get(*id).is_some_and(|r| {
                    r.state == State::Pending
                        && r.queue == Some(Queue::Mux)
                        && r.engine_uuid.as_deref() == Some(engine.as_str())
                })
            })
            .cloned()
            .collect();
        let date = format_iso(now);
        for msg_id in &stranded {
            let evalue = format!(
                "Engine {engine_id} died while running task {}",
                px_wire::python_str_repr(msg_id)
            );
            let content = json!({
                "status": "error",
                "ename": "EngineError",
                "evalue": evalue,
                "traceback": [format!("EngineError: {evalue}")],
                "engine_info": {},
            });
            self.update(msg_id, |r| {
                r.state = State::Completed;
                r.result_content = Some(content);
                r.result_header = Some(json!({"engine": engine.as_str(), "date": date}));
                // Stock leaves this null, which breaks the stock client's get_result; the
                // task scheduler's own EngineError replies carry this metadata.
                r.result_metadata =
                    Some(json!({"status": "error", "engine": engine.as_str(), "date": date}));
                r.result_buffers = Vec::new();
                r.completed = Some(now);
                r.engine_uuid = Some(engine.as_str().to_owned());
            });
        }
        self.maybe_cull();
        stranded
    }

    /// Records a request the hub resubmitted for `original` (after building it from
    /// [`ResultStore::resubmit_sources`]): the new request is a pending task, and the
    /// original record's `resubmitted` names it.
    pub fn resubmitted(&mut self, original: &str, request: &Message, now: DateTime<Utc>) {
        self.submitted(Queue::Task, request, None, now);
        let new_id = request.header.msg_id.clone();
        self.update(original, |r| r.resubmitted = Some(new_id));
    }

    // ---- bookkeeping shared by the recording and query code ----

    fn insert(&mut self, mut record: Record) {
        record.seq = self.next_seq;
        self.next_seq += 1;
        record.size = record.measure();
        self.bytes += record.size;
        self.order.insert(record.seq, record.msg_id.clone());
        if record.cullable() {
            self.cullable.insert(record.seq, record.msg_id.clone());
        }
        self.records.insert(record.msg_id.clone(), record);
    }

    /// Applies `change` to a record and re-charges its size. Returns whether it exists.
    fn update(&mut self, msg_id: &str, change: impl FnOnce(&mut Record)) -> bool {
        let Some(record) = self.records.get_mut(msg_id) else {
            return false;
        };
        change(record);
        let size = record.measure();
        self.bytes = self.bytes - record.size + size;
        record.size = size;
        if record.cullable() {
            self.cullable.insert(record.seq, record.msg_id.clone());
        } else {
            self.cullable.remove(&record.seq);
        }
        true
    }

    fn remove(&mut self, msg_id: &str) -> Option<Record> {
        let record = self.records.remove(msg_id)?;
        self.order.remove(&record.seq);
        self.cullable.remove(&record.seq);
        self.bytes -= record.size;
        Some(record)
    }

    /// Moves a record to the end of the arrival order (a request whose output came first).
    fn resequence(&mut self, msg_id: &str) {
        let seq = self.next_seq;
        if let Some(record) = self.records.get_mut(msg_id) {
            self.order.remove(&record.seq);
            if self.cullable.remove(&record.seq).is_some() {
                self.cullable.insert(seq, msg_id.to_owned());
            }
            record.seq = seq;
            self.order.insert(seq, msg_id.to_owned());
            self.next_seq += 1;
        }
    }

    /// The records culling may drop, oldest first.
    fn cullable_in_order(&self) -> impl Iterator<Item = &Record> {
        self.cullable.values().filter_map(|id| self.records.get(id))
    }

    /// Records in arrival order.
    fn in_order(&self) -> impl Iterator<Item = &Record> {
        self.order.values().filter_map(|id| self.records.get(id))
    }
}

/// Appends stream text up to `limit` bytes in all, cutting at a character boundary.
fn append_capped(stream: &mut String, text: &str, limit: usize) {
    let room = limit.saturating_sub(stream.len());
    if text.len() <= room {
        stream.push_str(text);
        return;
    }
    let mut cut = room;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    stream.push_str(&text[..cut]);
}
