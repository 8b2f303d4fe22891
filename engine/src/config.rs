//! What an engine needs to know before it starts: where its controller is, which Python to
//! run, and how patient to be.

use std::path::PathBuf;
use std::time::Duration;

use px_wire::ProfileDir;
use px_worker::WorkerConfig;

use crate::ids::EngineUuid;

/// Where the controller's engine connection info comes from, in the forms stock launchers
/// and users give it to `ipengine`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionSource {
    /// An `ipcontroller-*-engine.json` named on the command line (`--file`).
    File(PathBuf),
    /// The whole connection dict as JSON text (`$IPP_CONNECTION_INFO`, which `ipp.Cluster`
    /// sets for every engine it launches).
    Json(String),
    /// `<profile>/security/ipcontroller[-<cluster_id>]-engine.json`.
    Profile {
        /// The profile directory.
        profile: ProfileDir,
        /// The cluster id (`""` for the default cluster).
        cluster_id: String,
    },
}

impl ConnectionSource {
    /// The file this source reads, if it is a file (waited for at start).
    pub fn file(&self) -> Option<PathBuf> {
        match self {
            ConnectionSource::File(path) => Some(path.clone()),
            ConnectionSource::Profile {
                profile,
                cluster_id,
            } => Some(profile.engine_file(cluster_id)),
            ConnectionSource::Json(_) => None,
        }
    }
}

/// What to do when the controller stops sending heartbeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnControllerLoss {
    /// Keep the Python (and its namespace) and register again, with the same uuid and id,
    /// once the controller answers; give up and exit after this long.
    Reconnect(Duration),
    /// Exit at once.
    Exit,
}

/// How to run one engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the controller is.
    pub source: ConnectionSource,
    /// Overrides the connection info's `location` (for `0.0.0.0` interfaces).
    pub location: Option<String>,
    /// The Python that runs the code.
    pub worker: WorkerConfig,
    /// The uuid to register with; a fresh one when `None`.
    pub uuid: Option<EngineUuid>,
    /// The id to ask the hub for (it may give another).
    pub requested_id: Option<u32>,
    /// How long to wait for the registration reply (stock `--timeout`, 5 s).
    pub registration_timeout: Duration,
    /// How long a missing connection file is waited for (stock: 10 s).
    pub wait_for_file: Duration,
    /// Heartbeat periods without a ping after which the controller counts as gone.
    pub missed_beats: u32,
    /// What to do then.
    pub on_controller_loss: OnControllerLoss,
    /// Files run before the first request (`$PYTHONSTARTUP`, the profile's startup
    /// files), as IPython runs them; the engine fails if the Python dies in one.
    pub startup_files: Vec<PathBuf>,
    /// Code run (silently, in the user namespace) before the first request: stock's `-c`.
    pub startup_code: Vec<String>,
}

impl EngineConfig {
    /// The defaults of a stock engine, for `source`.
    pub fn new(source: ConnectionSource) -> Self {
        EngineConfig {
            source,
            location: None,
            worker: WorkerConfig::default(),
            uuid: None,
            requested_id: None,
            registration_timeout: Duration::from_secs(5),
            wait_for_file: Duration::from_secs(10),
            missed_beats: 5,
            on_controller_loss: OnControllerLoss::Reconnect(Duration::from_secs(60)),
            startup_files: Vec::new(),
            startup_code: Vec::new(),
        }
    }
}
