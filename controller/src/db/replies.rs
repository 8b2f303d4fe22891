//! The contents of the read-only query replies: `queue_reply`, `result_reply`,
//! `history_reply` and `db_reply` (§6.2), with their buffers in the order the stock client
//! takes them apart.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::engines::EngineDirectory;
use super::error::{py_repr, QueryError};
use super::fields::{flag, msg_ids, object, required};
use super::query::{parse_keys, Filter};
use super::record::{is_buffer_key, Queue, Record, State};
use super::ResultStore;
use crate::ids::EngineId;

/// One engine's lists in `queue_reply`, each in the order its entries happened.
#[derive(Default)]
struct EngineQueues<'a> {
    /// Pending MUX requests, by submission.
    queue: Vec<(u64, &'a str)>,
    /// Pending tasks the scheduler gave it, by submission.
    tasks: Vec<(u64, &'a str)>,
    /// Finished requests, by completion.
    completed: Vec<(u64, &'a str)>,
}

fn listing(mut entries: Vec<(u64, &str)>, verbose: bool) -> Value {
    if !verbose {
        return entries.len().into();
    }
    entries.sort_unstable();
    entries
        .into_iter()
        .map(|(_, id)| id)
        .collect::<Vec<_>>()
        .into()
}

impl ResultStore {
    /// The content of `queue_reply` for `{targets, verbose}`: per engine id, its pending
    /// MUX requests (`queue`), the pending tasks it was given (`tasks`) and what it finished
    /// (`completed`, of the records still held), and the tasks not yet given to any engine
    /// (`unassigned`). Counts, or msg_id lists when `verbose`.
    ///
    /// `targets: null` means every id ever registered; ids and live uuids may be mixed.
    /// Stock answers a bad target with a `hub_error` message rather than a `queue_reply`.
    pub fn queue_reply<E: EngineDirectory + ?Sized>(
        &self,
        content: &Value,
        engines: &E,
    ) -> Result<Value, QueryError> {
        let map = object(content)?;
        let targets = validate_targets(required(map, "targets")?, engines)?;
        let verbose = flag(map, "verbose");

        let mut per_engine: HashMap<&str, EngineQueues> = HashMap::new();
        let mut unassigned = Vec::new();
        for r in self.records.values() {
            let engine = r.engine_uuid.as_deref();
            match (r.state, r.queue, engine) {
                (State::Pending, Some(Queue::Mux), Some(e)) => {
                    per_engine
                        .entry(e)
                        .or_default()
                        .queue
                        .push((r.seq, &r.msg_id));
                }
                (State::Pending, Some(Queue::Task), Some(e)) => {
                    per_engine
                        .entry(e)
                        .or_default()
                        .tasks
                        .push((r.seq, &r.msg_id));
                }
                (State::Pending, Some(Queue::Task), None) => unassigned.push((r.seq, &*r.msg_id)),
                _ => {}
            }
            if let Some(e) = &r.counted_on {
                per_engine
                    .entry(e.as_str())
                    .or_default()
                    .completed
                    .push((r.completion_seq, &r.msg_id));
            }
        }

        let mut reply = Map::new();
        reply.insert("status".to_owned(), "ok".into());
        for id in targets {
            let uuid = engines.uuid_of(id);
            let queues = uuid
                .as_ref()
                .and_then(|u| per_engine.remove(u.as_str()))
                .unwrap_or_default();
            reply.insert(
                id.to_string(),
                json!({
                    "queue": listing(queues.queue, verbose),
                    "completed": listing(queues.completed, verbose),
                    "tasks": listing(queues.tasks, verbose),
                }),
            );
        }
        reply.insert("unassigned".to_owned(), listing(unassigned, verbose));
        Ok(Value::Object(reply))
    }

    /// The content and buffers of `result_reply` for `{msg_ids, status_only}`: which ids
    /// are `pending` and which `completed` (both sorted), and unless `status_only`, an entry
    /// per completed id. The buffers are each completed record's `result_buffers`, in sorted
    /// msg_id order, which is how the stock client takes them apart. An id the store does
    /// not hold (never seen, purged or culled) fails the whole query, as in stock.
    pub fn result_reply(&self, content: &Value) -> Result<(Value, Vec<Bytes>), QueryError> {
        let map = object(content)?;
        let ids: BTreeSet<&str> = msg_ids("msg_ids", required(map, "msg_ids")?)?
            .into_iter()
            .collect();
        let status_only = flag(map, "status_only");
        let mut pending = Vec::new();
        let mut completed = Vec::new();
        let mut reply = Map::new();
        let mut buffers = Vec::new();
        for id in ids {
            let record = self
                .records
                .get(id)
                .ok_or_else(|| QueryError::key(&format!("No such message: {id}")))?;
            if record.state != State::Completed {
                pending.push(id);
                continue;
            }
            completed.push(id);
            if !status_only {
                reply.insert(id.to_owned(), record.to_result_entry());
                buffers.extend(record.result_buffers.iter().cloned());
            }
        }
        reply.insert("status".to_owned(), "ok".into());
        reply.insert("pending".to_owned(), json!(pending));
        reply.insert("completed".to_owned(), json!(completed));
        Ok((Value::Object(reply), buffers))
    }

    /// The content of `history_reply`: every submitted request's msg_id, by submission date
    /// (ties in arrival order). Records made only from output have no submission date and
    /// are left out, as in stock.
    pub fn history_reply(&self) -> Value {
        let mut submitted: Vec<(&Record, chrono::DateTime<chrono::Utc>)> = self
            .in_order()
            .filter_map(|r| r.submitted.map(|d| (r, d)))
            .collect();
        submitted.sort_by_key(|(r, date)| (*date, r.seq));
        let history: Vec<&str> = submitted.iter().map(|(r, _)| r.msg_id.as_str()).collect();
        json!({"status": "ok", "history": history})
    }

    /// The content and buffers of `db_reply` for `{query, keys}`: the matching records in
    /// arrival order. Buffers never appear in the records; when `keys` names `buffers` or
    /// `result_buffers`, `buffer_lens` / `result_buffer_lens` give each record's count and
    /// the buffers follow record by record, a record's `buffers` before its
    /// `result_buffers`. Otherwise those lens are `null`.
    pub fn db_reply(&self, content: &Value) -> Result<(Value, Vec<Bytes>), QueryError> {
        let map = object(content)?;
        let filter = Filter::parse(map.get("query").unwrap_or(&Value::Null))?;
        let keys = parse_keys(map.get("keys").unwrap_or(&Value::Null))?;
        let wants = |name: &str| keys.as_ref().is_some_and(|k| k.iter().any(|k| k == name));
        let (want_buffers, want_results) = (wants("buffers"), wants("result_buffers"));

        let mut records = Vec::new();
        let mut buffer_lens = Vec::new();
        let mut result_buffer_lens = Vec::new();
        let mut buffers = Vec::new();
        for record in self.in_order().filter(|r| filter.matches(r)) {
            let json = match &keys {
                None => record.to_json(),
                Some(keys) => {
                    let mut sub = Map::new();
                    sub.insert("msg_id".to_owned(), record.msg_id.clone().into());
                    for key in keys.iter().filter(|k| !is_buffer_key(k)) {
                        sub.insert(key.clone(), record.field(key).unwrap_or(Value::Null));
                    }
                    sub
                }
            };
            records.push(Value::Object(json));
            if want_buffers {
                buffer_lens.push(record.buffers.len());
                buffers.extend(record.buffers.iter().cloned());
            }
            if want_results {
                result_buffer_lens.push(record.result_buffers.len());
                buffers.extend(record.result_buffers.iter().cloned());
            }
        }
        let lens = |wanted: bool, lens: Vec<usize>| if wanted { json!(lens) } else { Value::Null };
        let reply = json!({
            "status": "ok",
            "records": records,
            "buffer_lens": lens(want_buffers, buffer_lens),
            "result_buffer_lens": lens(want_results, result_buffer_lens),
        });
        Ok((reply, buffers))
    }
}

/// Stock's target check: `null` is every id ever registered; one id or uuid is a list of
/// one; uuids of live engines become their ids; anything else is an unknown engine.
fn validate_targets<E: EngineDirectory + ?Sized>(
    targets: &Value,
    engines: &E,
) -> Result<Vec<EngineId>, QueryError> {
    let items: Vec<&Value> = match targets {
        Value::Null => return Ok(engines.all_ids()),
        Value::Number(_) | Value::String(_) => vec![targets],
        Value::Array(items) => items.iter().collect(),
        _ => {
            return Err(QueryError::type_error(
                "targets must be null, an int, a str or a list of them".to_owned(),
            ))
        }
    };
    let known = engines.all_ids();
    let mut ids = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for item in items {
        let id = match item {
            Value::String(uuid) => engines.live_id(uuid),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(EngineId)
                .filter(|id| known.contains(id)),
            _ => None,
        };
        match id {
            Some(id) => ids.push(id),
            None => bad.push(item.clone()),
        }
    }
    if !bad.is_empty() {
        return Err(QueryError::index(format!(
            "No Such Engine: {}",
            py_repr(&Value::Array(bad))
        )));
    }
    if ids.is_empty() {
        return Err(QueryError::index("No Engines Registered".to_owned()));
    }
    Ok(ids)
}
