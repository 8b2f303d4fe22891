//! Every way a worker call can fail, as one enum.
//!
//! A crash of the Python child is not an error of [`Worker::execute`](crate::Worker::execute):
//! the running execution reports it as an [`Event::Error`](crate::Event::Error) and the worker
//! restarts. The variants here are what a caller must act on: Python could not be started, the
//! worker is gone, or a query could not be answered.

use std::path::PathBuf;

/// Why a worker call failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The interpreter could not be executed at all (not found, not executable).
    #[error("cannot run {python}: {source}")]
    Spawn {
        /// The interpreter that was tried.
        python: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The interpreter ran but the worker module did not come up; `detail` holds what it
    /// printed on stderr, which usually names the cause (an old Python, a broken site).
    #[error("the Python worker ({python}) did not start: {detail}")]
    Start {
        /// The interpreter that was tried.
        python: PathBuf,
        /// Why, in the child's own words where it said any.
        detail: String,
    },
    /// The Python child died while answering a query (not an execution); it is restarted.
    #[error("the Python worker died ({0}); restarting it — variables are lost")]
    Died(String),
    /// The Python side could not answer (an exception in the worker module itself).
    #[error("the Python worker failed: {0}")]
    Python(String),
    /// The worker was shut down, or its supervisor task is gone.
    #[error("the worker has been shut down")]
    Closed,
    /// Local I/O failed (creating the socket directory, binding, accepting).
    #[error("worker I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T, E = WorkerError> = std::result::Result<T, E>;
