//! The contents of queue_reply, result_reply, history_reply and db_reply (§6.2).

use serde_json::json;

use super::*;
use crate::db::QueryError;

fn queue(s: &ResultStore, content: Value) -> Result<Value, QueryError> {
    s.queue_reply(&content, engines().as_slice())
}

/// Engine 0: m0 pending, m1 and m2 completed (m2 first); engine 1: one assigned task;
/// one unassigned task.
fn busy_store() -> ResultStore {
    let mut s = store();
    let reqs: Vec<Message> = (0..3).map(|i| request(&format!("m{i}"), i, &[])).collect();
    for req in &reqs {
        s.submitted(Queue::Mux, req, Some(&uuid(0)), t(0));
    }
    s.completed(
        &reply(&reqs[2], &uuid(0), "ok", 5, &[]),
        Some(&uuid(0)),
        t(5),
    );
    s.completed(
        &reply(&reqs[1], &uuid(0), "ok", 6, &[]),
        Some(&uuid(0)),
        t(6),
    );
    s.submitted(Queue::Task, &request("t-assigned", 3, &[]), None, t(3));
    s.assigned("t-assigned", &uuid(1));
    s.submitted(Queue::Task, &request("t-waiting", 4, &[]), None, t(4));
    s
}

#[test]
fn queue_reply_counts_per_engine_and_unassigned() {
    let s = busy_store();
    let q = queue(&s, json!({"targets": null, "verbose": false})).expect("valid");
    assert_eq!(q["status"], "ok");
    assert_eq!(q["0"], json!({"queue": 1, "completed": 2, "tasks": 0}));
    assert_eq!(q["1"], json!({"queue": 0, "completed": 0, "tasks": 1}));
    assert_eq!(
        q["2"],
        json!({"queue": 0, "completed": 0, "tasks": 0}),
        "dead ids listed"
    );
    assert_eq!(q["unassigned"], 1);
    assert_eq!(q.as_object().map(|m| m.len()), Some(5));
}

#[test]
fn queue_reply_verbose_lists_ids_with_completed_in_completion_order() {
    let s = busy_store();
    let q = queue(&s, json!({"targets": [0, 1], "verbose": true})).expect("valid");
    assert_eq!(q["0"]["queue"], json!(["m0"]));
    assert_eq!(q["0"]["completed"], json!(["m2", "m1"]));
    assert_eq!(q["1"]["tasks"], json!(["t-assigned"]));
    assert_eq!(q["unassigned"], json!(["t-waiting"]));
    assert!(q.get("2").is_none(), "only the asked targets");
}

#[test]
fn queue_reply_takes_a_single_target_and_live_uuids() {
    let s = busy_store();
    let q = queue(&s, json!({"targets": "engine-uuid-1"})).expect("valid");
    assert_eq!(q["1"]["tasks"], 1);
    let q = queue(&s, json!({"targets": 0})).expect("valid");
    assert_eq!(q["0"]["queue"], 1);
    assert!(q.get("1").is_none());
}

#[test]
fn queue_reply_refuses_unknown_targets_as_stock_does() {
    let s = busy_store();
    let err = queue(&s, json!({"targets": [0, 7, "nope", "engine-uuid-2"]})).unwrap_err();
    assert_eq!(err.ename, "IndexError");
    assert_eq!(err.evalue, "No Such Engine: [7, 'nope', 'engine-uuid-2']");
    let err = queue(&s, json!({"targets": []})).unwrap_err();
    assert_eq!(err.evalue, "No Engines Registered");
    let err = queue(&s, json!({"targets": [1.5, true, null]})).unwrap_err();
    assert_eq!(err.evalue, "No Such Engine: [1.5, True, None]");
}

#[test]
fn queue_reply_with_no_engines_and_null_targets_is_just_unassigned() {
    let s = store_with(0, 0);
    let q = s
        .queue_reply(&json!({"targets": null}), <&[EngineEntry]>::default())
        .expect("valid");
    assert_eq!(q, json!({"status": "ok", "unassigned": 0}));
}

#[test]
fn result_reply_sorts_ids_and_splits_pending_from_completed() {
    let s = store_with(3, 2);
    let (content, buffers) = s
        .result_reply(&json!({"msg_ids": ["m2", "m1", "m0", "m1"], "status_only": true}))
        .expect("known ids");
    assert_eq!(content["pending"], json!(["m2"]));
    assert_eq!(content["completed"], json!(["m0", "m1"]));
    assert!(content.get("m0").is_none(), "status_only has no entries");
    assert!(buffers.is_empty());
    assert_eq!(content.as_object().map(|m| m.len()), Some(3));
}

#[test]
fn result_reply_entries_have_the_stock_shape() {
    let mut s = store_with(1, 0);
    s.iopub(&iopub(
        "m0",
        "stream",
        json!({"name": "stdout", "text": "out"}),
    ));
    s.completed(
        &reply(&request("m0", 0, &[]), &uuid(0), "ok", 3, &[]),
        None,
        t(4),
    );
    let (content, _) = s.result_reply(&json!({"msg_ids": ["m0"]})).expect("known");
    let entry = &content["m0"];
    let mut keys: Vec<&str> = entry
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "header",
            "io",
            "metadata",
            "received",
            "result_content",
            "result_header",
            "result_metadata"
        ]
    );
    assert_eq!(entry["header"]["msg_id"], "m0");
    assert_eq!(entry["metadata"]["label"], Value::Null);
    assert_eq!(entry["received"], format_iso(t(4)));
    assert_eq!(
        entry["io"],
        json!({"execute_input": null, "execute_result": null, "error": null,
               "stdout": "out", "stderr": ""})
    );
}

#[test]
fn result_reply_buffers_follow_sorted_msg_id_order() {
    let mut s = store();
    // Submitted and completed in an order unlike the ids' sort order.
    let reqs = [("c", 0), ("a", 1), ("b", 2)].map(|(id, at)| request(id, at, &[b"in"]));
    for req in &reqs {
        s.submitted(Queue::Mux, req, Some(&uuid(0)), t(0));
    }
    s.completed(
        &reply(&reqs[2], &uuid(0), "ok", 3, &[b"b1", b"b2"]),
        None,
        t(3),
    );
    s.completed(&reply(&reqs[0], &uuid(0), "ok", 4, &[b"c1"]), None, t(4));
    s.completed(&reply(&reqs[1], &uuid(0), "ok", 5, &[b"a1"]), None, t(5));
    let (content, buffers) = s
        .result_reply(&json!({"msg_ids": ["c", "b", "a"], "status_only": false}))
        .expect("known");
    assert_eq!(content["completed"], json!(["a", "b", "c"]));
    assert_eq!(buffers, bufs(&[b"a1", b"b1", b"b2", b"c1"]));
}

#[test]
fn result_reply_fails_whole_on_an_unknown_id() {
    let s = store_with(2, 2);
    let err = s
        .result_reply(&json!({"msg_ids": ["m0", "ghost", "m1"]}))
        .unwrap_err();
    assert_eq!(err.ename, "KeyError");
    assert_eq!(err.evalue, "'No such message: ghost'");
}

#[test]
fn history_is_ordered_by_submission_date() {
    let mut s = store();
    for (id, at) in [("late", 9), ("early", 1), ("middle", 5)] {
        s.submitted(Queue::Task, &request(id, at, &[]), None, t(0));
    }
    assert_eq!(
        s.history_reply(),
        json!({"status": "ok", "history": ["early", "middle", "late"]})
    );
}

/// Records x (buffers x1 x2, result xr) and y (buffer y1, no result yet).
fn buffered_store() -> ResultStore {
    let mut s = store();
    let x = request("x", 0, &[b"x1", b"x2"]);
    s.submitted(Queue::Mux, &x, Some(&uuid(0)), t(0));
    s.completed(&reply(&x, &uuid(0), "ok", 1, &[b"xr"]), None, t(1));
    s.submitted(Queue::Task, &request("y", 2, &[b"y1"]), None, t(2));
    s
}

#[test]
fn db_reply_without_keys_gives_whole_records_and_no_buffers() {
    let s = buffered_store();
    let (content, buffers) = s
        .db_reply(&json!({"query": {}, "keys": null}))
        .expect("valid");
    assert_eq!(content["status"], "ok");
    assert_eq!(content["buffer_lens"], Value::Null);
    assert_eq!(content["result_buffer_lens"], Value::Null);
    assert!(buffers.is_empty());
    let records = content["records"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&Value> = records.iter().map(|r| &r["msg_id"]).collect();
    assert_eq!(ids, [&json!("x"), &json!("y")]);
    let mut keys: Vec<String> = records[0]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    let mut expected: Vec<&str> = crate::db::record::RECORD_KEYS
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "buffers" | "result_buffers" | "display_data"))
        .collect();
    expected.sort_unstable();
    assert_eq!(keys, expected);
}

#[test]
fn db_reply_sends_buffers_record_by_record_requests_first() {
    let s = buffered_store();
    let (content, buffers) = s
        .db_reply(&json!({"query": {}, "keys": ["result_buffers", "buffers", "queue"]}))
        .expect("valid");
    assert_eq!(content["buffer_lens"], json!([2, 1]));
    assert_eq!(content["result_buffer_lens"], json!([1, 0]));
    assert_eq!(buffers, bufs(&[b"x1", b"x2", b"xr", b"y1"]));
    assert_eq!(
        content["records"],
        json!([{"msg_id": "x", "queue": "mux"}, {"msg_id": "y", "queue": "task"}])
    );
}

#[test]
fn db_reply_with_only_result_buffers_leaves_request_buffers_out() {
    let s = buffered_store();
    let (content, buffers) = s
        .db_reply(&json!({"query": {"msg_id": "x"}, "keys": ["result_buffers"]}))
        .expect("valid");
    assert_eq!(content["buffer_lens"], Value::Null);
    assert_eq!(content["result_buffer_lens"], json!([1]));
    assert_eq!(buffers, bufs(&[b"xr"]));
    assert_eq!(content["records"], json!([{"msg_id": "x"}]));
}

#[test]
fn db_reply_keys_always_include_msg_id_and_an_empty_list_means_all() {
    let s = buffered_store();
    let (content, _) = s
        .db_reply(&json!({"query": {"msg_id": "y"}, "keys": ["completed"]}))
        .expect("valid");
    assert_eq!(
        content["records"],
        json!([{"msg_id": "y", "completed": null}])
    );
    let (content, _) = s
        .db_reply(&json!({"query": {"msg_id": "y"}, "keys": []}))
        .expect("valid");
    assert_eq!(content["records"][0]["queue"], "task");
    assert_eq!(content["buffer_lens"], Value::Null);
}

#[test]
fn db_reply_with_a_missing_query_matches_everything() {
    let s = buffered_store();
    let (content, _) = s.db_reply(&json!({})).expect("valid");
    assert_eq!(content["records"].as_array().map(Vec::len), Some(2));
}
