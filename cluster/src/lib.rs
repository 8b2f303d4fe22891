//! Where the parallel magics find engines: the cluster named by the environment or the
//! default profile's running cluster, else a local cluster started for the session and
//! stopped at its end.
//!
//! ```no_run
//! # async fn demo() -> Result<(), px_client::ClientError> {
//! let mut finder = px_cluster::ClusterFinder::new("python3".into());
//! let found = finder.connect().await?;
//! println!("{} engines", found.client.ids().len());
//! finder.stop().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod finder;

pub use finder::{ClusterFinder, Found, CLUSTER_ENV, PROFILE_ENV};
