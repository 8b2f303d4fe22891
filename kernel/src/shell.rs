//! The shell channel: one handler per request type, served one request at a time (a cell
//! runs to completion before the next request is looked at, as in ipykernel).

use std::collections::VecDeque;
use std::sync::Arc;

use px_wire::{Message, MsgType, Sender};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Mutex};

use crate::backend::{Backend, ExecuteOutcome, ExecuteRequest};
use crate::server::Ctx;

type Shell = Mutex<Sender>;

fn flag(content: &Value, key: &str, default: bool) -> bool {
    content.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn text<'a>(content: &'a Value, key: &str) -> &'a str {
    content.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn cursor(content: &Value, code: &str) -> usize {
    content
        .get("cursor_pos")
        .and_then(Value::as_u64)
        .map_or(code.chars().count(), |c| c as usize)
}

pub(crate) async fn serve<B: Backend>(
    ctx: Arc<Ctx<B>>,
    shell: Arc<Shell>,
    mut queue: mpsc::UnboundedReceiver<Message>,
) {
    let mut pending: VecDeque<Message> = VecDeque::new();
    loop {
        let msg = match pending.pop_front() {
            Some(m) => m,
            None => match queue.recv().await {
                Some(m) => m,
                None => return,
            },
        };
        ctx.status(&msg.header, "busy");
        let failed = dispatch(&ctx, &shell, &msg).await;
        ctx.status(&msg.header, "idle");
        if failed {
            // stop_on_error: cells already queued behind a failed one are not run.
            while let Ok(next) = queue.try_recv() {
                if next.header.msg_type == MsgType::ExecuteRequest.as_str() {
                    handle_aborted(&ctx, &shell, &next).await;
                } else {
                    pending.push_back(next);
                }
            }
        }
    }
}

/// Runs the handler for `msg`; true when it was a cell that failed with stop_on_error.
async fn dispatch<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) -> bool {
    match msg.kind() {
        Ok(MsgType::ExecuteRequest) => return handle_execute(ctx, shell, msg).await,
        Ok(MsgType::KernelInfoRequest) => handle_kernel_info(ctx, shell, msg).await,
        Ok(MsgType::IsCompleteRequest) => handle_is_complete(ctx, shell, msg).await,
        Ok(MsgType::CompleteRequest) => handle_complete(ctx, shell, msg).await,
        Ok(MsgType::InspectRequest) => handle_inspect(ctx, shell, msg).await,
        Ok(MsgType::HistoryRequest) => handle_history(ctx, shell, msg).await,
        Ok(MsgType::CommInfoRequest) => handle_comm_info(ctx, shell, msg).await,
        Ok(MsgType::CommOpen) => handle_comm_open(ctx, msg),
        Ok(MsgType::CommMsg | MsgType::CommClose) => {}
        Ok(MsgType::ShutdownRequest) => crate::control::handle_shutdown(ctx, shell, msg).await,
        Ok(other) => tracing::warn!("{other} is not a shell request; ignored"),
        Err(e) => tracing::warn!("ignored: {e}"),
    }
    false
}

/// `execute_request`: count, echo the code, run it, reply.
async fn handle_execute<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) -> bool {
    let c = &msg.content;
    let silent = flag(c, "silent", false);
    let store_history = flag(c, "store_history", !silent);
    let stop_on_error = flag(c, "stop_on_error", true);
    let allow_stdin = flag(c, "allow_stdin", true);
    let code = text(c, "code").to_owned();
    let execution_count = if !silent && store_history {
        let count = ctx.next_count();
        ctx.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .record(count, &code);
        count
    } else {
        ctx.current_count()
    };
    let out = ctx.publisher(msg, allow_stdin);
    if !silent {
        out.send(
            MsgType::ExecuteInput,
            json!({"code": code, "execution_count": execution_count}),
            Map::new(),
        );
    }
    let request = ExecuteRequest {
        code,
        silent,
        store_history,
        allow_stdin,
        user_expressions: c.get("user_expressions").cloned().unwrap_or(json!({})),
        execution_count,
    };
    let started = px_wire::now_iso();
    let outcome = ctx.backend.execute(request, out).await;
    let (content, status) = match outcome {
        ExecuteOutcome::Ok { user_expressions } => (
            json!({"status": "ok", "execution_count": execution_count,
                   "user_expressions": user_expressions, "payload": []}),
            "ok",
        ),
        ExecuteOutcome::Error {
            ename,
            evalue,
            traceback,
        } => (
            json!({"status": "error", "execution_count": execution_count,
                   "ename": ename, "evalue": evalue, "traceback": traceback,
                   "engine_info": ctx.engine_info(),
                   "user_expressions": {}, "payload": []}),
            "error",
        ),
    };
    let mut metadata = Map::new();
    metadata.insert("started".into(), Value::String(started));
    metadata.insert("status".into(), Value::String(status.into()));
    ctx.reply(shell, msg, MsgType::ExecuteReply, content, metadata)
        .await;
    status == "error" && stop_on_error
}

/// A queued cell behind a failed one: answered `aborted`, never run.
async fn handle_aborted<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    ctx.status(&msg.header, "busy");
    let mut metadata = Map::new();
    metadata.insert("status".into(), Value::String("aborted".into()));
    let content = json!({"status": "aborted", "execution_count": ctx.current_count(),
                         "user_expressions": {}, "payload": []});
    ctx.reply(shell, msg, MsgType::ExecuteReply, content, metadata)
        .await;
    ctx.status(&msg.header, "idle");
}

/// `kernel_info_request`.
async fn handle_kernel_info<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    ctx.reply(
        shell,
        msg,
        MsgType::KernelInfoReply,
        ctx.kernel_info(),
        Map::new(),
    )
    .await;
}

/// `is_complete_request`.
async fn handle_is_complete<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    let content = ctx.backend.is_complete(text(&msg.content, "code")).await;
    ctx.reply(shell, msg, MsgType::IsCompleteReply, content, Map::new())
        .await;
}

/// `complete_request`.
async fn handle_complete<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    let code = text(&msg.content, "code");
    let mut content = ctx.backend.complete(code, cursor(&msg.content, code)).await;
    content["status"] = json!("ok");
    ctx.reply(shell, msg, MsgType::CompleteReply, content, Map::new())
        .await;
}

/// `inspect_request`.
async fn handle_inspect<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    let code = text(&msg.content, "code");
    let detail = msg
        .content
        .get("detail_level")
        .and_then(Value::as_u64)
        .unwrap_or(0) as u8;
    let mut content = ctx
        .backend
        .inspect(code, cursor(&msg.content, code), detail)
        .await;
    content["status"] = json!("ok");
    ctx.reply(shell, msg, MsgType::InspectReply, content, Map::new())
        .await;
}

/// `history_request`: this kernel's counted cells (tail, range or search).
async fn handle_history<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    let history = ctx
        .history
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .answer(&msg.content);
    ctx.reply(
        shell,
        msg,
        MsgType::HistoryReply,
        json!({"status": "ok", "history": history}),
        Map::new(),
    )
    .await;
}

/// `comm_info_request`: no comms are open.
async fn handle_comm_info<B: Backend>(ctx: &Ctx<B>, shell: &Shell, msg: &Message) {
    ctx.reply(
        shell,
        msg,
        MsgType::CommInfoReply,
        json!({"status": "ok", "comms": {}}),
        Map::new(),
    )
    .await;
}

/// `comm_open` for a target we do not have: closed at once, so the frontend does not wait.
fn handle_comm_open<B: Backend>(ctx: &Ctx<B>, msg: &Message) {
    let comm_id = msg.content.get("comm_id").cloned().unwrap_or(Value::Null);
    ctx.publisher(msg, false).send(
        MsgType::CommClose,
        json!({"comm_id": comm_id, "data": {}}),
        Map::new(),
    );
}
