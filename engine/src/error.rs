//! Why an engine could not start or had to stop, as one enum.
//!
//! A bad message from the controller is not here: it is logged and dropped, and the engine
//! keeps serving. These are the failures that end the engine, each with the sentence the
//! binary prints as its one line.

use std::path::PathBuf;
use std::time::Duration;

/// Why an engine stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The connection file never appeared.
    #[error(
        "the connection file {path} did not appear within {waited:?}; is the controller running?"
    )]
    NoConnectionFile {
        /// The file waited for.
        path: PathBuf,
        /// How long.
        waited: Duration,
    },
    /// The connection info is unreadable or asks for something we do not support.
    #[error("bad connection info ({origin}): {reason}")]
    BadConnectionInfo {
        /// Where it came from (a file, `$IPP_CONNECTION_INFO`).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The controller did not answer the registration request in time.
    #[error("no registration reply from the controller at {url} within {waited:?}")]
    RegistrationTimeout {
        /// The registration endpoint.
        url: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The controller refused the registration (its uuid in use, say).
    #[error("the controller refused the registration: {0}")]
    RegistrationRefused(String),
    /// A socket could not be set up or failed beyond repair.
    #[error(transparent)]
    Wire(#[from] px_wire::WireError),
    /// The Python worker could not be started; the worker's own account of why.
    #[error("{0}")]
    Worker(String),
    /// The controller went away and did not come back in time.
    #[error("lost the controller (no heartbeat for {silent:.1?}){}", waited_for(.waited))]
    ControllerLost {
        /// How long the heartbeat had been silent when the loss was noticed.
        silent: Duration,
        /// How long the engine then tried to register again (zero: it did not try).
        waited: Duration,
    },
}

fn waited_for(waited: &Duration) -> String {
    if waited.is_zero() {
        String::new()
    } else {
        format!(" and it did not come back within {waited:?}")
    }
}

/// Results of this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
