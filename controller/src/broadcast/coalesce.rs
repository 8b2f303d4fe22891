//! A coalescing request collecting its engines' replies, and the one reply they become.
//!
//! The stock client reads a coalesced reply as: match it by `metadata.original_msg_id`, take
//! engine uuids and ids from `metadata.broadcast_targets` (`[uuid, id]` pairs), and
//! deserialize objects from the buffers until they run out. So the pairs and the buffers
//! must come in the same order, and everything else is one engine's reply.

use std::collections::HashMap;

use bytes::Bytes;
use px_wire::{RawMessage, Signer};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::request::Target;
use crate::ids::EngineUuid;

/// One coalescing request in flight: what it still waits for and what has come back.
///
/// Holds only references to received frames (`Bytes`), so a large result is never copied
/// while it waits for the slower engines.
#[derive(Debug)]
pub(super) struct Coalescing {
    /// Routing frames back to the client.
    client: Vec<Bytes>,
    /// The engines, in the order of `broadcast_targets` and of the merged buffers.
    targets: Vec<Target>,
    /// Where each engine's reply goes in `answers`.
    slots: HashMap<EngineUuid, usize>,
    answers: Vec<Option<Answer>>,
    remaining: usize,
    /// The slot of the latest reply.
    last: usize,
}

/// One engine's reply, routing frames dropped.
#[derive(Debug)]
struct Answer {
    raw: RawMessage,
    metadata: Map<String, Value>,
    ok: bool,
}

/// The reply came from an engine this request is not (or no longer) waiting for.
#[derive(Debug)]
pub(super) struct NotWaiting;

impl Coalescing {
    /// Starts collecting for `targets` (at least one, each once), in reply order.
    pub fn new(client: Vec<Bytes>, targets: Vec<Target>) -> Self {
        let slots = targets
            .iter()
            .enumerate()
            .map(|(slot, t)| (t.uuid.clone(), slot))
            .collect();
        let answers = targets.iter().map(|_| None).collect();
        Coalescing {
            client,
            remaining: targets.len(),
            targets,
            slots,
            answers,
            last: 0,
        }
    }

    /// Whether `engine` is a target that has not answered yet.
    pub fn waits_for(&self, engine: &EngineUuid) -> bool {
        self.slots
            .get(engine)
            .is_some_and(|&slot| self.answers[slot].is_none())
    }

    /// Keeps `engine`'s reply; `Ok(true)` once every target has answered.
    pub fn record(
        &mut self,
        engine: &EngineUuid,
        mut raw: RawMessage,
        metadata: Map<String, Value>,
    ) -> Result<bool, NotWaiting> {
        let slot = match self.slots.get(engine) {
            Some(&slot) if self.answers[slot].is_none() => slot,
            _ => return Err(NotWaiting),
        };
        raw.idents.clear();
        let ok = reply_is_ok(&raw.content);
        self.answers[slot] = Some(Answer { raw, metadata, ok });
        self.remaining -= 1;
        self.last = slot;
        Ok(self.remaining == 0)
    }

    /// The merged reply for the client, signed with `signer`: frames for the client-facing
    /// socket, client routing frames first.
    ///
    /// Stock copies the reply that arrived last. Here the first failed reply (in target
    /// order) is copied when there is one, so that a failure always reaches the client as
    /// an error instead of depending on which engine was slowest; with no failure, the last
    /// reply is copied, as stock does. Call only once `record` returned `Ok(true)`.
    pub fn merge(self, signer: &Signer) -> Vec<Bytes> {
        if self.remaining != 0 {
            // Not every target has answered: there is nothing whole to send.
            return Vec::new();
        }
        let mut answers: Vec<Answer> = self.answers.into_iter().flatten().collect();
        let pick = answers.iter().position(|a| !a.ok).unwrap_or(self.last);
        if pick >= answers.len() {
            return Vec::new();
        }
        let buffers: Vec<Bytes> = answers
            .iter()
            .flat_map(|a| a.raw.buffers.iter().cloned())
            .collect();
        let pairs = self.targets.iter().map(Target::pair).collect();
        let base = answers.swap_remove(pick);
        let mut metadata = base.metadata;
        metadata.insert("broadcast_targets".to_owned(), Value::Array(pairs));
        let metadata = super::to_json(&metadata);
        let signature = signer.sign([
            &base.raw.header,
            &base.raw.parent_header,
            &metadata,
            &base.raw.content,
        ]);
        RawMessage {
            idents: self.client,
            signature: Bytes::from(signature),
            header: base.raw.header,
            parent_header: base.raw.parent_header,
            metadata,
            content: base.raw.content,
            buffers,
        }
        .into_frames()
    }
}

/// Whether a reply's `content.status` is `ok` (an unreadable content counts as ok: it gets
/// no preference as the copied reply).
fn reply_is_ok(content: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Status {
        status: Option<String>,
    }
    match serde_json::from_slice::<Status>(content) {
        Ok(Status {
            status: Some(status),
        }) => status == "ok",
        _ => true,
    }
}
