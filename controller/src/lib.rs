//! The controller of a Parallel (Rust) cluster: the Hub and the schedulers, in one process,
//! speaking stock ipyparallel's wire protocol so that stock clients and engines use it as
//! they use `ipcontroller`.
//!
//! - The **Hub** registers engines, watches their heartbeats, announces them on the
//!   notification channel, answers clients' queries and keeps the results.
//! - The **schedulers** move requests: the direct (MUX) and control relays, the
//!   load-balanced task scheduler and the broadcast scheduler; the IOPub relay forwards
//!   engines' output.
//! - The **result store** ([`ResultStore`]) is the hub's bounded record of requests, replies
//!   and output, and builds the contents of its query replies; it does no I/O.
#![deny(missing_docs)]

mod broadcast;
mod broadcast_relay;
mod config;
mod controller;
mod core;
mod db;
mod errors;
mod hub;
mod ids;
mod iopub;
mod outbox;
mod relay;
mod results;
mod sockets;
mod stats;
mod task;
mod task_relay;

pub use broadcast::{
    BroadcastError, BroadcastScheduler, Rejected, ToEngine, DEFAULT_BROADCAST_LEAVES,
};
pub use config::{parse as parse_args, Config, ConfigError, Parsed, USAGE};
pub use controller::{Controller, StartError};
pub use db::{
    EngineDirectory, EngineEntry, QueryError, Queue, ResubmitSource, ResultStore, StoreLimits,
};
pub use ids::{EngineId, EngineUuid, MsgId};
pub use task::{
    Action, Dependency, DependencyKind, Failure, ImpossibleReason, InvalidReason, ReplyOutcome,
    Scheme, Task, TaskConfig, TaskError, TaskMetadata, TaskScheduler,
};
