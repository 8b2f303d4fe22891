//! Which engine each scheme picks, through the scheduler's LRU order and loads.

use super::*;

#[test]
fn new_engines_join_at_the_front_of_the_lru_order() {
    let h = Harness::new(Scheme::Lru, 0, 3);
    assert_eq!(h.s.lru_order(), vec![engine(2), engine(1), engine(0)]);
}

#[test]
fn lru_sends_to_the_least_recently_assigned_engine() {
    let mut h = Harness::new(Scheme::Lru, 0, 3);
    let mut got = Vec::new();
    for i in 0..6 {
        got.push(one_run(&h.plain(&format!("t{i}"))).0);
    }
    assert_eq!(got, vec![2, 1, 0, 2, 1, 0]);
}

#[test]
fn lru_ignores_load() {
    let mut h = Harness::new(Scheme::Lru, 0, 2);
    assert_eq!(one_run(&h.plain("a")).0, 1);
    assert_eq!(one_run(&h.plain("b")).0, 0);
    assert_eq!(one_run(&h.plain("c")).0, 1);
    // engine-1 now holds two tasks and engine-0 one; LRU still takes engine-0 next.
    assert_eq!(h.s.load(&engine(1)), Some(2));
    assert_eq!(one_run(&h.plain("d")).0, 0);
}

#[test]
fn an_assigned_engine_moves_to_the_back() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 3);
    h.plain("a");
    assert_eq!(h.s.lru_order(), vec![engine(1), engine(0), engine(2)]);
}

#[test]
fn leastload_takes_the_first_of_the_least_loaded() {
    let mut h = Harness::new(Scheme::LeastLoad, 0, 3);
    // Equal loads: LRU order decides, newest engine first.
    let first: Vec<usize> = (0..3)
        .map(|i| one_run(&h.plain(&format!("a{i}"))).0)
        .collect();
    assert_eq!(first, vec![2, 1, 0]);
    // engine-1 finishes: it alone has the least load, though not least recently used.
    assert_eq!(h.ok(1, "a1"), vec![deliver("a1")]);
    assert_eq!(one_run(&h.plain("b")).0, 1);
    // All at one again; LRU order is now 2, 0, 1.
    assert_eq!(one_run(&h.plain("c")).0, 2);
}

#[test]
fn plainrandom_uses_every_engine_and_replays_with_the_seed() {
    let picks = |seed| {
        let mut config = config(Scheme::PlainRandom, 0);
        config.seed = seed;
        let mut h = Harness::with_config(config, 4);
        (0..200)
            .map(|i| one_run(&h.plain(&format!("t{i}"))).0)
            .collect::<Vec<_>>()
    };
    let a = picks(7);
    assert_eq!(a, picks(7));
    assert_ne!(a, picks(8));
    for n in 0..4 {
        assert!(a.contains(&n), "engine-{n} never picked: {a:?}");
    }
}

#[test]
fn twobin_favours_the_front_of_the_lru_order() {
    let mut h = Harness::new(Scheme::TwoBin, 0, 4);
    let mut order_counts = [0usize; 4];
    for i in 0..2000 {
        let order = h.s.lru_order();
        let (picked, id) = one_run(&h.plain(&format!("t{i}")));
        let position = order.iter().position(|e| *e == engine(picked)).unwrap();
        order_counts[position] += 1;
        h.ok(picked, &id);
    }
    // The smaller of two uniform draws: positions 0..3 taken 7:5:3:1.
    assert!(
        order_counts[0] > order_counts[1]
            && order_counts[1] > order_counts[2]
            && order_counts[2] > order_counts[3]
            && order_counts[3] > 0,
        "{order_counts:?}"
    );
}

#[test]
fn weighted_fills_idle_engines_before_doubling_up() {
    let mut h = Harness::new(Scheme::Weighted, 0, 4);
    let mut first_four: Vec<usize> = (0..4)
        .map(|i| one_run(&h.plain(&format!("t{i}"))).0)
        .collect();
    first_four.sort();
    assert_eq!(first_four, vec![0, 1, 2, 3]);
    // engine-2 finishes: the next task goes to the only idle engine.
    let t = (0..4)
        .map(|i| format!("t{i}"))
        .find(|id| h.pending_on(2).contains(id))
        .unwrap();
    h.ok(2, &t);
    assert_eq!(one_run(&h.plain("next")).0, 2);
}

#[test]
fn every_scheme_respects_the_high_water_mark() {
    for scheme in [
        Scheme::LeastLoad,
        Scheme::Lru,
        Scheme::PlainRandom,
        Scheme::TwoBin,
        Scheme::Weighted,
    ] {
        let mut h = Harness::new(scheme, 1, 3);
        let mut engines: Vec<usize> = (0..3)
            .map(|i| one_run(&h.plain(&format!("t{i}"))).0)
            .collect();
        engines.sort();
        assert_eq!(engines, vec![0, 1, 2], "{scheme}");
        assert!(h.plain("waits").is_empty(), "{scheme}");
        assert_eq!(h.unassigned(), vec!["waits"], "{scheme}");
    }
}
