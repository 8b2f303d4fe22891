//! The load-balanced task scheduler, without IO.
//!
//! Stock's `TaskScheduler` reads requests and replies from sockets and writes to them in the
//! same breath. Here the decisions are separate from the sockets: the IO layer parses a
//! message, calls [`TaskScheduler::submit`], [`TaskScheduler::reply`],
//! [`TaskScheduler::add_engine`], [`TaskScheduler::remove_engine`] or
//! [`TaskScheduler::tick`], and carries out the [`Action`]s it gets back. The scheduler never
//! reads a clock (time comes in as `now`) and draws its random choices from a seeded
//! generator, so every decision can be replayed in a test.
//!
//! The request frames travel through the scheduler as an opaque payload `P`, cloned only
//! when an [`Action::Run`] needs them while the scheduler keeps its own copy for a retry.

mod dependency;
mod engines;
mod failure;
mod metadata;
mod scheduler;
mod scheme;
mod waiting;

#[cfg(test)]
mod tests;

use std::time::Duration;

use px_wire::python_truthy;
use serde_json::{Map, Value};

use crate::ids::{EngineUuid, MsgId};

pub use dependency::Dependency;
pub use failure::{DependencyKind, Failure, ImpossibleReason, InvalidReason};
pub use metadata::{TaskError, TaskMetadata};
pub use scheduler::TaskScheduler;
pub use scheme::Scheme;

/// The scheduler's settings (`TaskScheduler.scheme_name`, `TaskScheduler.hwm` in stock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskConfig {
    /// How an engine is picked among the candidates.
    pub scheme: Scheme,
    /// The most tasks outstanding on one engine; 0 means no limit. A task that finds every
    /// candidate at the limit waits in the queue.
    pub hwm: usize,
    /// How long the tasks of an unregistered engine wait for their replies before they fail
    /// with EngineError (stock: 5 s).
    pub engine_death_grace: Duration,
    /// Seed of the random choices of the `plainrandom`, `twobin` and `weighted` schemes.
    pub seed: u64,
}

impl Default for TaskConfig {
    /// Stock's defaults: `leastload`, hwm 1, a 5 s grace. The seed is fixed; pass a random
    /// one where runs should differ.
    fn default() -> Self {
        TaskConfig {
            scheme: Scheme::LeastLoad,
            hwm: 1,
            engine_death_grace: Duration::from_secs(5),
            seed: 0,
        }
    }
}

/// A load-balanced request as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Task<P> {
    /// The request's `header.msg_id`.
    pub msg_id: MsgId,
    /// Whatever the IO layer needs to send the request on (its frames).
    pub payload: P,
    /// The scheduling constraints read from the request metadata.
    pub metadata: TaskMetadata,
}

/// What an engine's reply to a task says, for the scheduler's purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// `metadata.status == "ok"`.
    Ok,
    /// Any other status (`error`, `aborted`): the task failed, and may be retried.
    Error,
    /// `metadata.dependencies_met` is false: the engine refused the task, which should run
    /// elsewhere.
    UnmetDependency,
}

impl ReplyOutcome {
    /// Reads a reply's metadata as stock does: `dependencies_met` (default true, Python
    /// truthiness) first, then whether `status` is `"ok"`.
    pub fn from_metadata(metadata: &Map<String, Value>) -> Self {
        let met = match metadata.get("dependencies_met") {
            None => true,
            Some(value) => python_truthy(value),
        };
        if !met {
            ReplyOutcome::UnmetDependency
        } else if metadata.get("status").and_then(Value::as_str) == Some("ok") {
            ReplyOutcome::Ok
        } else {
            ReplyOutcome::Error
        }
    }
}

/// Something the IO layer must do, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<P> {
    /// Send the request to `engine` (prefixed by its routing id), and report to the hub
    /// that the task went there (`task_destination`).
    Run {
        /// The engine chosen.
        engine: EngineUuid,
        /// The task.
        msg_id: MsgId,
        /// The request, as submitted.
        payload: P,
    },
    /// The engine reply just passed to [`TaskScheduler::reply`] is final: forward it to the
    /// client unchanged (and copy it to the hub).
    Deliver {
        /// The task answered.
        msg_id: MsgId,
    },
    /// The scheduler answers the client itself with an `apply_reply` error built from
    /// `failure` (and copies it to the hub). The task counts as failed for its dependents.
    Fail {
        /// The task failed.
        msg_id: MsgId,
        /// The original request, for its header (the reply's parent) and client identity.
        payload: P,
        /// Why.
        failure: Failure,
    },
}

#[cfg(test)]
mod outcome_tests {
    use super::*;
    use serde_json::json;

    fn outcome(md: Value) -> ReplyOutcome {
        match md {
            Value::Object(map) => ReplyOutcome::from_metadata(&map),
            _ => panic!("metadata must be an object"),
        }
    }

    #[test]
    fn reply_metadata_maps_to_outcomes_as_stock_reads_it() {
        assert_eq!(
            outcome(json!({"status": "ok", "dependencies_met": true})),
            ReplyOutcome::Ok
        );
        assert_eq!(outcome(json!({"status": "ok"})), ReplyOutcome::Ok);
        assert_eq!(outcome(json!({"status": "error"})), ReplyOutcome::Error);
        assert_eq!(outcome(json!({"status": "aborted"})), ReplyOutcome::Error);
        assert_eq!(outcome(json!({})), ReplyOutcome::Error);
        assert_eq!(
            outcome(json!({"status": "error", "dependencies_met": false})),
            ReplyOutcome::UnmetDependency
        );
        assert_eq!(
            outcome(json!({"status": "ok", "dependencies_met": null})),
            ReplyOutcome::UnmetDependency
        );
    }

    #[test]
    fn default_config_is_stocks() {
        let config = TaskConfig::default();
        assert_eq!(config.scheme, Scheme::LeastLoad);
        assert_eq!(config.hwm, 1);
        assert_eq!(config.engine_death_grace, Duration::from_secs(5));
    }
}
