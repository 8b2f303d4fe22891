//! Where `%px` finds engines: a running cluster named by the environment or the default
//! profile, else a local cluster the kernel starts itself (and stops at shutdown).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use px_client::{Client, ClientError, ConnectOptions, ConnectionSource};

/// The environment variable naming a client connection file or a `cluster-<id>.json`.
pub const CLUSTER_ENV: &str = "PX_CLUSTER";
/// The environment variable naming a profile to use instead of `default`.
pub const PROFILE_ENV: &str = "PX_PROFILE";

/// Finds or starts a cluster.
#[derive(Debug)]
pub struct ClusterFinder {
    /// The Python environment whose `ipcluster` starts a local cluster.
    python: PathBuf,
    /// The cluster id of a cluster this kernel started, to stop at shutdown.
    started: Option<String>,
}

/// One line telling the user what happened, and the client.
pub struct Found {
    /// The client, with its engines registered.
    pub client: Client,
    /// "Started a local cluster …" when one was started.
    pub notice: Option<String>,
}

fn source_from_env() -> ConnectionSource {
    if let Some(path) = std::env::var_os(CLUSTER_ENV).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        let is_cluster_file = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("cluster-"));
        return if is_cluster_file {
            ConnectionSource::ClusterFile(path)
        } else {
            ConnectionSource::File(path)
        };
    }
    ConnectionSource::Profile {
        profile: std::env::var(PROFILE_ENV).ok().filter(|p| !p.is_empty()),
        cluster_id: px_wire::cluster_id_from_env(),
    }
}

impl ClusterFinder {
    /// A finder starting local clusters with the `ipcluster` beside `python`.
    pub fn new(python: PathBuf) -> Self {
        ClusterFinder {
            python,
            started: None,
        }
    }

    fn ipcluster(&self) -> Command {
        let beside = self.python.with_file_name("ipcluster");
        if beside.exists() {
            Command::new(beside)
        } else {
            Command::new("ipcluster")
        }
    }

    /// Connects to the configured or default cluster; when there is none (no connection
    /// file), starts a local one with one engine per core.
    pub async fn connect(&mut self) -> Result<Found, ClientError> {
        let opts = ConnectOptions {
            timeout: Duration::from_secs(10),
            ..ConnectOptions::default()
        };
        let source = source_from_env();
        match Client::connect_with(&source, &opts).await {
            Ok(client) => Ok(Found {
                client,
                notice: None,
            }),
            Err(ClientError::NoConnectionFile { .. })
                if std::env::var_os(CLUSTER_ENV).is_none() =>
            {
                self.start_local(&opts).await
            }
            Err(e) => Err(e),
        }
    }

    async fn start_local(&mut self, opts: &ConnectOptions) -> Result<Found, ClientError> {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cluster_id = format!("pxkernel-{}", std::process::id());
        let mut cmd = self.ipcluster();
        cmd.args(["start", "--daemonize", "--ip=127.0.0.1"])
            .arg(format!("--cluster-id={cluster_id}"))
            .arg(format!("-n={n}"));
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .map_err(|e| ClientError::Closed(e.to_string()))?
            .map_err(|e| {
                ClientError::InvalidArgument(format!(
                    "no cluster is running and ipcluster could not be started ({e}); start one with `ipcluster start -n 4`"
                ))
            })?;
        if !out.status.success() {
            return Err(ClientError::InvalidArgument(format!(
                "no cluster is running and `ipcluster start` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        self.started = Some(cluster_id.clone());
        let source = ConnectionSource::Profile {
            profile: None,
            cluster_id: cluster_id.clone(),
        };
        // The controller writes its files a moment after ipcluster returns.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let client = loop {
            match Client::connect_with(&source, opts).await {
                Ok(c) => break c,
                Err(ClientError::NoConnectionFile { .. })
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(e) => return Err(e),
            }
        };
        client.wait_for_engines(n, Duration::from_secs(60)).await?;
        Ok(Found {
            client,
            notice: Some(format!(
                "No cluster was running: started a local one with {n} engines (cluster id {cluster_id}); it stops with the kernel.\n"
            )),
        })
    }

    /// Stops the cluster this kernel started, if any.
    pub async fn stop(&mut self) {
        let Some(id) = self.started.take() else {
            return;
        };
        let mut cmd = self.ipcluster();
        cmd.args(["stop", &format!("--cluster-id={id}")]);
        let _ = tokio::task::spawn_blocking(move || cmd.output()).await;
    }
}
