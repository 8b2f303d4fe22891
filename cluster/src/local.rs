//! A local cluster started for one session with stock `ipcluster`, stopped when the session
//! ends — until our own launcher exists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use px_client::{Client, ClientError, ConnectOptions, ConnectionSource};

use crate::error::ClusterError;

/// How long the controller may take to write its connection file after `ipcluster start
/// --daemonize` returns, and the engines to register after that.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How often to look for the connection file while the controller starts.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A daemonized `ipcluster` of this session: controller and engines on 127.0.0.1 under a
/// cluster id of its own, so it never collides with the user's clusters. Stopped by
/// [`LocalCluster::stop`], or on drop (blocking) if the session ended without stopping it.
#[derive(Debug)]
pub(crate) struct LocalCluster {
    python: PathBuf,
    profile: Option<String>,
    cluster_id: String,
    engines: usize,
    running: bool,
}

/// `python -m ipyparallel.cluster ARGS`: stock `ipcluster` of that Python's environment,
/// whatever is on `PATH`.
fn ipcluster(python: &Path, profile: Option<&str>, args: &[String]) -> Command {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "ipyparallel.cluster"]).args(args);
    if let Some(profile) = profile {
        cmd.arg(format!("--profile={profile}"));
    }
    cmd
}

async fn output(mut cmd: Command) -> std::io::Result<Output> {
    match tokio::task::spawn_blocking(move || cmd.output()).await {
        Ok(out) => out,
        Err(e) => Err(std::io::Error::other(e)),
    }
}

impl LocalCluster {
    /// Starts `engines` engines and a controller in the background and connects to them,
    /// returning once all engines are registered.
    pub(crate) async fn start(
        python: &Path,
        profile: Option<String>,
        cluster_id: String,
        engines: usize,
        opts: &ConnectOptions,
    ) -> Result<(LocalCluster, Client), ClusterError> {
        let args = [
            "start".to_owned(),
            "--daemonize".to_owned(),
            "--ip=127.0.0.1".to_owned(),
            format!("--cluster-id={cluster_id}"),
            format!("-n={engines}"),
        ];
        let out = output(ipcluster(python, profile.as_deref(), &args))
            .await
            .map_err(|source| ClusterError::Launch {
                program: python.display().to_string(),
                source,
            })?;
        // From here on the cluster may exist, even partly: drop stops it on any failure.
        let cluster = LocalCluster {
            python: python.to_owned(),
            profile,
            cluster_id,
            engines,
            running: true,
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
            return Err(ClusterError::StartFailed(
                last.unwrap_or("no message").trim().to_owned(),
            ));
        }
        let client = cluster.connect(opts).await?;
        client.wait_for_engines(engines, STARTUP_TIMEOUT).await?;
        Ok((cluster, client))
    }

    /// Where this cluster's connection file is.
    pub(crate) fn source(&self) -> ConnectionSource {
        ConnectionSource::Profile {
            profile: self.profile.clone(),
            cluster_id: self.cluster_id.clone(),
        }
    }

    /// Connects, waiting for the controller to write its connection file.
    pub(crate) async fn connect(&self, opts: &ConnectOptions) -> Result<Client, ClientError> {
        let source = self.source();
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            match Client::connect_with(&source, opts).await {
                Err(ClientError::NoConnectionFile { .. })
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(POLL_INTERVAL).await
                }
                other => return other,
            }
        }
    }

    /// The cluster id it runs under.
    pub(crate) fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// How many engines it was started with.
    pub(crate) fn engines(&self) -> usize {
        self.engines
    }

    fn stop_command(&self) -> Command {
        let args = [
            "stop".to_owned(),
            format!("--cluster-id={}", self.cluster_id),
        ];
        ipcluster(&self.python, self.profile.as_deref(), &args)
    }

    /// Stops the controller and engines (stock `ipcluster stop` waits for them to exit).
    pub(crate) async fn stop(mut self) {
        self.running = false;
        report_stop(&self.cluster_id, output(self.stop_command()).await);
    }
}

fn report_stop(cluster_id: &str, out: std::io::Result<Output>) {
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => tracing::warn!(
            "stopping cluster {cluster_id}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => tracing::warn!("stopping cluster {cluster_id}: {e}"),
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if self.running {
            report_stop(&self.cluster_id, self.stop_command().output());
        }
    }
}
