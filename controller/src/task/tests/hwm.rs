//! The high-water mark, the queue and the order it is looked at in.

use serde_json::json;

use super::*;

#[test]
fn hwm_one_queues_when_every_engine_is_busy_and_a_reply_frees_one() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    assert_eq!(h.plain("a"), vec![run(1, "a")]);
    assert_eq!(h.plain("b"), vec![run(0, "b")]);
    assert!(h.plain("c").is_empty());
    assert_eq!(h.unassigned(), vec!["c"]);
    assert_eq!(h.ok(0, "b"), vec![deliver("b"), run(0, "c")]);
    assert!(h.unassigned().is_empty());
}

#[test]
fn hwm_zero_never_queues() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    for i in 0..10 {
        assert_eq!(runs(&h.plain(&format!("t{i}"))).len(), 1);
    }
    assert_eq!(h.s.load(&engine(0)), Some(5));
    assert_eq!(h.s.load(&engine(1)), Some(5));
    assert!(h.unassigned().is_empty());
}

#[test]
fn hwm_two_allows_two_tasks_per_engine() {
    let mut h = Harness::new(Scheme::Lru, 2, 2);
    let got: Vec<usize> = (0..4)
        .map(|i| one_run(&h.plain(&format!("t{i}"))).0)
        .collect();
    assert_eq!(got, vec![1, 0, 1, 0]);
    assert!(h.plain("t4").is_empty());
    assert_eq!(h.ok(1, "t0"), vec![deliver("t0"), run(1, "t4")]);
}

#[test]
fn no_engines_means_every_task_waits_until_one_registers() {
    let mut h = Harness::new(Scheme::LeastLoad, 2, 0);
    for id in ["a", "b", "c"] {
        assert!(h.plain(id).is_empty());
    }
    assert_eq!(h.unassigned(), vec!["a", "b", "c"]);
    assert_eq!(h.s.add_engine(engine(0)), vec![run(0, "a"), run(0, "b")]);
    assert_eq!(h.unassigned(), vec!["c"]);
}

#[test]
fn a_new_engine_takes_queued_tasks_in_queue_order() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("a");
    h.plain("b");
    h.plain("c");
    assert_eq!(h.s.add_engine(engine(1)), vec![run(1, "b")]);
    assert_eq!(h.unassigned(), vec!["c"]);
}

#[test]
fn the_queue_is_served_first_in_first_out() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("first");
    for id in ["q1", "q2", "q3"] {
        h.plain(id);
    }
    assert_eq!(h.ok(0, "first"), vec![deliver("first"), run(0, "q1")]);
    assert_eq!(h.ok(0, "q1"), vec![deliver("q1"), run(0, "q2")]);
    assert_eq!(h.ok(0, "q2"), vec![deliver("q2"), run(0, "q3")]);
}

#[test]
fn a_scan_stops_once_no_engine_can_take_more() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("a");
    for i in 0..5 {
        h.plain(&format!("q{i}"));
    }
    let actions = h.ok(0, "a");
    assert_eq!(actions, vec![deliver("a"), run(0, "q0")]);
    assert_eq!(h.unassigned(), vec!["q1", "q2", "q3", "q4"]);
}

#[test]
fn a_task_blocked_by_its_targets_does_not_hold_up_the_queue() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a"); // engine-1
    h.plain("b"); // engine-0
    let target_1 = json!({"targets": [engine(1).as_str()]});
    assert!(h.submit("for-1", target_1).is_empty());
    assert!(h.plain("any").is_empty());
    // engine-0 frees up: "for-1" cannot use it, "any" can.
    assert_eq!(h.ok(0, "b"), vec![deliver("b"), run(0, "any")]);
    assert_eq!(h.ok(1, "a"), vec![deliver("a"), run(1, "for-1")]);
}

#[test]
fn targets_restrict_the_candidates() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    let md = json!({"targets": [engine(0).as_str(), engine(2).as_str()]});
    let got: Vec<usize> = (0..4)
        .map(|i| one_run(&h.submit(&format!("t{i}"), md.clone())).0)
        .collect();
    assert_eq!(got, vec![2, 0, 2, 0]);
    assert_eq!(h.s.load(&engine(1)), Some(0));
}

#[test]
fn targets_naming_no_live_engine_are_impossible() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    let actions = h.submit("ghost", json!({"targets": ["no-such-engine"]}));
    assert_eq!(
        actions,
        vec![fail(
            "ghost",
            Failure::ImpossibleDependency {
                reason: crate::task::ImpossibleReason::NoTargetLeft
            }
        )]
    );
}

#[test]
fn targets_wait_while_no_engine_is_available_as_stock_does() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    // Nothing is available, so stock does not judge the targets yet.
    assert!(h
        .submit("ghost", json!({"targets": ["no-such-engine"]}))
        .is_empty());
    let actions = h.ok(0, "busy");
    assert_eq!(actions[0], deliver("busy"));
    assert_eq!(
        one_failure(&actions[1..]),
        Failure::ImpossibleDependency {
            reason: crate::task::ImpossibleReason::NoTargetLeft
        }
    );
}

#[test]
fn unassigned_and_pending_report_where_tasks_are() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a");
    h.plain("b");
    h.plain("c");
    assert_eq!(h.pending_on(1), vec!["a"]);
    assert_eq!(h.pending_on(0), vec!["b"]);
    assert_eq!(h.unassigned(), vec!["c"]);
    assert!(h.s.pending_on(&engine(9)).next().is_none());
}
