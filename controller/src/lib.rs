//! The controller of a Parallel (Rust) cluster: the Hub and the schedulers, in one process,
//! speaking stock ipyparallel's wire protocol so that stock clients and engines use it as
//! they use `ipcontroller`.
//!
//! - The **Hub** registers engines, watches their heartbeats, announces them on the
//!   notification channel, answers clients' queries and keeps the results.
//! - The **schedulers** move requests: the direct (MUX) and control relays, the
//!   load-balanced task scheduler and the broadcast scheduler; the IOPub relay forwards
//!   engines' output.
#![deny(missing_docs)]

mod ids;
mod task;

pub use ids::{EngineId, EngineUuid, MsgId};
pub use task::{
    Action, Dependency, DependencyKind, Failure, ImpossibleReason, InvalidReason, ReplyOutcome,
    Scheme, Task, TaskConfig, TaskError, TaskMetadata, TaskScheduler,
};
