//! Engines joining and leaving (§4): `registration_request`, the first heartbeat that
//! completes it, `unregistration_request`, a stopped heart, an engine's `shutdown_reply`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use px_wire::{Message, MsgType};
use serde_json::json;

use crate::core::{Core, Via};
use crate::errors::ControllerError;
use crate::hub::heartbeat::Pong;
use crate::ids::{EngineId, EngineUuid};

/// When a registration notification is published once more. A stock client subscribes to
/// notifications only after the hub has answered its `connection_request`, so an engine
/// that registers in between is in neither the answer nor a notification it receives, and
/// the client never learns of it. Engines that register within a few milliseconds of
/// starting (ours do) land in that gap as a rule; clients take the repeat as a no-op.
const RENOTIFY_AFTER: Duration = Duration::from_millis(500);

impl Core {
    /// `registration_request {uuid[, id]}`: gives the engine an id and the ports; the
    /// registration completes at its first heartbeat.
    pub(crate) fn on_registration_request(&mut self, request: &Message) {
        let uuid = request.content.get("uuid").and_then(|u| u.as_str());
        let requested = request.content.get("id").and_then(|i| i.as_u64());
        let result = match uuid {
            Some(uuid) if !uuid.is_empty() => {
                let requested = requested.and_then(|id| u32::try_from(id).ok());
                self.engines
                    .register(EngineUuid(uuid.to_owned()), requested, Instant::now())
                    .map_err(|e| ControllerError::new("KeyError", e.to_string()))
            }
            _ => Err(ControllerError::new(
                "KeyError",
                "registration_request has no uuid",
            )),
        };
        let content = match result {
            Ok(id) => {
                tracing::info!("engine {} registering as {id}", uuid.unwrap_or_default());
                json!({
                    "status": "ok",
                    "id": id.0,
                    "hb_period": self.hearts.period().as_millis() as u64,
                    "connection_info": self.engine_ports.clone(),
                })
            }
            Err(error) => {
                tracing::warn!("registration refused: {}", error.evalue);
                error.content()
            }
        };
        // The registration reply has no parent (§4.3).
        let reply = self
            .session
            .msg(MsgType::RegistrationReply, content)
            .with_idents(request.idents.clone());
        self.send(Via::Registration, &reply);
    }

    /// `unregistration_request {id}`: no reply (§4.7).
    pub(crate) async fn on_unregistration_request(&mut self, request: &Message) {
        let id = request
            .content
            .get("id")
            .and_then(|i| i.as_u64())
            .and_then(|i| u32::try_from(i).ok())
            .map(EngineId);
        let uuid = id
            .and_then(|id| self.engines.uuid(id).cloned())
            .or_else(|| {
                // A stock engine giving up on a registration sends `id: null` from the
                // registration socket, whose identity is its uuid.
                request
                    .idents
                    .first()
                    .and_then(|i| EngineUuid::from_routing_id(i))
            });
        match uuid {
            Some(uuid) => self.unregister(&uuid, "it asked to").await,
            None => self.stats.unusable(
                crate::core::Source::Registration,
                "unregistration_request for no known engine",
            ),
        }
    }

    /// `[identity, payload]` on the pong socket.
    pub(crate) async fn on_pong(&mut self, frames: Vec<Bytes>) {
        let [identity, payload] = frames.as_slice() else {
            self.stats.unusable(
                crate::core::Source::HbPong,
                "a pong that is not [identity, payload]",
            );
            return;
        };
        if self.hearts.pong(identity, payload) != Pong::New {
            return;
        }
        let Some(uuid) = EngineUuid::from_routing_id(identity) else {
            return;
        };
        if let Some(id) = self.engines.complete(&uuid) {
            self.engine_joined(id, uuid).await;
        }
    }

    async fn engine_joined(&mut self, id: EngineId, uuid: EngineUuid) {
        tracing::info!("engine {id} ({uuid}) registered");
        self.notify(
            MsgType::RegistrationNotification,
            json!({"id": id.0, "uuid": uuid.as_str()}),
        )
        .await;
        self.renotify
            .push_back((Instant::now() + RENOTIFY_AFTER, id, uuid.clone()));
        self.scheduler_engine_joined(&uuid);
    }

    /// Publishes again the registration notifications that are due, for engines still
    /// registered under the same id.
    pub(crate) async fn renotify_due(&mut self, now: Instant) {
        while self.renotify.front().is_some_and(|(at, _, _)| *at <= now) {
            let Some((_, id, uuid)) = self.renotify.pop_front() else {
                break;
            };
            if self.engines.id(&uuid) == Some(id) {
                self.notify(
                    MsgType::RegistrationNotification,
                    json!({"id": id.0, "uuid": uuid.as_str()}),
                )
                .await;
            }
        }
    }

    /// A regular heartbeat: stopped hearts are unregistered, stalled registrations dropped.
    pub(crate) async fn beat(&mut self) {
        let now = Instant::now();
        let beat = self.hearts.beat(now);
        self.publish_ping(beat.ping).await;
        for heart in beat.stopped {
            if let Some(uuid) = EngineUuid::from_routing_id(&heart) {
                if self.engines.id(&uuid).is_some() {
                    self.unregister(&uuid, "its heart stopped").await;
                }
            }
        }
        if let Some(cutoff) = now.checked_sub(self.registration_timeout) {
            for (uuid, id) in self.engines.expire_pending(cutoff) {
                tracing::warn!("engine {id} ({uuid}) never sent a heartbeat; registration dropped");
            }
        }
    }

    /// Removes an engine and tells everyone: clients (notification), the schedulers, the
    /// result store. Unknown uuids are ignored (an engine may be reported gone twice).
    pub(crate) async fn unregister(&mut self, uuid: &EngineUuid, why: &str) {
        let Some((id, was_registered)) = self.engines.remove(uuid) else {
            return;
        };
        self.hearts.forget(uuid.as_str().as_bytes());
        if !was_registered {
            tracing::info!("registration of engine {id} ({uuid}) cancelled: {why}");
            return;
        }
        tracing::info!("engine {id} ({uuid}) unregistered: {why}");
        self.notify(
            MsgType::UnregistrationNotification,
            json!({"id": id.0, "uuid": uuid.as_str()}),
        )
        .await;
        self.scheduler_engine_left(uuid);
        self.broadcast_engine_left(uuid);
        self.results_engine_left(id, uuid);
        let routing = uuid.routing_id();
        self.out.mux_engine.forget(&routing);
        self.out.control_engine.forget(&routing);
    }
}
