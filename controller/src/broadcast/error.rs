//! Why the broadcast scheduler refused a request or a reply.
//!
//! Each failure is its own variant so the IO layer can log and count them apart; request
//! failures also name the `ename`/`evalue` a client sees in its error reply.

use crate::ids::{EngineUuid, MsgId};

/// A broadcast request or reply the scheduler cannot act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BroadcastError {
    /// The request arrived with no routing frame before `<IDS|MSG>`, so neither the engines'
    /// replies nor an error reply could find their way back.
    #[error("broadcast request has no client routing frame")]
    NoClientRoute,
    /// One of the JSON frames the scheduler must read is not a JSON object.
    #[error("broadcast {frame} is not a JSON object: {reason}")]
    InvalidJson {
        /// Which frame: `request header`, `request metadata` or `reply metadata`.
        frame: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// The request header has no string `msg_id`, which every engine copy is named after.
    #[error("broadcast request header has no string msg_id")]
    MissingMsgId,
    /// A metadata key the broadcast scheduler requires is absent.
    #[error("broadcast request metadata has no {0:?}")]
    MissingField(&'static str),
    /// A metadata key has the wrong JSON type.
    #[error("broadcast request metadata {field:?} must be {expected}")]
    InvalidField {
        /// The key.
        field: &'static str,
        /// What it must hold.
        expected: &'static str,
    },
    /// An entry of `metadata.targets` is not a `[uuid, engine id]` pair.
    #[error("broadcast request target {index} is not a [uuid, engine id] pair: {found}")]
    InvalidTarget {
        /// Position in `metadata.targets`.
        index: usize,
        /// The entry as JSON.
        found: String,
    },
    /// A coalescing request names no engine: its single reply could never be assembled, and
    /// stock clients cannot read a reply with empty `broadcast_targets`.
    #[error("coalescing broadcast request names no engines")]
    NoTargets,
    /// A coalescing request reuses the `original_msg_id` of one still collecting replies;
    /// accepting it would mix the two requests' results.
    #[error("coalescing broadcast request {0:?} is already waiting for replies")]
    DuplicateRequest(MsgId),
    /// A reply arrived without the routing frame the leaf socket puts first.
    #[error("broadcast reply has no engine routing frame (or it is not UTF-8)")]
    NoEngineFrame,
    /// A non-coalescing reply has no client routing frame after the engine's.
    #[error("broadcast reply from engine {engine} has no client routing frame")]
    NoReplyRoute {
        /// The engine that answered.
        engine: EngineUuid,
    },
    /// A coalescing reply does not say which request it belongs to.
    #[error("coalescing broadcast reply from engine {engine} has no string original_msg_id")]
    MissingOriginalMsgId {
        /// The engine that answered.
        engine: EngineUuid,
    },
    /// A coalescing reply to a request that is not collecting replies (finished, dropped
    /// after an engine was lost, or never seen).
    #[error(
        "coalescing broadcast reply from engine {engine} to {original_msg_id:?}, \
         which is not waiting for replies"
    )]
    UnknownRequest {
        /// The engine that answered.
        engine: EngineUuid,
        /// The request it names.
        original_msg_id: MsgId,
    },
    /// A coalescing reply from an engine the request did not target, or a second reply
    /// from one that already answered.
    #[error(
        "coalescing broadcast reply from engine {engine} to {original_msg_id:?}, \
         which is not waiting for that engine"
    )]
    UnexpectedReply {
        /// The engine that answered.
        engine: EngineUuid,
        /// The request it names.
        original_msg_id: MsgId,
    },
}

impl BroadcastError {
    /// The exception name a client sees in the error reply to a refused request.
    pub fn ename(&self) -> &'static str {
        "BroadcastError"
    }

    /// The exception message a client sees in the error reply to a refused request.
    pub fn evalue(&self) -> String {
        self.to_string()
    }
}
