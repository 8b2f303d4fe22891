//! A client for ipyparallel clusters, stock or ours: what the kernel and `pxsh` use to run
//! code on engines and collect their output.
//!
//! - [`Client`] connects to a controller (from a connection file, a profile or a cluster
//!   file: [`ConnectionSource`]) and keeps the engine table current.
//! - [`DirectView`] runs code on chosen engines ([`Targets`] parsed as `%px --targets` parses
//!   them); [`LoadBalancedView`] lets the task scheduler choose.
//! - [`AsyncResult`] collects each engine's stdout, stderr, displays, result and error
//!   ([`EngineResult`]), as a whole or as [`OutputEvent`]s while engines still run; failures
//!   come back as a [`CompositeError`] rendered as ipyparallel renders it.
//!
//! ```no_run
//! use px_client::{Client, ConnectionSource, ExecuteOptions, Targets};
//!
//! # async fn demo() -> px_client::Result<()> {
//! let client = Client::connect(&ConnectionSource::default()).await?;
//! let view = client.direct_view("::2".parse::<Targets>()?);
//! for r in view.execute_sync("print('hi')", &ExecuteOptions::default(), None).await? {
//!     print!("[stdout:{}] {}", r.engine_id.unwrap_or(-1), r.stdout);
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod asyncresult;
mod client;
mod connect;
mod engines;
mod error;
mod io;
mod remote_error;
mod targets;
mod tracker;
mod tunnel;
mod view;

pub use asyncresult::{AsyncResult, LIVENESS_INTERVAL};
pub use client::{Client, ConnectOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use connect::ConnectionSource;
pub use engines::EngineTable;
pub use error::{ClientError, Result};
pub use px_wire::python_str_repr;
pub use remote_error::{
    AlreadyDisplayedError, CompositeError, RemoteError, ReplyStatus, TaskAborted, TB_LIMIT,
};
pub use targets::{Targets, TargetsError};
pub use tracker::{apply_carriage_returns, EngineResult, OutputEvent, StreamName};
pub use tunnel::SshOptions;
pub use view::{DirectView, ExecuteOptions, LoadBalancedView};
