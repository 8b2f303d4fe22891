//! `after` and `follow`: when they are met, unreachable or invalid.

use serde_json::json;

use super::*;
use crate::task::{DependencyKind, ImpossibleReason, InvalidReason};

fn unreachable(kind: DependencyKind) -> Failure {
    Failure::ImpossibleDependency {
        reason: ImpossibleReason::Unreachable(kind),
    }
}

#[test]
fn after_waits_for_its_dependency_and_then_runs() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    assert_eq!(one_run(&h.plain("a")).0, 1);
    assert!(h.submit("b", json!({"after": ["a"]})).is_empty());
    assert_eq!(h.unassigned(), vec!["b"]);
    let actions = h.ok(1, "a");
    assert_eq!(actions[0], deliver("a"));
    assert_eq!(runs(&actions[1..]).len(), 1);
    assert!(h.unassigned().is_empty());
}

#[test]
fn after_a_failed_task_is_impossible_by_default() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.submit("b", json!({"after": ["a"]}));
    let actions = h.err(0, "a");
    assert_eq!(
        actions,
        vec![deliver("a"), fail("b", unreachable(DependencyKind::After))]
    );
}

#[test]
fn after_on_failures_only_runs_after_a_failure_and_not_after_a_success() {
    let md = json!({"after": {"dependencies": ["a"], "success": false, "failure": true}});

    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.submit("b", md.clone());
    let actions = h.err(0, "a");
    assert_eq!(actions, vec![deliver("a"), run(0, "b")]);

    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.submit("b", md);
    let actions = h.ok(0, "a");
    assert_eq!(
        actions,
        vec![deliver("a"), fail("b", unreachable(DependencyKind::After))]
    );
}

#[test]
fn after_any_runs_once_one_dependency_is_done() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    h.plain("a");
    h.plain("b");
    assert!(h
        .submit(
            "c",
            json!({"after": {"dependencies": ["a", "b"], "all": false}})
        )
        .is_empty());
    let actions = h.ok(0, "b");
    assert_eq!(actions[0], deliver("b"));
    assert_eq!(runs(&actions[1..])[0].1, "c");
}

#[test]
fn after_all_waits_for_every_dependency() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    h.plain("a");
    h.plain("b");
    h.submit("c", json!({"after": ["a", "b"]}));
    assert_eq!(h.ok(1, "a"), vec![deliver("a")]);
    let actions = h.ok(0, "b");
    assert_eq!(actions[0], deliver("b"));
    assert_eq!(runs(&actions[1..])[0].1, "c");
}

#[test]
fn after_already_met_runs_at_once_and_already_failed_is_impossible_at_once() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("good");
    h.ok(0, "good");
    h.plain("bad");
    h.err(0, "bad");
    assert_eq!(h.submit("x", json!({"after": ["good"]})), vec![run(0, "x")]);
    assert_eq!(
        h.submit("y", json!({"after": ["good", "bad"]})),
        vec![fail("y", unreachable(DependencyKind::After))]
    );
}

#[test]
fn after_with_some_ids_done_waits_only_for_the_rest() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.ok(0, "a");
    h.plain("b");
    h.submit("c", json!({"after": ["a", "b"]}));
    let actions = h.ok(0, "b");
    assert_eq!(actions, vec![deliver("b"), run(0, "c")]);
}

#[test]
fn follow_runs_where_its_dependency_ran() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    assert_eq!(one_run(&h.plain("a")).0, 2);
    h.ok(2, "a");
    for i in 0..3 {
        let id = format!("f{i}");
        assert_eq!(one_run(&h.submit(&id, json!({"follow": ["a"]}))).0, 2);
    }
}

#[test]
fn follow_waits_while_its_engine_is_busy() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a"); // engine-1
    h.ok(1, "a");
    h.plain("busy"); // both idle: LRU order puts engine-0 first
    assert_eq!(h.pending_on(0), vec!["busy"]);
    h.plain("busy-1"); // engine-1
    assert_eq!(h.pending_on(1), vec!["busy-1"]);
    assert!(h.submit("f", json!({"follow": ["a"]})).is_empty());
    // engine-0 frees up, but "f" must follow "a" to engine-1.
    assert_eq!(h.ok(0, "busy"), vec![deliver("busy")]);
    assert_eq!(h.ok(1, "busy-1"), vec![deliver("busy-1"), run(1, "f")]);
}

#[test]
fn follow_on_tasks_done_on_two_engines_is_impossible() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    h.plain("a"); // engine-1
    h.plain("b"); // engine-0
    h.ok(1, "a");
    h.ok(0, "b");
    assert_eq!(
        h.submit("f", json!({"follow": ["a", "b"]})),
        vec![fail(
            "f",
            Failure::ImpossibleDependency {
                reason: ImpossibleReason::FollowAcrossEngines
            }
        )]
    );
}

#[test]
fn follow_any_across_two_engines_runs_on_either() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    h.plain("a"); // engine-2
    h.plain("b"); // engine-1
    h.ok(2, "a");
    h.ok(1, "b");
    let md = json!({"follow": {"dependencies": ["a", "b"], "all": false}});
    // LRU order is now 0, 2, 1: engine-0 ran neither, so engine-2 is taken.
    assert_eq!(one_run(&h.submit("f", md.clone())).0, 2);
    assert_eq!(one_run(&h.submit("g", md)).0, 1);
}

#[test]
fn follow_on_a_failed_task_is_impossible() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.submit("f", json!({"follow": ["a"]}));
    assert_eq!(
        h.err(0, "a"),
        vec![deliver("a"), fail("f", unreachable(DependencyKind::Follow))]
    );
}

#[test]
fn a_task_that_depends_on_itself_is_invalid() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    assert_eq!(
        h.submit("self", json!({"after": ["self"]})),
        vec![fail(
            "self",
            Failure::InvalidDependency {
                dependency: DependencyKind::After,
                reason: InvalidReason::OwnId
            }
        )]
    );
}

#[test]
fn ids_never_submitted_here_are_invalid_in_after_and_follow() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    for (id, md, kind) in [
        ("x", json!({"after": ["12345"]}), DependencyKind::After),
        (
            "y",
            json!({"follow": ["mux-msg-id"]}),
            DependencyKind::Follow,
        ),
    ] {
        let unknown = match kind {
            DependencyKind::After => "12345",
            DependencyKind::Follow => "mux-msg-id",
        };
        assert_eq!(
            h.submit(id, md),
            vec![fail(
                id,
                Failure::InvalidDependency {
                    dependency: kind,
                    reason: InvalidReason::NeverSubmitted(unknown.into())
                }
            )]
        );
    }
}

#[test]
fn a_scheduler_failure_counts_as_failed_for_dependents() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.submit("invalid", json!({"after": ["nowhere"]}));
    assert_eq!(
        h.submit("b", json!({"after": ["invalid"]})),
        vec![fail("b", unreachable(DependencyKind::After))]
    );
    let on_failure =
        json!({"after": {"dependencies": ["invalid"], "success": false, "failure": true}});
    assert_eq!(h.submit("c", on_failure), vec![run(0, "c")]);
}

#[test]
fn impossibility_cascades_through_waiting_dependents() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 1);
    h.plain("a");
    h.submit("b", json!({"after": ["a"]}));
    h.submit("c", json!({"after": ["b"]}));
    let actions = h.err(0, "a");
    assert_eq!(
        actions,
        vec![
            deliver("a"),
            fail("b", unreachable(DependencyKind::After)),
            fail("c", unreachable(DependencyKind::After)),
        ]
    );
    assert!(h.s.is_idle());
}

#[test]
fn dependents_woken_together_run_in_submission_order() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    h.plain("a");
    for id in ["d1", "d2", "d3"] {
        h.submit(id, json!({"after": ["a"]}));
    }
    let actions = h.ok(1, "a");
    let order: Vec<String> = runs(&actions[1..]).into_iter().map(|(_, id)| id).collect();
    assert_eq!(order, vec!["d1", "d2", "d3"]);
}

#[test]
fn a_dependent_becomes_impossible_even_when_no_engine_is_free() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("a");
    h.submit("b", json!({"after": ["a"]}));
    h.plain("c");
    // "a" fails: "c" takes the freed engine, and "b" still learns it can never run.
    let actions = h.err(0, "a");
    assert_eq!(actions[0], deliver("a"));
    assert!(actions.contains(&run(0, "c")));
    assert!(actions.contains(&fail("b", unreachable(DependencyKind::After))));
    assert_eq!(actions.len(), 3);
}

#[test]
fn follow_and_after_together() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    h.plain("a"); // engine-1
    h.plain("b"); // engine-0
    h.ok(1, "a");
    assert!(h
        .submit("c", json!({"after": ["b"], "follow": ["a"]}))
        .is_empty());
    let actions = h.ok(0, "b");
    assert_eq!(actions, vec![deliver("b"), run(1, "c")]);
}

#[test]
fn a_woken_task_keeps_its_place_in_the_queue() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 1);
    h.plain("a");
    h.submit("b", json!({"after": ["a"]}));
    h.plain("c");
    // "b" was queued before "c", so it takes the engine "a" leaves.
    assert_eq!(h.ok(0, "a"), vec![deliver("a"), run(0, "b")]);
    assert_eq!(h.ok(0, "b"), vec![deliver("b"), run(0, "c")]);
}

#[test]
fn a_task_woken_while_engines_are_full_runs_when_one_frees() {
    let mut h = Harness::new(Scheme::LeastLoad, 2, 1);
    h.plain("x");
    h.plain("z");
    h.plain("q");
    h.submit("d", json!({"after": ["x"]}));
    // "x" done: the freed slot goes to "q", queued first; "d" is now ready but waits.
    assert_eq!(h.ok(0, "x"), vec![deliver("x"), run(0, "q")]);
    assert_eq!(h.unassigned(), vec!["d"]);
    assert_eq!(h.ok(0, "z"), vec![deliver("z"), run(0, "d")]);
}

#[test]
fn a_long_chain_of_after_dependencies_runs_in_order() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 3);
    assert_eq!(runs(&h.plain("c0")).len(), 1);
    for i in 1..2000 {
        let after = format!("c{}", i - 1);
        assert!(h
            .submit(&format!("c{i}"), json!({"after": [after]}))
            .is_empty());
    }
    let engine_of = |h: &Harness| (0..3).find(|&n| !h.pending_on(n).is_empty()).unwrap();
    for i in 0..2000 {
        let n = engine_of(&h);
        let id = format!("c{i}");
        let actions = h.ok(n, &id);
        assert_eq!(actions[0], deliver(&id));
        if i < 1999 {
            assert_eq!(one_run(&actions[1..]).1, format!("c{}", i + 1));
        }
    }
    assert!(h.s.is_idle());
}
