//! The "Parallel (Rust)" Jupyter kernel: a protocol 5.3 server (shell, control, IOPub,
//! stdin, heartbeat) in front of a [`Backend`] that runs the code.
//!
//! The server keeps the rules frontends check strictly: `busy` before anything else of a
//! request, `execute_input` before outputs, the reply, then `idle` after every output; an
//! `iopub_welcome` on each new IOPub subscription; cells queued behind a failed one answered
//! `aborted`; interrupts and `kernel_info` served on control while a cell runs.
//!
//! ```no_run
//! # async fn demo<B: px_kernel::Backend>(backend: B) -> Result<(), px_kernel::KernelError> {
//! use std::sync::Arc;
//! let info = px_wire::KernelConnectionInfo::load("kernel-1.json".as_ref())?;
//! px_kernel::serve(&info, Arc::new(backend)).await
//! # }
//! ```
#![deny(missing_docs)]

mod backend;
mod control;
mod iopub;
mod kernelspec;
mod parallel;
mod publisher;
mod python;
mod server;
mod shell;
mod sink;
mod stdin;

pub use backend::{python_language_info, Backend, ExecuteOutcome, ExecuteRequest};
pub use kernelspec::{install, kernel_json, InstallTarget, KERNEL_NAME};
pub use parallel::ParallelBackend;
pub use publisher::Publisher;
pub use px_cluster::{ClusterFinder, CLUSTER_ENV, PROFILE_ENV};
pub use python::LocalPython;
pub use server::{serve, KernelError};
pub use stdin::InputError;
