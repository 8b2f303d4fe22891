//! The one task that owns the IOPub socket: every output goes through its queue, so outputs
//! and `status` messages leave in the order they were published.
//!
//! The socket is an XPUB: each new subscription is answered with `iopub_welcome` (protocol
//! 5.5), which tells a frontend its subscription is live, so it never misses the first
//! `busy` (the slow-joiner problem of plain PUB).

use std::sync::Arc;

use bytes::Bytes;
use px_wire::{Message, MsgType, Session, Socket};
use serde_json::json;
use tokio::sync::mpsc;

/// Serves IOPub until the queue closes.
pub(crate) async fn serve(
    mut socket: Socket,
    session: Arc<Session>,
    mut queue: mpsc::UnboundedReceiver<Message>,
) {
    loop {
        tokio::select! {
            msg = queue.recv() => {
                let Some(msg) = msg else { return };
                let topic = format!("kernel.{}.{}", session.id(), msg.header.msg_type);
                let msg = msg.with_idents(vec![Bytes::from(topic)]);
                if let Err(e) = socket.send(session.serialize(&msg)).await {
                    tracing::warn!("iopub send failed: {e}");
                }
            }
            sub = socket.recv() => match sub {
                Ok(frames) => {
                    let Some(frame) = frames.first() else { continue };
                    if frame.first() == Some(&1) {
                        let subscription = String::from_utf8_lossy(&frame[1..]).into_owned();
                        let welcome = session.msg(
                            MsgType::IopubWelcome,
                            json!({ "subscription": subscription }),
                        );
                        if let Err(e) = socket.send(session.serialize(&welcome)).await {
                            tracing::warn!("iopub welcome failed: {e}");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!("iopub socket failed: {e}");
                    return;
                }
            },
        }
    }
}
