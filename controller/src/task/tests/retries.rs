//! Retries after a failure and refusals (unmet dependencies): the task moves on, never back.

use serde_json::json;

use super::*;
use crate::task::ImpossibleReason;

fn no_target_left() -> Failure {
    Failure::ImpossibleDependency {
        reason: ImpossibleReason::NoTargetLeft,
    }
}

#[test]
fn a_failed_task_with_retries_runs_again_on_another_engine() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    let (first, _) = one_run(&h.submit("t", json!({"retries": 1})));
    let other = 1 - first;
    assert_eq!(h.err(first, "t"), vec![run(other, "t")]);
    // No retries left: the engine's error goes to the client.
    assert_eq!(h.err(other, "t"), vec![deliver("t")]);
    assert!(h.s.is_idle());
}

#[test]
fn a_success_after_a_retry_is_delivered() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    let (first, _) = one_run(&h.submit("t", json!({"retries": 3})));
    let (second, _) = one_run(&h.err(first, "t"));
    assert_ne!(first, second);
    assert_eq!(h.ok(second, "t"), vec![deliver("t")]);
}

#[test]
fn retries_never_go_back_to_an_engine_that_failed_and_then_wait() {
    // Stock's test_retries: more retries than engines, and a timeout to end the wait.
    let mut h = Harness::new(Scheme::LeastLoad, 1, 3);
    let md = json!({"retries": 3, "timeout": 0.1});
    let mut engines = vec![one_run(&h.submit("t", md)).0];
    for _ in 0..2 {
        let last = *engines.last().unwrap();
        engines.push(one_run(&h.err(last, "t")).0);
    }
    let mut sorted = engines.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 1, 2], "each engine tried once: {engines:?}");
    // Failed everywhere with a retry left: it waits, and its timeout starts now.
    assert!(h.err(engines[2], "t").is_empty());
    assert_eq!(h.unassigned(), vec!["t"]);
    assert_eq!(h.s.next_deadline(), Some(h.at(0.1)));
    let actions = h.s.tick(h.at(0.1));
    assert_eq!(
        one_failure(&actions),
        Failure::TaskTimeout {
            timeout: Duration::from_millis(100)
        }
    );
}

#[test]
fn a_failure_on_the_only_target_is_impossible_to_retry() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    let md = json!({"retries": 2, "targets": [engine(0).as_str()]});
    assert_eq!(h.submit("t", md), vec![run(0, "t")]);
    assert_eq!(h.err(0, "t"), vec![fail("t", no_target_left())]);
}

#[test]
fn retries_move_among_the_targets_only() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    let md = json!({"retries": 5, "targets": [engine(0).as_str(), engine(1).as_str()]});
    assert_eq!(h.submit("t", md), vec![run(1, "t")]);
    assert_eq!(h.err(1, "t"), vec![run(0, "t")]);
    assert_eq!(h.err(0, "t"), vec![fail("t", no_target_left())]);
}

#[test]
fn an_unmet_dependency_reply_blacklists_the_engine_without_spending_a_retry() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    assert_eq!(h.submit("t", json!({"retries": 1})), vec![run(2, "t")]);
    assert_eq!(h.unmet(2, "t"), vec![run(1, "t")]);
    // The refusal did not use the retry: a failure now still moves on.
    assert_eq!(h.err(1, "t"), vec![run(0, "t")]);
    assert_eq!(h.err(0, "t"), vec![deliver("t")]);
}

#[test]
fn refused_by_every_target_is_impossible() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    let md = json!({"targets": [engine(1).as_str()]});
    assert_eq!(h.submit("t", md), vec![run(1, "t")]);
    assert_eq!(h.unmet(1, "t"), vec![fail("t", no_target_left())]);
}

#[test]
fn refused_by_every_engine_without_targets_waits() {
    let mut h = Harness::new(Scheme::Lru, 0, 1);
    h.plain("t");
    assert!(h.unmet(0, "t").is_empty());
    assert_eq!(h.unassigned(), vec!["t"]);
    // A new engine is a new chance.
    assert_eq!(h.s.add_engine(engine(1)), vec![run(1, "t")]);
}

#[test]
fn a_requeued_task_goes_to_the_back_of_the_queue() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a"); // engine-1
    h.plain("b"); // engine-0
    h.plain("q1");
    h.plain("q2");
    // "a" is refused on engine-1; engine-1 is free but "a" may not go back. q1 takes it.
    let actions = h.unmet(1, "a");
    assert_eq!(actions, vec![run(1, "q1")]);
    assert_eq!(h.unassigned(), vec!["q2", "a"]);
    assert_eq!(h.ok(0, "b"), vec![deliver("b"), run(0, "q2")]);
    assert_eq!(h.ok(0, "q2"), vec![deliver("q2"), run(0, "a")]);
}

#[test]
fn a_failed_retry_frees_its_engine_for_the_queue() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.submit("a", json!({"retries": 1})); // engine-1
    h.plain("b"); // engine-0
    h.plain("q");
    // "a" fails on engine-1: it cannot go back there and engine-0 is busy, so it waits;
    // the freed engine-1 takes "q".
    let actions = h.err(1, "a");
    assert_eq!(actions, vec![run(1, "q")]);
    assert_eq!(h.unassigned(), vec!["a"]);
    assert_eq!(h.ok(0, "b"), vec![deliver("b"), run(0, "a")]);
}
