//! Finding a cluster's client connection file, the ways `ipyparallel.Client()` and
//! `Cluster.from_file()` do.

use std::path::PathBuf;

use px_wire::{ClientConnectionInfo, ClusterFile, ProfileDir};

use crate::error::{ClientError, Result};

/// Where to find the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionSource {
    /// An explicit `ipcontroller-client.json`.
    File(PathBuf),
    /// The client file of a profile (`--profile NAME`; `None` = `IPP_PROFILE_DIR` or
    /// `default`) and cluster id (`""` for the default cluster).
    Profile {
        /// Profile name.
        profile: Option<String>,
        /// Cluster id.
        cluster_id: String,
    },
    /// An `ipp.Cluster` state file (`security/cluster-<id>.json`), which names its profile
    /// directory and cluster id.
    ClusterFile(PathBuf),
}

impl Default for ConnectionSource {
    /// The default profile's default cluster, as `ipyparallel.Client()` with no arguments.
    fn default() -> Self {
        ConnectionSource::Profile {
            profile: None,
            cluster_id: px_wire::cluster_id_from_env(),
        }
    }
}

impl ConnectionSource {
    /// The client connection file this source designates; fails with the path looked for
    /// when it does not exist.
    pub fn client_file(&self) -> Result<PathBuf> {
        let path = match self {
            ConnectionSource::File(p) => p.clone(),
            ConnectionSource::Profile {
                profile,
                cluster_id,
            } => ProfileDir::resolve(profile.as_deref()).client_file(cluster_id),
            ConnectionSource::ClusterFile(p) => {
                if !p.exists() {
                    return Err(ClientError::NoConnectionFile { path: p.clone() });
                }
                let cluster = ClusterFile::load(p)?;
                ProfileDir::at(&cluster.cluster.profile_dir)
                    .client_file(&cluster.cluster.cluster_id)
            }
        };
        if !path.exists() {
            return Err(ClientError::NoConnectionFile { path });
        }
        Ok(path)
    }

    /// Loads the client connection info.
    pub fn load(&self) -> Result<(PathBuf, ClientConnectionInfo)> {
        let path = self.client_file()?;
        let info = ClientConnectionInfo::load(&path)?;
        Ok((path, info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_error_names_the_path_and_how_to_start_a_cluster() {
        let err = ConnectionSource::File("/nonexistent/ipcontroller-client.json".into())
            .client_file()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/ipcontroller-client.json"),
            "{err}"
        );
        assert!(err.contains("ipcluster start"), "{err}");
    }
}
