//! Bad input is ignored, nothing is answered twice, and finished tasks leave no trace but
//! their outcome.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::*;
use crate::task::ReplyOutcome;

#[test]
fn replies_for_unknown_tasks_or_from_the_wrong_engine_are_ignored() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    assert_eq!(h.plain("a"), vec![run(1, "a")]);
    h.plain("b");
    h.plain("queued");
    assert!(h.ok(1, "no-such-task").is_empty());
    assert!(h.ok(0, "a").is_empty(), "engine-0 is not running a");
    assert!(h.ok(7, "a").is_empty(), "engine-7 does not exist");
    assert!(
        h.ok(1, "queued").is_empty(),
        "a queued task has no engine yet"
    );
    assert_eq!(h.s.load(&engine(1)), Some(1));
    assert_eq!(h.ok(1, "a"), vec![deliver("a"), run(1, "queued")]);
    assert!(h.ok(1, "a").is_empty(), "a second reply is ignored");
}

#[test]
fn unknown_removals_and_repeated_registrations_change_nothing() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    assert!(h.s.remove_engine(&engine(9), h.at(0.0)).is_empty());
    assert!(h.s.add_engine(engine(0)).is_empty());
    assert_eq!(h.s.lru_order(), vec![engine(1), engine(0)]);
    h.s.remove_engine(&engine(0), h.at(0.0));
    assert!(h.s.remove_engine(&engine(0), h.at(0.0)).is_empty());
    assert_eq!(h.s.lru_order(), vec![engine(1)]);
}

#[test]
fn a_msg_id_already_in_flight_is_not_scheduled_twice() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 2);
    assert_eq!(h.plain("a"), vec![run(1, "a")]);
    assert!(h.plain("a").is_empty());
    assert_eq!(h.s.load(&engine(0)), Some(0));
    assert_eq!(h.ok(1, "a"), vec![deliver("a")]);
    assert!(h.s.is_idle());
}

#[test]
fn finished_tasks_leave_only_their_outcome_behind() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 2);
    h.plain("a");
    h.submit("b", json!({"after": ["a"], "timeout": 5.0}));
    h.submit("c", json!({"follow": ["a"], "retries": 2}));
    h.submit("bad", json!({"after": ["unknown"]}));
    let mut open: Vec<(usize, String)> = runs(&h.ok(1, "a")[1..]);
    while let Some((n, id)) = open.pop() {
        let actions = h.ok(n, &id);
        assert_eq!(actions[0], deliver(&id));
        open.extend(runs(&actions[1..]));
    }
    assert!(
        h.s.is_idle(),
        "no job, queue entry, timer or graph edge is left"
    );
    assert_eq!(h.s.finished_count(), 4);
    assert_eq!(h.s.next_deadline(), None);
}

#[test]
fn ten_thousand_tasks_through_four_engines_are_each_answered_once() {
    let mut h = Harness::new(Scheme::LeastLoad, 1, 4);
    let mut open = Vec::new();
    for i in 0..10_000 {
        open.extend(runs(&h.plain(&format!("t{i}"))));
    }
    assert_eq!(open.len(), 4);
    assert_eq!(h.unassigned().len(), 9_996);
    let mut delivered = 0;
    while let Some((n, id)) = open.pop() {
        let actions = h.ok(n, &id);
        assert_eq!(actions[0], deliver(&id));
        delivered += 1;
        open.extend(runs(&actions[1..]));
    }
    assert_eq!(delivered, 10_000);
    assert!(h.s.is_idle());
}

/// What the simulation knows independently of the scheduler.
#[derive(Default)]
struct World {
    live: HashSet<usize>,
    running: HashMap<String, usize>,
    /// Running tasks whose engine unregistered (it may register again meanwhile).
    orphaned: HashSet<String>,
    targets: HashMap<String, HashSet<usize>>,
    refused_by: HashMap<String, HashSet<usize>>,
    answered: HashSet<String>,
    /// How often each kind of answer was seen, to show the traffic exercised them all.
    seen: HashMap<&'static str, usize>,
}

impl World {
    fn absorb(&mut self, actions: Vec<Action<Payload>>, replied: Option<&str>) {
        for action in actions {
            match action {
                Action::Run { engine, msg_id, .. } => {
                    let n = engine_number(&engine);
                    assert!(self.live.contains(&n), "{msg_id} sent to dead engine-{n}");
                    if let Some(targets) = self.targets.get(&msg_id) {
                        assert!(
                            targets.is_empty() || targets.contains(&n),
                            "{msg_id} off target"
                        );
                    }
                    let refused = self.refused_by.get(&msg_id);
                    assert!(
                        !refused.is_some_and(|r| r.contains(&n)),
                        "{msg_id} back on {n}"
                    );
                    assert!(!self.answered.contains(&msg_id));
                    // A task moves on while running only when its engine died.
                    if self.running.insert(msg_id.clone(), n).is_some() {
                        assert!(self.orphaned.remove(&msg_id), "{msg_id} ran twice");
                    }
                }
                Action::Deliver { msg_id } => {
                    assert_eq!(replied, Some(msg_id.as_str()), "Deliver answers the reply");
                    *self.seen.entry("Deliver").or_default() += 1;
                    assert!(self.answered.insert(msg_id), "answered twice");
                }
                Action::Fail {
                    msg_id, failure, ..
                } => {
                    *self.seen.entry(failure.ename()).or_default() += 1;
                    self.running.remove(&msg_id);
                    self.orphaned.remove(&msg_id);
                    assert!(self.answered.insert(msg_id), "answered twice");
                }
            }
        }
    }
}

#[test]
fn random_traffic_keeps_every_promise() {
    let mut seen: HashMap<&'static str, usize> = HashMap::new();
    for seed in 0..40 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let hwm = rng.usize(0..3);
        let scheme = [
            Scheme::LeastLoad,
            Scheme::Lru,
            Scheme::PlainRandom,
            Scheme::TwoBin,
            Scheme::Weighted,
        ][rng.usize(0..5)];
        let mut h = Harness::new(scheme, hwm, 0);
        let mut world = World::default();
        let mut submitted: Vec<String> = Vec::new();
        let mut clock = 0.0;
        for step in 0..600 {
            clock += rng.f64() * 0.3;
            let now = h.at(clock);
            match rng.u8(0..10) {
                0 => {
                    let n = rng.usize(0..6);
                    world.live.insert(n);
                    let actions = h.s.add_engine(engine(n));
                    world.absorb(actions, None);
                }
                1 => {
                    let n = rng.usize(0..6);
                    if world.live.remove(&n) {
                        let held = world.running.iter().filter(|(_, &m)| m == n);
                        let held: Vec<String> = held.map(|(id, _)| id.clone()).collect();
                        world.orphaned.extend(held);
                    }
                    let actions = h.s.remove_engine(&engine(n), now);
                    world.absorb(actions, None);
                }
                2..=5 => {
                    let id = format!("s{seed}-t{step}");
                    let pick = |rng: &mut fastrand::Rng| -> Vec<String> {
                        let mut ids: Vec<String> = (0..rng.usize(0..3))
                            .filter_map(|_| {
                                if rng.u8(0..10) == 0 {
                                    Some("never-submitted".to_owned())
                                } else if submitted.is_empty() {
                                    None
                                } else {
                                    Some(submitted[rng.usize(0..submitted.len())].clone())
                                }
                            })
                            .collect();
                        ids.dedup();
                        ids
                    };
                    let after = pick(&mut rng);
                    let follow = if rng.u8(0..4) == 0 {
                        pick(&mut rng)
                    } else {
                        Vec::new()
                    };
                    let targets: HashSet<usize> = if rng.u8(0..4) == 0 {
                        (0..rng.usize(1..3)).map(|_| rng.usize(0..6)).collect()
                    } else {
                        HashSet::new()
                    };
                    let target_names: Vec<String> = targets.iter().map(|&n| engine(n).0).collect();
                    let md = json!({
                        "after": {"dependencies": after, "all": rng.bool(), "success": true, "failure": rng.bool()},
                        "follow": follow,
                        "targets": target_names,
                        "retries": rng.u32(0..3),
                        "timeout": if rng.bool() { rng.f64() * 3.0 } else { 0.0 },
                    });
                    world.targets.insert(id.clone(), targets);
                    submitted.push(id.clone());
                    let task = Task {
                        msg_id: id.clone(),
                        payload: payload(&id),
                        metadata: metadata(md),
                    };
                    let actions = h.s.submit(task, now);
                    world.absorb(actions, None);
                }
                6..=8 => {
                    if world.running.is_empty() {
                        continue;
                    }
                    let mut ids: Vec<String> = world.running.keys().cloned().collect();
                    ids.sort();
                    let id = ids[rng.usize(0..ids.len())].clone();
                    let n = world.running.remove(&id).unwrap();
                    world.orphaned.remove(&id);
                    let outcome = [
                        ReplyOutcome::Ok,
                        ReplyOutcome::Error,
                        ReplyOutcome::UnmetDependency,
                    ][rng.usize(0..3)];
                    if outcome != ReplyOutcome::Ok {
                        world.refused_by.entry(id.clone()).or_default().insert(n);
                    }
                    let actions = h.s.reply(&engine(n), &id, outcome, now);
                    world.absorb(actions, Some(&id));
                    // Noise: a repeat and a reply from the wrong engine.
                    assert!(h.s.reply(&engine(n), &id, outcome, now).is_empty());
                    assert!(h
                        .s
                        .reply(&engine(n + 1), "nothing", outcome, now)
                        .is_empty());
                }
                _ => {
                    let actions = h.s.tick(now);
                    // An engine-death retry is a refusal by the dead engine.
                    world.absorb(actions, None);
                }
            }
            if hwm > 0 {
                for n in 0..6 {
                    assert!(h.s.load(&engine(n)).unwrap_or(0) <= hwm);
                }
            }
        }
        // Let every engine answer everything it holds, and time run out.
        let end = h.at(clock + 1000.0);
        loop {
            let mut ids: Vec<(String, usize)> =
                world.running.iter().map(|(k, v)| (k.clone(), *v)).collect();
            ids.sort();
            if ids.is_empty() {
                let actions = h.s.tick(end);
                if actions.is_empty() {
                    break;
                }
                world.absorb(actions, None);
                continue;
            }
            for (id, n) in ids {
                world.running.remove(&id);
                world.orphaned.remove(&id);
                let actions = h.s.reply(&engine(n), &id, ReplyOutcome::Ok, end);
                world.absorb(actions, Some(&id));
            }
        }
        let waiting: HashSet<String> = h.unassigned().into_iter().collect();
        for id in &submitted {
            assert!(
                world.answered.contains(id) != waiting.contains(id),
                "seed {seed}: {id} must be either answered or still waiting"
            );
        }
        for n in 0..6 {
            assert!(h.s.pending_on(&engine(n)).next().is_none());
        }
        for (kind, count) in world.seen {
            *seen.entry(kind).or_default() += count;
        }
    }
    for kind in [
        "Deliver",
        "InvalidDependency",
        "ImpossibleDependency",
        "TaskTimeout",
        "EngineError",
    ] {
        assert!(seen.get(kind).is_some_and(|&n| n >= 20), "{kind}: {seen:?}");
    }
}
