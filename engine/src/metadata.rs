//! The metadata and error content of replies, as ipyparallel's scheduler, hub and client
//! read them.
//!
//! Every execute or apply reply (aborted ones included) carries when it started, which
//! engine ran it and the broadcast keys copied from the request; an error also names the
//! engine in `engine_info`, without which a stock client cannot print `[3:apply]` and
//! would wait for output that an engine error promises.

use px_wire::{now_iso, Message};
use px_worker::ErrorInfo;
use serde_json::{json, Map, Value};

use crate::ids::{EngineId, EngineUuid};

/// Who this engine is, for metadata and `engine_info`.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub id: EngineId,
    pub uuid: EngineUuid,
}

impl Identity {
    /// `engine_info` for an error reply's content; `method` is `execute` or `apply`.
    pub(crate) fn engine_info(&self, method: Option<&str>) -> Value {
        let mut info = json!({"engine_uuid": self.uuid.as_str(), "engine_id": self.id.0});
        if let Some(method) = method {
            info["method"] = json!(method);
        }
        info
    }

    /// Metadata of control replies and of status/execute_input/error messages.
    pub(crate) fn engine_metadata(&self) -> Map<String, Value> {
        let mut md = Map::new();
        md.insert("engine".into(), json!(self.uuid.as_str()));
        md
    }

    /// The error content of a reply: §3.6 of the protocol, with `engine_info`.
    pub(crate) fn error_content(&self, error: &ErrorInfo, method: &str) -> Value {
        json!({
            "status": "error",
            "ename": error.ename,
            "evalue": error.evalue,
            "traceback": error.traceback,
            "engine_info": self.engine_info(Some(method)),
        })
    }
}

/// Reply metadata begun when a request starts (stock `init_metadata`).
#[derive(Debug, Clone)]
pub(crate) struct ReplyMetadata(Map<String, Value>);

impl ReplyMetadata {
    /// Starts the metadata of the reply to `request`, stamped now.
    pub(crate) fn begin(request: &Message, identity: &Identity) -> Self {
        let asked = &request.metadata;
        let flag = |key: &str| asked.get(key).and_then(Value::as_bool).unwrap_or(false);
        let mut md = Map::new();
        md.insert("started".into(), json!(now_iso()));
        md.insert("dependencies_met".into(), json!(true));
        md.insert("engine".into(), json!(identity.uuid.as_str()));
        md.insert("is_broadcast".into(), json!(flag("is_broadcast")));
        md.insert("is_coalescing".into(), json!(flag("is_coalescing")));
        md.insert(
            "original_msg_id".into(),
            asked
                .get("original_msg_id")
                .cloned()
                .unwrap_or_else(|| json!("")),
        );
        md.insert(
            "label".into(),
            asked.get("label").cloned().unwrap_or(Value::Null),
        );
        ReplyMetadata(md)
    }

    /// Completes it from the reply's content (stock `finish_metadata`).
    pub(crate) fn finish(mut self, content: &Value, identity: &Identity) -> Map<String, Value> {
        let status = content["status"].as_str().unwrap_or("ok");
        self.0.insert("status".into(), json!(status));
        if status == "error" {
            if content["ename"] == "UnmetDependency" {
                self.0.insert("dependencies_met".into(), json!(false));
            }
            self.0
                .insert("engine_info".into(), identity.engine_info(None));
        }
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use px_wire::{MsgType, Session, Signer};

    fn identity() -> Identity {
        Identity {
            id: EngineId(2),
            uuid: EngineUuid::new("8d84289d-719a33a0cfef5df124d2a73d"),
        }
    }

    fn request(metadata: Value) -> Message {
        let session = Session::new(Signer::disabled());
        let Value::Object(md) = metadata else {
            unreachable!()
        };
        session
            .msg(MsgType::ApplyRequest, json!({}))
            .with_metadata(md)
    }

    #[test]
    fn broadcast_keys_are_copied_from_the_request() {
        let req = request(json!({"is_broadcast": true, "is_coalescing": true,
                                 "original_msg_id": "abc", "targets": [["u", 0]]}));
        let md =
            ReplyMetadata::begin(&req, &identity()).finish(&json!({"status": "ok"}), &identity());
        assert_eq!(md["is_broadcast"], true);
        assert_eq!(md["is_coalescing"], true);
        assert_eq!(md["original_msg_id"], "abc");
        assert_eq!(md["engine"], "8d84289d-719a33a0cfef5df124d2a73d");
        assert_eq!(md["status"], "ok");
        assert!(md.get("engine_info").is_none());
        assert!(px_wire::parse_iso(md["started"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn defaults_match_a_stock_engine_for_a_direct_request() {
        let md = ReplyMetadata::begin(&request(json!({})), &identity())
            .finish(&json!({"status": "aborted"}), &identity());
        assert_eq!(md["is_broadcast"], false);
        assert_eq!(md["original_msg_id"], "");
        assert_eq!(md["label"], Value::Null);
        assert_eq!(md["status"], "aborted");
    }

    #[test]
    fn an_unmet_dependency_error_says_so_and_names_the_engine() {
        let content = json!({"status": "error", "ename": "UnmetDependency"});
        let md =
            ReplyMetadata::begin(&request(json!({})), &identity()).finish(&content, &identity());
        assert_eq!(md["dependencies_met"], false);
        assert_eq!(
            md["engine_info"],
            json!({"engine_uuid": "8d84289d-719a33a0cfef5df124d2a73d", "engine_id": 2})
        );
    }

    #[test]
    fn error_content_names_the_method() {
        let error = ErrorInfo {
            ename: "ZeroDivisionError".into(),
            evalue: "division by zero".into(),
            traceback: vec!["tb".into()],
        };
        let content = identity().error_content(&error, "apply");
        assert_eq!(content["engine_info"]["method"], "apply");
        assert_eq!(content["engine_info"]["engine_id"], 2);
        assert_eq!(content["status"], "error");
    }
}
