//! px-wire's `Socket` against pyzmq (libzmq) on 127.0.0.1, with each side's session
//! verifying what the other signed: ROUTER/DEALER both ways round, ROUTER to ROUTER as on an
//! engine's shell socket, and PUB/SUB in both directions and both bind orders.
//!
//! The Python side is `peers/socket_peer.py`: one pyzmq socket and a stock
//! `jupyter_client.session.Session`, driven over JSON lines.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{from_hex, temp_dir, to_hex, PyPeer};
use px_wire::{Message, MsgType, Session, Signer, Socket, SocketKind, WireError};
use serde_json::{json, Value};
use tempfile::TempDir;

const KEY: &str = "5d1f3a2b-77c0e6a4b1d94f0a8c2e3b11";
/// How long one message may take to arrive once the peers are connected.
const RECV_TIMEOUT: Duration = Duration::from_secs(10);
/// How long PUB/SUB may take to join (the subscription has to reach the publisher).
const JOIN_TIMEOUT: Duration = Duration::from_secs(5);
/// The identity a stock engine would use: its uuid.
const PY_IDENTITY: &[u8] = b"engine-uuid-1";
/// IOPub topic, as a stock engine prefixes its stream output.
const TOPIC: &[u8] = b"engine.0.stream";

fn session() -> Session {
    Session::new(Signer::new(KEY.as_bytes(), "hmac-sha256").unwrap())
}

/// One MiB of a non-repeating pattern, so a dropped or shifted chunk shows.
fn big_buffer() -> Bytes {
    Bytes::from(
        (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// Starts a pyzmq peer socket and waits for it to report its endpoint.
async fn python_socket(kind: &str, mode: &str, args: &[&str]) -> (PyPeer, TempDir, String) {
    let home = temp_dir();
    let mut argv = vec![KEY, kind, mode];
    argv.extend_from_slice(args);
    let mut peer = PyPeer::start("socket_peer.py", &argv, home.path());
    let ready = peer.recv(common::PEER_TIMEOUT).await;
    assert_eq!(ready["ready"], true, "{ready}");
    let endpoint = ready["endpoint"].as_str().unwrap().to_owned();
    (peer, home, endpoint)
}

async fn python_send(peer: &mut PyPeer, mut request: Value) -> Value {
    request["op"] = json!("send");
    let answer = peer.call(&request).await;
    assert_eq!(answer["ok"], true, "Python could not send: {answer}");
    answer
}

async fn python_recv(peer: &mut PyPeer, timeout: Duration) -> Value {
    peer.send(&json!({"op": "recv", "timeout": timeout.as_secs_f64()}))
        .await;
    peer.recv(timeout + common::PEER_TIMEOUT).await
}

/// The next message on `socket` within `timeout`, or `None`.
async fn recv_within(
    socket: &mut Socket,
    session: &Session,
    timeout: Duration,
) -> Option<Result<Message, WireError>> {
    tokio::time::timeout(timeout, socket.recv_msg(session))
        .await
        .ok()
}

async fn rust_recv(socket: &mut Socket, session: &Session) -> Message {
    match recv_within(socket, session, RECV_TIMEOUT).await {
        Some(Ok(msg)) => msg,
        Some(Err(e)) => panic!("Rust refused what Python sent: {e}"),
        None => panic!("nothing arrived from Python within {RECV_TIMEOUT:?}"),
    }
}

fn assert_python_got(seen: &Value) {
    assert_eq!(
        seen["ok"], true,
        "Python did not get a valid message: {seen}"
    );
}

#[tokio::test]
async fn rust_router_and_python_dealer_exchange_signed_messages_both_ways() {
    let s = session();
    let mut router = Socket::new(SocketKind::Router, None).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let identity = std::str::from_utf8(PY_IDENTITY).unwrap();
    let (mut py, _home, _) = python_socket("dealer", "connect", &[&endpoint, identity]).await;

    // Python -> Rust: the ROUTER sees the DEALER's identity as the routing frame.
    let sent = python_send(
        &mut py,
        json!({
            "msg_type": "execute_request",
            "content": {"code": "a = 'héllo — 日本 🎉'", "silent": false},
            "metadata": {"label": null},
            "buffers": to_hex(&[big_buffer()]),
        }),
    )
    .await;
    let request = rust_recv(&mut router, &s).await;
    assert_eq!(request.idents, vec![Bytes::from_static(PY_IDENTITY)]);
    assert_eq!(
        serde_json::to_value(&request.header).unwrap(),
        sent["header"]
    );
    assert_eq!(request.kind().unwrap(), MsgType::ExecuteRequest);
    assert_eq!(request.content["code"], "a = 'héllo — 日本 🎉'");
    assert_eq!(request.metadata["label"], Value::Null);
    assert!(request.buffers == [big_buffer()], "1 MiB buffer changed");

    // Rust -> Python: the reply is routed back by that identity.
    let reply = s
        .reply(
            &request,
            MsgType::ExecuteReply,
            json!({"status": "ok", "execution_count": 1, "text": "ü"}),
        )
        .with_buffers(vec![Bytes::from_static(&[0, 1, 254, 255]), big_buffer()]);
    router.send_msg(&s, &reply).await.unwrap();
    let seen = python_recv(&mut py, RECV_TIMEOUT).await;
    assert_python_got(&seen);
    assert_eq!(seen["idents"], json!([]), "a DEALER gets no routing frames");
    assert_eq!(seen["header"]["msg_type"], "execute_reply");
    assert_eq!(seen["header"]["session"], s.id());
    assert_eq!(seen["parent_header"], sent["header"]);
    assert_eq!(seen["content"], reply.content);
    let buffers = from_hex(&seen["buffers"]);
    assert_eq!(buffers.len(), 2);
    assert_eq!(buffers[0], Bytes::from_static(&[0, 1, 254, 255]));
    assert!(buffers[1] == big_buffer(), "1 MiB buffer changed");
}

#[tokio::test]
async fn rust_dealer_with_identity_and_python_router_exchange_signed_messages_both_ways() {
    const RUST_IDENTITY: &[u8] = b"rust-engine-7";
    let s = session();
    let (mut py, _home, endpoint) = python_socket("router", "bind", &[]).await;
    let mut dealer = Socket::new(SocketKind::Dealer, Some(RUST_IDENTITY)).unwrap();
    dealer.connect(&endpoint, RECV_TIMEOUT).await.unwrap();

    // Rust -> Python: the stock ROUTER sees our identity.
    let request = s.msg(
        MsgType::ConnectionRequest,
        json!({"from": "dealer", "text": "日本"}),
    );
    dealer.send_msg(&s, &request).await.unwrap();
    let seen = python_recv(&mut py, RECV_TIMEOUT).await;
    assert_python_got(&seen);
    assert_eq!(
        from_hex(&seen["idents"]),
        vec![Bytes::from_static(RUST_IDENTITY)]
    );
    assert_eq!(
        seen["header"],
        serde_json::to_value(&request.header).unwrap()
    );
    assert_eq!(seen["content"], request.content);

    // Python -> Rust: addressed to that identity, answered with our request as parent.
    let sent = python_send(
        &mut py,
        json!({
            "msg_type": "connection_reply",
            "content": {"status": "ok", "engines": {}},
            "parent": seen["header"],
            "idents": seen["idents"],
        }),
    )
    .await;
    let reply = rust_recv(&mut dealer, &s).await;
    assert!(reply.idents.is_empty(), "{:?}", reply.idents);
    assert_eq!(reply.kind().unwrap(), MsgType::ConnectionReply);
    assert_eq!(serde_json::to_value(&reply.header).unwrap(), sent["header"]);
    assert_eq!(reply.parent_msg_id(), Some(request.header.msg_id.as_str()));
    assert_eq!(reply.content, json!({"status": "ok", "engines": {}}));
}

#[tokio::test]
async fn python_router_with_identity_reaches_rust_router_without_one_like_an_engine_shell() {
    // A stock engine's shell is a ROUTER with identity = uuid, connected to the controller's
    // bound ROUTER. The bound side must speak first (the connecting ROUTER cannot know a
    // random identity), and the engine replies with the routing frames it was given.
    const ENGINE: &[u8] = b"uuid-x";
    let s = session();
    let mut router = Socket::new(SocketKind::Router, None).unwrap();
    let endpoint = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let (mut py, _home, _) = python_socket("router", "connect", &[&endpoint, "uuid-x"]).await;

    // Until the handshake is done the identity is unknown and a send fails; retry, bounded.
    let request = s
        .msg(MsgType::ExecuteRequest, json!({"code": "1 + 1"}))
        .with_idents(vec![Bytes::from_static(ENGINE)]);
    let deadline = Instant::now() + JOIN_TIMEOUT;
    loop {
        match router.send_msg(&s, &request).await {
            Ok(()) => break,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the engine identity never became routable: {e}"),
        }
    }
    let seen = python_recv(&mut py, RECV_TIMEOUT).await;
    assert_python_got(&seen);
    assert_eq!(
        seen["header"],
        serde_json::to_value(&request.header).unwrap()
    );
    let routing = from_hex(&seen["idents"]);
    assert_eq!(routing.len(), 1, "one routing frame: our (random) identity");

    python_send(
        &mut py,
        json!({
            "msg_type": "execute_reply",
            "content": {"status": "ok"},
            "parent": seen["header"],
            "idents": seen["idents"],
        }),
    )
    .await;
    let reply = rust_recv(&mut router, &s).await;
    assert_eq!(reply.idents, vec![Bytes::from_static(ENGINE)]);
    assert_eq!(reply.parent_msg_id(), Some(request.header.msg_id.as_str()));
    assert_eq!(reply.content["status"], "ok");
}

fn stream_content(text: &str) -> Value {
    json!({"name": "stdout", "text": text})
}

/// Checks that numbered messages 0..count arrive in order after warm-up messages, which
/// may still trickle in first and are skipped.
fn check_numbered(texts: &[String], count: usize) {
    let numbered: Vec<&String> = texts.iter().filter(|t| *t != "warmup").collect();
    let want: Vec<String> = (0..count).map(|i| format!("line {i} — é\n")).collect();
    assert_eq!(numbered, want.iter().collect::<Vec<_>>());
}

const NUMBERED: usize = 5;

#[tokio::test]
async fn rust_pub_reaches_python_sub_after_slow_join() {
    let s = session();
    let mut publisher = Socket::new(SocketKind::Pub, None).unwrap();
    let endpoint = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let (mut py, _home, _) = python_socket("sub", "connect", &[&endpoint]).await;

    let publish = |text: &str| {
        s.msg(MsgType::Stream, stream_content(text))
            .with_idents(vec![Bytes::from_static(TOPIC)])
    };
    // Messages published before the subscription arrives are dropped: publish until one
    // gets through.
    let deadline = Instant::now() + JOIN_TIMEOUT;
    let first = loop {
        publisher.send_msg(&s, &publish("warmup")).await.unwrap();
        let seen = python_recv(&mut py, Duration::from_millis(100)).await;
        if seen["ok"] == true {
            break seen;
        }
        assert_eq!(seen["error_type"], "Timeout", "{seen}");
        assert!(
            Instant::now() < deadline,
            "Python's SUB got nothing within {JOIN_TIMEOUT:?}"
        );
    };
    assert_eq!(from_hex(&first["idents"]), vec![Bytes::from_static(TOPIC)]);
    assert_eq!(first["content"], stream_content("warmup"));

    for i in 0..NUMBERED {
        let msg = publish(&format!("line {i} — é\n"));
        publisher.send_msg(&s, &msg).await.unwrap();
    }
    let mut texts = Vec::new();
    while texts.iter().filter(|t| *t != "warmup").count() < NUMBERED {
        let seen = python_recv(&mut py, RECV_TIMEOUT).await;
        assert_python_got(&seen);
        assert_eq!(from_hex(&seen["idents"]), vec![Bytes::from_static(TOPIC)]);
        assert_eq!(seen["header"]["msg_type"], "stream");
        texts.push(seen["content"]["text"].as_str().unwrap().to_owned());
    }
    check_numbered(&texts, NUMBERED);
}

/// Python publishes (warm-up until Rust's SUB hears it, then numbered messages); Rust checks
/// what arrives.
async fn python_pub_reaches_rust_sub(py: &mut PyPeer, sub: &mut Socket) {
    let s = session();
    let warmup = json!({
        "msg_type": "stream",
        "content": stream_content("warmup"),
        "idents": to_hex(&[Bytes::from_static(TOPIC)]),
    });
    let deadline = Instant::now() + JOIN_TIMEOUT;
    let first = loop {
        python_send(py, warmup.clone()).await;
        if let Some(got) = recv_within(sub, &s, Duration::from_millis(100)).await {
            break got.expect("Rust refused Python's warm-up message");
        }
        assert!(
            Instant::now() < deadline,
            "Rust's SUB got nothing within {JOIN_TIMEOUT:?}"
        );
    };
    assert_eq!(first.idents, vec![Bytes::from_static(TOPIC)]);
    assert_eq!(first.content, stream_content("warmup"));

    let mut headers = Vec::new();
    for i in 0..NUMBERED {
        let sent = python_send(
            py,
            json!({
                "msg_type": "stream",
                "content": stream_content(&format!("line {i} — é\n")),
                "idents": to_hex(&[Bytes::from_static(TOPIC)]),
            }),
        )
        .await;
        headers.push(sent["header"].clone());
    }
    let mut texts = Vec::new();
    let mut numbered_headers = Vec::new();
    while numbered_headers.len() < NUMBERED {
        let msg = rust_recv(sub, &s).await;
        assert_eq!(msg.idents, vec![Bytes::from_static(TOPIC)]);
        assert_eq!(msg.kind().unwrap(), MsgType::Stream);
        let text = msg.content["text"].as_str().unwrap().to_owned();
        if text != "warmup" {
            numbered_headers.push(serde_json::to_value(&msg.header).unwrap());
        }
        texts.push(text);
    }
    check_numbered(&texts, NUMBERED);
    assert_eq!(numbered_headers, headers);
}

#[tokio::test]
async fn python_pub_bound_reaches_rust_sub_connected_after_slow_join() {
    let (mut py, _home, endpoint) = python_socket("pub", "bind", &[]).await;
    let mut sub = Socket::new(SocketKind::Sub, None).unwrap();
    sub.connect(&endpoint, RECV_TIMEOUT).await.unwrap();
    python_pub_reaches_rust_sub(&mut py, &mut sub).await;
}

#[tokio::test]
async fn python_pub_connected_reaches_rust_sub_bound_after_slow_join() {
    // How a stock engine's IOPub reaches a controller: the SUB is bound, the PUB connects.
    let mut sub = Socket::new(SocketKind::Sub, None).unwrap();
    let endpoint = sub.bind("tcp://127.0.0.1:0").await.unwrap();
    sub.subscribe_all().await.unwrap();
    let (mut py, _home, _) = python_socket("pub", "connect", &[&endpoint]).await;
    python_pub_reaches_rust_sub(&mut py, &mut sub).await;
}
