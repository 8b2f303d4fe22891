//! What can go wrong between the client and a cluster, one variant per cause, each with a
//! message a user can act on.

use std::path::PathBuf;
use std::time::Duration;

use crate::remote_error::{CompositeError, RemoteError};
use crate::targets::TargetsError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection file where one was looked for.
    #[error("no cluster found: {path} does not exist. Start one with `ipcluster start -n 4` (or `pxcluster start -n 4`), or name a connection file")]
    NoConnectionFile {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// The connection or cluster file could not be used.
    #[error(transparent)]
    Wire(#[from] px_wire::WireError),
    /// The hub did not answer a query in time. With a key mismatch the hub stays silent, so
    /// that is named as a likely cause.
    #[error("the controller did not answer {what} within {:.1} s: it is not running, or the connection file's key does not match its key (signatures do not match)", .timeout.as_secs_f64())]
    ControllerSilent {
        /// The query that went unanswered.
        what: String,
        /// How long we waited.
        timeout: Duration,
    },
    /// A wait ended before the results were ready.
    #[error("timed out after {:.1} s waiting for {pending} of {total} results", .timeout.as_secs_f64())]
    Timeout {
        /// How long we waited.
        timeout: Duration,
        /// Results still outstanding.
        pending: usize,
        /// Results requested.
        total: usize,
    },
    /// Targets did not parse or name no registered engine.
    #[error(transparent)]
    Targets(#[from] TargetsError),
    /// One engine's code raised (or the engine died, or the task was aborted).
    #[error(transparent)]
    Remote(Box<RemoteError>),
    /// Several engines' code raised.
    #[error(transparent)]
    Composite(#[from] CompositeError),
    /// The hub answered a query with an error.
    #[error("the controller refused {what}: {ename}: {evalue}")]
    Hub {
        /// The query.
        what: String,
        /// Exception name.
        ename: String,
        /// Exception value.
        evalue: String,
    },
    /// The client's connection to the controller is closed.
    #[error("the client is closed: {0}")]
    Closed(String),
    /// An argument that no request can be built from.
    #[error("{0}")]
    InvalidArgument(String),
}

impl From<RemoteError> for ClientError {
    fn from(e: RemoteError) -> Self {
        ClientError::Remote(Box::new(e))
    }
}

/// Results of client calls.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
