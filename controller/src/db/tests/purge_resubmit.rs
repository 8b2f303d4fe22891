//! purge_request and resubmit_request.

use serde_json::json;

use super::*;

fn purge(s: &mut ResultStore, content: Value) -> Result<Value, crate::db::QueryError> {
    s.purge(&content, engines().as_slice())
}

/// e0-done and e0-pending on engine 0, e1-done on engine 1, a completed task t-done run on
/// engine 1.
fn two_engines() -> ResultStore {
    let mut s = store();
    for (id, engine, done) in [
        ("e0-done", 0, true),
        ("e0-pending", 0, false),
        ("e1-done", 1, true),
    ] {
        let req = request(id, 0, &[]);
        s.submitted(Queue::Mux, &req, Some(&uuid(engine)), t(0));
        if done {
            s.completed(&reply(&req, &uuid(engine), "ok", 1, &[]), None, t(1));
        }
    }
    let task = request("t-done", 2, &[]);
    s.submitted(Queue::Task, &task, None, t(2));
    s.completed(&reply(&task, &uuid(1), "ok", 3, &[]), None, t(3));
    s
}

#[test]
fn purge_all_drops_every_finished_record_and_keeps_pending_ones() {
    let mut s = two_engines();
    s.iopub(&iopub(
        "stray",
        "stream",
        json!({"name": "stdout", "text": "x"}),
    ));
    let reply = purge(&mut s, json!({"msg_ids": "all", "engine_ids": [99]}));
    assert_eq!(
        reply,
        Ok(json!({"status": "ok"})),
        "engine_ids ignored with 'all'"
    );
    assert_eq!(strings(&s.history_reply()["history"]), ["e0-pending"]);
    assert!(
        s.contains("stray"),
        "output-only records have no completion, as in stock"
    );
}

#[test]
fn purge_by_msg_id_drops_those_and_ignores_unknown_ids() {
    let mut s = two_engines();
    assert_eq!(
        purge(&mut s, json!({"msg_ids": ["e0-done", "ghost"]})),
        Ok(json!({"status": "ok"}))
    );
    assert!(!s.contains("e0-done"));
    assert_eq!(s.len(), 3);
}

#[test]
fn purge_refuses_a_pending_msg_id_and_drops_nothing() {
    let mut s = two_engines();
    let err = purge(&mut s, json!({"msg_ids": ["e0-done", "e0-pending"]})).unwrap_err();
    assert_eq!(err.ename, "IndexError");
    assert_eq!(err.evalue, "msg pending: 'e0-pending'");
    assert_eq!(s.len(), 4);
}

#[test]
fn purge_by_engine_drops_its_finished_records_from_both_queues() {
    let mut s = two_engines();
    assert_eq!(
        purge(&mut s, json!({"engine_ids": [1]})),
        Ok(json!({"status": "ok"}))
    );
    assert_eq!(
        strings(&s.history_reply()["history"]),
        ["e0-done", "e0-pending"]
    );
    let q = s
        .queue_reply(
            &json!({"targets": [1], "verbose": false}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(
        q["1"]["completed"], 0,
        "the completed list shrinks with the records"
    );
}

#[test]
fn purge_of_an_unknown_or_dead_engine_is_an_index_error_after_earlier_ones() {
    let mut s = two_engines();
    let err = purge(&mut s, json!({"engine_ids": [1, 7, 0]})).unwrap_err();
    assert_eq!(
        (err.ename.as_str(), err.evalue.as_str()),
        ("IndexError", "No such engine: 7")
    );
    assert!(!s.contains("e1-done"), "engine 1 came before the bad id");
    assert!(s.contains("e0-done"), "engine 0 came after it");
    let err = purge(&mut s, json!({"engine_ids": [2]})).unwrap_err();
    assert_eq!(err.evalue, "No such engine: 2");
    let err = purge(&mut s, json!({"engine_ids": ["x"]})).unwrap_err();
    assert_eq!(err.evalue, "No such engine: x");
}

#[test]
fn purge_with_nothing_named_does_nothing() {
    let mut s = two_engines();
    assert_eq!(purge(&mut s, json!({})), Ok(json!({"status": "ok"})));
    assert_eq!(
        purge(&mut s, json!({"msg_ids": null, "engine_ids": null})),
        Ok(json!({"status": "ok"}))
    );
    assert_eq!(s.len(), 4);
}

#[test]
fn resubmit_sources_are_the_original_requests_once_each_in_asked_order() {
    let mut s = store();
    let mut req = request("orig", 0, &[b"f", b"args"]);
    req.content = json!({"code": "x"});
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(0));
    s.submitted(Queue::Task, &request("other", 1, &[]), None, t(1));
    let sources = s
        .resubmit_sources(&json!({"msg_ids": ["other", "orig", "other"]}))
        .expect("known");
    let ids: Vec<&str> = sources.iter().map(|r| r.msg_id.as_str()).collect();
    assert_eq!(ids, ["other", "orig"]);
    assert_eq!(sources[1].header, req.header);
    assert_eq!(sources[1].content, json!({"code": "x"}));
    assert_eq!(sources[1].buffers, bufs(&[b"f", b"args"]));
}

#[test]
fn resubmit_of_unknown_or_output_only_ids_is_a_key_error_naming_them() {
    let mut s = store_with(1, 1);
    s.iopub(&iopub(
        "stray",
        "stream",
        json!({"name": "stdout", "text": "x"}),
    ));
    let err = s
        .resubmit_sources(&json!({"msg_ids": ["m0", "ghost", "stray"]}))
        .unwrap_err();
    assert_eq!(err.ename, "KeyError");
    assert_eq!(err.evalue, "\"No such msg(s): ['ghost', 'stray']\"");
}

#[test]
fn a_resubmitted_message_is_the_original_with_a_new_id_and_no_metadata() {
    let mut s = store();
    let req = request("orig", 0, &[b"payload"]);
    s.submitted(Queue::Task, &req, None, t(0));
    let sources = s
        .resubmit_sources(&json!({"msg_ids": ["orig"]}))
        .expect("known");
    let msg = sources[0].message("fresh".to_owned(), format_iso(t(9)));
    assert_eq!(msg.header.msg_id, "fresh");
    assert_eq!(msg.header.date, format_iso(t(9)));
    assert_eq!(msg.header.session, CLIENT);
    assert_eq!(msg.header.msg_type, "apply_request");
    assert_eq!(msg.parent_header.as_ref(), Some(&req.header));
    assert!(msg.metadata.is_empty());
    assert_eq!(msg.content, req.content);
    assert_eq!(msg.buffers, bufs(&[b"payload"]));
}
