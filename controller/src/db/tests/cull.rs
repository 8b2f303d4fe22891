//! Bounded memory: culling by record count and by bytes, never a pending record.

use serde_json::json;

use super::*;

fn limited(record_limit: usize, size_limit: usize, cull_fraction: f64) -> ResultStore {
    ResultStore::new(StoreLimits {
        record_limit,
        size_limit,
        cull_fraction,
        ..StoreLimits::default()
    })
}

/// Submits MUX request `id` on engine 0 and, if `done`, completes it with one result buffer
/// of `result_bytes` bytes.
fn run(s: &mut ResultStore, id: &str, at: i64, done: bool, result_bytes: usize) {
    let req = request(id, at, &[]);
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(at));
    if done {
        let payload = vec![7u8; result_bytes];
        s.completed(&reply(&req, &uuid(0), "ok", at, &[&payload]), None, t(at));
    }
}

fn history(s: &ResultStore) -> Vec<String> {
    strings(&s.history_reply()["history"])
}

#[test]
fn past_the_record_limit_the_oldest_fraction_goes() {
    let mut s = limited(10, usize::MAX, 0.2);
    for i in 0..10 {
        run(&mut s, &format!("r{i:02}"), i, true, 0);
    }
    assert_eq!(s.len(), 10);
    run(&mut s, "r10", 10, true, 0);
    // 11 > 10: the oldest 0.2 * 10 = 2 are dropped.
    assert_eq!(s.len(), 9);
    assert_eq!(history(&s).first().map(String::as_str), Some("r02"));
    assert!(!s.contains("r00") && !s.contains("r01"));
}

#[test]
fn a_cull_fraction_too_small_for_one_record_still_keeps_the_limit() {
    let mut s = limited(5, usize::MAX, 0.0);
    for i in 0..8 {
        run(&mut s, &format!("r{i}"), i, true, 0);
    }
    assert_eq!(s.len(), 5);
    assert_eq!(history(&s), ["r3", "r4", "r5", "r6", "r7"]);
}

#[test]
fn pending_records_are_never_culled() {
    let mut s = limited(3, usize::MAX, 0.5);
    run(&mut s, "done-old", 0, true, 0);
    for i in 1..6 {
        run(&mut s, &format!("pending{i}"), i, false, 0);
    }
    // Only the one completed record could go; the pending ones exceed the limit.
    assert_eq!(s.len(), 5);
    assert!(!s.contains("done-old"));
    assert!((1..6).all(|i| s.is_pending(&format!("pending{i}"))));
}

#[test]
fn culling_skips_older_pending_records_for_younger_completed_ones() {
    let mut s = limited(4, usize::MAX, 0.25);
    run(&mut s, "p0", 0, false, 0);
    run(&mut s, "c1", 1, true, 0);
    run(&mut s, "c2", 2, true, 0);
    run(&mut s, "p3", 3, false, 0);
    run(&mut s, "c4", 4, true, 0);
    assert_eq!(history(&s), ["p0", "c2", "p3", "c4"]);
}

#[test]
fn past_the_size_limit_the_oldest_go_until_a_fraction_is_free() {
    // What one such record costs, measured on a store of its own.
    let mut probe = store();
    run(&mut probe, "r0", 0, true, 2_500);
    let one = probe.bytes();
    assert!(one > 2_500, "buffers are counted: {one}");

    // Room for three and a half records; culling frees down to 60% of that: two records.
    let size_limit = one * 7 / 2;
    let mut s = limited(usize::MAX, size_limit, 0.4);
    for i in 0..3 {
        run(&mut s, &format!("r{i}"), i, true, 2_500);
    }
    assert_eq!(s.len(), 3);
    assert_eq!(s.bytes(), 3 * one);
    run(&mut s, "r3", 3, true, 2_500);
    assert!(s.bytes() <= size_limit * 6 / 10, "{}", s.bytes());
    assert_eq!(history(&s), ["r2", "r3"]);
}

#[test]
fn request_buffers_count_toward_the_size_limit() {
    let mut s = limited(usize::MAX, 10_000, 0.1);
    let req = request("big", 0, &[&[0u8; 6_000]]);
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(0));
    s.completed(&reply(&req, &uuid(0), "ok", 1, &[]), None, t(1));
    assert!(s.bytes() > 6_000);
    let req = request("big2", 2, &[&[0u8; 6_000]]);
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(2));
    assert!(!s.contains("big"));
    assert!(s.is_pending("big2"));
}

#[test]
fn a_pending_record_over_the_size_limit_is_kept_and_culling_ends() {
    let mut s = limited(usize::MAX, 10_000, 0.1);
    run(&mut s, "small", 0, true, 100);
    let req = request("huge", 1, &[&[1u8; 20_000]]);
    s.submitted(Queue::Mux, &req, Some(&uuid(0)), t(1));
    assert!(s.is_pending("huge"));
    assert!(!s.contains("small"));
    assert!(s.bytes() > 20_000);
}

#[test]
fn stream_text_counts_toward_the_size_limit() {
    let mut s = limited(usize::MAX, 10_000, 0.1);
    run(&mut s, "chatty", 0, true, 0);
    run(&mut s, "next", 1, false, 0);
    let text = "x".repeat(12_000);
    s.iopub(&iopub(
        "chatty",
        "stream",
        json!({"name": "stdout", "text": text}),
    ));
    assert!(!s.contains("chatty"), "its own output pushed it over");
    assert!(s.contains("next"));
}

#[test]
fn culled_records_leave_results_and_queue_counts() {
    let mut s = limited(4, usize::MAX, 0.5);
    for i in 0..5 {
        run(&mut s, &format!("r{i}"), i, true, 0);
    }
    assert!(!s.contains("r0") && !s.contains("r1"));
    let err = s.result_reply(&json!({"msg_ids": ["r0"]})).unwrap_err();
    assert_eq!(err.evalue, "'No such message: r0'");
    let q = s
        .queue_reply(
            &json!({"targets": [0], "verbose": true}),
            engines().as_slice(),
        )
        .expect("valid");
    assert_eq!(q["0"]["completed"], json!(["r2", "r3", "r4"]));
}

#[test]
fn bytes_return_to_zero_when_every_record_is_gone() {
    let mut s = store();
    run(&mut s, "a", 0, true, 1_000);
    run(&mut s, "b", 1, true, 10);
    s.iopub(&iopub(
        "b",
        "stream",
        json!({"name": "stderr", "text": "oops"}),
    ));
    s.iopub(&iopub(
        "stray",
        "error",
        json!({"ename": "E", "evalue": "", "traceback": []}),
    ));
    assert!(s.bytes() > 1_000);
    s.purge(
        &json!({"msg_ids": ["a", "b", "stray"]}),
        engines().as_slice(),
    )
    .expect("nothing pending");
    assert!(s.is_empty());
    assert_eq!(s.bytes(), 0);
}

#[test]
fn an_invalid_cull_fraction_is_replaced_by_the_default() {
    for bad in [f64::NAN, -1.0, 2.0] {
        let s = limited(10, 10, bad);
        assert_eq!(s.limits().cull_fraction, 0.1);
    }
}
