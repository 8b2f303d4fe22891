//! The control channel: answered even while a cell runs on shell.

use std::sync::Arc;

use px_wire::{Message, MsgType, Sender};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Mutex};

use crate::backend::Backend;
use crate::server::Ctx;

pub(crate) async fn serve<B: Backend>(
    ctx: Arc<Ctx<B>>,
    control: Arc<Mutex<Sender>>,
    mut queue: mpsc::UnboundedReceiver<Message>,
) {
    while let Some(msg) = queue.recv().await {
        ctx.status(&msg.header, "busy");
        match msg.kind() {
            Ok(MsgType::KernelInfoRequest) => handle_kernel_info(&ctx, &control, &msg).await,
            Ok(MsgType::InterruptRequest) => handle_interrupt(&ctx, &control, &msg).await,
            Ok(MsgType::ShutdownRequest) => handle_shutdown(&ctx, &control, &msg).await,
            Ok(other) => tracing::warn!("{other} is not supported on control; ignored"),
            Err(e) => tracing::warn!("ignored: {e}"),
        }
        ctx.status(&msg.header, "idle");
    }
}

/// `kernel_info_request` (protocol 5.5 frontends also ask on control).
async fn handle_kernel_info<B: Backend>(ctx: &Ctx<B>, control: &Mutex<Sender>, msg: &Message) {
    ctx.reply(
        control,
        msg,
        MsgType::KernelInfoReply,
        ctx.kernel_info(),
        Map::new(),
    )
    .await;
}

/// `interrupt_request`: the kernelspec says `interrupt_mode: message`, so this is how
/// Ctrl-C / the stop button arrives.
async fn handle_interrupt<B: Backend>(ctx: &Ctx<B>, control: &Mutex<Sender>, msg: &Message) {
    ctx.backend.interrupt().await;
    ctx.reply(
        control,
        msg,
        MsgType::InterruptReply,
        json!({"status": "ok"}),
        Map::new(),
    )
    .await;
}

/// `shutdown_request` (on control, or on shell from older frontends): reply, then stop.
pub(crate) async fn handle_shutdown<B: Backend>(
    ctx: &Ctx<B>,
    socket: &Mutex<Sender>,
    msg: &Message,
) {
    let restart = msg
        .content
        .get("restart")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    ctx.reply(
        socket,
        msg,
        MsgType::ShutdownReply,
        json!({"status": "ok", "restart": restart}),
        Map::new(),
    )
    .await;
    ctx.shutdown.notify_one();
}
