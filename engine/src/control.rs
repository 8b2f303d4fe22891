//! The control socket: abort, clear, shutdown, signal and interrupt requests, answered at
//! once even while the Python runs a long request, because they are served here and never
//! queue behind the shell.
//!
//! Each request but `signal_request` is wrapped in IOPub `busy` … `idle`, as stock engines
//! do; stock engines answer signals from their nanny, without IOPub traffic, and so do we.

use px_wire::{Message, MsgType, Socket};
use serde_json::{json, Value};

use crate::context::{Context, EngineState, StopRequest};
use crate::signals::{self, SignalAction};

/// Serves control requests until the socket fails.
pub(crate) async fn serve(ctx: Context, mut socket: Socket) {
    loop {
        let frames = match socket.recv().await {
            Ok(frames) => frames,
            Err(e) => {
                tracing::debug!("control socket closed: {e}");
                return;
            }
        };
        let request = match ctx.session.deserialize(frames) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::warn!("dropped a bad control message: {e}");
                continue;
            }
        };
        let wrapped = request.header.msg_type != MsgType::SignalRequest.as_str();
        if wrapped {
            ctx.publisher.status(&request.header, "busy");
        }
        let (reply, then) = handle(&ctx, &request);
        if let Some(reply) = reply {
            if let Err(e) = socket.send(ctx.session.serialize(&reply)).await {
                tracing::warn!("{} not sent: {e}", reply.header.msg_type);
            }
        }
        if wrapped {
            ctx.publisher.status(&request.header, "idle");
        }
        if let Some(stop) = then {
            let _ = ctx.state.stop.send(stop);
        }
    }
}

/// The reply to `request`, and whether the engine must stop once it is sent.
fn handle(ctx: &Context, request: &Message) -> (Option<Message>, Option<StopRequest>) {
    let reply =
        |msg_type: MsgType, content: Value| Some(ctx.engine_reply(request, msg_type, content));
    let content = &request.content;
    match request.kind() {
        Ok(MsgType::AbortRequest) => {
            abort(ctx, &content["msg_ids"]);
            (reply(MsgType::AbortReply, json!({"status": "ok"})), None)
        }
        Ok(MsgType::ClearRequest) => {
            clear(ctx);
            (reply(MsgType::ClearReply, json!({"status": "ok"})), None)
        }
        Ok(MsgType::ShutdownRequest) => {
            let restart = content["restart"].as_bool().unwrap_or(false);
            let answer = json!({"status": "ok", "restart": restart});
            // The hub unregisters an engine when it sees this on IOPub.
            ctx.publisher
                .shutdown_reply(&request.header, answer.clone());
            (
                reply(MsgType::ShutdownReply, answer),
                Some(StopRequest::Shutdown),
            )
        }
        Ok(MsgType::SignalRequest) => match signals::parse(&content["sig"]) {
            Ok(sig) => {
                let stop = deliver(&ctx.state, sig);
                (reply(MsgType::SignalReply, json!({"status": "ok"})), stop)
            }
            Err(reason) => {
                let error = px_worker::ErrorInfo {
                    ename: "ValueError".into(),
                    evalue: reason,
                    traceback: Vec::new(),
                };
                let content = ctx.identity.error_content(&error, "signal");
                (reply(MsgType::SignalReply, content), None)
            }
        },
        // The Jupyter way to interrupt (a frontend bound to the engine sends it); stock
        // engines answer it as ipykernel does, with SIGINT.
        Ok(MsgType::InterruptRequest) => {
            let stop = deliver(&ctx.state, libc::SIGINT);
            (
                reply(MsgType::InterruptReply, json!({"status": "ok"})),
                stop,
            )
        }
        Ok(MsgType::KernelInfoRequest) => {
            let python = ctx
                .state
                .worker_now()
                .and_then(|w| w.info())
                .map(|info| info.python_version)
                .unwrap_or_default();
            let info = crate::shell::kernel_info(&python);
            (reply(MsgType::KernelInfoReply, info), None)
        }
        _ => (crate::unknown::reply(ctx, request, "control"), None),
    }
}

/// `msg_ids` listed: abort those when they come up; none: abort every waiting execute.
fn abort(ctx: &Context, msg_ids: &Value) {
    let ids: Vec<String> = match msg_ids {
        Value::String(id) => vec![id.clone()],
        Value::Array(ids) => ids
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if ids.is_empty() {
        ctx.state.aborts.abort_waiting_executes();
    } else {
        tracing::info!("aborting {ids:?}");
        ctx.state.aborts.abort_ids(ids);
    }
}

/// Queues the reset now, so that it runs before anything sent after the reply; the reply
/// does not wait for a running request to end.
fn clear(ctx: &Context) {
    let Some(worker) = ctx.state.worker_now() else {
        return; // a Python still starting has nothing to clear
    };
    let reset = worker.reset();
    tokio::spawn(async move {
        if let Err(e) = reset.await {
            tracing::warn!("clearing the namespace failed: {e}");
        }
    });
}

/// Acts on a signal meant for the engine; a stopping signal is returned for the main loop.
pub(crate) fn deliver(state: &EngineState, sig: i32) -> Option<StopRequest> {
    match signals::action(sig) {
        SignalAction::Interrupt => {
            if let Some(worker) = state.worker_now() {
                worker.interrupt();
            }
            None
        }
        SignalAction::Stop => Some(StopRequest::Signal(sig)),
        SignalAction::Forward(sig) => {
            if let Some(worker) = state.worker_now() {
                worker.signal(sig);
            }
            None
        }
    }
}
