//! Why no cluster could be had.

use px_client::ClientError;

/// Why [`crate::ClusterFinder::connect`] found no engines. The message is meant for the
/// user as it stands: it says what was tried and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Connecting to (or waiting for the engines of) a cluster failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The cluster launcher could not be run at all (no such Python, not executable).
    #[error("could not run `{program} -m ipyparallel.cluster` to start a local cluster ({source}); start one with `ipcluster start -n 4`")]
    Launch {
        /// The Python that was to run it.
        program: String,
        /// What running it reported.
        #[source]
        source: std::io::Error,
    },
    /// The launcher ran but did not start a cluster (ipyparallel missing, bad options).
    #[error("`ipcluster start` failed: {0}")]
    StartFailed(String),
}
