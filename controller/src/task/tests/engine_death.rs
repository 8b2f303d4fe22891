//! An engine unregisters: it stops getting work at once, and its tasks fail after the grace
//! period unless their replies come first.

use serde_json::json;

use super::*;
use crate::task::{DependencyKind, ImpossibleReason, ReplyOutcome};

fn died(engine_n: usize, msg_id: &str) -> Action<Payload> {
    fail(
        msg_id,
        Failure::EngineDied {
            engine: engine(engine_n),
            msg_id: msg_id.to_owned(),
        },
    )
}

#[test]
fn a_removed_engine_gets_no_more_work() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    assert!(h.s.remove_engine(&engine(1), h.at(0.0)).is_empty());
    assert_eq!(h.s.lru_order(), vec![engine(0)]);
    for i in 0..3 {
        assert_eq!(one_run(&h.plain(&format!("t{i}"))).0, 0);
    }
    assert_eq!(h.s.load(&engine(1)), None);
}

#[test]
fn its_pending_tasks_fail_with_engine_error_after_the_grace_in_sending_order() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    for id in ["z", "a", "m"] {
        h.plain(id);
    }
    assert!(h.s.remove_engine(&engine(0), h.at(1.0)).is_empty());
    assert_eq!(h.s.next_deadline(), Some(h.at(6.0)));
    assert_eq!(h.pending_on(0), vec!["a", "m", "z"]);
    assert!(h.s.tick(h.at(5.9)).is_empty());
    assert_eq!(
        h.s.tick(h.at(6.0)),
        vec![died(0, "z"), died(0, "a"), died(0, "m")]
    );
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.s.is_idle());
    assert_eq!(h.s.engine_records(), 0);
}

#[test]
fn a_reply_within_the_grace_is_delivered_and_not_failed() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.plain("b");
    h.s.remove_engine(&engine(0), h.at(0.0));
    assert_eq!(h.ok(0, "a"), vec![deliver("a")]);
    assert_eq!(h.s.tick(h.at(5.0)), vec![died(0, "b")]);
}

#[test]
fn when_every_reply_arrives_in_the_grace_nothing_is_left_to_fail() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.s.remove_engine(&engine(0), h.at(0.0));
    assert_eq!(h.err(0, "a"), vec![deliver("a")]);
    assert_eq!(h.s.next_deadline(), None);
    assert!(h.s.tick(h.at(60.0)).is_empty());
    assert_eq!(h.s.engine_records(), 0);
}

#[test]
fn an_engine_without_tasks_leaves_no_deadline() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    h.s.remove_engine(&engine(0), h.at(0.0));
    assert_eq!(h.s.next_deadline(), None);
    assert_eq!(h.s.engine_records(), 1);
}

#[test]
fn retries_apply_to_engine_death() {
    let mut h = Harness::new(Scheme::Lru, 1, 2);
    assert_eq!(h.submit("t", json!({"retries": 1})), vec![run(1, "t")]);
    h.s.remove_engine(&engine(1), h.at(0.0));
    assert_eq!(h.s.tick(h.at(5.0)), vec![run(0, "t")]);
    assert_eq!(h.ok(0, "t"), vec![deliver("t")]);
}

#[test]
fn a_task_killed_with_its_engine_fails_its_dependents() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    assert_eq!(h.plain("a"), vec![run(1, "a")]);
    h.submit("b", json!({"after": ["a"]}));
    h.s.remove_engine(&engine(1), h.at(0.0));
    assert_eq!(
        h.s.tick(h.at(5.0)),
        vec![
            died(1, "a"),
            fail(
                "b",
                Failure::ImpossibleDependency {
                    reason: ImpossibleReason::Unreachable(DependencyKind::After)
                }
            ),
        ]
    );
}

#[test]
fn a_task_killed_with_its_engine_satisfies_a_failure_dependency() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    h.plain("a"); // engine-1
    let md = json!({"after": {"dependencies": ["a"], "success": false, "failure": true}});
    h.submit("cleanup", md);
    h.s.remove_engine(&engine(1), h.at(0.0));
    assert_eq!(h.s.tick(h.at(5.0)), vec![died(1, "a"), run(0, "cleanup")]);
}

#[test]
fn queued_tasks_for_only_the_dead_engine_are_impossible() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a"); // engine-1
    let md = json!({"targets": [engine(1).as_str()]});
    assert!(h.submit("for-1", md).is_empty());
    let actions = h.s.remove_engine(&engine(1), h.at(0.0));
    assert_eq!(
        actions,
        vec![fail(
            "for-1",
            Failure::ImpossibleDependency {
                reason: ImpossibleReason::NoTargetLeft
            }
        )]
    );
}

#[test]
fn a_late_reply_after_the_grace_is_ignored() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.s.remove_engine(&engine(0), h.at(0.0));
    assert_eq!(h.s.tick(h.at(5.0)), vec![died(0, "a")]);
    assert!(h.ok(0, "a").is_empty());
}

#[test]
fn a_reregistered_uuid_starts_afresh() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    assert_eq!(h.plain("a"), vec![run(1, "a")]);
    h.ok(1, "a");
    h.plain("held"); // engine-0
    h.plain("held-1"); // engine-1
    h.s.remove_engine(&engine(1), h.at(0.0));
    assert!(h.s.add_engine(engine(1)).is_empty());
    // What engine-1 finished before it died does not satisfy `follow` on its new self,
    // and the task it held still belongs to its old registration.
    assert!(h.submit("f", json!({"follow": ["a"]})).is_empty());
    assert_eq!(h.unassigned(), vec!["f"]);
    assert_eq!(h.pending_on(1), Vec::<String>::new());
    assert_eq!(h.s.tick(h.at(5.0)), vec![died(1, "held-1")]);
}

#[test]
fn a_zero_grace_fails_pending_tasks_at_the_next_tick() {
    let mut config = config(Scheme::LeastLoad, 0);
    config.engine_death_grace = Duration::ZERO;
    let mut h = Harness::with_config(config, 1);
    h.plain("a");
    h.s.remove_engine(&engine(0), h.at(2.0));
    assert_eq!(h.s.next_deadline(), Some(h.at(2.0)));
    assert_eq!(h.s.tick(h.at(2.0)), vec![died(0, "a")]);
}

#[test]
fn a_reply_from_the_dead_engine_with_retries_runs_elsewhere() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    assert_eq!(h.submit("t", json!({"retries": 1})), vec![run(1, "t")]);
    h.s.remove_engine(&engine(1), h.at(0.0));
    let now = h.at(1.0);
    assert_eq!(
        h.s.reply(&engine(1), "t", ReplyOutcome::Error, now),
        vec![run(0, "t")]
    );
    assert!(h.s.tick(h.at(10.0)).is_empty());
}
