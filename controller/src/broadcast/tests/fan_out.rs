//! One request in, one signed copy per engine out.

use super::*;

#[test]
fn fan_out_names_each_copy_after_the_request_and_the_engine() {
    let mut c = cluster(3, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (msg, raw) = c.request(&all, false);
    let out = c.scheduler.request(raw).expect("a valid request");

    assert_eq!(out.len(), 3);
    for copy in &out {
        let got = c.engine_receives(copy);
        let orig = &msg.header.msg_id;
        assert_eq!(got.header.msg_id, format!("{orig}_{}", copy.engine));
        assert_eq!(got.metadata["original_msg_id"], json!(orig));
        assert_eq!(got.metadata["is_broadcast"], json!(true));
        assert_eq!(got.metadata["is_coalescing"], json!(false));
        // Everything else in the header is the client's.
        assert_eq!(got.header.session, msg.header.session);
        assert_eq!(got.header.date, msg.header.date);
        assert_eq!(got.header.msg_type, "apply_request");
        assert_eq!(got.idents[1].as_ref(), CLIENT_ID, "client frame kept");
        assert_eq!(copy.frames[0], copy.engine.routing_id());
    }
    assert_eq!(c.scheduler.pending(), 0, "nothing kept for non-coalescing");
}

#[test]
fn fan_out_sends_each_copy_on_the_leaf_of_its_engine_id() {
    let mut c = cluster(5, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (_, raw) = c.request(&all, false);
    let out = c.scheduler.request(raw).expect("a valid request");
    for copy in &out {
        let id = c.engines.iter().find(|e| e.uuid == copy.engine).unwrap().id;
        assert_eq!(copy.leaf, id.0 as usize % 2);
    }
    let mut leaves: Vec<usize> = out.iter().map(|t| t.leaf).collect();
    leaves.sort();
    assert_eq!(leaves, vec![0, 0, 0, 1, 1]);

    let single = cluster(3, 1);
    let all: Vec<&Engine> = single.engines.iter().collect();
    let (_, raw) = single.request(&all, false);
    let mut s = single.scheduler;
    let out = s.request(raw).unwrap();
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|t| t.leaf == 0));
}

#[test]
fn each_copy_carries_the_targets_of_its_leaf() {
    let mut c = cluster(4, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (_, raw) = c.request(&all, false);
    let out = c.scheduler.request(raw).unwrap();
    let even = pairs(&[&c.engines[0], &c.engines[2]]);
    let odd = pairs(&[&c.engines[1], &c.engines[3]]);
    for copy in &out {
        let want = if copy.leaf == 0 { &even } else { &odd };
        assert_eq!(&metadata_of(&copy.frames)["targets"], want);
    }
}

#[test]
fn copies_verify_with_the_key_and_no_two_share_a_signature() {
    let mut c = cluster(4, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (_, raw) = c.request(&all, true);
    let out = c.scheduler.request(raw).unwrap();
    // One Python session seeing every copy would refuse a repeated signature.
    let one_peer = Session::new(signer());
    for copy in &out {
        one_peer
            .deserialize(copy.frames.clone())
            .expect("signed with the shared key, never repeated");
    }
    assert_eq!(out.len(), 4);
    let wrong_key = Session::new(Signer::new(b"other", DEFAULT_SCHEME).unwrap());
    assert!(matches!(
        wrong_key.deserialize(out[0].frames.clone()),
        Err(WireError::BadSignature)
    ));
}

#[test]
fn copies_share_content_parent_and_buffers_with_the_request() {
    let mut c = cluster(2, 2);
    let all: Vec<&Engine> = c.engines.iter().collect();
    let (_, raw) = c.request(&all, false);
    let out = c.scheduler.request(raw.clone()).unwrap();
    for copy in &out {
        let got = RawMessage::from_frames(copy.frames.clone()).unwrap();
        assert_eq!(got.content, raw.content);
        assert_eq!(got.parent_header, raw.parent_header);
        assert_eq!(got.buffers, raw.buffers);
        for (sent, received) in got.buffers.iter().zip(&raw.buffers) {
            assert_eq!(sent.as_ptr(), received.as_ptr(), "shared, not copied");
        }
    }
}

#[test]
fn an_original_msg_id_set_by_the_sender_is_kept() {
    let mut c = cluster(1, 2);
    let (_, raw) = c.request_with(
        json!({"targets": pairs(&[&c.engines[0]]), "is_coalescing": false,
               "original_msg_id": "upstream"}),
        vec![],
    );
    let out = c.scheduler.request(raw).unwrap();
    let header: Map<String, Value> = serde_json::from_slice(
        &RawMessage::from_frames(out[0].frames.clone())
            .unwrap()
            .header,
    )
    .unwrap();
    assert_eq!(
        header["msg_id"],
        json!(format!("upstream_{}", c.engines[0].uuid))
    );
    assert_eq!(
        metadata_of(&out[0].frames)["original_msg_id"],
        json!("upstream")
    );
}

#[test]
fn an_engine_named_twice_gets_one_copy() {
    let mut c = cluster(2, 2);
    let (_, raw) = c.request(&[&c.engines[0], &c.engines[1], &c.engines[0]], false);
    let out = c.scheduler.request(raw).unwrap();
    let engines: Vec<&EngineUuid> = out.iter().map(|t| &t.engine).collect();
    assert_eq!(engines, vec![&c.engines[0].uuid, &c.engines[1].uuid]);
}
