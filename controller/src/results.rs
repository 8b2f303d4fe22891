//! What the hub keeps of each request and reply, and its answers to clients' questions
//! about them (`queue_request`, `result_request`, `history_request`, `db_request`,
//! `purge_request`, `resubmit_request`).
//!
//! With `--nodb` nothing is kept: queries about results get an error naming the setting.

use chrono::Utc;
use px_wire::{Message, MsgType, RawMessage};
use serde_json::{json, Map, Value};

use crate::core::Core;
use crate::db::{EngineDirectory, QueryError, Queue};
use crate::errors::ControllerError;
use crate::hub::engines::Engines;
use crate::ids::{EngineId, EngineUuid};

impl EngineDirectory for Engines {
    /// Registered engines only: a dead engine is not listed (stock keeps listing it).
    fn all_ids(&self) -> Vec<EngineId> {
        self.iter().map(|(id, _)| id).collect()
    }

    fn uuid_of(&self, id: EngineId) -> Option<EngineUuid> {
        self.uuid(id).cloned()
    }

    fn live_id(&self, uuid: &str) -> Option<EngineId> {
        self.id(&EngineUuid(uuid.to_owned()))
    }

    fn is_live(&self, id: EngineId) -> bool {
        self.uuid(id).is_some()
    }
}

fn nodb() -> ControllerError {
    ControllerError::new(
        "RuntimeError",
        "this controller keeps no results (it was started with --nodb)",
    )
}

impl Core {
    /// `raw` parsed for the result store; `None` with `--nodb` (nothing is parsed then) or
    /// when it does not parse.
    pub(crate) fn parse_for_store(&self, raw: &RawMessage) -> Option<Message> {
        self.store.as_ref()?;
        Message::parse(raw.clone()).ok()
    }

    /// A request on its way to `engine` (or into the task scheduler).
    pub(crate) fn record_submission(
        &mut self,
        queue: Queue,
        request: &Message,
        engine: Option<&EngineUuid>,
    ) {
        if let Some(store) = self.store.as_mut() {
            store.submitted(queue, request, engine, Utc::now());
        }
    }

    /// A task reached `engine`.
    pub(crate) fn record_assignment(&mut self, msg_id: &str, engine: &EngineUuid) {
        if let Some(store) = self.store.as_mut() {
            store.assigned(msg_id, engine);
        }
    }

    /// A reply on its way to the client.
    pub(crate) fn record_completion(&mut self, reply: &Message, engine: Option<&EngineUuid>) {
        if let Some(store) = self.store.as_mut() {
            store.completed(reply, engine, Utc::now());
        }
    }

    /// Output, results and errors an engine published; an engine's `shutdown_reply` on
    /// IOPub means it is leaving (§4.7).
    pub(crate) async fn on_iopub(&mut self, msg: Message) {
        if msg.header.msg_type == MsgType::ShutdownReply.as_str() {
            let uuid = EngineUuid(msg.header.session.clone());
            self.unregister(&uuid, "it shut down").await;
            return;
        }
        if let Some(store) = self.store.as_mut() {
            store.iopub(&msg);
        }
    }

    /// Requests still pending on an engine that left get an `EngineError` result.
    pub(crate) fn results_engine_left(&mut self, id: EngineId, uuid: &EngineUuid) {
        if let Some(store) = self.store.as_mut() {
            store.engine_lost(id, uuid, Utc::now());
        }
    }

    fn answer_query(
        &mut self,
        request: &Message,
        msg_type: MsgType,
        answer: Option<Result<(Value, Vec<bytes::Bytes>), QueryError>>,
    ) {
        match answer {
            Some(Ok((content, buffers))) => self.hub_reply(request, msg_type, content, buffers),
            Some(Err(e)) => self.hub_reply(request, msg_type, e.to_content(), Vec::new()),
            None => {
                let content = nodb().content();
                self.hub_reply(request, msg_type, content, Vec::new());
            }
        }
    }

    /// `queue_request`: per engine, pending, assigned and completed requests.
    pub(crate) fn on_queue_request(&mut self, request: &Message) {
        let engines = &self.engines;
        let answer = self.store.as_ref().map(|s| {
            s.queue_reply(&request.content, engines)
                .map(|c| (c, Vec::new()))
        });
        self.answer_query(request, MsgType::QueueReply, answer);
    }

    /// `result_request`: records and result buffers of finished requests.
    pub(crate) fn on_result_request(&mut self, request: &Message) {
        let answer = self
            .store
            .as_ref()
            .map(|s| s.result_reply(&request.content));
        self.answer_query(request, MsgType::ResultReply, answer);
    }

    /// `history_request`: every recorded msg_id, in submission order.
    pub(crate) fn on_history_request(&mut self, request: &Message) {
        let answer = self
            .store
            .as_ref()
            .map(|s| Ok((s.history_reply(), Vec::new())));
        self.answer_query(request, MsgType::HistoryReply, answer);
    }

    /// `db_request`: records matching a MongoDB-style query.
    pub(crate) fn on_db_request(&mut self, request: &Message) {
        let answer = self.store.as_ref().map(|s| s.db_reply(&request.content));
        self.answer_query(request, MsgType::DbReply, answer);
    }

    /// `purge_request`: forget finished records.
    pub(crate) fn on_purge_request(&mut self, request: &Message) {
        let engines = &self.engines;
        let answer = self
            .store
            .as_mut()
            .map(|s| s.purge(&request.content, engines).map(|c| (c, Vec::new())));
        self.answer_query(request, MsgType::PurgeReply, answer);
    }

    /// `resubmit_request`: run finished requests again through the task scheduler, under
    /// new msg_ids; the client polls `result_request` for them.
    pub(crate) fn on_resubmit_request(&mut self, request: &Message) {
        let sources = match self
            .store
            .as_ref()
            .map(|s| s.resubmit_sources(&request.content))
        {
            Some(Ok(sources)) => sources,
            other => {
                let answer = other.map(|r| r.map(|_| (Value::Null, Vec::new())));
                self.answer_query(request, MsgType::ResubmitReply, answer);
                return;
            }
        };
        let mut resubmitted = Map::new();
        for source in sources {
            let new_id = self.session.header("apply_request").msg_id;
            let msg = source.message(new_id.clone(), px_wire::now_iso());
            if let Some(store) = self.store.as_mut() {
                store.resubmitted(&source.msg_id, &msg, Utc::now());
            }
            self.submit_from_hub(&msg);
            resubmitted.insert(source.msg_id.clone(), Value::from(new_id));
        }
        let content = json!({"status": "ok", "resubmitted": resubmitted});
        self.hub_reply(request, MsgType::ResubmitReply, content, Vec::new());
    }
}
