//! The frames exchanged with the Python side (`python/px_worker.py`), as typed enums.
//!
//! Every frame is a JSON object with a `type`. Frames from the child that ask for a *sync
//! point* carry a `seq`: the supervisor first drains both output pipes, then emits the event,
//! then answers `ack` with the same `seq`, so output written before the event is never
//! reported after it. Input requests are answered by `input_reply` instead, host calls by
//! `host_reply`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::{DisplayData, ErrorInfo, MimeBundle};
use crate::reply::{Completion, Inspection, ReplyStatus};
use crate::request::ExecuteRequest;

/// Requests and answers sent to the child.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ToChild {
    Execute(ExecuteRequest),
    /// Call a function packed by `ipyparallel.serialize.pack_apply_message`; the packed
    /// buffers follow the frame.
    Apply,
    /// Empty the user namespace (`%reset -f`), as an engine's `clear_request` does.
    Reset,
    IsComplete {
        code: String,
    },
    Complete {
        code: String,
        cursor_pos: usize,
    },
    Inspect {
        code: String,
        cursor_pos: usize,
        detail_level: u8,
    },
    /// The sync point `seq` is done: output before it has been emitted.
    Ack {
        seq: u64,
    },
    /// The answer to `input_request` `seq`; `None` makes `input()` raise `EOFError`.
    InputReply {
        seq: u64,
        value: Option<String>,
    },
    /// The answer to `host_call` `seq`: its value, or the error the call raises.
    HostReply {
        seq: u64,
        value: Value,
        error: Option<String>,
    },
    Shutdown,
}

/// Everything the child sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum FromChild {
    Hello {
        token: String,
        pid: u32,
        python: String,
        ipython: Option<String>,
        shell: String,
    },
    DisplayData {
        #[serde(flatten)]
        display: DisplayData,
        seq: Option<u64>,
    },
    UpdateDisplayData {
        #[serde(flatten)]
        display: DisplayData,
        seq: Option<u64>,
    },
    ClearOutput {
        #[serde(default)]
        wait: bool,
        seq: Option<u64>,
    },
    ExecuteResult {
        /// `Out[-1]` too: IPython numbers an uncounted cell's value `count - 1`.
        #[serde(deserialize_with = "count_from_any_int")]
        execution_count: u32,
        #[serde(default)]
        data: MimeBundle,
        #[serde(default)]
        metadata: Map<String, Value>,
        seq: Option<u64>,
    },
    Error {
        #[serde(flatten)]
        error: ErrorInfo,
        seq: Option<u64>,
    },
    /// `publish_data`: the serialized dict follows as the frame's buffers.
    DataMessage {
        #[serde(default)]
        keys: Vec<String>,
        seq: Option<u64>,
    },
    /// A stream switch: drain the pipes, then ack.
    Sync {
        seq: u64,
    },
    InputRequest {
        #[serde(default)]
        prompt: String,
        #[serde(default)]
        password: bool,
        seq: u64,
    },
    /// The code asked the host for something only it has (`px_worker.host.call`).
    HostCall {
        name: String,
        #[serde(default)]
        args: Value,
        seq: u64,
    },
    ExecuteReply(Box<ExecuteReplyFrame>),
    /// The end of an `apply`; on success the frame's buffers hold the serialized result.
    ApplyReply {
        status: ReplyStatus,
        ename: Option<String>,
        evalue: Option<String>,
        #[serde(default)]
        traceback: Vec<String>,
    },
    ResetReply,
    IsCompleteReply {
        status: String,
        #[serde(default)]
        indent: String,
    },
    CompleteReply(Completion),
    InspectReply(Inspection),
    ShutdownReply,
    /// The Python side could not handle a request (a bug or an interrupt in its own code).
    Failed {
        message: String,
    },
}

/// The child's `execute_reply`, before the supervisor adds what only it knows.
#[derive(Debug, Deserialize)]
pub(crate) struct ExecuteReplyFrame {
    pub status: ReplyStatus,
    /// IPython reports `count - 1`, which is -1 for an uncounted cell before any counted
    /// one: read as 0, or the reply would be dropped and its caller left waiting.
    #[serde(deserialize_with = "count_from_any_int")]
    pub execution_count: u32,
    pub ename: Option<String>,
    pub evalue: Option<String>,
    #[serde(default)]
    pub traceback: Vec<String>,
    #[serde(default)]
    pub user_expressions: Map<String, Value>,
    #[serde(default)]
    pub payload: Vec<Value>,
}

fn count_from_any_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
}

/// A frame that is JSON but not one we understand. If it asked for a sync point it is still
/// acked, or the child would wait forever.
#[derive(Debug)]
pub(crate) struct Malformed {
    pub seq: Option<u64>,
    pub reason: String,
}

impl FromChild {
    /// Parses one frame body.
    pub(crate) fn parse(body: &[u8]) -> Result<FromChild, Malformed> {
        serde_json::from_slice(body).map_err(|e| Malformed {
            seq: serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("seq").and_then(Value::as_u64)),
            reason: e.to_string(),
        })
    }

    /// The sync point this frame opens, if it must be acked.
    pub(crate) fn ack_seq(&self) -> Option<u64> {
        match self {
            FromChild::DisplayData { seq, .. }
            | FromChild::UpdateDisplayData { seq, .. }
            | FromChild::ClearOutput { seq, .. }
            | FromChild::ExecuteResult { seq, .. }
            | FromChild::Error { seq, .. }
            | FromChild::DataMessage { seq, .. } => *seq,
            FromChild::Sync { seq } => Some(*seq),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_frame_parses_with_its_seq() {
        let frame = br#"{"type":"display_data","data":{"text/plain":"x"},"metadata":{},"transient":{"display_id":"d"},"seq":7}"#;
        let msg = FromChild::parse(frame).unwrap();
        assert_eq!(msg.ack_seq(), Some(7));
        match msg {
            FromChild::DisplayData { display, .. } => assert_eq!(display.display_id(), Some("d")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_negative_count_in_a_result_reads_as_zero() {
        let frame =
            br#"{"type":"execute_result","execution_count":-1,"data":{"text/plain":"2"},"seq":4}"#;
        let msg = FromChild::parse(frame).unwrap();
        assert_eq!(msg.ack_seq(), Some(4));
        assert!(matches!(
            msg,
            FromChild::ExecuteResult {
                execution_count: 0,
                ..
            }
        ));
    }

    #[test]
    fn a_negative_count_in_a_reply_reads_as_zero() {
        let frame = br#"{"type":"execute_reply","status":"ok","execution_count":-1}"#;
        match FromChild::parse(frame).unwrap() {
            FromChild::ExecuteReply(reply) => assert_eq!(reply.execution_count, 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_frame_keeps_its_seq_for_the_ack() {
        let bad = FromChild::parse(br#"{"type":"mystery","seq":3}"#).unwrap_err();
        assert_eq!(bad.seq, Some(3));
    }

    #[test]
    fn execute_request_serializes_flat() {
        let v = serde_json::to_value(ToChild::Execute(ExecuteRequest::new("1"))).unwrap();
        assert_eq!(v["type"], "execute");
        assert_eq!(v["code"], "1");
        assert_eq!(v["store_history"], true);
    }
}
