//! Starting and stopping a controller: bind, write the connection files, run the core and
//! the IOPub relay, and remove the files when told to stop.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use px_wire::{
    new_id, ClientConnectionInfo, EngineConnectionInfo, ProfileDir, Security, Session, Signer,
    WireError,
};
use serde_json::{json, Map};
use tokio::sync::mpsc;

use crate::broadcast::BroadcastScheduler;
use crate::config::Config;
use crate::core::{Core, Inbound, Outputs, Source};
use crate::db::{ResultStore, StoreLimits};
use crate::hub::engines::Engines;
use crate::hub::heartbeat::HeartMonitor;
use crate::outbox::Outbox;
use crate::sockets::{bind_all, BindPlan, Router};
use crate::stats::Stats;
use crate::task::{Scheme, TaskConfig, TaskScheduler};

/// Messages waiting for the core; readers wait when it is full, which holds back the
/// sockets rather than growing memory.
const INBOUND_QUEUE: usize = 65_536;

/// Why a controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding, keys or files.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// A setting that cannot work.
    #[error("{0}")]
    Config(String),
}

/// A controller whose sockets are bound and whose files are written.
pub struct Controller {
    core: Core,
    inbound: mpsc::Receiver<Inbound>,
    files: Vec<PathBuf>,
    keep_files: bool,
    /// The client connection file, for callers that start a controller in-process.
    pub client_file: PathBuf,
}

impl Controller {
    /// Binds every socket, writes the connection files and starts the readers.
    pub async fn start(config: &Config) -> Result<Controller, StartError> {
        let profile = ProfileDir::at(&config.profile_dir);
        let security_dir = profile.ensure_security_dir()?;
        let client_file = profile.client_file(&config.cluster_id);
        let engine_file = profile.engine_file(&config.cluster_id);
        let reused = if config.reuse_files {
            reuse(&client_file, &engine_file)
        } else {
            None
        };
        let location = if config.location.is_empty() {
            hostname()
        } else {
            config.location.clone()
        };
        let mut security = Security::generate(Some(location));
        security.signature_scheme = config.signature_scheme.clone();
        match (&config.key, &reused) {
            (Some(key), _) => security.key = key.clone(),
            (None, Some((client, _))) => security.key = client.security.key.clone(),
            (None, None) => security.key = new_id(),
        }
        let signer = Signer::new(security.key.as_bytes(), &security.signature_scheme)?;
        let session = Arc::new(match &config.ident {
            Some(ident) => Session::with_id(signer, ident.clone()),
            None => Session::new(signer),
        });
        let nleaves = NonZeroUsize::new(1usize << config.broadcast_depth)
            .ok_or_else(|| StartError::Config("broadcast depth too large".to_owned()))?;
        let leaves = nleaves.get();
        let reuse_ports = reused.as_ref().map(|(c, e)| reused_ports(c, e));
        let engine_interface = interface(&config.engine_ip);
        let client_interface = interface(&config.client_ip);
        let bound = bind_all(&BindPlan {
            engine_interface: &bind_address(&engine_interface),
            client_interface: &bind_address(&client_interface),
            ports: &config.ports,
            leaves,
            reuse: reuse_ports.as_deref(),
        })
        .await?;
        let engine_info = EngineConnectionInfo {
            ssh: String::new(),
            interface: engine_interface,
            registration: bound.registration.port,
            control: bound.control_engine.port,
            mux: bound.mux_engine.port,
            task: bound.task_engine.port,
            iopub: bound.iopub_engine.port,
            hb_ping: bound.hb_ping.port,
            hb_pong: bound.hb_pong.port,
            broadcast: bound.broadcast_leaves.iter().map(|r| r.port).collect(),
            security: security.clone(),
            extra: Map::new(),
        };
        let client_info = ClientConnectionInfo {
            ssh: String::new(),
            interface: client_interface,
            registration: bound.registration.port,
            control: bound.control_client.port,
            mux: bound.mux_client.port,
            task: bound.task_client.port,
            task_scheme: config.scheme.clone(),
            iopub: bound.iopub_client.port,
            notification: bound.notification.port,
            broadcast: bound.broadcast_client.port,
            security,
            extra: Map::new(),
        };
        tracing::debug!("security directory {}", security_dir.display());
        let engine_ports = json!({
            "interface": engine_info.interface,
            "registration": engine_info.registration,
            "control": engine_info.control,
            "mux": engine_info.mux,
            "task": engine_info.task,
            "iopub": engine_info.iopub,
            "hb_ping": engine_info.hb_ping,
            "hb_pong": engine_info.hb_pong,
            "broadcast": engine_info.broadcast,
        });

        let (tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        let read = |source: Source, router: Router| {
            tokio::spawn(read_router(source, router.rx, tx.clone()));
            router.tx
        };
        let registration = read(Source::Registration, bound.registration);
        let mux_client = read(Source::MuxClient, bound.mux_client);
        let mux_engine = read(Source::MuxEngine, bound.mux_engine);
        let control_client = read(Source::ControlClient, bound.control_client);
        let control_engine = read(Source::ControlEngine, bound.control_engine);
        let task_client = read(Source::TaskClient, bound.task_client);
        let task_engine = read(Source::TaskEngine, bound.task_engine);
        let broadcast_client = read(Source::BroadcastClient, bound.broadcast_client);
        let hb_pong = read(Source::HbPong, bound.hb_pong);
        let broadcast_leaves: Vec<Outbox> = bound
            .broadcast_leaves
            .into_iter()
            .enumerate()
            .map(|(leaf, router)| {
                Outbox::new("broadcast", read(Source::BroadcastLeaf(leaf), router))
            })
            .collect();
        tokio::spawn(crate::iopub::relay(
            bound.iopub_engine.socket,
            bound.iopub_client.socket,
            session.clone(),
            tx.clone(),
        ));
        drop(tx);

        let task_config = task_config(config)?;
        let registration_timeout = if config.registration_timeout.is_zero() {
            Duration::from_secs(30).max(config.ping / 10)
        } else {
            config.registration_timeout
        };
        let core = Core {
            session: session.clone(),
            engines: Engines::new(),
            hearts: HeartMonitor::new(Instant::now(), config.ping, config.max_heartmonitor_misses),
            broadcast: BroadcastScheduler::new(session.clone(), nleaves),
            task: TaskScheduler::new(task_config),
            task_disabled: config.scheme == "none",
            store: config.keep_results.then(|| {
                ResultStore::new(StoreLimits {
                    record_limit: config.record_limit,
                    size_limit: config.size_limit,
                    cull_fraction: config.cull_fraction,
                    ..StoreLimits::default()
                })
            }),
            out: Outputs {
                registration: Outbox::new("registration", registration),
                mux_client: Outbox::new("mux", mux_client),
                mux_engine: Outbox::new("mux", mux_engine),
                control_client: Outbox::new("control", control_client),
                control_engine: Outbox::new("control", control_engine),
                task_client: Outbox::new("task", task_client),
                task_engine: Outbox::new("task", task_engine),
                broadcast_client: Outbox::new("broadcast", broadcast_client),
                broadcast_leaves,
                hb_ping: bound.hb_ping.socket,
                hb_pong,
                notification: bound.notification.socket,
            },
            engine_ports,
            registration_timeout,
            stats: Stats::default(),
            shutdown_at: None,
            renotify: VecDeque::new(),
        };

        // Written last: a launcher polling for these files may connect at once.
        engine_info.save(&engine_file)?;
        client_info.save(&client_file)?;
        tracing::info!("client connection file: {}", client_file.display());
        Ok(Controller {
            core,
            inbound,
            files: vec![client_file.clone(), engine_file],
            keep_files: config.reuse_files,
            client_file,
        })
    }

    /// Serves until `stop` completes or a client asks the hub to shut down; then removes
    /// the connection files (unless they are to be reused).
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        self.core.run(self.inbound, stop).await;
        if !self.keep_files {
            for file in &self.files {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// The task scheduler's settings. `pure` (stock: a plain ROUTER-DEALER device, round robin,
/// no limit) is served by least-load with no high-water mark; `none` keeps defaults and the
/// core refuses tasks.
fn task_config(config: &Config) -> Result<TaskConfig, StartError> {
    let (scheme, hwm) = match config.scheme.as_str() {
        "pure" => (Scheme::LeastLoad, 0),
        "none" => (Scheme::LeastLoad, config.hwm),
        name => (
            name.parse::<Scheme>()
                .map_err(|e| StartError::Config(e.to_string()))?,
            config.hwm,
        ),
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id());
    Ok(TaskConfig {
        scheme,
        hwm,
        // Long enough for a reply the engine sent just before it died to arrive; stock
        // waits 5 s, we wait a heartbeat period (at most 5 s).
        engine_death_grace: config.ping.min(Duration::from_secs(5)),
        seed,
    })
}

/// Reads one ROUTER into the core's queue until the core is gone.
async fn read_router(source: Source, mut rx: px_wire::Receiver, core: mpsc::Sender<Inbound>) {
    let mut failures = 0u32;
    loop {
        match rx.recv().await {
            Ok(frames) => {
                failures = 0;
                if core.send(Inbound::Frames(source, frames)).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                failures += 1;
                tracing::debug!(?source, "receive failed: {e}");
                if failures > 100 {
                    // A socket that keeps failing: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// `tcp://<ip>`, as the connection files write it.
fn interface(ip: &str) -> String {
    if ip.contains("://") {
        ip.to_owned()
    } else {
        format!("tcp://{ip}")
    }
}

/// The interface to bind: `*` means every address.
fn bind_address(interface: &str) -> String {
    interface.replace("://*", "://0.0.0.0")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// The previous files, when both exist and parse.
fn reuse(
    client: &std::path::Path,
    engine: &std::path::Path,
) -> Option<(ClientConnectionInfo, EngineConnectionInfo)> {
    match (
        ClientConnectionInfo::load(client),
        EngineConnectionInfo::load(engine),
    ) {
        (Ok(c), Ok(e)) => Some((c, e)),
        _ => None,
    }
}

/// The previous ports in the order `bind_all` takes them.
fn reused_ports(client: &ClientConnectionInfo, engine: &EngineConnectionInfo) -> Vec<u16> {
    let mut ports = vec![
        engine.registration,
        engine.control,
        engine.mux,
        engine.task,
        engine.iopub,
        engine.hb_ping,
        engine.hb_pong,
    ];
    ports.extend(&engine.broadcast);
    ports.extend([
        client.control,
        client.mux,
        client.task,
        client.iopub,
        client.notification,
        client.broadcast,
    ]);
    ports
}
