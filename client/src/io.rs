//! The background tasks that read the client's sockets, and one handler per message type.
//!
//! A malformed, forged or unexpected message is logged, counted and dropped; it never stops
//! a task. A socket error ends that socket's task (the controller is gone); waits notice it
//! through their controller liveness check.

use std::sync::Arc;

use chrono::Utc;
use px_wire::{parse_iso, Message, MsgType, Receiver, Socket};
use serde_json::Value;

use crate::client::Shared;
use crate::remote_error::RemoteError;
use crate::tracker::{apply_carriage_returns, OutputEvent, StreamName};

/// Replies to hub queries and control requests: handed to the waiting request.
pub(crate) async fn serve_replies(shared: Arc<Shared>, mut rx: Receiver) {
    loop {
        let frames = match rx.recv().await {
            Ok(f) => f,
            Err(e) => return tracing::debug!("reply socket closed: {e}"),
        };
        match shared.session.deserialize(frames) {
            Ok(msg) => {
                if !shared.deliver_reply(msg) {
                    shared.count_dropped(&"reply to no pending request");
                }
            }
            Err(e) => shared.count_dropped(&e),
        }
    }
}

/// Replies on the MUX and task sockets: the outcome of execute and apply requests.
pub(crate) async fn serve_results(shared: Arc<Shared>, mut rx: Receiver) {
    loop {
        let frames = match rx.recv().await {
            Ok(f) => f,
            Err(e) => return tracing::debug!("result socket closed: {e}"),
        };
        match shared.session.deserialize(frames) {
            Ok(msg) => match msg.kind() {
                Ok(MsgType::ExecuteReply | MsgType::ApplyReply) => {
                    handle_execution_reply(&shared, msg)
                }
                Ok(other) => {
                    shared.count_dropped(&format!("unexpected {other} on a result socket"))
                }
                Err(e) => shared.count_dropped(&e),
            },
            Err(e) => shared.count_dropped(&e),
        }
    }
}

/// The engine that sent a message: `metadata.engine`, else the routing frame the MUX relay
/// puts first.
fn sender_uuid(msg: &Message) -> Option<String> {
    msg.metadata
        .get("engine")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            msg.idents
                .first()
                .and_then(|f| std::str::from_utf8(f).ok())
                .map(str::to_owned)
        })
}

/// `execute_reply` / `apply_reply`: status, timing and errors of one request on one engine.
fn handle_execution_reply(shared: &Shared, msg: Message) {
    let Some(parent) = msg.parent_msg_id().map(str::to_owned) else {
        return shared.count_dropped(&"reply without parent header");
    };
    let Some(tracker) = shared.tracker(&parent) else {
        return shared.count_dropped(&format!("reply to unknown request {parent}"));
    };
    if let Some(uuid) = sender_uuid(&msg) {
        let id = shared.engines().id_of(&uuid);
        tracker.set_engine(id, &uuid);
    }
    let status = msg
        .content
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("error")
        .to_owned();
    // Controller-made errors and aborts have no engine behind them, so no IOPub output
    // (and no idle) will follow.
    let engine_info_empty = msg
        .content
        .get("engine_info")
        .and_then(Value::as_object)
        .is_none_or(|m| m.is_empty());
    let no_output_follows = status != "ok" && engine_info_empty;
    let error = (status == "error").then(|| {
        let mut e = RemoteError::from_content(&msg.content);
        if e.engine_id.is_none() {
            if let Some(uuid) = &e.engine_uuid {
                e.engine_id = shared.engines().id_of(uuid);
            }
        }
        e
    });
    tracker.set_reply(
        |r| {
            r.status = Some(status.clone());
            r.execution_count = msg.content.get("execution_count").and_then(Value::as_i64);
            r.started = msg
                .metadata
                .get("started")
                .and_then(Value::as_str)
                .and_then(|d| parse_iso(d).ok());
            r.completed = msg.header.parsed_date().ok();
            r.received = Some(Utc::now());
            if r.error.is_none() {
                r.error = error;
            }
            r.reply = Some(msg.content.clone());
        },
        no_output_follows,
    );
    shared.forget_if_done(&parent);
}

/// IOPub: output of our requests, filtered by our session.
pub(crate) async fn serve_iopub(shared: Arc<Shared>, mut socket: Socket) {
    loop {
        let frames = match socket.recv().await {
            Ok(f) => f,
            Err(e) => return tracing::debug!("iopub socket closed: {e}"),
        };
        let msg = match shared.session.deserialize(frames) {
            Ok(m) => m,
            Err(e) => {
                shared.count_dropped(&e);
                continue;
            }
        };
        let Some(parent) = &msg.parent_header else {
            continue; // iopub_welcome and other unparented messages are not ours
        };
        if parent.session != shared.session.id() {
            continue; // another client's output
        }
        let Some(tracker) = shared.tracker(&parent.msg_id) else {
            continue; // a request already completed, or not one we track
        };
        if let Some(uuid) = msg.metadata.get("engine").and_then(Value::as_str) {
            let id = shared.engines().id_of(uuid);
            tracker.set_engine(id, uuid);
        }
        let msg_id = parent.msg_id.clone();
        match msg.kind() {
            Ok(MsgType::Stream) => handle_stream(&tracker, &msg),
            Ok(MsgType::Error) => handle_error(&tracker, &msg),
            Ok(MsgType::ExecuteInput) => handle_execute_input(&tracker, &msg),
            Ok(MsgType::ExecuteResult) => handle_execute_result(&tracker, &msg),
            Ok(MsgType::DisplayData | MsgType::UpdateDisplayData | MsgType::ClearOutput) => {
                handle_display(&tracker, &msg)
            }
            Ok(MsgType::Status) => {
                if handle_status(&tracker, &msg) {
                    shared.forget_if_done(&msg_id);
                }
            }
            // Pickled datapub payloads and comms need Python; nothing to record.
            Ok(_) => {}
            Err(e) => shared.count_dropped(&e),
        }
    }
}

fn text(msg: &Message, key: &str) -> String {
    msg.content
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// `stream`: appended to stdout or stderr.
fn handle_stream(tracker: &crate::tracker::Tracker, msg: &Message) {
    let name = match msg.content.get("name").and_then(Value::as_str) {
        Some("stdout") => StreamName::Stdout,
        Some("stderr") => StreamName::Stderr,
        other => return tracing::warn!("stream with unknown name {other:?}"),
    };
    let chunk = text(msg, "text");
    tracker.update(
        |r| {
            let buf = match name {
                StreamName::Stdout => &mut r.stdout,
                StreamName::Stderr => &mut r.stderr,
            };
            buf.push_str(&chunk);
            if chunk.contains('\r') {
                *buf = apply_carriage_returns(buf);
            }
        },
        |engine_id, msg_id| {
            Some(OutputEvent::Stream {
                engine_id,
                msg_id,
                name,
                text: chunk.clone(),
            })
        },
    );
}

/// `error`: the exception, as the engine published it. Engines send no `engine_info`
/// here, so, as stock does, the engine and the method come from the request.
fn handle_error(tracker: &crate::tracker::Tracker, msg: &Message) {
    let known = tracker.snapshot();
    let mut error = RemoteError::from_iopub(
        &msg.content,
        known.engine_id,
        known.engine_uuid.as_deref(),
        &tracker.request_type,
    );
    if error.engine_id.is_none() {
        error.engine_id = known.engine_id;
    }
    if error.engine_uuid.is_none() {
        error.engine_uuid = known.engine_uuid;
    }
    tracker.update(
        |r| r.error = Some(error.clone()),
        |engine_id, msg_id| {
            Some(OutputEvent::Error {
                engine_id,
                msg_id,
                error: error.clone(),
            })
        },
    );
}

/// `execute_input`: the code being run.
fn handle_execute_input(tracker: &crate::tracker::Tracker, msg: &Message) {
    let code = text(msg, "code");
    tracker.update(
        |r| r.execute_input = Some(code.clone()),
        |engine_id, msg_id| {
            Some(OutputEvent::ExecuteInput {
                engine_id,
                msg_id,
                code: code.clone(),
            })
        },
    );
}

/// `execute_result`: the value of the last expression.
fn handle_execute_result(tracker: &crate::tracker::Tracker, msg: &Message) {
    tracker.update(
        |r| {
            r.execute_result = Some(msg.content.clone());
            if let Some(n) = msg.content.get("execution_count").and_then(Value::as_i64) {
                r.execution_count.get_or_insert(n);
            }
        },
        |engine_id, msg_id| {
            Some(OutputEvent::ExecuteResult {
                engine_id,
                msg_id,
                content: msg.content.clone(),
            })
        },
    );
}

/// `display_data` (recorded in outputs), `update_display_data` and `clear_output` (passed on
/// to listeners only, as ipyparallel records only display_data).
fn handle_display(tracker: &crate::tracker::Tracker, msg: &Message) {
    let msg_type = msg.header.msg_type.clone();
    tracker.update(
        |r| {
            if msg_type == MsgType::DisplayData.as_str() {
                r.outputs.push(msg.content.clone());
            }
        },
        |engine_id, msg_id| {
            Some(OutputEvent::Display {
                engine_id,
                msg_id,
                msg_type: msg_type.clone(),
                content: msg.content.clone(),
            })
        },
    );
}

/// `status`: idle means every output of the request has arrived. Returns whether it was idle.
fn handle_status(tracker: &crate::tracker::Tracker, msg: &Message) -> bool {
    let idle = msg.content.get("execution_state").and_then(Value::as_str) == Some("idle");
    if idle {
        tracker.set_idle();
    }
    idle
}

/// Hub notifications: engines joining and leaving.
pub(crate) async fn serve_notifications(shared: Arc<Shared>, mut socket: Socket) {
    loop {
        let frames = match socket.recv().await {
            Ok(f) => f,
            Err(e) => return tracing::debug!("notification socket closed: {e}"),
        };
        let msg = match shared.session.deserialize(frames) {
            Ok(m) => m,
            Err(e) => {
                shared.count_dropped(&e);
                continue;
            }
        };
        let id = msg.content.get("id").and_then(Value::as_i64);
        let uuid = msg.content.get("uuid").and_then(Value::as_str);
        match (msg.kind(), id, uuid) {
            (Ok(MsgType::RegistrationNotification), Some(id), Some(uuid)) => {
                handle_registration(&shared, id, uuid)
            }
            (Ok(MsgType::UnregistrationNotification), Some(id), _) => {
                handle_unregistration(&shared, id)
            }
            (Ok(MsgType::ShutdownNotification), _, _) => {
                tracing::info!("the controller is shutting down")
            }
            (Ok(other), _, _) => shared.count_dropped(&format!("unexpected {other} notification")),
            (Err(e), _, _) => shared.count_dropped(&e),
        }
    }
}

/// `registration_notification`: a new engine.
fn handle_registration(shared: &Shared, id: i64, uuid: &str) {
    tracing::debug!("engine {id} registered");
    shared.register_engine(id, uuid.to_owned());
}

/// `unregistration_notification`: an engine left; its direct requests fail at once with an
/// EngineError (load-balanced tasks get theirs from the scheduler).
fn handle_unregistration(shared: &Shared, id: i64) {
    tracing::debug!("engine {id} unregistered");
    let Some(uuid) = shared.unregister_engine(id) else {
        return;
    };
    for tracker in shared.trackers_for_engine(&uuid) {
        let msg_id = tracker.snapshot().msg_id;
        let error = RemoteError::engine_died(id, &msg_id);
        tracker.set_reply(
            |r| {
                r.status = Some("error".into());
                r.received = Some(Utc::now());
                r.error = Some(error);
            },
            true,
        );
        shared.forget_if_done(&msg_id);
    }
}
