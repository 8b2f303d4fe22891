//! Where a session's engines come from: the cluster the user names, the environment's or
//! the default profile's running cluster, or a local cluster started for the session and
//! stopped at its end.
//!
//! - [`ClusterFinder`] is the policy: [`ClusterFinder::new`] follows the environment
//!   ([`CLUSTER_ENV`], [`PROFILE_ENV`], else the `default` profile) and starts a local
//!   cluster with one engine per core when none is running;
//!   [`ClusterFinder::looking_at`] / [`ClusterFinder::in_profile`] use exactly what the
//!   user named; [`ClusterFinder::starting`] starts a cluster of N engines.
//! - [`source_for_file`] tells a `cluster-<id>.json` from a client connection file.
//!
//! Local clusters are started with stock `ipcluster` (`python -m ipyparallel.cluster start
//! --daemonize`) of the configured Python, under a cluster id of their own
//! (`<owner>-<pid>`), until our own launcher exists. They stop with
//! [`ClusterFinder::stop`], or when the finder is dropped.
//!
//! ```no_run
//! use px_cluster::{ClusterError, ClusterFinder};
//!
//! # async fn demo() -> Result<(), ClusterError> {
//! let mut finder = ClusterFinder::new("python3".into())
//!     .owned_by("pxsh")
//!     .starting(4, None);
//! let found = finder.connect().await?;
//! if let Some(notice) = &found.notice {
//!     print!("{notice}"); // Started a local cluster with 4 engines (cluster id pxsh-…); …
//! }
//! assert_eq!(found.client.ids().len(), 4);
//! finder.stop().await;
//! # Ok(())
//! # }
//! ```
//!
//! ```
//! use px_client::ConnectionSource;
//!
//! let source = px_cluster::source_for_file("security/cluster-1234.json".as_ref());
//! assert!(matches!(source, ConnectionSource::ClusterFile(_)));
//! ```
#![deny(missing_docs)]

mod error;
mod finder;
mod local;
mod source;

pub use error::ClusterError;
pub use finder::{ClusterFinder, Found};
pub use source::{source_for_file, CLUSTER_ENV, PROFILE_ENV};
