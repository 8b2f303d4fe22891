//! The broadcast scheduler on its sockets: client requests fan out to the leaf sockets the
//! engines connect to, engine replies come back (merged when coalescing).

use bytes::Bytes;

use crate::core::{Core, Source, Via};
use crate::errors::ControllerError;
use crate::ids::EngineUuid;

impl Core {
    /// A broadcast request from a client.
    pub(crate) fn on_broadcast_request(&mut self, frames: Vec<Bytes>) {
        let Some(raw) = self.verified(
            Source::BroadcastClient,
            frames,
            Some(Via::BroadcastClient),
            1,
        ) else {
            return;
        };
        let copy = raw.clone();
        let sends = match self.broadcast.request(raw) {
            Ok(sends) => sends,
            Err(rejected) => {
                self.stats
                    .unusable(Source::BroadcastClient, &rejected.error.to_string());
                if let Some(reply) = rejected.reply {
                    self.out.broadcast_client.send(reply);
                }
                return;
            }
        };
        // Refused whole rather than half sent: an engine that is not registered would never
        // answer, and the client would wait for it.
        if let Some(unknown) = sends.iter().find(|s| self.engines.id(&s.engine).is_none()) {
            let error = ControllerError::new(
                "EngineError",
                format!("no engine with uuid '{}' is registered", unknown.engine),
            );
            self.answer_error(Via::BroadcastClient, &copy, 1, &error);
            return;
        }
        for send in sends {
            match self.out.broadcast_leaves.get_mut(send.leaf) {
                Some(leaf) => leaf.send(send.frames),
                None => self.stats.unusable(
                    Source::BroadcastClient,
                    "a target on a leaf that does not exist",
                ),
            }
        }
    }

    /// An engine's reply on broadcast leaf `leaf`.
    pub(crate) fn on_broadcast_reply(&mut self, leaf: usize, frames: Vec<Bytes>) {
        let source = Source::BroadcastLeaf(leaf);
        let Some(raw) = self.verified(source, frames, None, 0) else {
            return;
        };
        match self.broadcast.reply(raw) {
            Ok(Some(frames)) => self.out.broadcast_client.send(frames),
            Ok(None) => {}
            Err(e) => self.stats.unusable(source, &e.to_string()),
        }
    }

    /// Coalescing requests waiting on a lost engine can never complete: dropped.
    pub(crate) fn broadcast_engine_left(&mut self, engine: &EngineUuid) {
        let dropped = self.broadcast.engine_lost(engine);
        if !dropped.is_empty() {
            tracing::info!(
                "{} coalescing broadcast(s) waiting on engine {engine} dropped",
                dropped.len()
            );
        }
    }
}
