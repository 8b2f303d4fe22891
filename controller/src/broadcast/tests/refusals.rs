//! Requests the scheduler refuses, and what the client is told.

use super::*;

#[test]
fn malformed_requests_are_refused_with_an_error_reply_to_the_client() {
    let mut c = cluster(2, 2);
    let good = pairs(&[&c.engines[0]]);
    let cases = [
        (
            json!({"is_coalescing": true}),
            BroadcastError::MissingField("targets"),
        ),
        (
            json!({"targets": good.clone()}),
            BroadcastError::MissingField("is_coalescing"),
        ),
        (
            json!({"targets": good.clone(), "is_coalescing": "yes"}),
            BroadcastError::InvalidField {
                field: "is_coalescing",
                expected: "true or false",
            },
        ),
        (
            json!({"targets": "all", "is_coalescing": false}),
            BroadcastError::InvalidField {
                field: "targets",
                expected: "a list of [uuid, engine id] pairs",
            },
        ),
        (
            json!({"targets": [c.engines[0].uuid.as_str()], "is_coalescing": false}),
            BroadcastError::InvalidTarget {
                index: 0,
                found: format!("{:?}", c.engines[0].uuid.as_str()),
            },
        ),
        (
            json!({"targets": [[c.engines[0].uuid.as_str(), 0], ["u", -1]], "is_coalescing": false}),
            BroadcastError::InvalidTarget {
                index: 1,
                found: r#"["u",-1]"#.to_owned(),
            },
        ),
        (
            json!({"targets": [["u", "0"]], "is_coalescing": false}),
            BroadcastError::InvalidTarget {
                index: 0,
                found: r#"["u","0"]"#.to_owned(),
            },
        ),
        (
            json!({"targets": [], "is_coalescing": true}),
            BroadcastError::NoTargets,
        ),
    ];
    for (metadata, want) in cases {
        let (msg, raw) = c.request_with(metadata, vec![]);
        let refused = c.scheduler.request(raw).expect_err("refused");
        assert_eq!(refused.error, want);
        let reply = c
            .client_receives(refused.reply.expect("the client is told"))
            .expect("signed");
        assert_eq!(reply.header.msg_type, "apply_reply");
        assert_eq!(reply.parent_msg_id(), Some(msg.header.msg_id.as_str()));
        assert!(reply.metadata.is_empty());
        assert_eq!(reply.content["status"], json!("error"));
        assert_eq!(reply.content["ename"], json!("BroadcastError"));
        assert_eq!(reply.content["evalue"], json!(want.to_string()));
        assert_eq!(reply.content["engine_info"], json!({}));
    }
    assert_eq!(c.scheduler.pending(), 0);
}

#[test]
fn unreadable_metadata_is_refused_and_answered() {
    let mut c = cluster(1, 2);
    let (msg, mut raw) = c.request(&[&c.engines[0]], true);
    raw.metadata = Bytes::from_static(b"[1, 2");
    let refused = c.scheduler.request(raw).expect_err("refused");
    assert!(matches!(
        refused.error,
        BroadcastError::InvalidJson {
            frame: "request metadata",
            ..
        }
    ));
    let reply = c.client_receives(refused.reply.unwrap()).unwrap();
    assert_eq!(reply.parent_msg_id(), Some(msg.header.msg_id.as_str()));
}

#[test]
fn requests_that_cannot_be_answered_get_no_reply() {
    let mut c = cluster(1, 2);
    let (_, mut raw) = c.request(&[&c.engines[0]], false);
    raw.idents.clear();
    let refused = c.scheduler.request(raw).expect_err("refused");
    assert_eq!(refused.error, BroadcastError::NoClientRoute);
    assert!(refused.reply.is_none());

    let (_, mut raw) = c.request(&[&c.engines[0]], false);
    raw.header = Bytes::from_static(br#"{"msg_type": "apply_request"}"#);
    let refused = c.scheduler.request(raw).expect_err("refused");
    assert_eq!(refused.error, BroadcastError::MissingMsgId);
    assert!(refused.reply.is_none());

    let (_, mut raw) = c.request(&[&c.engines[0]], false);
    raw.header = Bytes::from_static(b"not json");
    let refused = c.scheduler.request(raw).expect_err("refused");
    assert!(matches!(refused.error, BroadcastError::InvalidJson { .. }));
    assert!(refused.reply.is_none());
}

#[test]
fn a_non_coalescing_request_with_no_targets_sends_nothing() {
    let mut c = cluster(1, 2);
    let (_, raw) = c.request(&[], false);
    assert_eq!(c.scheduler.request(raw).unwrap(), vec![]);
    assert_eq!(c.scheduler.pending(), 0);
}

#[test]
fn a_second_coalescing_request_under_a_pending_id_is_refused_without_reply() {
    let mut c = cluster(1, 2);
    let metadata = json!({"targets": pairs(&[&c.engines[0]]), "is_coalescing": true,
                          "original_msg_id": "same"});
    let (_, raw) = c.request_with(metadata.clone(), vec![]);
    c.scheduler.request(raw).unwrap();
    let refused = rejected(&mut c, metadata);
    assert_eq!(
        refused.error,
        BroadcastError::DuplicateRequest("same".into())
    );
    assert!(
        refused.reply.is_none(),
        "an error would fail the first request"
    );
    assert_eq!(c.scheduler.pending(), 1);
}
