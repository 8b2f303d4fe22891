//! `purge_request`: a client asks the hub to forget results, by msg_id, by engine, or all.

use serde_json::{json, Value};

use super::engines::EngineDirectory;
use super::error::{py_str, QueryError};
use super::fields::{msg_ids, object};
use super::record::State;
use super::ResultStore;
use crate::ids::{EngineId, MsgId};
use px_wire::python_str_repr;

impl ResultStore {
    /// Applies `{msg_ids, engine_ids}` and returns the `purge_reply` content.
    ///
    /// - `msg_ids: "all"` drops every finished record (and ignores `engine_ids`, as stock
    ///   does);
    /// - a list of msg_ids is refused whole if one is pending (IndexError `msg pending: ..`);
    ///   otherwise the listed records go (unknown ids are ignored);
    /// - then each live engine id in `engine_ids` loses its finished records. An id that is
    ///   not a live engine stops there with IndexError `No such engine: N`, after the earlier
    ///   ones were purged, as stock behaves.
    pub fn purge<E: EngineDirectory + ?Sized>(
        &mut self,
        content: &Value,
        engines: &E,
    ) -> Result<Value, QueryError> {
        let map = object(content)?;
        let ok = json!({"status": "ok"});
        let msg_ids_field = map.get("msg_ids").unwrap_or(&Value::Null);
        if msg_ids_field.as_str() == Some("all") {
            self.drop_where(|r| r.state == State::Completed);
            return Ok(ok);
        }
        let ids = match msg_ids_field {
            Value::Null => Vec::new(),
            other => msg_ids("msg_ids", other)?,
        };
        if let Some(pending) = ids.iter().find(|id| self.is_pending(id)) {
            return Err(QueryError::index(format!(
                "msg pending: {}",
                python_str_repr(pending)
            )));
        }
        for id in ids {
            self.remove(id);
        }

        let engine_ids = match map.get("engine_ids").unwrap_or(&Value::Null) {
            Value::Null => &[][..],
            Value::Array(items) => items.as_slice(),
            _ => {
                return Err(QueryError::type_error(
                    "engine_ids must be a list of int".to_owned(),
                ))
            }
        };
        for eid in engine_ids {
            let live = eid
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(EngineId)
                .filter(|id| engines.is_live(*id));
            let Some(uuid) = live.and_then(|id| engines.uuid_of(id)) else {
                return Err(QueryError::index(format!(
                    "No such engine: {}",
                    py_str(eid)
                )));
            };
            self.drop_where(|r| {
                r.state == State::Completed && r.engine_uuid.as_deref() == Some(uuid.as_str())
            });
        }
        Ok(ok)
    }

    fn drop_where(&mut self, condition: impl Fn(&super::record::Record) -> bool) {
        let doomed: Vec<MsgId> = self
            .records
            .values()
            .filter(|r| condition(r))
            .map(|r| r.msg_id.clone())
            .collect();
        for id in doomed {
            self.remove(&id);
        }
    }
}
