//! The direct (MUX) and control relays: a client's request goes to the engine its first
//! routing frame names, the engine's reply back to the client, each with the first two
//! routing frames swapped (§7.1, §7.2).
//!
//! Unlike stock, a request for an engine that is not registered is answered with an
//! `EngineError` at once: stock drops it and the client waits forever.

use bytes::Bytes;

use crate::core::{Core, Source, Via};
use crate::errors::ControllerError;
use crate::ids::EngineUuid;

/// Which of the two relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relay {
    Mux,
    Control,
}

impl Core {
    /// `[client, engine_uuid, <IDS|MSG>, ...]` from a client on the MUX.
    pub(crate) fn on_mux_request(&mut self, frames: Vec<Bytes>) {
        self.relay_request(Relay::Mux, frames);
    }

    /// `[engine_uuid, client, <IDS|MSG>, ...]` from an engine on the MUX.
    pub(crate) fn on_mux_reply(&mut self, frames: Vec<Bytes>) {
        self.relay_reply(Relay::Mux, frames);
    }

    /// A control request (abort, clear, shutdown, signal) from a client.
    pub(crate) fn on_control_request(&mut self, frames: Vec<Bytes>) {
        self.relay_request(Relay::Control, frames);
    }

    /// A control reply from an engine.
    pub(crate) fn on_control_reply(&mut self, frames: Vec<Bytes>) {
        self.relay_reply(Relay::Control, frames);
    }

    fn relay_request(&mut self, relay: Relay, frames: Vec<Bytes>) {
        let (source, via) = match relay {
            Relay::Mux => (Source::MuxClient, Via::MuxClient),
            Relay::Control => (Source::ControlClient, Via::ControlClient),
        };
        let Some(raw) = self.verified(source, frames, Some(via), 1) else {
            return;
        };
        let engine = raw
            .idents
            .get(1)
            .and_then(|id| EngineUuid::from_routing_id(id));
        let Some(engine) = engine.filter(|e| self.engines.id(e).is_some()) else {
            let named = raw
                .idents
                .get(1)
                .map(|id| String::from_utf8_lossy(id).into_owned())
                .unwrap_or_default();
            let error = ControllerError::new(
                "EngineError",
                format!("no engine with uuid '{named}' is registered"),
            );
            self.answer_error(via, &raw, 1, &error);
            return;
        };
        if relay == Relay::Mux {
            if let Some(request) = self.parse_for_store(&raw) {
                self.record_submission(crate::db::Queue::Mux, &request, Some(&engine));
            }
        }
        let mut frames = raw.into_frames();
        frames.swap(0, 1);
        match relay {
            Relay::Mux => self.out.mux_engine.send(frames),
            Relay::Control => self.out.control_engine.send(frames),
        }
    }

    fn relay_reply(&mut self, relay: Relay, frames: Vec<Bytes>) {
        let source = match relay {
            Relay::Mux => Source::MuxEngine,
            Relay::Control => Source::ControlEngine,
        };
        let Some(raw) = self.verified(source, frames, None, 0) else {
            return;
        };
        if raw.idents.len() < 2 {
            self.stats
                .unusable(source, "a reply without the client's routing frame");
            return;
        }
        if relay == Relay::Mux {
            let engine = EngineUuid::from_routing_id(&raw.idents[0]);
            if let Some(reply) = self.parse_for_store(&raw) {
                self.record_completion(&reply, engine.as_ref());
            }
        }
        let mut frames = raw.into_frames();
        frames.swap(0, 1);
        match relay {
            Relay::Mux => self.out.mux_client.send(frames),
            Relay::Control => self.out.control_client.send(frames),
        }
    }
}
