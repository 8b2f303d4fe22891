//! Where to look for a running cluster: a file the user names, an environment variable, a
//! profile.

use std::path::{Path, PathBuf};

use px_client::ConnectionSource;

/// The environment variable naming a client connection file or a `cluster-<id>.json`.
pub const CLUSTER_ENV: &str = "PX_CLUSTER";
/// The environment variable naming a profile to use instead of `default`.
pub const PROFILE_ENV: &str = "PX_PROFILE";

/// The source for a file the user named: a `cluster-<id>.json` (what `ipcluster` and
/// `ipp.Cluster` write) or else a client connection file (`ipcontroller-client.json`).
/// The two formats differ, and the name is how ipyparallel's own tools tell them apart.
pub fn source_for_file(path: &Path) -> ConnectionSource {
    let is_cluster_file = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("cluster-"));
    if is_cluster_file {
        ConnectionSource::ClusterFile(path.to_owned())
    } else {
        ConnectionSource::File(path.to_owned())
    }
}

/// What the environment asks for: [`CLUSTER_ENV`]'s file, else the running cluster of
/// [`PROFILE_ENV`]'s profile (or `default`) with the cluster id of `IPP_CLUSTER_ID`.
pub(crate) fn source_from_env() -> ConnectionSource {
    if let Some(path) = std::env::var_os(CLUSTER_ENV).filter(|p| !p.is_empty()) {
        return source_for_file(&PathBuf::from(path));
    }
    profile_source(std::env::var(PROFILE_ENV).ok().filter(|p| !p.is_empty()))
}

/// The running cluster of `profile` (`None`: `default`), with the environment's cluster id.
pub(crate) fn profile_source(profile: Option<String>) -> ConnectionSource {
    ConnectionSource::Profile {
        profile,
        cluster_id: px_wire::cluster_id_from_env(),
    }
}

/// Whether the environment names a cluster file: then a missing file is an error, not a
/// reason to start a cluster.
pub(crate) fn env_names_a_file() -> bool {
    std::env::var_os(CLUSTER_ENV).is_some_and(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_files_are_told_apart_by_name() {
        assert!(matches!(
            source_for_file(Path::new("/x/security/cluster-abc.json")),
            ConnectionSource::ClusterFile(_)
        ));
        assert!(matches!(
            source_for_file(Path::new("/x/security/ipcontroller-client.json")),
            ConnectionSource::File(_)
        ));
    }
}
