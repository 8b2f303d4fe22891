//! What the store records from relayed requests, replies and output (§7.6, §4.7).

use serde_json::{json, Value};

use super::*;

/// The full record of `msg_id` as `db_reply` lists it.
fn record_of(s: &ResultStore, msg_id: &str) -> Value {
    let (content, _) = s
        .db_reply(&json!({"query": {"msg_id": msg_id}}))
        .expect("a valid query");
    assert_eq!(
        content["records"].as_array().map(Vec::len),
        Some(1),
        "{content}"
    );
    content["records"][0].clone()
}

#[test]
fn a_mux_request_becomes_a_pending_record_with_stock_fields() {
    let mut s = store();
    let mut req = request("m0", 0, &[b"fn", b"args"]);
    req.metadata.insert("label".to_owned(), json!("my-label"));
    s.submitted(Queue::Mux, &req, Some(&uuid(1)), t(50));
    assert!(s.is_pending("m0"));

    let rec = record_of(&s, "m0");
    assert_eq!(rec["queue"], "mux");
    assert_eq!(rec["client_uuid"], CLIENT);
    assert_eq!(rec["engine_uuid"], "engine-uuid-1");
    assert_eq!(
        rec["submitted"],
        format_iso(t(0)),
        "submitted is the header date"
    );
    assert_eq!(rec["header"]["msg_id"], "m0");
    assert_eq!(rec["header"]["msg_type"], "apply_request");
    assert_eq!(rec["metadata"]["label"], "my-label");
    assert_eq!(rec["label"], "my-label");
    assert_eq!(rec["content"], json!({}));
    for key in [
        "completed",
        "started",
        "received",
        "result_header",
        "result_content",
        "resubmitted",
    ] {
        assert_eq!(rec[key], Value::Null, "{key}");
    }
    assert_eq!(rec["stdout"], "");
    assert_eq!(rec["stderr"], "");
    assert!(rec.get("buffers").is_none() && rec.get("result_buffers").is_none());
    assert!(rec.get("display_data").is_none());
}

#[test]
fn a_reply_stores_result_fields_and_timings() {
    let mut s = store();
    let req = request("m0", 0, &[]);
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(0));
    let rep = reply(&req, &uuid(0), "ok", 7, &[b"result"]);
    assert!(s.completed(&rep, Some(&uuid(0)), t(9)));
    assert!(!s.is_pending("m0"));

    let rec = record_of(&s, "m0");
    assert_eq!(rec["result_header"]["msg_type"], "apply_reply");
    assert_eq!(rec["result_metadata"]["engine"], "engine-uuid-0");
    assert_eq!(rec["result_content"], json!({"status": "ok"}));
    assert_eq!(
        rec["started"],
        format_iso(t(6)),
        "started comes from reply metadata"
    );
    assert_eq!(
        rec["completed"],
        format_iso(t(7)),
        "completed is the reply header date"
    );
    assert_eq!(
        rec["received"],
        format_iso(t(9)),
        "received is the hub clock"
    );
}

#[test]
fn a_task_is_unassigned_until_tracked_and_takes_its_engine_from_metadata() {
    let mut s = store();
    let req = request("t0", 0, &[]);
    s.submitted(Queue::Task, &req, None, t(0));
    let rec = record_of(&s, "t0");
    assert_eq!(rec["queue"], "task");
    assert_eq!(rec["engine_uuid"], Value::Null);
    let q = s.queue_reply(
        &json!({"targets": null, "verbose": true}),
        engines().as_slice(),
    );
    assert_eq!(q.expect("valid")["unassigned"], json!(["t0"]));

    assert!(s.assigned("t0", &uuid(1)));
    assert_eq!(record_of(&s, "t0")["engine_uuid"], "engine-uuid-1");
    let q = s
        .queue_reply(
            &json!({"targets": [1], "verbose": true}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(q["unassigned"], json!([]));
    assert_eq!(q["1"]["tasks"], json!(["t0"]));

    // The relay does not know the engine of a task reply; metadata.engine names it.
    assert!(s.completed(&reply(&req, &uuid(0), "ok", 2, &[]), None, t(3)));
    assert_eq!(record_of(&s, "t0")["engine_uuid"], "engine-uuid-0");
    let q = s
        .queue_reply(
            &json!({"targets": [0, 1], "verbose": true}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(q["0"]["completed"], json!(["t0"]));
    assert_eq!(q["1"]["tasks"], json!([]));
}

#[test]
fn replies_to_unknown_or_finished_tasks_are_ignored() {
    let mut s = store();
    let stranger = request("nobody", 0, &[]);
    assert!(!s.completed(&reply(&stranger, &uuid(0), "ok", 1, &[]), None, t(1)));
    assert!(s.is_empty());

    let req = request("t0", 0, &[]);
    s.submitted(Queue::Task, &req, None, t(0));
    assert!(s.completed(&reply(&req, &uuid(0), "ok", 1, &[b"first"]), None, t(1)));
    assert!(!s.completed(&reply(&req, &uuid(1), "ok", 2, &[b"second"]), None, t(2)));
    let (content, buffers) = s
        .result_reply(&json!({"msg_ids": ["t0"]}))
        .expect("known id");
    assert_eq!(buffers, bufs(&[b"first"]));
    assert_eq!(content["t0"]["result_header"]["session"], "engine-uuid-0");
}

#[test]
fn a_reply_without_parent_is_ignored() {
    let mut s = store_with(1, 0);
    let mut orphan = reply(&request("m0", 0, &[]), &uuid(0), "ok", 1, &[]);
    orphan.parent_header = None;
    assert!(!s.completed(&orphan, None, t(1)));
    assert!(s.is_pending("m0"));
}

#[test]
fn submitting_twice_keeps_one_pending_record() {
    let mut s = store();
    let req = request("t0", 0, &[b"payload"]);
    s.submitted(Queue::Task, &req, None, t(0));
    s.assigned("t0", &uuid(0));
    s.submitted(Queue::Task, &req, None, t(1));
    assert_eq!(s.len(), 1);
    assert!(s.is_pending("t0"));
    assert_eq!(record_of(&s, "t0")["engine_uuid"], "engine-uuid-0");
}

#[test]
fn an_unparseable_request_date_falls_back_to_the_hub_clock() {
    let mut s = store();
    let mut req = request("m0", 0, &[]);
    req.header.date = "yesterday".to_owned();
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(42));
    assert_eq!(record_of(&s, "m0")["submitted"], format_iso(t(42)));
}

#[test]
fn a_request_without_msg_id_is_not_recorded() {
    let mut s = store();
    s.submitted(Queue::Mux, &request("", 0, &[]), Some(&uuid(0)), t(0));
    assert!(s.is_empty());
}

#[test]
fn iopub_output_is_kept_by_parent_msg_id() {
    let mut s = store_with(1, 0);
    let out = |kind: &str, content: Value| iopub("m0", kind, content);
    assert!(s.iopub(&out("stream", json!({"name": "stdout", "text": "hello "}))));
    assert!(s.iopub(&out("stream", json!({"name": "stdout", "text": "world\n"}))));
    assert!(s.iopub(&out("stream", json!({"name": "stderr", "text": "warn\n"}))));
    assert!(s.iopub(&out(
        "execute_input",
        json!({"code": "print(1)", "execution_count": 3})
    )));
    let result = json!({"data": {"text/plain": "5"}, "metadata": {}, "execution_count": 3});
    assert!(s.iopub(&out("execute_result", result.clone())));
    let error = json!({"ename": "ValueError", "evalue": "bad", "traceback": []});
    assert!(s.iopub(&out("error", error.clone())));
    assert!(s.iopub(&out(
        "display_data",
        json!({"data": {"text/plain": "first"}})
    )));
    assert!(s.iopub(&out(
        "display_data",
        json!({"data": {"text/plain": "last"}})
    )));
    assert!(!s.iopub(&out("status", json!({"execution_state": "idle"}))));
    assert!(!s.iopub(&out("stream", json!({"name": "stdin", "text": "x"}))));

    let rec = record_of(&s, "m0");
    assert_eq!(rec["stdout"], "hello world\n");
    assert_eq!(rec["stderr"], "warn\n");
    assert_eq!(rec["execute_input"], "print(1)");
    assert_eq!(rec["execute_result"], result);
    assert_eq!(rec["error"], error);
    assert_eq!(rec["display_data"]["data"]["text/plain"], "last");
}

#[test]
fn output_before_its_request_is_kept_and_hidden_from_history_until_submitted() {
    let mut s = store();
    assert!(s.iopub(&iopub(
        "early",
        "stream",
        json!({"name": "stdout", "text": "hi"})
    )));
    assert_eq!(s.len(), 1);
    assert!(!s.is_pending("early"));
    assert_eq!(s.history_reply()["history"], json!([]));
    let (r, _) = s
        .result_reply(&json!({"msg_ids": ["early"]}))
        .expect("known id");
    assert_eq!(r["pending"], json!(["early"]), "no result yet");

    s.submitted(Queue::Mux, &request("early", 0, &[]), Some(&uuid(0)), t(0));
    assert!(s.is_pending("early"));
    assert_eq!(s.history_reply()["history"], json!(["early"]));
    assert_eq!(record_of(&s, "early")["stdout"], "hi");
}

#[test]
fn iopub_without_parent_is_ignored() {
    let mut s = store();
    let mut msg = iopub("x", "stream", json!({"name": "stdout", "text": "hi"}));
    msg.parent_header = None;
    assert!(!s.iopub(&msg));
    assert!(s.is_empty());
}

#[test]
fn stored_stream_text_stops_at_the_stream_limit() {
    let limits = StoreLimits {
        stream_limit: 10,
        ..StoreLimits::default()
    };
    let mut s = ResultStore::new(limits);
    s.submitted(Queue::Mux, &request("m0", 0, &[]), Some(&uuid(0)), t(0));
    s.iopub(&iopub(
        "m0",
        "stream",
        json!({"name": "stdout", "text": "12345678"}),
    ));
    s.iopub(&iopub(
        "m0",
        "stream",
        json!({"name": "stdout", "text": "9é€"}),
    ));
    // 8 + "9" + "é" (2 bytes) would be 11: the cut falls before the é.
    assert_eq!(record_of(&s, "m0")["stdout"], "123456789");
}

#[test]
fn a_lost_engine_fails_its_pending_mux_requests_with_engine_error() {
    let mut s = store();
    for (id, engine) in [("a", 1), ("b", 0), ("c", 1)] {
        s.submitted(Queue::Mux, &request(id, 0, &[]), Some(&uuid(engine)), t(0));
    }
    s.submitted(Queue::Task, &request("task", 0, &[]), None, t(0));
    s.assigned("task", &uuid(1));

    let failed = s.engine_lost(EngineId(1), &uuid(1), t(30));
    assert_eq!(failed, vec!["a".to_owned(), "c".to_owned()]);
    assert!(s.is_pending("b"), "other engines' requests stay pending");
    assert!(
        s.is_pending("task"),
        "tasks are the task scheduler's to fail"
    );

    let (content, buffers) = s
        .result_reply(&json!({"msg_ids": ["a"], "status_only": false}))
        .expect("known id");
    assert!(buffers.is_empty());
    let result = &content["a"]["result_content"];
    assert_eq!(result["status"], "error");
    assert_eq!(result["ename"], "EngineError");
    assert_eq!(result["evalue"], "Engine 1 died while running task 'a'");
    assert_eq!(result["engine_info"], json!({}));
    assert_eq!(content["a"]["result_header"]["engine"], "engine-uuid-1");
    assert_eq!(content["a"]["result_header"]["date"], format_iso(t(30)));
    assert_eq!(record_of(&s, "a")["completed"], format_iso(t(30)));

    // A dead engine's failures do not count as work it completed.
    let q = s
        .queue_reply(
            &json!({"targets": [2, 1], "verbose": false}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(q["1"], json!({"queue": 0, "completed": 0, "tasks": 1}));
}

#[test]
fn a_late_mux_reply_replaces_the_engine_error() {
    let mut s = store();
    let req = request("m0", 0, &[]);
    s.submitted(Queue::Mux, &req, Some(&uuid(1)), t(0));
    s.engine_lost(EngineId(1), &uuid(1), t(5));
    assert!(s.completed(
        &reply(&req, &uuid(1), "ok", 6, &[b"late"]),
        Some(&uuid(1)),
        t(7)
    ));
    let (content, buffers) = s.result_reply(&json!({"msg_ids": ["m0"]})).expect("known");
    assert_eq!(content["m0"]["result_content"]["status"], "ok");
    assert_eq!(buffers, bufs(&[b"late"]));
}

#[test]
fn a_resubmission_is_a_new_pending_task_named_on_the_original() {
    let mut s = store_with(1, 1);
    let sources = s
        .resubmit_sources(&json!({"msg_ids": ["m0"]}))
        .expect("known");
    let msg = sources[0].message("new-id".to_owned(), format_iso(t(60)));
    s.resubmitted("m0", &msg, t(60));

    assert!(s.is_pending("new-id"));
    let new = record_of(&s, "new-id");
    assert_eq!(new["queue"], "task");
    assert_eq!(new["client_uuid"], CLIENT, "the original session is kept");
    assert_eq!(new["submitted"], format_iso(t(60)));
    assert_eq!(record_of(&s, "m0")["resubmitted"], "new-id");
    assert_eq!(s.history_reply()["history"], json!(["m0", "new-id"]));
}

#[test]
fn aborted_tasks_do_not_count_as_completed_but_aborted_mux_requests_do() {
    let mut s = store();
    let task = request("t0", 0, &[]);
    let mux = request("m0", 1, &[]);
    s.submitted(Queue::Task, &task, None, t(0));
    s.submitted(Queue::Mux, &mux, Some(&uuid(0)), t(1));
    s.completed(&reply(&task, &uuid(0), "aborted", 2, &[]), None, t(2));
    s.completed(
        &reply(&mux, &uuid(0), "aborted", 3, &[]),
        Some(&uuid(0)),
        t(3),
    );
    let q = s
        .queue_reply(
            &json!({"targets": 0, "verbose": true}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(q["0"]["completed"], json!(["m0"]));
}
