//! `security/cluster-<id>.json`, the state file of `ipp.Cluster` and `ipcluster`.
//!
//! `ipcluster list`, `ipcluster stop` and `Cluster.from_file()` read it, so a launcher of ours
//! that must coexist with them writes this exact structure. Launcher classes add state keys of
//! their own (MPI, SSH, Slurm), so every level keeps unknown keys.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::files::{read_json, write_json};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterFile {
    /// The cluster's own settings.
    pub cluster: ClusterInfo,
    /// The controller launcher; absent once the controller has stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<LauncherRecord>,
    /// The engine launcher and its engine sets.
    pub engines: EngineSets,
    /// Keys we do not know, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `Cluster` traits tagged `to_dict`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// The cluster id (`""` for the default cluster).
    #[serde(default)]
    pub cluster_id: String,
    /// Extra controller arguments.
    #[serde(default)]
    pub controller_args: Vec<String>,
    /// `--ip` given to the controller, `""` for its default.
    #[serde(default)]
    pub controller_ip: String,
    /// `--location` given to the controller, `""` for its default.
    #[serde(default)]
    pub controller_location: String,
    /// Seconds between engine starts.
    #[serde(default)]
    pub delay: f64,
    /// Number of engines requested (`null` for "one per core").
    #[serde(default)]
    pub n: Option<u32>,
    /// The profile directory.
    #[serde(default)]
    pub profile_dir: String,
    /// The Python class that wrote the file (`ipyparallel.cluster.cluster.Cluster`).
    #[serde(default)]
    pub class: String,
    /// Keys we do not know, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A launcher's class name and saved state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LauncherRecord {
    /// Abbreviated launcher name (`local`, `mpi`, `ssh`, ...) or a dotted class name.
    pub class: String,
    /// The launcher's state.
    pub state: LauncherState,
}

/// State of one launched process (or group, for MPI and batch launchers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LauncherState {
    /// The cluster id.
    #[serde(default)]
    pub cluster_id: String,
    /// The process id, `-1` when not a single local process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// Where the process's output goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file: Option<String>,
    /// The profile directory.
    #[serde(default)]
    pub profile_dir: String,
    /// `before`, `running` or `after`.
    #[serde(default)]
    pub state: String,
    /// Keys we do not know (launcher-specific), preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The engine launcher and its sets, keyed by engine-set id (a Unix timestamp string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSets {
    /// Abbreviated launcher name or dotted class name.
    pub class: String,
    /// Engine sets by id.
    #[serde(default)]
    pub sets: BTreeMap<String, EngineSetState>,
}

/// One engine set: its own state plus each engine's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSetState {
    /// The set's launcher state (`n` and friends are in `extra`).
    #[serde(flatten)]
    pub launcher: LauncherState,
    /// Per-engine state by index (`"0"`, `"1"`, ...); absent for batch launchers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub engines: BTreeMap<String, LauncherState>,
}

impl ClusterFile {
    /// Reads a cluster file.
    pub fn load(path: &Path) -> Result<Self> {
        read_json(path, "ipyparallel cluster file")
    }

    /// Writes the file (0600, atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURED: &str = r#"{"cluster": {"cluster_id": "cap", "controller_args": [], "controller_ip": "",
  "controller_location": "", "delay": 1.0, "n": 2, "profile_dir": "/home/user/.ipython/profile_default",
  "class": "ipyparallel.cluster.cluster.Cluster"},
 "controller": {"class": "local", "state": {"cluster_id": "cap",
  "output_file": "/p/log/ipcontroller-cap-19558.log", "pid": 19559,
  "profile_dir": "/p", "state": "running"}},
 "engines": {"class": "local", "sets": {"1795416863": {"cluster_id": "cap", "n": 2, "pid": -1,
  "profile_dir": "/p", "state": "running", "engines": {
   "0": {"cluster_id": "cap", "n": 1, "output_file": "/p/log/ipengine-cap-1795416863-0.log",
         "pid": 19638, "profile_dir": "/p", "state": "running"}}}}}}"#;

    #[test]
    fn captured_file_round_trips_without_losing_keys() {
        let f: ClusterFile = serde_json::from_str(CAPTURED).unwrap();
        assert_eq!(f.controller.as_ref().unwrap().state.pid, Some(19559));
        let set = &f.engines.sets["1795416863"];
        assert_eq!(set.engines["0"].pid, Some(19638));
        assert_eq!(set.launcher.extra["n"], 2);
        let back: Value = serde_json::to_value(&f).unwrap();
        let orig: Value = serde_json::from_str(CAPTURED).unwrap();
        assert_eq!(back, orig);
    }
}
