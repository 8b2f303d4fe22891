//! The load-balanced task scheduler on its sockets (§7.4): client requests go in, the
//! scheduler's actions come out as frames to engines and replies to clients, and the hub
//! records each step.

use std::time::Instant;

use bytes::Bytes;
use px_wire::{format_iso, Header, Message, MsgType, RawMessage};
use serde_json::Map;

use crate::core::{Core, Source, Via};
use crate::db::Queue;
use crate::ids::EngineUuid;
use crate::task::{Action, Failure, ReplyOutcome, Task, TaskMetadata};

/// The routing frame of requests the hub itself submits (`resubmit_request`): their
/// replies are recorded, not sent anywhere (no client waits for them on this socket).
pub const HUB_CLIENT: &[u8] = b"\0pxcontroller-hub";

impl Core {
    /// A load-balanced request `[client, <IDS|MSG>, ...]`.
    pub(crate) fn on_task_request(&mut self, frames: Vec<Bytes>) {
        let Some(raw) = self.verified(Source::TaskClient, frames, Some(Via::TaskClient), 1) else {
            return;
        };
        if raw.idents.is_empty() {
            self.stats.unusable(
                Source::TaskClient,
                "a task without the client's routing frame",
            );
            return;
        }
        self.submit_task(raw);
    }

    /// A request the hub resubmits: it goes through the scheduler like a client's.
    pub(crate) fn submit_from_hub(&mut self, msg: &Message) {
        let mut raw = self.session.sign(msg);
        raw.idents = vec![Bytes::from_static(HUB_CLIENT)];
        self.submit_task(raw);
    }

    fn submit_task(&mut self, raw: RawMessage) {
        // Parsed once: the scheduler reads header and metadata, the store the rest.
        let request = match Message::parse(raw.clone()) {
            Ok(msg) if !msg.header.msg_id.is_empty() => msg,
            _ => {
                self.stats
                    .unusable(Source::TaskClient, "a task that is not a readable message");
                return;
            }
        };
        if self.task_disabled {
            self.task_error(
                &raw,
                &request.header,
                "RuntimeError",
                "this controller runs no task scheduler (--scheme=none)",
            );
            return;
        }
        let metadata = match TaskMetadata::from_json(&request.metadata) {
            Ok(m) => m,
            Err(e) => {
                self.task_error(&raw, &request.header, "ValueError", &e.to_string());
                return;
            }
        };
        self.record_submission(Queue::Task, &request, None);
        let task = Task {
            msg_id: request.header.msg_id,
            payload: raw,
            metadata,
        };
        let actions = self.task.submit(task, Instant::now());
        self.carry_out(actions, None);
    }

    /// An engine's reply `[engine, client, <IDS|MSG>, ...]`.
    pub(crate) fn on_task_reply(&mut self, frames: Vec<Bytes>) {
        let Some(raw) = self.verified(Source::TaskEngine, frames, None, 0) else {
            return;
        };
        let engine = raw
            .idents
            .first()
            .and_then(|i| EngineUuid::from_routing_id(i));
        let reply = Message::parse(raw.clone()).ok();
        let parent_id = reply
            .as_ref()
            .and_then(|r| r.parent_msg_id())
            .map(str::to_owned);
        let (Some(engine), Some(reply), Some(parent_id), true) =
            (engine, reply, parent_id, raw.idents.len() >= 2)
        else {
            self.stats.unusable(
                Source::TaskEngine,
                "a reply without engine, client or readable parent",
            );
            return;
        };
        let outcome = ReplyOutcome::from_metadata(&reply.metadata);
        let actions = self
            .task
            .reply(&engine, &parent_id, outcome, Instant::now());
        self.carry_out(actions, Some((engine, raw, reply)));
    }

    /// Timeouts and dead engines' tasks that are due.
    pub(crate) fn task_tick(&mut self) {
        let actions = self.task.tick(Instant::now());
        self.carry_out(actions, None);
    }

    /// An engine joined: queued tasks may run on it.
    pub(crate) fn scheduler_engine_joined(&mut self, uuid: &EngineUuid) {
        let actions = self.task.add_engine(uuid.clone());
        self.carry_out(actions, None);
    }

    /// An engine left: its tasks fail (or are retried) once the grace period is over.
    pub(crate) fn scheduler_engine_left(&mut self, uuid: &EngineUuid) {
        let actions = self.task.remove_engine(uuid, Instant::now());
        self.carry_out(actions, None);
        self.out.task_engine.forget(uuid.as_str().as_bytes());
    }

    /// Tasks outstanding on an engine.
    pub(crate) fn scheduler_load(&self, uuid: &EngineUuid) -> usize {
        self.task.load(uuid).unwrap_or(0)
    }

    /// Does what the scheduler decided. `reply` is the engine reply being handled (as
    /// received, and parsed), which a `Deliver` forwards.
    fn carry_out(
        &mut self,
        actions: Vec<Action<RawMessage>>,
        mut reply: Option<(EngineUuid, RawMessage, Message)>,
    ) {
        for action in actions {
            match action {
                Action::Run {
                    engine,
                    msg_id,
                    payload,
                } => {
                    let mut frames = Vec::with_capacity(payload.idents.len() + 8);
                    frames.push(engine.routing_id());
                    frames.extend(payload.into_frames());
                    self.out.task_engine.send(frames);
                    self.record_assignment(&msg_id, &engine);
                }
                Action::Deliver { .. } => {
                    let Some((engine, raw, parsed)) = reply.take() else {
                        continue;
                    };
                    self.record_completion(&parsed, Some(&engine));
                    let mut frames = raw.into_frames();
                    frames.swap(0, 1);
                    self.send_to_task_client(frames);
                }
                Action::Fail {
                    payload, failure, ..
                } => self.task_failure(&payload, &failure),
            }
        }
    }

    /// The scheduler's own answer: an `apply_reply` error, parent = the request (§7.4).
    fn task_failure(&mut self, request: &RawMessage, failure: &Failure) {
        let Ok(header) = serde_json::from_slice::<Header>(&request.header) else {
            return;
        };
        let mut msg = self
            .session
            .msg(MsgType::ApplyReply, failure.error_content())
            .with_parent(&header);
        let mut idents: Vec<Bytes> = request.idents.iter().take(1).cloned().collect();
        if let Failure::EngineDied { engine, .. } = failure {
            // Stock sends it down the normal result path: with the engine's frame and
            // metadata naming it.
            let mut metadata = Map::new();
            metadata.insert("status".into(), "error".into());
            metadata.insert("engine".into(), engine.as_str().into());
            metadata.insert("date".into(), format_iso(chrono::Utc::now()).into());
            msg = msg.with_metadata(metadata);
            idents.push(engine.routing_id());
        }
        let msg = msg.with_idents(idents);
        let engine = match failure {
            Failure::EngineDied { engine, .. } => Some(engine.clone()),
            _ => None,
        };
        self.record_completion(&msg, engine.as_ref());
        let frames = self.session.serialize(&msg);
        self.send_to_task_client(frames);
    }

    /// A refused request (bad metadata, no scheduler): an `apply_reply` error at once.
    fn task_error(&mut self, request: &RawMessage, header: &Header, ename: &str, evalue: &str) {
        let content = crate::errors::ControllerError::new(ename, evalue).content();
        let msg = self
            .session
            .msg(MsgType::ApplyReply, content)
            .with_parent(header)
            .with_idents(request.idents.iter().take(1).cloned().collect());
        let frames = self.session.serialize(&msg);
        self.send_to_task_client(frames);
    }

    fn send_to_task_client(&mut self, frames: Vec<Bytes>) {
        if frames.first().is_some_and(|f| f.as_ref() == HUB_CLIENT) {
            return;
        }
        self.out.task_client.send(frames);
    }
}
