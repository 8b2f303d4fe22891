//! The broadcast scheduler: one client message in, one copy per engine out, and the replies
//! back either one by one or merged into one.
//!
//! Stock ipyparallel runs this as a binary tree of scheduler processes so that no single
//! process sends every copy. This controller is one process, so a single root fans out
//! directly; what stays from the tree is the engine side of it: an engine with id `k`
//! connects to the leaf socket `broadcast[k % nleaves]`, so each copy goes out on that leaf.
//!
//! The scheduler does no IO. The controller's IO layer hands it the messages its sockets
//! received (signatures already checked) and sends the frames it returns:
//!
//! - [`BroadcastScheduler::request`]: a client's request → one [`ToEngine`] per target;
//! - [`BroadcastScheduler::reply`]: an engine's reply → frames for the client, now or, for a
//!   coalescing request, once every target has answered;
//! - [`BroadcastScheduler::engine_lost`]: forget what can no longer complete.
//!
//! State is kept only for coalescing requests that are still collecting replies.

mod coalesce;
mod error;
mod lost;
mod rejection;
mod request;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use px_wire::{RawMessage, Session};
use serde_json::Value;

pub use error::BroadcastError;
pub use rejection::Rejected;

use coalesce::Coalescing;
use lost::LostEngines;
use request::{json_object, BroadcastRequest, Target};

use crate::ids::{EngineUuid, MsgId};

/// Stock's default number of engine-facing broadcast sockets (a tree of depth 1).
pub const DEFAULT_BROADCAST_LEAVES: NonZeroUsize = match NonZeroUsize::new(2) {
    Some(n) => n,
    None => unreachable!(),
};

/// One engine's copy of a broadcast request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToEngine {
    /// Which engine-facing broadcast socket to send on: the one the engine connected to.
    pub leaf: usize,
    /// The engine addressed.
    pub engine: EngineUuid,
    /// The frames to send; the first is the engine's routing id, then the client's routing
    /// frames (the engine copies them back on its reply).
    pub frames: Vec<Bytes>,
}

/// Routes broadcast requests to engines and their replies back to clients.
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use px_controller::{BroadcastScheduler, DEFAULT_BROADCAST_LEAVES};
/// use px_wire::{MsgType, Session, Signer};
/// use serde_json::json;
///
/// let signer = || Signer::new(b"key", "hmac-sha256").unwrap();
/// let controller = Arc::new(Session::new(signer()));
/// let mut scheduler = BroadcastScheduler::new(controller, DEFAULT_BROADCAST_LEAVES);
///
/// // A client asks engines 0 and 1 to apply a function, one reply each.
/// let client = Session::new(signer());
/// let targets = json!([
///     ["8d84289d-719a33a0cfef5df124d2a73d", 0],
///     ["0064e1a2-5b1f3c9d8e7f6a5b4c3d2e1f", 1],
/// ]);
/// let metadata = json!({"targets": targets, "is_broadcast": true, "is_coalescing": false});
/// let request = client
///     .msg(MsgType::ApplyRequest, json!({}))
///     .with_metadata(metadata.as_object().unwrap().clone())
///     .with_idents(vec![Bytes::from_static(b"client")]);
///
/// let copies = scheduler.request(client.sign(&request))?;
/// assert_eq!(copies.len(), 2);
/// assert_eq!(copies[1].leaf, 1); // engine 1 listens on broadcast[1 % 2]
/// assert_eq!(
///     copies[0].frames[0].as_ref(),
///     b"8d84289d-719a33a0cfef5df124d2a73d", // routed to the engine
/// );
/// # Ok::<(), px_controller::Rejected>(())
/// ```
#[derive(Debug)]
pub struct BroadcastScheduler {
    session: Arc<Session>,
    nleaves: NonZeroUsize,
    /// Coalescing requests still collecting replies, by `original_msg_id`.
    coalescing: HashMap<MsgId, Coalescing>,
    lost: LostEngines,
}

impl BroadcastScheduler {
    /// A scheduler signing with `session` (the key engines and clients share), for engines
    /// spread over `nleaves` engine-facing sockets.
    pub fn new(session: Arc<Session>, nleaves: NonZeroUsize) -> Self {
        BroadcastScheduler {
            session,
            nleaves,
            coalescing: HashMap::new(),
            lost: LostEngines::default(),
        }
    }

    /// How many engine-facing broadcast sockets there are (the length of `broadcast` in the
    /// engine connection file).
    pub fn nleaves(&self) -> usize {
        self.nleaves.get()
    }

    /// The engine-facing socket an engine with `id` connects to.
    pub fn leaf_of(&self, id: crate::ids::EngineId) -> usize {
        id.0 as usize % self.nleaves.get()
    }

    /// How many coalescing requests are still collecting replies.
    pub fn pending(&self) -> usize {
        self.coalescing.len()
    }

    /// Fans a client's request out to its targets.
    ///
    /// `raw` is the request as the client-facing socket received it, signature checked:
    /// `raw.idents` are the client's routing frames. Each engine gets a copy whose
    /// `header.msg_id` is `<original_msg_id>_<engine uuid>` (what a non-coalescing client
    /// waits under), whose metadata carries `original_msg_id` and, as `targets`, the targets
    /// on that engine's leaf; header and metadata are re-serialized and re-signed, while
    /// parent, content and buffers are the client's bytes, shared rather than copied.
    ///
    /// Engines lost lately are skipped: the client fails its own requests to an engine when
    /// it hears of the loss. A coalescing request naming one is sent to the others but not
    /// collected, since its merged reply could never be whole.
    pub fn request(&mut self, raw: RawMessage) -> Result<Vec<ToEngine>, Rejected> {
        if raw.idents.is_empty() {
            return Err(Rejected::new(
                &self.session,
                &raw,
                BroadcastError::NoClientRoute,
            ));
        }
        let parsed = match BroadcastRequest::parse(&raw) {
            Ok(parsed) => parsed,
            Err(error) => return Err(Rejected::new(&self.session, &raw, error)),
        };
        if parsed.is_coalescing {
            let error = if parsed.targets.is_empty() {
                Some(BroadcastError::NoTargets)
            } else if self.coalescing.contains_key(&parsed.original_msg_id) {
                Some(BroadcastError::DuplicateRequest(
                    parsed.original_msg_id.clone(),
                ))
            } else {
                None
            };
            if let Some(error) = error {
                return Err(Rejected::new(&self.session, &raw, error));
            }
        }
        let BroadcastRequest {
            mut header,
            mut metadata,
            original_msg_id,
            mut targets,
            is_coalescing,
        } = parsed;

        // Stock's tree delivers coalesced results leaf by leaf, in leaf order, keeping the
        // client's order within a leaf; a stable sort by leaf gives the same order here.
        targets.sort_by_key(|t| self.leaf_of(t.id));

        let mut out = Vec::with_capacity(targets.len());
        for group in targets.chunk_by(|a, b| self.leaf_of(a.id) == self.leaf_of(b.id)) {
            let subset = group.iter().map(Target::pair).collect();
            metadata.insert("targets".to_owned(), Value::Array(subset));
            let leaf_metadata = to_json(&metadata);
            for target in group.iter().filter(|t| !self.lost.contains(&t.uuid)) {
                header.insert(
                    "msg_id".to_owned(),
                    Value::String(format!("{original_msg_id}_{}", target.uuid)),
                );
                out.push(self.engine_copy(&raw, target, to_json(&header), leaf_metadata.clone()));
            }
        }

        if is_coalescing && !targets.iter().any(|t| self.lost.contains(&t.uuid)) {
            self.coalescing
                .insert(original_msg_id, Coalescing::new(raw.idents, targets));
        }
        Ok(out)
    }

    fn engine_copy(
        &self,
        raw: &RawMessage,
        target: &Target,
        header: Bytes,
        metadata: Bytes,
    ) -> ToEngine {
        let signature =
            self.session
                .signer()
                .sign([&header, &raw.parent_header, &metadata, &raw.content]);
        let mut idents = Vec::with_capacity(raw.idents.len() + 1);
        idents.push(target.uuid.routing_id());
        idents.extend(raw.idents.iter().cloned());
        let copy = RawMessage {
            idents,
            signature: Bytes::from(signature),
            header,
            parent_header: raw.parent_header.clone(),
            metadata,
            content: raw.content.clone(),
            buffers: raw.buffers.clone(),
        };
        ToEngine {
            leaf: self.leaf_of(target.id),
            engine: target.uuid.clone(),
            frames: copy.into_frames(),
        }
    }

    /// Takes an engine's reply; returns frames for the client-facing socket (client routing
    /// frames first) when there is something to send.
    ///
    /// `raw` is the reply as a leaf socket received it, signature checked: `raw.idents[0]` is
    /// the engine's routing id, the rest route to the client. A non-coalescing reply (by its
    /// `metadata.is_coalescing`, which engines copy from the request) goes to the client at
    /// once with its bytes unchanged, so its engine's signature still holds. A coalescing
    /// reply is kept until every target of its `original_msg_id` has answered; the last one
    /// then yields a single re-signed reply whose `metadata.broadcast_targets` lists the
    /// `[uuid, id]` pairs and whose buffers are every engine's, in that same order.
    pub fn reply(&mut self, mut raw: RawMessage) -> Result<Option<Vec<Bytes>>, BroadcastError> {
        let engine = match raw.idents.first() {
            Some(frame) => {
                EngineUuid::from_routing_id(frame).ok_or(BroadcastError::NoEngineFrame)?
            }
            None => return Err(BroadcastError::NoEngineFrame),
        };
        let metadata = json_object("reply metadata", &raw.metadata)?;
        let is_coalescing = metadata
            .get("is_coalescing")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !is_coalescing {
            raw.idents.remove(0);
            if raw.idents.is_empty() {
                return Err(BroadcastError::NoReplyRoute { engine });
            }
            return Ok(Some(raw.into_frames()));
        }
        let Some(Value::String(original_msg_id)) = metadata.get("original_msg_id") else {
            return Err(BroadcastError::MissingOriginalMsgId { engine });
        };
        let original_msg_id = original_msg_id.clone();
        let Some(entry) = self.coalescing.get_mut(&original_msg_id) else {
            return Err(BroadcastError::UnknownRequest {
                engine,
                original_msg_id,
            });
        };
        match entry.record(&engine, raw, metadata) {
            Err(_) => Err(BroadcastError::UnexpectedReply {
                engine,
                original_msg_id,
            }),
            Ok(false) => Ok(None),
            Ok(true) => Ok(self
                .coalescing
                .remove(&original_msg_id)
                .map(|entry| entry.merge(self.session.signer()))),
        }
    }

    /// Forgets an engine that is gone; returns the coalescing requests dropped because they
    /// were still waiting for it.
    ///
    /// Those requests are dropped, not completed with the replies they have: the client has
    /// already failed them with an EngineError of its own when it heard of the loss (as it
    /// does with stock, whose scheduler does nothing here), and a late merged reply would only
    /// be reported to the user as a stale result. Requests the engine had already answered
    /// are kept, and complete when their other engines answer.
    pub fn engine_lost(&mut self, engine: &EngineUuid) -> Vec<MsgId> {
        self.lost.insert(engine);
        let dropped: Vec<MsgId> = self
            .coalescing
            .iter()
            .filter(|(_, entry)| entry.waits_for(engine))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &dropped {
            self.coalescing.remove(id);
        }
        dropped
    }
}

/// JSON bytes of a header or metadata map (serializing a `serde_json` map cannot fail).
fn to_json(map: &serde_json::Map<String, Value>) -> Bytes {
    Bytes::from(serde_json::to_vec(map).unwrap_or_else(|_| b"{}".to_vec()))
}
