//! Scheduler behaviour, driven through its public methods as the IO layer drives it.

mod dependencies;
mod engine_death;
mod hwm;
mod retries;
mod robustness;
mod schemes;
mod timeouts;

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Action, Failure, Scheme, Task, TaskConfig, TaskMetadata, TaskScheduler};
use crate::ids::EngineUuid;

type Payload = String;

fn engine(n: usize) -> EngineUuid {
    EngineUuid(format!("engine-{n}"))
}

fn config(scheme: Scheme, hwm: usize) -> TaskConfig {
    TaskConfig {
        scheme,
        hwm,
        engine_death_grace: Duration::from_secs(5),
        seed: 42,
    }
}

fn metadata(json: Value) -> TaskMetadata {
    match json {
        Value::Object(map) => TaskMetadata::from_json(&map).expect("test metadata parses"),
        other => panic!("metadata must be an object, not {other}"),
    }
}

fn payload(msg_id: &str) -> Payload {
    format!("frames of {msg_id}")
}

/// A scheduler, a fixed start time and shorthands for the calls and their results.
struct Harness {
    s: TaskScheduler<Payload>,
    t0: Instant,
}

impl Harness {
    /// `engines` engines added in order, so the last added is first in LRU order.
    fn new(scheme: Scheme, hwm: usize, engines: usize) -> Self {
        Self::with_config(config(scheme, hwm), engines)
    }

    fn with_config(config: TaskConfig, engines: usize) -> Self {
        let mut h = Harness {
            s: TaskScheduler::new(config),
            t0: Instant::now(),
        };
        for n in 0..engines {
            assert!(h.s.add_engine(engine(n)).is_empty());
        }
        h
    }

    fn at(&self, seconds: f64) -> Instant {
        self.t0 + Duration::from_secs_f64(seconds)
    }

    fn submit_at(&mut self, msg_id: &str, md: Value, seconds: f64) -> Vec<Action<Payload>> {
        let task = Task {
            msg_id: msg_id.to_owned(),
            payload: payload(msg_id),
            metadata: metadata(md),
        };
        let now = self.at(seconds);
        self.s.submit(task, now)
    }

    fn submit(&mut self, msg_id: &str, md: Value) -> Vec<Action<Payload>> {
        self.submit_at(msg_id, md, 0.0)
    }

    fn plain(&mut self, msg_id: &str) -> Vec<Action<Payload>> {
        self.submit(msg_id, serde_json::json!({}))
    }

    fn ok(&mut self, engine_n: usize, msg_id: &str) -> Vec<Action<Payload>> {
        let now = self.at(0.0);
        self.s
            .reply(&engine(engine_n), msg_id, super::ReplyOutcome::Ok, now)
    }

    fn err(&mut self, engine_n: usize, msg_id: &str) -> Vec<Action<Payload>> {
        let now = self.at(0.0);
        self.s
            .reply(&engine(engine_n), msg_id, super::ReplyOutcome::Error, now)
    }

    fn unmet(&mut self, engine_n: usize, msg_id: &str) -> Vec<Action<Payload>> {
        let now = self.at(0.0);
        self.s.reply(
            &engine(engine_n),
            msg_id,
            super::ReplyOutcome::UnmetDependency,
            now,
        )
    }

    fn unassigned(&self) -> Vec<String> {
        self.s.unassigned().cloned().collect()
    }

    fn pending_on(&self, engine_n: usize) -> Vec<String> {
        let mut ids: Vec<String> = self.s.pending_on(&engine(engine_n)).cloned().collect();
        ids.sort();
        ids
    }
}

/// The `(engine number, msg_id)` of each Run, in order; panics on other actions.
fn runs(actions: &[Action<Payload>]) -> Vec<(usize, String)> {
    actions
        .iter()
        .map(|a| match a {
            Action::Run {
                engine,
                msg_id,
                payload: p,
            } => {
                assert_eq!(p, &payload(msg_id), "a Run carries its own payload");
                (engine_number(engine), msg_id.clone())
            }
            other => panic!("expected only Run actions, got {other:?}"),
        })
        .collect()
}

/// The single Run in `actions`.
fn one_run(actions: &[Action<Payload>]) -> (usize, String) {
    let all = runs(actions);
    assert_eq!(all.len(), 1, "expected one Run, got {actions:?}");
    all.into_iter().next().unwrap()
}

fn engine_number(engine: &EngineUuid) -> usize {
    engine
        .as_str()
        .strip_prefix("engine-")
        .and_then(|n| n.parse().ok())
        .expect("test engine names are engine-N")
}

fn run(engine_n: usize, msg_id: &str) -> Action<Payload> {
    Action::Run {
        engine: engine(engine_n),
        msg_id: msg_id.to_owned(),
        payload: payload(msg_id),
    }
}

fn deliver(msg_id: &str) -> Action<Payload> {
    Action::Deliver {
        msg_id: msg_id.to_owned(),
    }
}

fn fail(msg_id: &str, failure: Failure) -> Action<Payload> {
    Action::Fail {
        msg_id: msg_id.to_owned(),
        payload: payload(msg_id),
        failure,
    }
}

/// The failure of the single Fail in `actions`.
fn one_failure(actions: &[Action<Payload>]) -> Failure {
    match actions {
        [Action::Fail { failure, .. }] => failure.clone(),
        other => panic!("expected one Fail, got {other:?}"),
    }
}
