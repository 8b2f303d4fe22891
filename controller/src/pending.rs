//! Parts still being built: answered with a clear error meanwhile.

use bytes::Bytes;
use px_wire::Message;

use crate::core::{Core, Source, Via};
use crate::errors::ControllerError;
use crate::ids::EngineUuid;

fn not_yet(what: &str) -> ControllerError {
    ControllerError::new(
        "NotImplementedError",
        format!("this controller does not serve {what} yet"),
    )
}

impl Core {
    pub(crate) fn on_queue_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("queue_request"));
    }
    pub(crate) fn on_result_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("result_request"));
    }
    pub(crate) fn on_history_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("history_request"));
    }
    pub(crate) fn on_db_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("db_request"));
    }
    pub(crate) fn on_purge_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("purge_request"));
    }
    pub(crate) fn on_resubmit_request(&mut self, request: &Message) {
        self.hub_error(request, &not_yet("resubmit_request"));
    }
    pub(crate) fn scheduler_engine_joined(&mut self, _uuid: &EngineUuid) {}
    pub(crate) fn scheduler_engine_left(&mut self, _uuid: &EngineUuid) {}
    pub(crate) fn scheduler_load(&self, _uuid: &EngineUuid) -> usize {
        0
    }
    pub(crate) fn on_task_request(&mut self, frames: Vec<Bytes>) {
        if let Some(raw) = self.verified(Source::TaskClient, frames, Some(Via::TaskClient), 1) {
            self.answer_error(Via::TaskClient, &raw, 1, &not_yet("load-balanced tasks"));
        }
    }
    pub(crate) fn on_task_reply(&mut self, _frames: Vec<Bytes>) {}
    pub(crate) async fn on_iopub(&mut self, msg: Message) {
        // An engine that shut down cleanly says so on IOPub (§4.7).
        if msg.header.msg_type == "shutdown_reply" {
            let uuid = EngineUuid(msg.header.session.clone());
            self.unregister(&uuid, "it shut down").await;
        }
    }
}
