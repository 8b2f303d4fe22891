//! Where ipyparallel keeps its files: `$IPYTHONDIR/profile_<name>/security/...`.
//!
//! The lookup mirrors IPython's: `IPP_PROFILE_DIR` wins, then `IPYTHONDIR`, then
//! `~/.ipython`, so a stock `ipcluster start` and our tools find the same files.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{Result, WireError};

/// The default profile name.
pub const DEFAULT_PROFILE: &str = "default";

fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix('~') {
        Some(rest) => home_dir().join(rest.trim_start_matches('/')),
        None => PathBuf::from(p),
    }
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `$IPYTHONDIR`, or `~/.ipython`.
pub fn ipython_dir() -> PathBuf {
    match std::env::var("IPYTHONDIR") {
        Ok(d) if !d.is_empty() => expand_home(&d),
        _ => home_dir().join(".ipython"),
    }
}

/// A profile directory (`profile_<name>`), holding `security/` and `log/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDir {
    path: PathBuf,
}

impl ProfileDir {
    /// The profile directory at an explicit path (`--profile-dir`).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        ProfileDir { path: path.into() }
    }

    /// `profile_<name>` under [`ipython_dir`] (`--profile NAME`).
    pub fn named(name: &str) -> Self {
        ProfileDir::at(ipython_dir().join(format!("profile_{name}")))
    }

    /// The profile a process started by a launcher should use: `IPP_PROFILE_DIR` if set,
    /// else the named profile (the default profile when `name` is `None`).
    pub fn resolve(name: Option<&str>) -> Self {
        match (name, std::env::var("IPP_PROFILE_DIR")) {
            (None, Ok(dir)) if !dir.is_empty() => ProfileDir::at(expand_home(&dir)),
            (name, _) => ProfileDir::named(name.unwrap_or(DEFAULT_PROFILE)),
        }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where connection and cluster files live.
    pub fn security_dir(&self) -> PathBuf {
        self.path.join("security")
    }

    /// Where logs live.
    pub fn log_dir(&self) -> PathBuf {
        self.path.join("log")
    }

    /// Creates `security/` with mode 0700 (it holds credentials) if it does not exist.
    pub fn ensure_security_dir(&self) -> Result<PathBuf> {
        let dir = self.security_dir();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|source| WireError::File {
                path: dir.clone(),
                source,
            })?;
        Ok(dir)
    }

    /// `ipcontroller-client.json`, or `ipcontroller-<id>-client.json` for a cluster id.
    pub fn client_file(&self, cluster_id: &str) -> PathBuf {
        self.security_dir()
            .join(connection_file_name(cluster_id, "client"))
    }

    /// `ipcontroller-engine.json`, or `ipcontroller-<id>-engine.json` for a cluster id.
    pub fn engine_file(&self, cluster_id: &str) -> PathBuf {
        self.security_dir()
            .join(connection_file_name(cluster_id, "engine"))
    }

    /// `cluster-<id>.json` (`cluster-.json` for the empty id), as `ipp.Cluster` names it.
    pub fn cluster_file(&self, cluster_id: &str) -> PathBuf {
        self.security_dir()
            .join(format!("cluster-{cluster_id}.json"))
    }
}

fn connection_file_name(cluster_id: &str, side: &str) -> String {
    if cluster_id.is_empty() {
        format!("ipcontroller-{side}.json")
    } else {
        format!("ipcontroller-{cluster_id}-{side}.json")
    }
}

/// The cluster id from `IPP_CLUSTER_ID`, or the empty (default) id.
pub fn cluster_id_from_env() -> String {
    std::env::var("IPP_CLUSTER_ID").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_ipyparallel() {
        let p = ProfileDir::at("/x/profile_default");
        assert_eq!(
            p.client_file(""),
            Path::new("/x/profile_default/security/ipcontroller-client.json")
        );
        assert_eq!(
            p.engine_file("t"),
            Path::new("/x/profile_default/security/ipcontroller-t-engine.json")
        );
        assert_eq!(
            p.cluster_file(""),
            Path::new("/x/profile_default/security/cluster-.json")
        );
    }

    #[test]
    fn security_dir_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let p = ProfileDir::at(tmp.path().join("profile_x"));
        let dir = p.ensure_security_dir().unwrap();
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
