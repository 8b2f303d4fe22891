//! Timeouts apply to waiting only: from when a task is queued until it reaches an engine.

use serde_json::json;

use super::*;

fn timed_out(seconds: f64) -> Failure {
    Failure::TaskTimeout {
        timeout: Duration::from_secs_f64(seconds),
    }
}

#[test]
fn a_queued_task_fails_with_task_timeout_at_its_deadline() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    assert!(h.submit_at("t", json!({"timeout": 1.0}), 2.0).is_empty());
    assert_eq!(h.s.next_deadline(), Some(h.at(3.0)));
    assert!(h.s.tick(h.at(2.999)).is_empty());
    assert_eq!(h.s.tick(h.at(3.0)), vec![fail("t", timed_out(1.0))]);
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.unassigned().is_empty());
    // The engine's next reply finds nothing left to run.
    assert_eq!(h.ok(0, "busy"), vec![deliver("busy")]);
}

#[test]
fn a_task_that_runs_at_once_never_times_out() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    assert_eq!(h.submit("t", json!({"timeout": 0.5})), vec![run(0, "t")]);
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.s.tick(h.at(10.0)).is_empty());
    assert_eq!(h.ok(0, "t"), vec![deliver("t")]);
}

#[test]
fn a_task_that_leaves_the_queue_in_time_loses_its_timer() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    h.submit("t", json!({"timeout": 1.0}));
    assert_eq!(h.ok(0, "busy"), vec![deliver("busy"), run(0, "t")]);
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.s.tick(h.at(5.0)).is_empty());
    assert_eq!(h.ok(0, "t"), vec![deliver("t")]);
}

#[test]
fn requeueing_restarts_the_timer() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    h.submit_at("t", json!({"timeout": 1.0}), 0.0);
    h.ok(0, "busy"); // "t" runs at 0
                     // Refused at 0.8: back in the queue, a fresh second from now.
    let now = h.at(0.8);
    assert!(h
        .s
        .reply(
            &engine(0),
            "t",
            crate::task::ReplyOutcome::UnmetDependency,
            now
        )
        .is_empty());
    assert_eq!(h.s.next_deadline(), Some(h.at(1.8)));
    assert!(h.s.tick(h.at(1.5)).is_empty());
    assert_eq!(h.s.tick(h.at(1.8)), vec![fail("t", timed_out(1.0))]);
}

#[test]
fn zero_and_null_timeouts_mean_none() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    h.submit("a", json!({"timeout": 0.0}));
    h.submit("b", json!({"timeout": null}));
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.s.tick(h.at(1e6)).is_empty());
    assert_eq!(h.unassigned(), vec!["a", "b"]);
}

#[test]
fn timeouts_fire_in_deadline_order_and_wake_dependents() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    h.submit("late", json!({"timeout": 2.0}));
    h.submit("early", json!({"timeout": 1.0}));
    h.submit("after-early", json!({"after": ["early"]}));
    let actions = h.s.tick(h.at(5.0));
    assert_eq!(
        actions,
        vec![
            fail("early", timed_out(1.0)),
            fail(
                "after-early",
                Failure::ImpossibleDependency {
                    reason: crate::task::ImpossibleReason::Unreachable(
                        crate::task::DependencyKind::After
                    )
                }
            ),
            fail("late", timed_out(2.0)),
        ]
    );
}

#[test]
fn a_negative_timeout_expires_at_the_next_tick() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("busy");
    h.submit_at("t", json!({"timeout": -1}), 3.0);
    assert_eq!(h.s.next_deadline(), Some(h.at(3.0)));
    assert_eq!(
        h.s.tick(h.at(3.0)),
        vec![fail(
            "t",
            Failure::TaskTimeout {
                timeout: Duration::ZERO
            }
        )]
    );
}
