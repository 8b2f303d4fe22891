//! `Session`: who we are on the wire, and the one place messages are signed and checked.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::date::now_iso;
use crate::error::Result;
#[cfg(test)]
use crate::error::WireError;
use crate::frames::RawMessage;
use crate::header::{Header, PROTOCOL_VERSION};
use crate::message::Message;
use crate::msg_type::MsgType;
use crate::signer::{ReplayGuard, Signer, REPLAY_MEMORY};

/// A fresh id in jupyter_client's `new_id()` form: 8 hex digits, `-`, 24 hex digits.
///
/// Engine uuids, session ids and HMAC keys all use this form, and stock tools print and
/// compare them as such.
pub fn new_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", &hex[..8], &hex[8..])
}

/// Signs what we send, verifies what we receive, and stamps headers with our session id.
///
/// A `Session` is shared by every socket of one component (`&self` everywhere, so it can live
/// in an `Arc`): the replay memory must span all of them, as a Python peer's does.
#[derive(Debug)]
pub struct Session {
    session_id: String,
    username: String,
    signer: Signer,
    replay: Mutex<ReplayGuard>,
    pid: u32,
    counter: AtomicU64,
}

impl Session {
    /// A session with a fresh id, signing with `signer`.
    pub fn new(signer: Signer) -> Self {
        Self::with_id(signer, new_id())
    }

    /// A session with a chosen id; an engine uses its uuid here.
    pub fn with_id(signer: Signer, session_id: String) -> Self {
        let username = std::env::var("USER")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "username".to_owned());
        Session {
            session_id,
            username,
            signer,
            replay: Mutex::new(ReplayGuard::with_capacity(REPLAY_MEMORY)),
            pid: std::process::id(),
            counter: AtomicU64::new(0),
        }
    }

    /// Our session id, as written in `header.session`.
    pub fn id(&self) -> &str {
        &self.session_id
    }

    /// The signer, for relays that verify raw messages themselves.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// A header for a new message of type `msg_type`, with a unique msg_id
    /// (`<session>_<pid>_<n>`, as jupyter_client numbers them) and the current date.
    pub fn header(&self, msg_type: &str) -> Header {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        Header {
            msg_id: format!("{}_{}_{}", self.session_id, self.pid, n),
            msg_type: msg_type.to_owned(),
            username: self.username.clone(),
            session: self.session_id.clone(),
            date: now_iso(),
            version: PROTOCOL_VERSION.to_owned(),
            extra: Map::new(),
        }
    }

    /// A new message with empty metadata, no parent and no routing frames.
    pub fn msg(&self, msg_type: MsgType, content: Value) -> Message {
        Message {
            header: self.header(msg_type.as_str()),
            content,
            ..Message::default()
        }
    }

    /// A reply to `request`: parent = its header, routing frames copied back.
    pub fn reply(&self, request: &Message, msg_type: MsgType, content: Value) -> Message {
        self.msg(msg_type, content)
            .with_parent(&request.header)
            .with_idents(request.idents.clone())
    }

    /// Serializes and signs `msg` into its raw form (buffers are shared, not copied).
    pub fn sign(&self, msg: &Message) -> RawMessage {
        let header = json_bytes(&msg.header);
        let parent_header = match &msg.parent_header {
            Some(p) => json_bytes(p),
            None => Bytes::from_static(b"{}"),
        };
        let metadata = json_bytes(&msg.metadata);
        let content = json_bytes(&msg.content);
        let signature = self
            .signer
            .sign([&header, &parent_header, &metadata, &content]);
        RawMessage {
            idents: msg.idents.clone(),
            signature: Bytes::from(signature),
            header,
            parent_header,
            metadata,
            content,
            buffers: msg.buffers.clone(),
        }
    }

    /// Serializes and signs `msg` into frames ready for a socket.
    pub fn serialize(&self, msg: &Message) -> Vec<Bytes> {
        self.sign(msg).into_frames()
    }

    /// Checks a raw message's signature and that it is not a replay, without parsing it:
    /// what a relay needs before forwarding the exact bytes.
    pub fn verify(&self, raw: &RawMessage) -> Result<()> {
        self.signer.verify(raw)?;
        if self.signer.is_enabled() {
            self.replay
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .check_and_record(&raw.signature)?;
        }
        Ok(())
    }

    /// Splits, verifies and parses received frames.
    pub fn deserialize(&self, frames: Vec<Bytes>) -> Result<Message> {
        let raw = RawMessage::from_frames(frames)?;
        self.verify(&raw)?;
        Message::parse(raw)
    }
}

fn json_bytes<T: serde::Serialize + ?Sized>(value: &T) -> Bytes {
    // Serializing maps, strings and numbers from serde_json values cannot fail; NaN cannot
    // occur because serde_json::Value cannot hold it.
    Bytes::from(serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::DEFAULT_SCHEME;
    use serde_json::json;

    fn session(key: &str) -> Session {
        Session::new(Signer::new(key.as_bytes(), DEFAULT_SCHEME).unwrap())
    }

    #[test]
    fn round_trip_keeps_everything() {
        let s = session("secret");
        let req = s.msg(MsgType::ExecuteRequest, json!({"code": "a = 'é'"}));
        let msg = req
            .clone()
            .with_idents(vec![Bytes::from_static(b"engine")])
            .with_buffers(vec![Bytes::from_static(&[0, 1, 2])]);
        let back = s.deserialize(s.serialize(&msg)).unwrap();
        assert_eq!(back, msg);
        assert_eq!(back.kind().unwrap(), MsgType::ExecuteRequest);
    }

    #[test]
    fn replayed_message_is_refused() {
        let s = session("secret");
        let frames = s.serialize(&s.msg(MsgType::Status, json!({})));
        s.deserialize(frames.clone()).unwrap();
        assert!(matches!(
            s.deserialize(frames),
            Err(WireError::DuplicateSignature)
        ));
    }

    #[test]
    fn wrong_key_and_tampering_are_refused() {
        let a = session("one");
        let b = session("two");
        let frames = a.serialize(&a.msg(MsgType::Status, json!({"execution_state": "idle"})));
        assert!(matches!(
            b.deserialize(frames.clone()),
            Err(WireError::BadSignature)
        ));
        let mut tampered = frames;
        let content = tampered.len() - 1;
        tampered[content] = Bytes::from_static(br#"{"execution_state": "busy"}"#);
        assert!(matches!(
            a.deserialize(tampered),
            Err(WireError::BadSignature)
        ));
    }

    #[test]
    fn unsigned_message_is_refused_when_a_key_is_set() {
        let off = Session::new(Signer::disabled());
        let on = session("k");
        let frames = off.serialize(&off.msg(MsgType::Status, json!({})));
        assert!(matches!(
            on.deserialize(frames.clone()),
            Err(WireError::MissingSignature)
        ));
        off.deserialize(frames).unwrap();
    }

    #[test]
    fn msg_ids_are_unique_and_ids_have_new_id_shape() {
        let s = session("k");
        assert_ne!(s.header("status").msg_id, s.header("status").msg_id);
        let id = new_id();
        assert_eq!(id.len(), 33);
        assert_eq!(id.as_bytes()[8], b'-');
    }
}
