//! An engine of a Parallel (Rust) cluster, and a drop-in for ipyparallel's `ipengine`: it
//! registers with a controller (stock `ipcontroller` or ours), answers its heartbeats, and
//! runs the Python that clients send — `execute_request`s and `apply_request`s — through a
//! [`px_worker::Worker`], publishing output on IOPub as a stock engine does.
//!
//! - [`run`] is the whole engine: it reads the connection info ([`ConnectionSource`]: a
//!   file, `$IPP_CONNECTION_INFO`, or a profile and cluster id), starts the Python while it
//!   registers, serves until told to stop ([`Exit`]), and unregisters.
//! - Control requests (abort, clear, shutdown, signal) are answered while the Python is
//!   busy; a crash of the Python fails the running request, the Python is restarted, and
//!   the engine stays registered under the same id.
//! - When the controller stops answering heartbeats the engine registers again when it
//!   comes back, keeping its namespace ([`OnControllerLoss`]).
//!
//! ```no_run
//! use px_engine::{run, ConnectionSource, EngineConfig, Exit};
//!
//! # async fn demo() -> Result<(), px_engine::EngineError> {
//! let config = EngineConfig::new(ConnectionSource::File("ipcontroller-engine.json".into()));
//! let (_signals, incoming) = tokio::sync::mpsc::unbounded_channel();
//! let exit = run(config, incoming).await?;
//! assert_eq!(exit, Exit::Shutdown);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod aborts;
mod apply;
mod completion;
mod config;
mod context;
mod control;
mod engine;
mod error;
mod execute;
mod heart;
mod ids;
mod iopub;
mod link;
mod locate;
mod metadata;
mod registration;
mod shell;
mod signals;
mod unknown;

pub use config::{ConnectionSource, EngineConfig, OnControllerLoss};
pub use engine::{run, Exit};
pub use error::{EngineError, Result};
pub use ids::{EngineId, EngineUuid};
