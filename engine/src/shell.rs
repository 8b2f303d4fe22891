//! The shell socket: one ROUTER connected to the MUX, task and broadcast schedulers, whose
//! requests run one at a time in arrival order, each wrapped in IOPub `busy` … `idle`.
//!
//! Receiving and running are separate tasks, so requests queue here while the Python is
//! busy — which is what lets `abort_request` (on the control socket) reach requests that
//! arrived but have not started.

use px_wire::{Message, MsgType, Receiver, Sender, Session};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::context::Context;
use crate::metadata::ReplyMetadata;

/// A request as it arrived, numbered for aborts.
pub(crate) struct Incoming {
    seq: u64,
    msg: Message,
}

/// Reads requests into the queue until the socket fails; bad messages are logged and
/// dropped.
pub(crate) async fn receive(
    mut socket: Receiver,
    ctx: Context,
    queue: mpsc::UnboundedSender<Incoming>,
) {
    loop {
        let frames = match socket.recv().await {
            Ok(frames) => frames,
            Err(e) => {
                tracing::debug!("shell socket closed: {e}");
                return;
            }
        };
        match ctx.session.deserialize(frames) {
            Ok(msg) => {
                let seq = ctx.state.aborts.arrive();
                if queue.send(Incoming { seq, msg }).is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!("dropped a bad shell message: {e}"),
        }
    }
}

/// Runs queued requests one at a time and sends their replies.
pub(crate) async fn serve(
    ctx: Context,
    mut queue: mpsc::UnboundedReceiver<Incoming>,
    mut replies: Sender,
) {
    while let Some(Incoming { seq, msg }) = queue.recv().await {
        let parent = msg.header.clone();
        ctx.publisher.status(&parent, "busy");
        let kind = msg.kind();
        let is_execute = matches!(kind, Ok(MsgType::ExecuteRequest));
        let reply = if ctx.state.aborts.take(seq, &parent.msg_id, is_execute) {
            tracing::info!("aborting {} {}", parent.msg_type, parent.msg_id);
            aborted_reply(&ctx, &msg)
        } else {
            tracing::debug!("handling {} {}", parent.msg_type, parent.msg_id);
            match kind {
                Ok(MsgType::ExecuteRequest) => Some(crate::execute::execute(&ctx, &msg).await),
                Ok(MsgType::ApplyRequest) => Some(crate::apply::apply(&ctx, &msg).await),
                Ok(MsgType::KernelInfoRequest) => Some(kernel_info_reply(&ctx, &msg).await),
                Ok(MsgType::CompleteRequest) => Some(crate::completion::complete(&ctx, &msg).await),
                Ok(MsgType::InspectRequest) => Some(crate::completion::inspect(&ctx, &msg).await),
                Ok(MsgType::HistoryRequest) => Some(history_reply(&ctx, &msg)),
                Ok(MsgType::IsCompleteRequest) => {
                    Some(crate::completion::is_complete(&ctx, &msg).await)
                }
                Ok(MsgType::CommInfoRequest) => Some(ctx.engine_reply(
                    &msg,
                    MsgType::CommInfoReply,
                    json!({"status": "ok", "comms": {}}),
                )),
                _ => crate::unknown::reply(&ctx, &msg, "shell"),
            }
        };
        if let Some(reply) = reply {
            ctx.publisher.flush().await;
            send(&ctx.session, &mut replies, &reply).await;
        }
        ctx.publisher.status(&parent, "idle");
    }
}

async fn send(session: &Session, socket: &mut Sender, reply: &Message) {
    if let Err(e) = socket.send(session.serialize(reply)).await {
        tracing::warn!("{} not sent: {e}", reply.header.msg_type);
    }
}

/// The reply to a request that was aborted before it ran: its normal reply type, status
/// `aborted`, full reply metadata.
fn aborted_reply(ctx: &Context, request: &Message) -> Option<Message> {
    let reply_type = request.kind().ok()?.reply_type()?;
    let content = json!({"status": "aborted"});
    let metadata = ReplyMetadata::begin(request, &ctx.identity).finish(&content, &ctx.identity);
    Some(
        ctx.session
            .reply(request, reply_type, content)
            .with_metadata(metadata),
    )
}

/// `history_request`: the cells this engine stored (tail, range or search).
fn history_reply(ctx: &Context, request: &Message) -> Message {
    let history = ctx.state.history().answer(&request.content);
    ctx.engine_reply(
        request,
        MsgType::HistoryReply,
        json!({"status": "ok", "history": history}),
    )
}

async fn kernel_info_reply(ctx: &Context, request: &Message) -> Message {
    let python = ctx
        .state
        .worker_now()
        .and_then(|w| w.info())
        .map(|info| info.python_version)
        .unwrap_or_default();
    let content = kernel_info(&python);
    ctx.engine_reply(request, MsgType::KernelInfoReply, content)
}

/// `kernel_info_reply` content.
pub(crate) fn kernel_info(python_version: &str) -> Value {
    json!({
        "status": "ok",
        "protocol_version": px_wire::PROTOCOL_VERSION,
        "implementation": "pxengine",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "python",
            "version": python_version,
            "mimetype": "text/x-python",
            "file_extension": ".py",
        },
        "banner": "Parallel (Rust) engine",
        "help_links": [],
    })
}
