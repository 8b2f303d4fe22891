//! The scheduler between real sessions: a client, the controller and engines all sign and
//! verify with one key, as on a cluster.

use std::num::NonZeroUsize;
use std::sync::Arc;

use bytes::Bytes;
use px_wire::{Message, MsgType, RawMessage, Session, Signer, WireError, DEFAULT_SCHEME};
use serde_json::{json, Map, Value};

use super::*;
use crate::ids::EngineId;

const KEY: &[u8] = b"0c3b5e52-0d3a1a1c9a8a4e1f9d2b7c66";
const CLIENT_ID: &[u8] = b"\x00k\x8bEg";
const LEAF_IDENTITY: &[u8] = b"sub_scheduler_00";

fn signer() -> Signer {
    Signer::new(KEY, DEFAULT_SCHEME).expect("sha256 is supported")
}

struct Engine {
    uuid: EngineUuid,
    id: EngineId,
    session: Session,
}

fn engines(n: u32) -> Vec<Engine> {
    (0..n)
        .map(|id| {
            let uuid = px_wire::new_id();
            Engine {
                uuid: EngineUuid(uuid.clone()),
                id: EngineId(id),
                session: Session::with_id(signer(), uuid),
            }
        })
        .collect()
}

struct Cluster {
    client: Session,
    controller: Arc<Session>,
    scheduler: BroadcastScheduler,
    engines: Vec<Engine>,
}

fn cluster(n: u32, nleaves: usize) -> Cluster {
    let controller = Arc::new(Session::new(signer()));
    let nleaves = NonZeroUsize::new(nleaves).expect("at least one leaf");
    Cluster {
        client: Session::new(signer()),
        scheduler: BroadcastScheduler::new(controller.clone(), nleaves),
        controller,
        engines: engines(n),
    }
}

fn pairs(engines: &[&Engine]) -> Value {
    engines
        .iter()
        .map(|e| json!([e.uuid.as_str(), e.id.0]))
        .collect()
}

impl Cluster {
    fn engine(&self, uuid: &EngineUuid) -> &Engine {
        self.engines
            .iter()
            .find(|e| &e.uuid == uuid)
            .expect("a known engine")
    }

    /// A request as the client-facing socket receives it, with its signature checked.
    fn request_with(&self, metadata: Value, buffers: Vec<Bytes>) -> (Message, RawMessage) {
        let Value::Object(metadata) = metadata else {
            panic!("metadata must be an object")
        };
        let msg = self
            .client
            .msg(MsgType::ApplyRequest, json!({}))
            .with_metadata(metadata)
            .with_buffers(buffers)
            .with_idents(vec![Bytes::from_static(CLIENT_ID)]);
        let raw = self.client.sign(&msg);
        self.controller.verify(&raw).expect("the client signed it");
        (msg, raw)
    }

    fn request(&self, targets: &[&Engine], coalescing: bool) -> (Message, RawMessage) {
        let buffers = vec![
            Bytes::from_static(b"pickled function"),
            Bytes::from(vec![7u8; 4096]),
        ];
        self.request_with(
            json!({"targets": pairs(targets), "is_broadcast": true, "is_coalescing": coalescing}),
            buffers,
        )
    }

    /// What the engine's shell socket hands the engine for `copy`: the leaf socket's identity
    /// replaces the engine's routing frame.
    fn engine_receives(&self, copy: &ToEngine) -> Message {
        let mut frames = copy.frames.clone();
        frames[0] = Bytes::from_static(LEAF_IDENTITY);
        self.engine(&copy.engine)
            .session
            .deserialize(frames)
            .expect("the engine accepts its copy")
    }

    /// The engine's reply to `request` as the leaf socket receives it, signature checked.
    fn engine_reply(
        &self,
        engine: &Engine,
        request: &Message,
        status: &str,
        buffers: Vec<Bytes>,
    ) -> RawMessage {
        let md = &request.metadata;
        let metadata = json!({
            "started": "2026-11-23T06:55:03.186773Z",
            "dependencies_met": true,
            "engine": engine.uuid.as_str(),
            "is_broadcast": md.get("is_broadcast").cloned().unwrap_or(json!(false)),
            "is_coalescing": md.get("is_coalescing").cloned().unwrap_or(json!(false)),
            "original_msg_id": md.get("original_msg_id").cloned().unwrap_or(json!("")),
            "label": null,
            "status": status,
        });
        let Value::Object(metadata) = metadata else {
            unreachable!()
        };
        let content = if status == "ok" {
            json!({"status": "ok"})
        } else {
            json!({"status": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
                   "traceback": [], "engine_info": {"engine_uuid": engine.uuid.as_str(),
                   "engine_id": engine.id.0, "method": "apply"}})
        };
        let reply = engine
            .session
            .reply(request, MsgType::ApplyReply, content)
            .with_metadata(metadata)
            .with_buffers(buffers);
        let mut raw = engine.session.sign(&reply);
        raw.idents[0] = engine.uuid.routing_id();
        self.controller.verify(&raw).expect("the engine signed it");
        raw
    }

    /// What the client's DEALER receives for frames sent on the client-facing socket.
    fn client_receives(&self, frames: Vec<Bytes>) -> Result<Message, WireError> {
        assert_eq!(frames[0].as_ref(), CLIENT_ID, "routed to the client");
        self.client.deserialize(frames[1..].to_vec())
    }
}

fn metadata_of(frames: &[Bytes]) -> Map<String, Value> {
    let raw = RawMessage::from_frames(frames.to_vec()).expect("a message");
    serde_json::from_slice(&raw.metadata).expect("JSON metadata")
}

/// Sends a coalescing request to all engines and returns each engine's copy, parsed.
fn coalescing_round(c: &mut Cluster, targets: &[usize]) -> (Message, Vec<(usize, Message)>) {
    let chosen: Vec<&Engine> = targets.iter().map(|&i| &c.engines[i]).collect();
    let (msg, raw) = c.request(&chosen, true);
    let out = c.scheduler.request(raw).unwrap();
    let copies = out
        .iter()
        .map(|copy| {
            let index = c
                .engines
                .iter()
                .position(|e| e.uuid == copy.engine)
                .unwrap();
            (index, c.engine_receives(copy))
        })
        .collect();
    (msg, copies)
}

fn rejected(c: &mut Cluster, metadata: Value) -> Rejected {
    let (_, raw) = c.request_with(metadata, vec![]);
    c.scheduler.request(raw).expect_err("refused")
}

mod fan_out;
mod refusals;
mod replies;
