//! Tests of the result store, with messages built by hand so ids and dates are fixed.

mod cull;
mod filter;
mod malformed;
mod purge_resubmit;
mod queries;
mod recording;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use px_wire::{format_iso, Header, Message};
use serde_json::{json, Map, Value};

use super::{EngineEntry, Queue, ResultStore, StoreLimits};
use crate::ids::{EngineId, EngineUuid};

pub(super) const CLIENT: &str = "client-session";

/// A fixed instant plus `secs` seconds.
pub(super) fn t(secs: i64) -> DateTime<Utc> {
    px_wire::parse_iso("2026-01-02T03:04:05.000001Z").expect("a valid date")
        + Duration::seconds(secs)
}

pub(super) fn uuid(n: u32) -> EngineUuid {
    EngineUuid(format!("engine-uuid-{n}"))
}

/// Engines 0 and 1 registered, 2 gone.
pub(super) fn engines() -> Vec<EngineEntry> {
    (0..3)
        .map(|n| EngineEntry {
            id: EngineId(n),
            uuid: uuid(n),
            live: n != 2,
        })
        .collect()
}

pub(super) fn header(msg_id: &str, msg_type: &str, session: &str, date: DateTime<Utc>) -> Header {
    Header {
        msg_id: msg_id.to_owned(),
        msg_type: msg_type.to_owned(),
        username: "user".to_owned(),
        session: session.to_owned(),
        date: format_iso(date),
        version: "5.3".to_owned(),
        extra: Map::new(),
    }
}

/// An apply_request submitted at `t(at)` with the given buffers.
pub(super) fn request(msg_id: &str, at: i64, buffers: &[&[u8]]) -> Message {
    Message {
        header: header(msg_id, "apply_request", CLIENT, t(at)),
        metadata: json!({"label": null, "after": [], "follow": []})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        content: json!({}),
        buffers: bufs(buffers),
        ..Message::default()
    }
}

/// An engine's reply to `req`, dated `t(at)`, with `status` in content and metadata.
pub(super) fn reply(
    req: &Message,
    engine: &EngineUuid,
    status: &str,
    at: i64,
    buffers: &[&[u8]],
) -> Message {
    let reply_type = req.header.msg_type.replace("_request", "_reply");
    Message {
        header: header(
            &format!("{}-reply", req.header.msg_id),
            &reply_type,
            engine.as_str(),
            t(at),
        ),
        parent_header: Some(req.header.clone()),
        metadata: json!({
            "started": format_iso(t(at - 1)),
            "engine": engine.as_str(),
            "status": status,
            "dependencies_met": true,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
        content: json!({"status": status}),
        buffers: bufs(buffers),
        ..Message::default()
    }
}

/// An IOPub message answering `parent`.
pub(super) fn iopub(parent: &str, msg_type: &str, content: Value) -> Message {
    Message {
        header: header(&format!("{parent}-{msg_type}"), msg_type, "engine", t(0)),
        parent_header: Some(header(parent, "execute_request", CLIENT, t(0))),
        content,
        ..Message::default()
    }
}

pub(super) fn bufs(buffers: &[&[u8]]) -> Vec<Bytes> {
    buffers.iter().map(|b| Bytes::copy_from_slice(b)).collect()
}

pub(super) fn store() -> ResultStore {
    ResultStore::new(StoreLimits::default())
}

/// A store holding `n` MUX requests `m0..` on engine 0, submitted a second apart, the
/// first `done` of them completed.
pub(super) fn store_with(n: usize, done: usize) -> ResultStore {
    let mut s = store();
    for i in 0..n {
        let req = request(&format!("m{i}"), i as i64, &[]);
        s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(i as i64));
        if i < done {
            s.completed(
                &reply(&req, &uuid(0), "ok", i as i64 + 1, &[]),
                None,
                t(100),
            );
        }
    }
    s
}

pub(super) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
