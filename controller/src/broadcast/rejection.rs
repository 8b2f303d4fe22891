//! A refused broadcast request and the error reply that tells its client.
//!
//! Stock's scheduler logs a malformed request and drops it, and the client then waits
//! forever. Here the client gets an error reply it can match, whenever the request says
//! enough to address one.

use bytes::Bytes;
use px_wire::{Header, MsgType, RawMessage, Session};
use serde_json::json;

use super::error::BroadcastError;

/// A broadcast request the scheduler did not send anywhere.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Rejected {
    /// Why.
    #[source]
    pub error: BroadcastError,
    /// A signed error reply for the client-facing socket (client routing frames first), or
    /// `None` when the request cannot be answered: no routing frame, no readable header, or
    /// a duplicate whose reply would be taken for the original's.
    pub reply: Option<Vec<Bytes>>,
}

impl Rejected {
    /// Refuses `raw` for `error`, with an error reply when one can be addressed.
    pub(super) fn new(session: &Session, raw: &RawMessage, error: BroadcastError) -> Self {
        let reply = match error {
            BroadcastError::NoClientRoute
            | BroadcastError::MissingMsgId
            | BroadcastError::DuplicateRequest(_) => None,
            _ => error_reply(session, raw, &error),
        };
        Rejected { error, reply }
    }
}

/// An `apply_reply` carrying `error`, answering `raw` by its own msg_id: the key under which a
/// coalescing client waits. Controller errors are always `apply_reply`s with empty metadata
/// and an empty `engine_info`, as stock's schedulers send them: the client then expects no
/// output from an engine and completes the result at once.
fn error_reply(session: &Session, raw: &RawMessage, error: &BroadcastError) -> Option<Vec<Bytes>> {
    if raw.idents.is_empty() {
        return None;
    }
    let parent: Header = serde_json::from_slice(&raw.header).ok()?;
    if parent.msg_id.is_empty() {
        return None;
    }
    let (ename, evalue) = (error.ename(), error.evalue());
    let content = json!({
        "status": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": [format!("{ename}: {evalue}")],
        "engine_info": {},
    });
    let reply = session
        .msg(MsgType::ApplyReply, content)
        .with_parent(&parent)
        .with_idents(raw.idents.clone());
    Some(session.serialize(&reply))
}
