//! [`ClusterFinder`]: the policy of where a session's engines come from.

use std::path::PathBuf;
use std::time::Duration;

use px_client::{Client, ClientError, ConnectOptions, ConnectionSource};

use crate::error::ClusterError;
use crate::local::LocalCluster;
use crate::source::{env_names_a_file, profile_source, source_from_env};

/// How long connecting to a running controller may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the engines come from.
#[derive(Debug, Clone)]
enum Plan {
    /// The environment's cluster ([`crate::CLUSTER_ENV`], [`crate::PROFILE_ENV`], the
    /// default profile); when none is running and no file was named, a local cluster with
    /// one engine per core.
    FromEnv,
    /// Exactly this cluster; never start one instead.
    Source(ConnectionSource),
    /// A fresh local cluster of this many engines, in this profile (`None`: `default`).
    Start {
        engines: usize,
        profile: Option<String>,
    },
}

/// Finds or starts the cluster of one session (a kernel, a pxsh), and stops at the end
/// what it started.
///
/// Connecting is lazy (the magics call [`ClusterFinder::connect`] when a magic first needs
/// engines) and may be repeated: after a cluster was started, later calls reconnect to
/// it instead of starting another.
#[derive(Debug)]
pub struct ClusterFinder {
    /// The Python environment whose ipyparallel starts local clusters.
    python: PathBuf,
    /// Who the session is (`pxkernel`, `pxsh`): names started clusters and the notice.
    owner: String,
    plan: Plan,
    /// The cluster this session started, to stop at its end.
    started: Option<LocalCluster>,
}

/// What [`ClusterFinder::connect`] found: the client, and one line for the user when a
/// cluster was started.
pub struct Found {
    /// The client, with its engines registered.
    pub client: Client,
    /// "Started a local cluster …" when one was started.
    pub notice: Option<String>,
}

impl ClusterFinder {
    /// A finder for the environment's cluster, starting a local one with the ipyparallel
    /// of `python` when none is running (see [`crate::CLUSTER_ENV`]).
    pub fn new(python: PathBuf) -> Self {
        ClusterFinder {
            python,
            owner: "pxkernel".to_owned(),
            plan: Plan::FromEnv,
            started: None,
        }
    }

    /// Names the session: started clusters get the cluster id `<owner>-<pid>`, and the
    /// notice says they stop with it.
    pub fn owned_by(mut self, owner: &str) -> Self {
        self.owner = owner.to_owned();
        self
    }

    /// Uses exactly `source` (a file or profile the user named); a missing cluster is then
    /// an error, not a reason to start one.
    pub fn looking_at(mut self, source: ConnectionSource) -> Self {
        self.plan = Plan::Source(source);
        self
    }

    /// Uses the running cluster of `profile` (else the environment's choice).
    pub fn in_profile(self, profile: String) -> Self {
        self.looking_at(profile_source(Some(profile)))
    }

    /// Starts a fresh local cluster of `engines` engines in `profile` (`None`: `default`)
    /// on first use, whatever is running already.
    pub fn starting(mut self, engines: usize, profile: Option<String>) -> Self {
        self.plan = Plan::Start { engines, profile };
        self
    }

    /// The cluster id of the cluster this finder started and has not stopped.
    pub fn started_cluster(&self) -> Option<&str> {
        self.started.as_ref().map(LocalCluster::cluster_id)
    }

    /// Connects to the cluster of the plan, starting one if the plan says so.
    pub async fn connect(&mut self) -> Result<Found, ClusterError> {
        let opts = ConnectOptions {
            timeout: CONNECT_TIMEOUT,
            ..ConnectOptions::default()
        };
        if let Some(cluster) = &self.started {
            let client = cluster.connect(&opts).await?;
            return Ok(Found {
                client,
                notice: None,
            });
        }
        match self.plan.clone() {
            Plan::Source(source) => Ok(Found {
                client: Client::connect_with(&source, &opts).await?,
                notice: None,
            }),
            Plan::Start { engines, profile } => {
                let notice = format!(
                    "Started a local cluster with {engines} engines (cluster id {{id}}); it stops when {} exits.\n",
                    self.owner
                );
                self.start(engines, profile, &opts, notice).await
            }
            Plan::FromEnv => match Client::connect_with(&source_from_env(), &opts).await {
                Ok(client) => Ok(Found {
                    client,
                    notice: None,
                }),
                Err(ClientError::NoConnectionFile { .. }) if !env_names_a_file() => {
                    let engines = std::thread::available_parallelism().map_or(1, |n| n.get());
                    let notice = format!(
                        "No cluster was running: started a local one with {engines} engines (cluster id {{id}}); it stops when {} exits.\n",
                        self.owner
                    );
                    self.start(engines, None, &opts, notice).await
                }
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Starts the local cluster; `notice` has `{id}` where the cluster id goes.
    async fn start(
        &mut self,
        engines: usize,
        profile: Option<String>,
        opts: &ConnectOptions,
        notice: String,
    ) -> Result<Found, ClusterError> {
        let cluster_id = format!("{}-{}", self.owner, std::process::id());
        let (cluster, client) =
            LocalCluster::start(&self.python, profile, cluster_id, engines, opts).await?;
        let notice = notice.replace("{id}", cluster.cluster_id());
        tracing::info!(
            "started cluster {} with {} engines",
            cluster.cluster_id(),
            cluster.engines()
        );
        self.started = Some(cluster);
        Ok(Found {
            client,
            notice: Some(notice),
        })
    }

    /// Stops the cluster this finder started, if any, and waits for it to exit.
    pub async fn stop(&mut self) {
        if let Some(cluster) = self.started.take() {
            cluster.stop().await;
        }
    }
}
