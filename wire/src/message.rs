//! A parsed message: typed header, JSON metadata and content, raw buffers.

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::{Result, WireError};
use crate::frames::RawMessage;
use crate::header::Header;
use crate::msg_type::MsgType;

/// A Jupyter / ipyparallel message after verification and JSON parsing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// Routing frames (ROUTER identities or an IOPub topic), copied back on replies.
    pub idents: Vec<Bytes>,
    /// This message's header.
    pub header: Header,
    /// The header of the request this answers; `None` is sent as `{}`.
    pub parent_header: Option<Header>,
    /// ipyparallel keeps scheduling and timing data here (`engine`, `started`, `after`, ...).
    pub metadata: Map<String, Value>,
    /// The message body.
    pub content: Value,
    /// Binary frames (pickled apply payloads and results), never copied by the wire layer.
    pub buffers: Vec<Bytes>,
}

fn parse_frame<T: serde::de::DeserializeOwned>(frame: &'static str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| WireError::InvalidJson {
        frame,
        reason: e.to_string(),
    })
}

impl Message {
    /// Parses the JSON frames of a raw message. Does not check the signature: that is the
    /// session's job, done before this.
    pub fn parse(raw: RawMessage) -> Result<Message> {
        let header: Header = parse_frame("header", &raw.header)?;
        header.check_version()?;
        let parent: Map<String, Value> = parse_frame("parent_header", &raw.parent_header)?;
        let parent_header = if parent.is_empty() {
            None
        } else {
            Some(serde_json::from_value(Value::Object(parent)).map_err(|e| {
                WireError::InvalidJson {
                    frame: "parent_header",
                    reason: e.to_string(),
                }
            })?)
        };
        let metadata: Map<String, Value> = parse_frame("metadata", &raw.metadata)?;
        let content: Value = parse_frame("content", &raw.content)?;
        Ok(Message {
            idents: raw.idents,
            header,
            parent_header,
            metadata,
            content,
            buffers: raw.buffers,
        })
    }

    /// The message type as an enum, or [`WireError::UnknownMsgType`].
    pub fn kind(&self) -> Result<MsgType> {
        self.header.kind()
    }

    /// The msg_id of the request this answers, if any; replies are matched by it.
    pub fn parent_msg_id(&self) -> Option<&str> {
        self.parent_header.as_ref().map(|h| h.msg_id.as_str())
    }

    /// Sets the parent header.
    pub fn with_parent(mut self, parent: &Header) -> Self {
        self.parent_header = Some(parent.clone());
        self
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: Map<String, Value>) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets the routing frames.
    pub fn with_idents(mut self, idents: Vec<Bytes>) -> Self {
        self.idents = idents;
        self
    }

    /// Sets the binary buffers.
    pub fn with_buffers(mut self, buffers: Vec<Bytes>) -> Self {
        self.buffers = buffers;
        self
    }
}
