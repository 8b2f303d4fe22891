//! The IOPub relay: engines' output to every client, verbatim (§7.3).
//!
//! It runs in its own task, beside the core loop, because it carries most of the bytes
//! (an engine printing in a loop): each message is verified and forwarded here, and only the
//! kinds the hub records (output text, results, errors, shutdowns) are parsed and copied to
//! the core.

use std::sync::Arc;

use px_wire::{Message, RawMessage, Session, Socket};
use tokio::sync::mpsc;

use crate::core::{Inbound, Source};
use crate::stats::Stats;

/// IOPub message types the hub keeps something of.
const RECORDED: &[&str] = &[
    "stream",
    "error",
    "execute_input",
    "execute_result",
    "display_data",
    "shutdown_reply",
];

/// Relays from the engines' SUB to the clients' PUB until the SUB fails or the core goes.
pub async fn relay(
    mut from_engines: Socket,
    mut to_clients: Socket,
    session: Arc<Session>,
    core: mpsc::Sender<Inbound>,
) {
    let mut stats = Stats::default();
    loop {
        let frames = match from_engines.recv().await {
            Ok(frames) => frames,
            Err(e) => {
                tracing::error!("IOPub relay stopped: {e}");
                return;
            }
        };
        // Engines' SUB sockets are not ours to read from; a peer's garbage is dropped.
        let raw = match RawMessage::from_frames(frames) {
            Ok(raw) => raw,
            Err(e) => {
                stats.malformed(Source::Iopub, &e);
                continue;
            }
        };
        if let Err(e) = session.verify(&raw) {
            stats.rejected(Source::Iopub, &e);
            continue;
        }
        let recorded = msg_type_of(&raw).is_some_and(|t| RECORDED.contains(&t.as_str()));
        let copy = recorded.then(|| raw.clone());
        if let Err(e) = to_clients.send(raw.into_frames()).await {
            tracing::warn!("could not publish engine output: {e}");
        }
        if let Some(raw) = copy {
            match Message::parse(raw) {
                Ok(msg) => {
                    if core.send(Inbound::Iopub(Box::new(msg))).await.is_err() {
                        return;
                    }
                }
                Err(e) => stats.malformed(Source::Iopub, &e),
            }
        }
    }
}

/// The message type, read from the header without parsing the rest.
fn msg_type_of(raw: &RawMessage) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        msg_type: String,
    }
    serde_json::from_slice::<TypeOnly>(&raw.header)
        .ok()
        .map(|h| h.msg_type)
}
