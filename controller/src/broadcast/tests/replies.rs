//! Replies passed through, merged, refused or dropped with a lost engine.

use super::*;

#[test]
fn non_coalescing_replies_pass_through_unchanged() {
    let mut c = cluster(2, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (msg, raw) = c.request(&all, false);
    let out = c.scheduler.request(raw).unwrap();
    for copy in &out {
        let request = c.engine_receives(copy);
        let engine = c.engine(&copy.engine);
        let reply = c.engine_reply(engine, &request, "ok", vec![Bytes::from_static(b"42")]);
        let sent = reply.clone();
        let frames = c
            .scheduler
            .reply(reply)
            .unwrap()
            .expect("forwarded at once");
        let mut want = sent.into_frames();
        want.remove(0);
        assert_eq!(frames, want, "same bytes, engine frame dropped");
        let got = c
            .client_receives(frames)
            .expect("the engine's signature holds");
        assert_eq!(
            got.parent_msg_id(),
            Some(format!("{}_{}", msg.header.msg_id, copy.engine).as_str())
        );
    }
    assert_eq!(c.scheduler.pending(), 0);
}

#[test]
fn coalesced_reply_waits_for_every_target_and_merges_in_leaf_order() {
    let mut c = cluster(4, 2);
    let (msg, copies) = coalescing_round(&mut c, &[3, 0, 1, 2]);
    assert_eq!(c.scheduler.pending(), 1);

    // Answer in an order unrelated to the targets; each buffer names its engine.
    let order = [2usize, 3, 0, 1];
    let mut merged = None;
    for (n, &i) in order.iter().enumerate() {
        let (_, request) = copies.iter().find(|(e, _)| *e == i).unwrap();
        let buf = Bytes::from(format!("result of {i}"));
        let reply = c.engine_reply(&c.engines[i], request, "ok", vec![buf]);
        let got = c.scheduler.reply(reply).unwrap();
        if n + 1 < order.len() {
            assert!(got.is_none(), "held until every engine answered");
        } else {
            merged = got;
        }
    }
    assert_eq!(c.scheduler.pending(), 0, "entry gone once complete");
    let got = c
        .client_receives(merged.expect("one merged reply"))
        .expect("re-signed with the key");

    // Stock order: leaf 0 then leaf 1, the client's order within a leaf.
    let want_order = [0usize, 2, 3, 1];
    let want_pairs: Vec<&Engine> = want_order.iter().map(|&i| &c.engines[i]).collect();
    assert_eq!(got.metadata["broadcast_targets"], pairs(&want_pairs));
    let buffers: Vec<String> = got
        .buffers
        .iter()
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
        .collect();
    assert_eq!(
        buffers,
        want_order.map(|i| format!("result of {i}")).to_vec()
    );
    // The rest is the last reply: engine 1's, matched by the client through original_msg_id.
    assert_eq!(got.metadata["original_msg_id"], json!(msg.header.msg_id));
    assert_eq!(got.metadata["is_broadcast"], json!(true));
    assert_eq!(got.metadata["is_coalescing"], json!(true));
    assert_eq!(got.metadata["engine"], json!(c.engines[1].uuid.as_str()));
    assert_eq!(got.header.session, c.engines[1].uuid.as_str());
    assert_eq!(
        got.parent_msg_id(),
        Some(format!("{}_{}", msg.header.msg_id, c.engines[1].uuid).as_str())
    );
    assert_eq!(got.content, json!({"status": "ok"}));
}

#[test]
fn coalesced_reply_copies_a_failed_reply_when_there_is_one() {
    let mut c = cluster(3, 2);
    let (_, mut copies) = coalescing_round(&mut c, &[0, 1, 2]);
    // The failure arrives first: stock would copy the last (successful) reply instead.
    copies.sort_by_key(|(i, _)| *i != 1);
    let mut merged = None;
    for (i, request) in &copies {
        let status = if *i == 1 { "error" } else { "ok" };
        let buffers = if *i == 1 {
            vec![]
        } else {
            vec![Bytes::from_static(b"x")]
        };
        let reply = c.engine_reply(&c.engines[*i], request, status, buffers);
        merged = c.scheduler.reply(reply).unwrap().or(merged);
    }
    let got = c.client_receives(merged.unwrap()).unwrap();
    assert_eq!(got.content["status"], json!("error"));
    assert_eq!(got.content["ename"], json!("ZeroDivisionError"));
    assert_eq!(got.metadata["engine"], json!(c.engines[1].uuid.as_str()));
    assert_eq!(got.buffers.len(), 2);
}

#[test]
fn unknown_and_repeated_coalescing_replies_are_refused() {
    let mut c = cluster(3, 2);
    let (msg, copies) = coalescing_round(&mut c, &[0, 1]);
    let orig = msg.header.msg_id.clone();
    let (_, to_engine0) = copies.iter().find(|(i, _)| *i == 0).unwrap();

    // Engine 2 was not a target.
    let stray = c.engine_reply(&c.engines[2], to_engine0, "ok", vec![]);
    assert_eq!(
        c.scheduler.reply(stray),
        Err(BroadcastError::UnexpectedReply {
            engine: c.engines[2].uuid.clone(),
            original_msg_id: orig.clone(),
        })
    );

    // Engine 0 answers twice.
    let first = c.engine_reply(&c.engines[0], to_engine0, "ok", vec![]);
    assert_eq!(c.scheduler.reply(first), Ok(None));
    let again = c.engine_reply(&c.engines[0], to_engine0, "ok", vec![]);
    assert_eq!(
        c.scheduler.reply(again),
        Err(BroadcastError::UnexpectedReply {
            engine: c.engines[0].uuid.clone(),
            original_msg_id: orig.clone(),
        })
    );

    // A reply naming a request nobody is collecting.
    let mut other = to_engine0.clone();
    other
        .metadata
        .insert("original_msg_id".into(), json!("no-such-request"));
    let unknown = c.engine_reply(&c.engines[1], &other, "ok", vec![]);
    assert_eq!(
        c.scheduler.reply(unknown),
        Err(BroadcastError::UnknownRequest {
            engine: c.engines[1].uuid.clone(),
            original_msg_id: "no-such-request".into(),
        })
    );

    // A coalescing reply that does not name its request.
    let mut anonymous = to_engine0.clone();
    anonymous.metadata.remove("original_msg_id");
    let mut reply = c.engine_reply(&c.engines[1], &anonymous, "ok", vec![]);
    let mut md: Map<String, Value> = serde_json::from_slice(&reply.metadata).unwrap();
    md.remove("original_msg_id");
    reply.metadata = Bytes::from(serde_json::to_vec(&md).unwrap());
    assert_eq!(
        c.scheduler.reply(reply),
        Err(BroadcastError::MissingOriginalMsgId {
            engine: c.engines[1].uuid.clone(),
        })
    );
    assert_eq!(c.scheduler.pending(), 1, "the real request still waits");
}

#[test]
fn replies_without_routing_frames_are_refused() {
    let mut c = cluster(1, 2);
    let (_, copies) = coalescing_round(&mut c, &[0]);
    let request = &copies[0].1;

    let mut reply = c.engine_reply(&c.engines[0], request, "ok", vec![]);
    reply.idents.clear();
    assert_eq!(c.scheduler.reply(reply), Err(BroadcastError::NoEngineFrame));

    let mut reply = c.engine_reply(&c.engines[0], request, "ok", vec![]);
    reply.idents[0] = Bytes::from_static(b"\xff\xfe");
    assert_eq!(c.scheduler.reply(reply), Err(BroadcastError::NoEngineFrame));

    let mut plain = request.clone();
    plain.metadata.insert("is_coalescing".into(), json!(false));
    let mut reply = c.engine_reply(&c.engines[0], &plain, "ok", vec![]);
    reply.idents.truncate(1);
    assert_eq!(
        c.scheduler.reply(reply),
        Err(BroadcastError::NoReplyRoute {
            engine: c.engines[0].uuid.clone()
        })
    );

    let mut reply = c.engine_reply(&c.engines[0], request, "ok", vec![]);
    reply.metadata = Bytes::from_static(b"{");
    assert!(matches!(
        c.scheduler.reply(reply),
        Err(BroadcastError::InvalidJson {
            frame: "reply metadata",
            ..
        })
    ));
}

#[test]
fn losing_an_engine_drops_the_requests_still_waiting_for_it() {
    let mut c = cluster(3, 2);
    let (a, copies_a) = coalescing_round(&mut c, &[0, 1]);
    let (_, copies_b) = coalescing_round(&mut c, &[1, 2]);
    // Engine 0 answers request a; request b never involved it.
    let (_, to_0) = copies_a.iter().find(|(i, _)| *i == 0).unwrap();
    let reply = c.engine_reply(&c.engines[0], to_0, "ok", vec![]);
    assert_eq!(c.scheduler.reply(reply), Ok(None));
    assert_eq!(c.scheduler.pending(), 2);

    let mut dropped = c.scheduler.engine_lost(&c.engines[1].uuid);
    dropped.sort();
    let b_id = {
        let md = &copies_b[0].1.metadata;
        md["original_msg_id"].as_str().unwrap().to_owned()
    };
    let mut want = vec![a.header.msg_id.clone(), b_id];
    want.sort();
    assert_eq!(dropped, want);
    assert_eq!(c.scheduler.pending(), 0);

    // A late reply to a dropped request is unknown, not merged.
    let (_, to_2) = copies_b.iter().find(|(i, _)| *i == 2).unwrap();
    let late = c.engine_reply(&c.engines[2], to_2, "ok", vec![]);
    assert!(matches!(
        c.scheduler.reply(late),
        Err(BroadcastError::UnknownRequest { .. })
    ));
}

#[test]
fn a_lost_engine_that_already_answered_does_not_stop_the_merge() {
    let mut c = cluster(2, 2);
    let (_, copies) = coalescing_round(&mut c, &[0, 1]);
    let (_, to_0) = copies.iter().find(|(i, _)| *i == 0).unwrap();
    let reply = c.engine_reply(&c.engines[0], to_0, "ok", vec![Bytes::from_static(b"0")]);
    assert_eq!(c.scheduler.reply(reply), Ok(None));
    assert!(c
        .scheduler
        .engine_lost(&c.engines[0].uuid.clone())
        .is_empty());
    let (_, to_1) = copies.iter().find(|(i, _)| *i == 1).unwrap();
    let reply = c.engine_reply(&c.engines[1], to_1, "ok", vec![Bytes::from_static(b"1")]);
    let merged = c.scheduler.reply(reply).unwrap().expect("complete");
    let got = c.client_receives(merged).unwrap();
    assert_eq!(
        got.buffers,
        vec![Bytes::from_static(b"0"), Bytes::from_static(b"1")]
    );
}

#[test]
fn requests_naming_a_lost_engine_skip_it_and_keep_no_state() {
    let mut c = cluster(2, 2);
    c.scheduler.engine_lost(&c.engines[1].uuid);
    for coalescing in [false, true] {
        let (_, raw) = c.request(&[&c.engines[0], &c.engines[1]], coalescing);
        let out = c.scheduler.request(raw).unwrap();
        let engines: Vec<&EngineUuid> = out.iter().map(|t| &t.engine).collect();
        assert_eq!(engines, vec![&c.engines[0].uuid]);
        assert_eq!(c.scheduler.pending(), 0);
    }
}
