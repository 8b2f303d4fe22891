//! px-wire's `Session` against stock `jupyter_client.session.Session` (hmac-sha256, json):
//! what one side signs the other accepts, part for part, and both refuse the same tampered,
//! wrongly keyed and replayed messages.
//!
//! Frames cross between the processes hex-encoded over the peer's stdin/stdout
//! (`peers/session_peer.py`), so no socket is involved: only the codec and the signatures.

mod common;

use bytes::Bytes;
use common::{from_hex, temp_dir, to_hex, PyPeer};
use px_wire::{Message, MsgType, Session, Signer, WireError};
use serde_json::{json, Map, Value};

const KEY: &str = "9249ffff-2a4343bbe89f51fc0013c760";
const OTHER_KEY: &str = "0b1d2c3e-ffffffffffffffffffffffff";
const NON_ASCII: &str = "héllo — 日本 🎉";

fn session(key: &str) -> Session {
    Session::new(Signer::new(key.as_bytes(), "hmac-sha256").unwrap())
}

/// A stock Session peer signing with `key`; the temp dir is its `$HOME`.
fn python_peer(key: &str) -> (PyPeer, tempfile::TempDir) {
    let home = temp_dir();
    (PyPeer::start("session_peer.py", &[key], home.path()), home)
}

/// Every byte value once, then 1 MiB of pseudo-random bytes (a pattern that compresses or
/// repeats could hide an offset error).
fn test_buffers() -> Vec<Bytes> {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let big: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect();
    vec![Bytes::from(all_bytes), Bytes::from(big)]
}

fn test_content() -> Value {
    json!({
        "code": format!("print('{NON_ASCII}')"),
        "text": NON_ASCII,
        "escapes": "tab\t newline\n quote\" backslash\\ nul\u{0} bell\u{7}",
        "n": 12345,
        "big": 4_611_686_018_427_387_904_i64,
        "pi": std::f64::consts::PI,
        "tiny": 1e-300,
        "nested": {"list": [1, null, true, "ü"], "empty": {}},
    })
}

fn test_metadata() -> Map<String, Value> {
    json!({"label": NON_ASCII, "after": [], "timeout": 0.0, "targets": ["engine-uuid-1"]})
        .as_object()
        .unwrap()
        .clone()
}

fn assert_same_buffers(what: &str, got: &[Bytes], want: &[Bytes]) {
    assert_eq!(got.len(), want.len(), "{what}: number of buffers");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{what}: length of buffer {i}");
        if let Some(at) = g.iter().zip(w.iter()).position(|(a, b)| a != b) {
            panic!(
                "{what}: buffer {i} differs first at byte {at}: {:#04x} != {:#04x}",
                g[at], w[at]
            );
        }
    }
}

/// `frame` with the only occurrence of `from` replaced by `to` (same length, so only the
/// bytes change, and the JSON stays valid: a refusal can only come from the signature).
fn tamper(frame: &Bytes, from: &str, to: &str) -> Bytes {
    assert_eq!(from.len(), to.len());
    let text = std::str::from_utf8(frame).expect("JSON frames are UTF-8");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} should occur once in {text}"
    );
    Bytes::from(text.replacen(from, to, 1))
}

/// Index of the header frame and the content frame in `frames` (after the delimiter).
fn json_frame_indices(frames: &[Bytes]) -> (usize, usize) {
    let delim = frames
        .iter()
        .position(|f| f.as_ref() == px_wire::DELIMITER)
        .expect("a delimiter");
    (delim + 2, delim + 5)
}

async fn python_deserialize(peer: &mut PyPeer, frames: &[Bytes]) -> Value {
    peer.call(&json!({"op": "deserialize", "frames": to_hex(frames)}))
        .await
}

fn assert_python_refused(answer: &Value, reason: &str) {
    assert_eq!(
        answer["ok"], false,
        "Python should have refused the message ({reason}), but accepted it"
    );
    assert_eq!(answer["error_type"], "ValueError", "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(reason),
        "Python refused with {error:?}, expected {reason:?}"
    );
}

fn assert_python_accepted(answer: &Value) {
    assert_eq!(answer["ok"], true, "Python refused the message: {answer}");
}

/// A Rust-signed message with everything set: parent, metadata, routing frames, buffers.
fn rust_message(s: &Session) -> Message {
    let parent = s.header(MsgType::ExecuteRequest.as_str());
    s.msg(MsgType::ExecuteRequest, test_content())
        .with_parent(&parent)
        .with_metadata(test_metadata())
        .with_idents(vec![
            Bytes::from_static(b"engine-uuid-1"),
            Bytes::from_static(&[0x00, 0xff, 0x80]),
        ])
        .with_buffers(test_buffers())
}

/// A Python-signed `execute_reply` with parent, metadata, routing frames and buffers.
async fn python_frames(peer: &mut PyPeer) -> (Vec<Bytes>, Value) {
    let answer = peer
        .call(&json!({
            "op": "serialize",
            "msg_type": "execute_reply",
            "content": test_content(),
            "metadata": test_metadata(),
            "parent": true,
            "idents": to_hex(&[Bytes::from_static(b"engine-uuid-1"), Bytes::from_static(&[0x00, 0xff])]),
            "buffers": to_hex(&test_buffers()),
        }))
        .await;
    (from_hex(&answer["frames"]), answer)
}

#[tokio::test]
async fn rust_signed_message_is_accepted_by_python_with_identical_parts() {
    let (mut py, _home) = python_peer(KEY);
    let s = session(KEY);
    let msg = rust_message(&s);

    let seen = python_deserialize(&mut py, &s.serialize(&msg)).await;
    assert_python_accepted(&seen);

    assert_eq!(seen["header"], serde_json::to_value(&msg.header).unwrap());
    assert_eq!(
        seen["parent_header"],
        serde_json::to_value(msg.parent_header.as_ref().unwrap()).unwrap()
    );
    assert_eq!(seen["metadata"], Value::Object(msg.metadata.clone()));
    assert_eq!(seen["content"], msg.content);
    assert_eq!(seen["content"]["text"], NON_ASCII);
    assert_eq!(from_hex(&seen["idents"]), msg.idents);
    assert_same_buffers("Rust -> Python", &from_hex(&seen["buffers"]), &msg.buffers);
    // jupyter_client parses dates it accepts into datetimes; ours must be one of those.
    assert_eq!(
        seen["header_date_type"], "datetime",
        "Python did not parse our date {:?}",
        msg.header.date
    );
}

#[tokio::test]
async fn python_signed_message_is_accepted_by_rust_with_identical_parts() {
    let (mut py, _home) = python_peer(KEY);
    let (frames, sent) = python_frames(&mut py).await;

    let msg = session(KEY)
        .deserialize(frames)
        .expect("Rust should accept what stock Python signed");

    assert_eq!(serde_json::to_value(&msg.header).unwrap(), sent["header"]);
    assert_eq!(
        serde_json::to_value(msg.parent_header.as_ref().expect("a parent header")).unwrap(),
        sent["parent_header"]
    );
    assert_eq!(
        Value::Object(msg.metadata.clone()),
        Value::Object(test_metadata())
    );
    assert_eq!(msg.content, test_content());
    assert_eq!(msg.content["text"], NON_ASCII);
    assert_eq!(
        msg.idents,
        vec![
            Bytes::from_static(b"engine-uuid-1"),
            Bytes::from_static(&[0x00, 0xff])
        ]
    );
    assert_same_buffers("Python -> Rust", &msg.buffers, &test_buffers());
    assert_eq!(msg.kind().unwrap(), MsgType::ExecuteReply);
    assert!(
        msg.header.version.starts_with("5."),
        "{}",
        msg.header.version
    );
    msg.header
        .parsed_date()
        .expect("Python's header date parses in Rust");
    assert_eq!(
        msg.parent_msg_id(),
        sent["parent_header"]["msg_id"].as_str()
    );
}

/// Tampers one JSON frame (`pick` chooses header or content) of a Rust-signed and of a
/// Python-signed message, and checks that both implementations refuse both.
async fn tampered_frame_is_refused_by_both(pick_header: bool, from: &str, to: &str) {
    let (mut py, _home) = python_peer(KEY);
    let s = session(KEY);

    // Signed in Rust.
    let frames = s.serialize(&rust_message(&s));
    let (header_at, content_at) = json_frame_indices(&frames);
    let at = if pick_header { header_at } else { content_at };
    let mut tampered = frames.clone();
    tampered[at] = tamper(&frames[at], from, to);

    assert_python_refused(
        &python_deserialize(&mut py, &tampered).await,
        "Invalid Signature",
    );
    let rust = session(KEY);
    assert!(matches!(
        rust.deserialize(tampered),
        Err(WireError::BadSignature)
    ));
    // The refusal was the tampering: the same session takes the original.
    rust.deserialize(frames.clone())
        .expect("the untampered original is accepted");
    // Stock quirk worth knowing: Python remembers a signature *before* checking it, so once
    // a corrupted copy has reached it the genuine message is refused as a replay.
    assert_python_refused(
        &python_deserialize(&mut py, &frames).await,
        "Duplicate Signature",
    );

    // Signed in Python.
    let (frames, _) = python_frames(&mut py).await;
    let (header_at, content_at) = json_frame_indices(&frames);
    let at = if pick_header { header_at } else { content_at };
    let mut tampered = frames.clone();
    tampered[at] = tamper(&frames[at], from, to);

    let rust = session(KEY);
    assert!(matches!(
        rust.deserialize(tampered.clone()),
        Err(WireError::BadSignature)
    ));
    rust.deserialize(frames)
        .expect("the untampered Python original is accepted");
    assert_python_refused(
        &python_deserialize(&mut py, &tampered).await,
        "Invalid Signature",
    );
}

#[tokio::test]
async fn tampered_content_byte_is_refused_by_python_and_rust() {
    tampered_frame_is_refused_by_both(false, "12345", "12346").await;
}

#[tokio::test]
async fn tampered_header_byte_is_refused_by_python_and_rust() {
    tampered_frame_is_refused_by_both(true, "execute_re", "execute_rf").await;
}

#[tokio::test]
async fn message_signed_with_wrong_key_is_refused_by_python_and_rust() {
    let (mut py, _home) = python_peer(KEY);

    // Rust signs with the wrong key: neither a Python nor a Rust session with KEY takes it.
    let wrong = session(OTHER_KEY);
    let frames = wrong.serialize(&rust_message(&wrong));
    assert_python_refused(
        &python_deserialize(&mut py, &frames).await,
        "Invalid Signature",
    );
    assert!(matches!(
        session(KEY).deserialize(frames.clone()),
        Err(WireError::BadSignature)
    ));
    session(OTHER_KEY)
        .deserialize(frames)
        .expect("the signer's own key accepts it");

    // Python signs with KEY: a Rust session with another key refuses it.
    let (frames, _) = python_frames(&mut py).await;
    assert!(matches!(
        session(OTHER_KEY).deserialize(frames.clone()),
        Err(WireError::BadSignature)
    ));
    session(KEY)
        .deserialize(frames)
        .expect("the right key accepts it");
}

#[tokio::test]
async fn replayed_message_is_refused_by_python_and_rust() {
    let (mut py, _home) = python_peer(KEY);

    // Rust-signed: each side takes it once only.
    let s = session(KEY);
    let frames = s.serialize(&rust_message(&s));
    assert_python_accepted(&python_deserialize(&mut py, &frames).await);
    assert_python_refused(
        &python_deserialize(&mut py, &frames).await,
        "Duplicate Signature",
    );
    let rust = session(KEY);
    rust.deserialize(frames.clone()).expect("first delivery");
    assert!(matches!(
        rust.deserialize(frames),
        Err(WireError::DuplicateSignature)
    ));

    // Python-signed: the same, the other way round.
    let (frames, _) = python_frames(&mut py).await;
    let rust = session(KEY);
    rust.deserialize(frames.clone()).expect("first delivery");
    assert!(matches!(
        rust.deserialize(frames.clone()),
        Err(WireError::DuplicateSignature)
    ));
    assert_python_accepted(&python_deserialize(&mut py, &frames).await);
    assert_python_refused(
        &python_deserialize(&mut py, &frames).await,
        "Duplicate Signature",
    );
}
