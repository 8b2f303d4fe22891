//! `-o NAME`: the results the magics hand to the host's local namespace.
//!
//! Stock binds its `AsyncResult` object in the user's namespace. Ours lives in Rust, so the
//! local Python gets a handle (`px_worker.results.AsyncResult`) that asks the host for the
//! result's state each time it is used, through the worker's host calls; the host answers
//! with [`BoundResults::answer`]. A handle from a `--noblock` cell therefore sees the
//! engines finish, and `ar.get()` waits for them as stock's does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use px_client::{python_str_repr, ClientError, EngineResult, RemoteError};
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::outcome::StoredResult;
use super::result::PxResult;
use crate::flags::GroupBy;
use crate::render::{OutputSink, ResultState};

/// The host call that reads a bound result's state.
pub const RESULT_CALL: &str = "px_result";
/// The host call that shows a bound result's output (`ar.display_outputs()`).
pub const DISPLAY_CALL: &str = "px_display";

/// The results bound by `-o` in one session, shared by the magics' host and the code
/// answering the local Python's calls. Cheap to clone; clones share the results.
#[derive(Debug, Clone, Default)]
pub struct BoundResults {
    inner: Arc<Mutex<Inner>>,
    /// Wakes calls waiting for engines when the user interrupts.
    interrupted: Arc<Notify>,
}

#[derive(Debug, Default)]
struct Inner {
    next_key: u64,
    by_key: HashMap<u64, PxResult>,
    /// The key each name holds now: rebinding a name lets its old result go.
    by_name: HashMap<String, u64>,
}

impl BoundResults {
    /// Keeps `stored`'s result and returns the Python statement that binds its name to a
    /// handle on it, to run (silently) in the local namespace.
    pub fn bind(&self, stored: &StoredResult) -> String {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_key += 1;
        let key = inner.next_key;
        inner.by_key.insert(key, stored.result.clone());
        if let Some(old) = inner.by_name.insert(stored.name.clone(), key) {
            inner.by_key.remove(&old);
        }
        // Any string is a valid name for stock (it assigns `user_ns[name]`); so is it here.
        format!(
            "globals()[{}] = __import__('px_worker.results').results.AsyncResult({key}, '%px', {})",
            python_str_repr(&stored.name),
            if stored.result.is_single() {
                "True"
            } else {
                "False"
            },
        )
    }

    /// Ends every call that is waiting for engines (the user interrupted the cell).
    pub fn interrupt_waits(&self) {
        self.interrupted.notify_waiters();
    }

    /// Answers a host call of the local Python: [`RESULT_CALL`] with `{key, timeout}`
    /// (seconds; negative waits as long as the engines take) returns the result's state;
    /// [`DISPLAY_CALL`] with `{key, groupby}` shows its output on `sink`. Anything else,
    /// or a result no longer held, is an error message for the caller to raise.
    pub async fn answer(
        &self,
        name: &str,
        args: &Value,
        sink: &mut (dyn OutputSink + Send),
        color: bool,
    ) -> Result<Value, String> {
        let key = args.get("key").and_then(Value::as_u64);
        let result = key.and_then(|k| self.get(k)).ok_or_else(|| {
            "this result is no longer held (its name was bound to a newer one)".to_owned()
        })?;
        match name {
            RESULT_CALL => {
                let timeout = args.get("timeout").and_then(Value::as_f64).unwrap_or(0.0);
                self.wait(&result, timeout).await?;
                Ok(snapshot(&result))
            }
            DISPLAY_CALL => {
                let group_by = match args.get("groupby").and_then(Value::as_str) {
                    Some("engine") => GroupBy::Engine,
                    Some("order") => GroupBy::Order,
                    _ => GroupBy::Type,
                };
                result.display(sink, group_by, color);
                Ok(Value::Null)
            }
            other => Err(format!("unknown host call {other:?}")),
        }
    }

    fn get(&self, key: u64) -> Option<PxResult> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.by_key.get(&key).cloned()
    }

    /// Waits for every engine's reply, up to `timeout` seconds; a time-out is no error
    /// (the state says pending), a lost controller or an interrupt is.
    async fn wait(&self, result: &PxResult, timeout: f64) -> Result<(), String> {
        if timeout == 0.0 || result.async_result().ready() {
            return Ok(());
        }
        let limit = (timeout > 0.0).then(|| Duration::from_secs_f64(timeout.min(1e9)));
        let interrupted = self.interrupted.notified();
        tokio::select! {
            waited = result.async_result().wait(limit) => match waited {
                Ok(()) => Ok(()),
                Err(ClientError::Timeout { .. }) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
            () = interrupted => Err("interrupted".to_owned()),
        }
    }
}

/// The result's state as the Python handle reads it: `pending`/`finished`/`failed`, its
/// msg_ids, and each request's metadata under stock's key names.
fn snapshot(result: &PxResult) -> Value {
    let state = match result.state() {
        ResultState::Pending => "pending",
        ResultState::Finished => "finished",
        ResultState::Failed => "failed",
    };
    let results = result.results();
    json!({
        "state": state,
        "msg_ids": results.iter().map(|r| r.msg_id.clone()).collect::<Vec<_>>(),
        "metadata": results.iter().map(metadata).collect::<Vec<_>>(),
    })
}

fn metadata(r: &EngineResult) -> Value {
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.to_rfc3339());
    json!({
        "msg_id": r.msg_id,
        "engine_id": r.engine_id,
        "engine_uuid": r.engine_uuid,
        "submitted": date(r.submitted),
        "started": date(r.started),
        "completed": date(r.completed),
        "received": date(r.received),
        "execute_input": r.execute_input,
        "stdout": r.stdout,
        "stderr": r.stderr,
        "outputs": r.outputs,
        "execute_result": r.execute_result,
        "error": r.error.as_ref().map(error),
        "status": r.status,
        "execution_count": r.execution_count,
        "follow": [],
        "after": [],
        "data": {},
        "is_broadcast": false,
        "is_coalescing": false,
    })
}

fn error(e: &RemoteError) -> Value {
    let engine_info = match e.engine_id {
        Some(id) => json!({
            "engine_id": id,
            "engine_uuid": e.engine_uuid,
            "method": e.method.as_deref().unwrap_or("execute"),
        }),
        None => json!({}),
    };
    json!({
        "ename": e.ename,
        "evalue": e.evalue,
        "traceback": e.traceback,
        "engine_info": engine_info,
    })
}
