//! The registration socket: engines register there and clients ask the hub questions
//! (§6.2). One handler per message type; anything else gets a `hub_error`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use px_wire::{Message, MsgType};
use serde_json::{json, Map, Value};

use crate::core::{Core, Source, Via};
use crate::errors::ControllerError;

/// How long after a hub `shutdown_request` the controller exits (stock: 1 s), so the reply
/// and the notification leave first.
const SHUTDOWN_DELAY: Duration = Duration::from_secs(1);

impl Core {
    /// Everything that arrives on the registration socket.
    pub(crate) async fn on_registration_socket(&mut self, frames: Vec<Bytes>) {
        let Some(raw) = self.verified(Source::Registration, frames, Some(Via::Registration), 1)
        else {
            return;
        };
        let request = match Message::parse(raw.clone()) {
            Ok(msg) => msg,
            Err(e) => {
                self.stats.malformed(Source::Registration, &e);
                let error = ControllerError::new("ValueError", format!("unreadable request: {e}"));
                self.answer_error(Via::Registration, &raw, 1, &error);
                return;
            }
        };
        let Ok(kind) = request.kind() else {
            let error = ControllerError::new(
                "ValueError",
                format!("unknown message type: {:?}", request.header.msg_type),
            );
            self.hub_error(&request, &error);
            return;
        };
        match kind {
            MsgType::RegistrationRequest => self.on_registration_request(&request),
            MsgType::UnregistrationRequest => self.on_unregistration_request(&request).await,
            MsgType::ConnectionRequest => self.on_connection_request(&request),
            MsgType::QueueRequest => self.on_queue_request(&request),
            MsgType::ResultRequest => self.on_result_request(&request),
            MsgType::HistoryRequest => self.on_history_request(&request),
            MsgType::DbRequest => self.on_db_request(&request),
            MsgType::PurgeRequest => self.on_purge_request(&request),
            MsgType::ResubmitRequest => self.on_resubmit_request(&request),
            MsgType::ShutdownRequest => self.on_hub_shutdown_request(&request).await,
            MsgType::LoadRequest => self.on_load_request(&request),
            other => {
                let error = ControllerError::new(
                    "ValueError",
                    format!("the hub does not answer {}", other.as_str()),
                );
                self.hub_error(&request, &error);
            }
        }
    }

    /// Answers `request` with `msg_type` and `content` (and `buffers`).
    pub(crate) fn hub_reply(
        &mut self,
        request: &Message,
        msg_type: MsgType,
        content: Value,
        buffers: Vec<Bytes>,
    ) {
        let reply = self
            .session
            .reply(request, msg_type, content)
            .with_buffers(buffers);
        self.send(Via::Registration, &reply);
    }

    /// A `hub_error` answering `request`.
    pub(crate) fn hub_error(&mut self, request: &Message, error: &ControllerError) {
        self.hub_reply(request, MsgType::HubError, error.content(), Vec::new());
    }

    /// `connection_request`: the registered engines, `{"<id>": uuid}`.
    fn on_connection_request(&mut self, request: &Message) {
        let engines: Map<String, Value> = self
            .engines
            .iter()
            .map(|(id, uuid)| (id.to_string(), Value::from(uuid.as_str())))
            .collect();
        let content = json!({"status": "ok", "engines": engines});
        self.hub_reply(request, MsgType::ConnectionReply, content, Vec::new());
    }

    /// `load_request`: outstanding tasks per engine (stock's answer is unusable; ours maps
    /// engine ids to counts).
    fn on_load_request(&mut self, request: &Message) {
        let mut content = Map::new();
        content.insert("status".into(), "ok".into());
        for (id, uuid) in self.engines.iter() {
            let load = self.scheduler_load(uuid);
            content.insert(id.to_string(), load.into());
        }
        self.hub_reply(
            request,
            MsgType::LoadReply,
            Value::Object(content),
            Vec::new(),
        );
    }

    /// Hub `shutdown_request`: reply, tell clients, exit a moment later. Engines are not
    /// stopped (a client stops them first, over control).
    async fn on_hub_shutdown_request(&mut self, request: &Message) {
        self.hub_reply(
            request,
            MsgType::ShutdownReply,
            json!({"status": "ok"}),
            Vec::new(),
        );
        let note = self
            .session
            .msg(MsgType::ShutdownNotification, json!({"status": "ok"}))
            .with_parent(&request.header);
        let frames = self.session.serialize(&note);
        if let Err(e) = self.out.notification.send(frames).await {
            tracing::warn!("could not publish shutdown_notification: {e}");
        }
        tracing::info!("shutdown requested by a client");
        self.shutdown_at = Some(Instant::now() + SHUTDOWN_DELAY);
    }
}
