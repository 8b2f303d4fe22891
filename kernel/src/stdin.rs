//! `input()` from running code: an `input_request` to the frontend on the stdin channel,
//! addressed to the identity of the shell request that runs the code.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use px_wire::{Header, Message, MsgType, Session, Socket};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

/// Why a line of input could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The frontend does not accept input requests (`allow_stdin` false).
    #[error("this frontend does not support input requests")]
    NotAllowed,
    /// The kernel is shutting down, or the stdin channel failed.
    #[error("the stdin channel is closed")]
    Closed,
}

pub(crate) struct InputAsk {
    pub(crate) idents: Vec<Bytes>,
    pub(crate) parent: Header,
    pub(crate) prompt: String,
    pub(crate) password: bool,
    pub(crate) reply: oneshot::Sender<String>,
}

/// Serves the stdin channel: sends asks, routes `input_reply`s back by parent msg_id.
pub(crate) async fn serve(
    mut socket: Socket,
    session: Arc<Session>,
    mut asks: mpsc::UnboundedReceiver<InputAsk>,
) {
    // Oldest first: jupyter_client sends input_reply without a parent header, so a reply
    // that names no request answers the oldest one (only one is pending in practice).
    let mut waiting: VecDeque<(String, oneshot::Sender<String>)> = VecDeque::new();
    loop {
        tokio::select! {
            ask = asks.recv() => {
                let Some(ask) = ask else { return };
                let msg: Message = session
                    .msg(MsgType::InputRequest, json!({"prompt": ask.prompt, "password": ask.password}))
                    .with_parent(&ask.parent)
                    .with_idents(ask.idents);
                let msg_id = msg.header.msg_id.clone();
                match socket.send(session.serialize(&msg)).await {
                    Ok(()) => waiting.push_back((msg_id, ask.reply)),
                    Err(e) => tracing::warn!("stdin send failed: {e}"),
                }
            }
            frames = socket.recv() => {
                let frames = match frames {
                    Ok(f) => f,
                    Err(e) => return tracing::warn!("stdin socket failed: {e}"),
                };
                match session.deserialize(frames) {
                    Ok(msg) if msg.header.msg_type == MsgType::InputReply.as_str() => {
                        let value = msg.content.get("value").and_then(Value::as_str).unwrap_or_default().to_owned();
                        let at = msg
                            .parent_msg_id()
                            .and_then(|p| waiting.iter().position(|(id, _)| id == p))
                            .unwrap_or(0);
                        match waiting.remove(at) {
                            Some((_, tx)) => { let _ = tx.send(value); }
                            None => tracing::warn!("input_reply to no pending input_request"),
                        }
                    }
                    Ok(msg) => tracing::warn!("unexpected {} on stdin", msg.header.msg_type),
                    Err(e) => tracing::warn!("dropped a stdin message: {e}"),
                }
            }
        }
    }
}
