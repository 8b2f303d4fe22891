//! The controller's one loop: every socket's reader hands its messages here, in arrival
//! order, and this loop owns all state (engine table, heartbeats, schedulers, results).
//!
//! One owner means no locks and a single order of events (a request is recorded before its
//! reply, an engine is unregistered before its tasks are failed). The loop never waits on a
//! peer: sends go to per-peer [`Outbox`]es and PUB sockets, which do not block.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use px_wire::{Message, MsgType, RawMessage, Session, Socket, WireError};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::broadcast::BroadcastScheduler;
use crate::db::ResultStore;
use crate::errors::{reply_type, ControllerError};
use crate::hub::engines::Engines;
use crate::hub::heartbeat::HeartMonitor;
use crate::ids::{EngineId, EngineUuid};
use crate::outbox::Outbox;
use crate::stats::Stats;
use crate::task::TaskScheduler;

/// Which socket a message came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Registration and queries.
    Registration,
    /// Client side of the MUX.
    MuxClient,
    /// Engine side of the MUX.
    MuxEngine,
    /// Client side of control.
    ControlClient,
    /// Engine side of control.
    ControlEngine,
    /// Client side of the task scheduler.
    TaskClient,
    /// Engine side of the task scheduler.
    TaskEngine,
    /// Client side of the broadcast scheduler.
    BroadcastClient,
    /// Engine side of broadcast leaf `n`.
    BroadcastLeaf(usize),
    /// Heartbeat pongs.
    HbPong,
    /// Engines' IOPub.
    Iopub,
}

/// What readers send to the loop.
pub enum Inbound {
    /// Frames received on a socket.
    Frames(Source, Vec<Bytes>),
    /// A verified IOPub message the relay already forwarded; the hub keeps what it needs.
    Iopub(Box<Message>),
}

/// The engine-facing ports, sent in every `registration_reply`.
pub type EnginePorts = Value;

/// A client-facing socket to answer on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Registration and queries.
    Registration,
    /// MUX.
    MuxClient,
    /// Control.
    ControlClient,
    /// Task scheduler.
    TaskClient,
    /// Broadcast scheduler.
    BroadcastClient,
}

/// Sockets the loop sends on.
pub struct Outputs {
    /// Registration/query replies.
    pub registration: Outbox,
    /// To clients, MUX replies.
    pub mux_client: Outbox,
    /// To engines, MUX requests.
    pub mux_engine: Outbox,
    /// To clients, control replies.
    pub control_client: Outbox,
    /// To engines, control requests.
    pub control_engine: Outbox,
    /// To clients, task replies.
    pub task_client: Outbox,
    /// To engines, tasks.
    pub task_engine: Outbox,
    /// To clients, broadcast replies.
    pub broadcast_client: Outbox,
    /// To engines, per leaf.
    pub broadcast_leaves: Vec<Outbox>,
    /// Heartbeat pings.
    pub hb_ping: Socket,
    /// Never sent on; held so the pong socket stays whole while its reader runs.
    #[allow(dead_code)]
    pub hb_pong: px_wire::Sender,
    /// Engine (un)registration notifications.
    pub notification: Socket,
}

impl Outputs {
    /// The outbox answering on `via`.
    pub fn get(&mut self, via: Via) -> &mut Outbox {
        match via {
            Via::Registration => &mut self.registration,
            Via::MuxClient => &mut self.mux_client,
            Via::ControlClient => &mut self.control_client,
            Via::TaskClient => &mut self.task_client,
            Via::BroadcastClient => &mut self.broadcast_client,
        }
    }
}

/// Everything the loop owns.
pub struct Core {
    pub(crate) session: Arc<Session>,
    pub(crate) engines: Engines,
    pub(crate) hearts: HeartMonitor,
    pub(crate) broadcast: BroadcastScheduler,
    pub(crate) task: TaskScheduler<RawMessage>,
    /// `--scheme=none`: task requests are refused.
    pub(crate) task_disabled: bool,
    /// `None` with `--nodb`.
    pub(crate) store: Option<ResultStore>,
    pub(crate) out: Outputs,
    pub(crate) engine_ports: EnginePorts,
    pub(crate) registration_timeout: Duration,
    pub(crate) stats: Stats,
    /// Set by a hub `shutdown_request`: the loop ends soon after.
    pub(crate) shutdown_at: Option<Instant>,
    /// Registration notifications to publish once more, oldest first, with when (see
    /// `hub::registration::RENOTIFY_AFTER`).
    pub(crate) renotify: VecDeque<(Instant, EngineId, EngineUuid)>,
}

/// How often pings go out while a registration waits for its first heartbeat.
const REGISTRATION_PING: Duration = Duration::from_millis(50);

impl Core {
    /// The loop: handles messages until `inbound` closes, `stop` fires or a hub
    /// `shutdown_request` asks for it.
    pub async fn run(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        let period = self.hearts.period();
        let mut next_beat = tokio::time::Instant::now();
        let mut next_extra = tokio::time::Instant::now() + REGISTRATION_PING;
        loop {
            let wake = if self.engines.has_pending() {
                next_beat.min(next_extra)
            } else {
                next_beat
            };
            let wake = match self.task.next_deadline() {
                Some(at) => wake.min(tokio::time::Instant::from_std(at)),
                None => wake,
            };
            let wake = match self.shutdown_at {
                Some(at) => wake.min(tokio::time::Instant::from_std(at)),
                None => wake,
            };
            let wake = match self.renotify.front() {
                Some((at, _, _)) => wake.min(tokio::time::Instant::from_std(*at)),
                None => wake,
            };
            tokio::select! {
                biased;
                () = &mut stop => break,
                msg = inbound.recv() => match msg {
                    Some(Inbound::Frames(source, frames)) => self.handle(source, frames).await,
                    Some(Inbound::Iopub(msg)) => self.on_iopub(*msg).await,
                    None => break,
                },
                () = tokio::time::sleep_until(wake) => {}
            }
            let now = tokio::time::Instant::now();
            if self.shutdown_at.is_some_and(|at| Instant::now() >= at) {
                break;
            }
            self.renotify_due(Instant::now()).await;
            if self
                .task
                .next_deadline()
                .is_some_and(|at| now.into_std() >= at)
            {
                self.task_tick();
            }
            if now >= next_beat {
                self.beat().await;
                next_beat = now + period;
            } else if now >= next_extra && self.engines.has_pending() {
                let ping = self.hearts.extra_ping(now.into_std());
                self.publish_ping(ping).await;
                next_extra = now + REGISTRATION_PING;
            }
            if !self.engines.has_pending() {
                next_extra = now + REGISTRATION_PING;
            }
        }
        tracing::info!("stopping; {}", self.summary());
    }

    /// One line for the log at exit: what was refused, what could not be delivered.
    pub(crate) fn summary(&self) -> String {
        let dropped: u64 = [
            &self.out.registration,
            &self.out.mux_client,
            &self.out.mux_engine,
            &self.out.control_client,
            &self.out.control_engine,
            &self.out.task_client,
            &self.out.task_engine,
            &self.out.broadcast_client,
        ]
        .iter()
        .map(|o| o.dropped())
        .sum();
        format!(
            "refused: [{}]; dropped for peers not reading: {dropped}",
            self.stats.summary()
        )
    }

    async fn handle(&mut self, source: Source, frames: Vec<Bytes>) {
        match source {
            Source::HbPong => self.on_pong(frames).await,
            Source::Registration => self.on_registration_socket(frames).await,
            Source::MuxClient => self.on_mux_request(frames),
            Source::MuxEngine => self.on_mux_reply(frames),
            Source::ControlClient => self.on_control_request(frames),
            Source::ControlEngine => self.on_control_reply(frames),
            Source::TaskClient => self.on_task_request(frames),
            Source::TaskEngine => self.on_task_reply(frames),
            Source::BroadcastClient => self.on_broadcast_request(frames),
            Source::BroadcastLeaf(leaf) => self.on_broadcast_reply(leaf, frames),
            // IOPub comes through its relay as `Inbound::Iopub`.
            Source::Iopub => {}
        }
    }

    /// Splits and verifies frames; a message that fails is counted, logged and, if it is a
    /// request whose sender would wait, answered with an error on `answer` (addressed to the
    /// first `prefix` routing frames, the sender).
    pub(crate) fn verified(
        &mut self,
        source: Source,
        frames: Vec<Bytes>,
        answer: Option<Via>,
        prefix: usize,
    ) -> Option<RawMessage> {
        let raw = match RawMessage::from_frames(frames) {
            Ok(raw) => raw,
            Err(e) => {
                self.stats.malformed(source, &e);
                return None;
            }
        };
        match self.session.verify(&raw) {
            Ok(()) => Some(raw),
            Err(e) => {
                self.stats.rejected(source, &e);
                // A replay is a copy of a message already handled: answering it would
                // give the genuine sender a second reply.
                if let (Some(via), false) = (answer, matches!(e, WireError::DuplicateSignature)) {
                    let error = ControllerError::new(
                        "AuthenticationError",
                        format!("the controller refused this message: {e}"),
                    );
                    self.answer_error(via, &raw, prefix, &error);
                }
                None
            }
        }
    }

    /// Answers the request in `raw` with a controller error on `via`, addressed to the
    /// first `prefix` routing frames. Requests whose header cannot be read get no answer:
    /// there is nothing to match it to.
    pub(crate) fn answer_error(
        &mut self,
        via: Via,
        raw: &RawMessage,
        prefix: usize,
        error: &ControllerError,
    ) {
        let Ok(header) = serde_json::from_slice::<px_wire::Header>(&raw.header) else {
            return;
        };
        let mut reply = self
            .session
            .msg(MsgType::HubError, error.content())
            .with_parent(&header)
            .with_idents(raw.idents.iter().take(prefix).cloned().collect());
        reply.header.msg_type = reply_type(&header.msg_type);
        let frames = self.session.serialize(&reply);
        self.out.get(via).send(frames);
    }

    /// Signs and queues `msg` on `via`.
    pub(crate) fn send(&mut self, via: Via, msg: &Message) {
        let frames = self.session.serialize(msg);
        self.out.get(via).send(frames);
    }

    /// Publishes a message on the notification channel.
    pub(crate) async fn notify(&mut self, msg_type: MsgType, content: Value) {
        let msg = self.session.msg(msg_type, content);
        let frames = self.session.serialize(&msg);
        if let Err(e) = self.out.notification.send(frames).await {
            tracing::warn!("could not publish {}: {e}", msg_type.as_str());
        }
    }

    pub(crate) async fn publish_ping(&mut self, ping: Bytes) {
        if let Err(e) = self.out.hb_ping.send(vec![ping]).await {
            tracing::warn!("could not send a heartbeat: {e}");
        }
    }
}
