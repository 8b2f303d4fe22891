//! A stock ipyparallel cluster for integration tests, torn down even if the test process dies.
//!
//! [`StockCluster::start`] runs `stock_cluster.py` (next to this file) with the pinned venv's
//! Python in a fresh `IPYTHONDIR`. The runner starts one controller and `n` engines on
//! 127.0.0.1 with `ipyparallel.Cluster`, waits with a stock `Client.wait_for_engines` until all
//! `n` are registered, and reports the connection files. Tests then point our code at
//! [`StockCluster::client_file`] (a client) or [`StockCluster::engine_file`] (an engine).
//!
//! ```ignore
//! let cluster = StockCluster::start(2);
//! let info = px_wire::ClientConnectionInfo::load(&cluster.client_file())?;
//! ```
//!
//! Teardown comes in layers, because a leaked cluster keeps ports and two cores busy for every
//! later test:
//!
//! 1. `Drop` asks the runner to stop (stock `stop_engines`, then `stop_controller`) and waits
//!    up to [`STOP_TIMEOUT`]; a clean stop takes about half a second.
//! 2. Then it kills the runner's process group and, one by one, every process whose
//!    environment carries this cluster's `IPYTHONDIR` (the launchers start the controller,
//!    its schedulers, engines and their nannies in sessions of their own, so no single
//!    process group holds them all).
//! 3. If this process dies without dropping (`panic = "abort"`, SIGKILL, OOM killer), the
//!    runner sees its stdin reach end-of-file, stops the cluster the same way and removes
//!    the `IPYTHONDIR`.
//!
//! Only if the runner itself is SIGKILLed together with this process can engines outlive
//! it; stock engines then shut themselves down after 50 missed controller heartbeats.
//!
//! Start, [`StockCluster::wait_for_engines`] and drop block the calling thread (drop for
//! about half a second). In `#[tokio::test]`s start with [`StockCluster::start_async`].
//! Linux only: processes are found through `/proc`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use tempfile::TempDir;

/// The runner script, found the same way wherever this module is compiled: it is also
/// included by other crates' tests (`#[path]`), whose manifest dirs are siblings of
/// `client/`.
const RUNNER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../client/tests/support/stock_cluster.py"
);

/// How long the runner's stock client waits for the engines to register.
pub const ENGINE_TIMEOUT: Duration = Duration::from_secs(90);

/// How long we wait for the runner's report; longer than [`ENGINE_TIMEOUT`] so that the
/// runner's own, more precise error wins.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long `Drop` waits for a clean stop before killing.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// `HeartMonitor.period` by default, in ms: what ipyparallel's own test suite uses. The hub
/// counts an engine as registered only after its first heartbeat, so at the stock 3000 ms a
/// 4-engine start takes ~6.5 s instead of ~1.9 s; dead engines are noticed after 10 missed
/// beats, i.e. in 2 s instead of 30 s.
pub const TEST_HEARTBEAT_MS: u32 = 200;

/// The runner's log, inside the `IPYTHONDIR`.
const RUNNER_LOG: &str = "stock_cluster.log";

/// What the runner reports, one JSON object a line.
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    Ready(Ready),
    Engines { ids: Vec<u32> },
    Error { message: String },
}

/// The runner's report once all engines are registered.
#[derive(Debug, Deserialize)]
struct Ready {
    client_file: PathBuf,
    engine_file: PathBuf,
    cluster_file: PathBuf,
    profile_dir: PathBuf,
    cluster_id: String,
    engine_ids: Vec<u32>,
    controller_pid: u32,
    engine_pids: Vec<u32>,
    startup_seconds: f64,
}

/// How to start a [`StockCluster`]; [`StockCluster::start`] covers the usual case.
#[derive(Debug, Clone)]
pub struct StockClusterBuilder {
    engines: usize,
    heartbeat_ms: u32,
}

impl StockClusterBuilder {
    /// The controller's `HeartMonitor.period` in ms ([`TEST_HEARTBEAT_MS`] unless set);
    /// `0` leaves the stock default (3000 ms).
    pub fn heartbeat_period_ms(mut self, ms: u32) -> Self {
        self.heartbeat_ms = ms;
        self
    }

    /// Starts the cluster, blocking until every engine is registered.
    ///
    /// # Panics
    ///
    /// If Python is missing or the cluster does not come up in time; the message includes
    /// the runner's log (and with it the controller's and engines' output).
    pub fn start(self) -> StockCluster {
        match StockCluster::try_start(&self) {
            Ok(cluster) => cluster,
            Err(e) => panic!("stock ipyparallel cluster did not start: {e:#}"),
        }
    }
}

/// A running stock controller with its engines, stopped on drop. See the module docs.
pub struct StockCluster {
    ready: Ready,
    python: PathBuf,
    /// Engines started by [`StockCluster::add_engine`].
    added_engines: Vec<Child>,
    /// Dropped after the engines above; stops the cluster and owns the `IPYTHONDIR`.
    runner: Runner,
}

impl StockCluster {
    /// Starts a controller and `n_engines` engines on 127.0.0.1, blocking until all are
    /// registered (about 2 s for 4 engines on two cores).
    ///
    /// # Panics
    ///
    /// See [`StockClusterBuilder::start`].
    pub fn start(n_engines: usize) -> StockCluster {
        StockCluster::builder(n_engines).start()
    }

    /// [`StockCluster::start`] on tokio's blocking pool, so async tests do not block their
    /// runtime while Python starts.
    pub async fn start_async(n_engines: usize) -> StockCluster {
        match tokio::task::spawn_blocking(move || StockCluster::start(n_engines)).await {
            Ok(cluster) => cluster,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Options beyond the number of engines.
    pub fn builder(n_engines: usize) -> StockClusterBuilder {
        StockClusterBuilder {
            engines: n_engines,
            heartbeat_ms: TEST_HEARTBEAT_MS,
        }
    }

    fn try_start(options: &StockClusterBuilder) -> Result<StockCluster> {
        let python = python();
        let ipython_dir = tempfile::Builder::new()
            .prefix("px-stock-")
            .tempdir()
            .context("creating a temporary IPYTHONDIR")?;
        let cluster_id = unique_cluster_id();
        let profile_dir = ipython_dir.path().join("profile_default");
        let log = File::create(ipython_dir.path().join(RUNNER_LOG))?;

        let mut command = Command::new(&python);
        command
            .arg(RUNNER)
            .arg(format!("--n={}", options.engines))
            .arg(format!("--cluster-id={cluster_id}"))
            .arg(format!("--profile-dir={}", profile_dir.display()))
            .arg(format!("--timeout={}", ENGINE_TIMEOUT.as_secs()))
            .arg(format!("--heartbeat-ms={}", options.heartbeat_ms))
            .arg("--remove-dir-when-orphaned")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        isolate(&mut command, ipython_dir.path());
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {} {RUNNER}", python.display()))?;
        let events = read_events(child.stdout.take().expect("stdout is piped"));
        let mut runner = Runner {
            commands: child.stdin.take(),
            child,
            events: Mutex::new(events),
            ipython_dir,
        };

        // On error `runner` drops here, which stops whatever did start.
        let failure = match runner.next_event(READY_TIMEOUT) {
            Ok(Event::Ready(ready)) => {
                return Ok(StockCluster {
                    ready,
                    python,
                    added_engines: Vec::new(),
                    runner,
                })
            }
            Ok(Event::Error { message }) => message,
            Ok(other) => format!("unexpected report {other:?}"),
            Err(e) => format!("{e:#}"),
        };
        bail!(
            "{failure}\n(runner: {} {RUNNER})\n{}",
            python.display(),
            runner.log_tail()
        )
    }

    /// `ipcontroller-<id>-client.json`.
    pub fn client_file(&self) -> PathBuf {
        self.ready.client_file.clone()
    }

    /// `ipcontroller-<id>-engine.json`.
    pub fn engine_file(&self) -> PathBuf {
        self.ready.engine_file.clone()
    }

    /// `cluster-<id>.json`, as `ipp.Cluster` wrote it.
    pub fn cluster_file(&self) -> PathBuf {
        self.ready.cluster_file.clone()
    }

    /// The profile directory (`<ipython_dir>/profile_default`).
    pub fn profile_dir(&self) -> PathBuf {
        self.ready.profile_dir.clone()
    }

    /// The cluster id, unique per fixture (`px-<pid>-<n>-<nanos>`).
    pub fn cluster_id(&self) -> &str {
        &self.ready.cluster_id
    }

    /// The ids of the engines registered at start, ascending (`[0, 1, ..]`).
    pub fn ids(&self) -> Vec<u32> {
        self.ready.engine_ids.clone()
    }

    /// The temporary `IPYTHONDIR`, removed on drop.
    pub fn ipython_dir(&self) -> &Path {
        self.runner.ipython_dir.path()
    }

    /// The controller's process id.
    pub fn controller_pid(&self) -> u32 {
        self.ready.controller_pid
    }

    /// Process ids of the engines started with the cluster (not their nannies).
    pub fn engine_pids(&self) -> Vec<u32> {
        self.ready.engine_pids.clone()
    }

    /// How long the runner took from starting the controller to all engines registered.
    pub fn startup_time(&self) -> Duration {
        Duration::from_secs_f64(self.ready.startup_seconds)
    }

    /// Every live process of this cluster: runner, controller and schedulers, engines and
    /// nannies, added engines.
    pub fn processes(&self) -> Vec<u32> {
        cluster_processes(self.ipython_dir(), self.cluster_id())
    }

    /// Starts one more stock `ipengine` for this cluster and returns its pid, without
    /// waiting for it to register (see [`StockCluster::wait_for_engines`]). The engine is
    /// stopped on drop.
    pub fn add_engine(&mut self) -> u32 {
        let bin = self.python.with_file_name("ipengine");
        let mut command = if bin.exists() {
            Command::new(bin)
        } else {
            // PX_PYTHON outside a venv: the module `ipengine` runs.
            let mut c = Command::new(&self.python);
            c.args(["-m", "ipyparallel.engine"]);
            c
        };
        let log_dir = self.ready.profile_dir.join("log");
        let log_path = log_dir.join(format!(
            "ipengine-added-{}-{}.log",
            self.ready.cluster_id,
            self.added_engines.len()
        ));
        let log = std::fs::create_dir_all(&log_dir)
            .and_then(|()| File::create(&log_path))
            .unwrap_or_else(|e| panic!("creating {}: {e}", log_path.display()));
        let err_log = log.try_clone().expect("cloning a file handle");
        command
            .arg(format!(
                "--profile-dir={}",
                self.ready.profile_dir.display()
            ))
            .arg(format!("--cluster-id={}", self.ready.cluster_id))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log);
        isolate(&mut command, self.runner.ipython_dir.path());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting ipengine: {e}"));
        let pid = child.id();
        self.added_engines.push(child);
        pid
    }

    /// Blocks until a fresh stock client sees at least `n` engines (up to
    /// [`ENGINE_TIMEOUT`]) and returns their ids, ascending.
    ///
    /// # Panics
    ///
    /// On timeout, with the runner's log.
    pub fn wait_for_engines(&mut self, n: usize) -> Vec<u32> {
        let command = serde_json::json!({
            "cmd": "wait_for_engines",
            "n": n,
            "timeout": ENGINE_TIMEOUT.as_secs(),
        });
        let reply = self
            .runner
            .send(&command)
            .and_then(|()| self.runner.next_event(READY_TIMEOUT));
        match reply {
            Ok(Event::Engines { ids }) => ids,
            Ok(other) => panic!(
                "waiting for {n} engines: {other:?}\n{}",
                self.runner.log_tail()
            ),
            Err(e) => panic!("waiting for {n} engines: {e:#}\n{}", self.runner.log_tail()),
        }
    }
}

impl Drop for StockCluster {
    fn drop(&mut self) {
        // TERM lets an added engine's nanny tell the controller; the runner stops the rest.
        for engine in &self.added_engines {
            signal(engine.id() as i32, SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for engine in &mut self.added_engines {
            if !wait_until(engine, deadline) {
                let _ = engine.kill();
                let _ = engine.wait();
            }
        }
    }
}

/// The runner process and the `IPYTHONDIR` it runs in.
struct Runner {
    child: Child,
    /// Closing it tells the runner to stop, even when we die without dropping.
    commands: Option<ChildStdin>,
    /// In a mutex only to make the fixture `Sync`, e.g. for a `static OnceLock<StockCluster>`
    /// shared by the tests of one binary (the runner stops it when the process exits).
    events: Mutex<Receiver<Event>>,
    /// Declared last: removed only after every process using it is gone.
    ipython_dir: TempDir,
}

impl Runner {
    fn next_event(&mut self, timeout: Duration) -> Result<Event> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        match events.recv_timeout(timeout) {
            Ok(event) => Ok(event),
            Err(RecvTimeoutError::Timeout) => {
                Err(anyhow!("no report from the runner in {timeout:?}"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                wait_until(&mut self.child, Instant::now() + Duration::from_secs(5));
                match self.child.try_wait() {
                    Ok(Some(status)) => Err(anyhow!("the runner exited ({status})")),
                    _ => Err(anyhow!("the runner closed its stdout")),
                }
            }
        }
    }

    fn send(&mut self, command: &serde_json::Value) -> Result<()> {
        let stdin = self.commands.as_mut().context("runner stdin is closed")?;
        writeln!(stdin, "{command}")?;
        stdin.flush()?;
        Ok(())
    }

    /// The end of the runner's log, for error messages.
    fn log_tail(&self) -> String {
        const MAX: u64 = 16 * 1024;
        let path = self.ipython_dir.path().join(RUNNER_LOG);
        let mut text = String::new();
        if let Ok(mut f) = File::open(&path) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.seek(SeekFrom::Start(len.saturating_sub(MAX)));
            let mut bytes = Vec::new();
            let _ = f.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        format!("--- {} ---\n{text}", path.display())
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.commands.take() {
            let _ = writeln!(stdin, r#"{{"cmd": "stop"}}"#);
            // Dropping stdin closes it: EOF also stops a runner that missed the command.
        }
        if !wait_until(&mut self.child, Instant::now() + STOP_TIMEOUT) {
            eprintln!(
                "stock cluster runner did not stop in {STOP_TIMEOUT:?}; killing it\n{}",
                self.log_tail()
            );
            // The runner leads its own process group (`process_group(0)`).
            signal(-(self.child.id() as i32), SIGKILL);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        kill_marked(self.ipython_dir.path());
    }
}

/// Python from `PX_PYTHON`, else the workspace venv.
pub fn python() -> PathBuf {
    let (python, origin) = match std::env::var_os("PX_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => (PathBuf::from(p), "PX_PYTHON"),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
            "the workspace venv",
        ),
    };
    // Not canonicalized: a venv's python is a symlink, and the venv is only in its path.
    if !python.exists() {
        panic!(
            "stock Python not found at {} (from {origin}): run bash scripts/setup-venv.sh \
             in the workspace root, or set PX_PYTHON",
            python.display()
        );
    }
    python
}

/// A cluster id no other fixture (in this or another test process) uses.
fn unique_cluster_id() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "px-{}-{}-{nanos:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Environment and process group shared by everything the fixture starts.
///
/// `IPYTHONDIR` is also the mark by which teardown finds the cluster's processes: every one
/// of them inherits it. `IPP_*` from the caller's environment (a cluster id, a profile dir)
/// would point the stock tools at another cluster.
fn isolate(command: &mut Command, ipython_dir: &Path) {
    for (key, _) in std::env::vars_os() {
        if key.as_bytes().starts_with(b"IPP_") {
            command.env_remove(key);
        }
    }
    command
        .env("IPYTHONDIR", ipython_dir)
        .current_dir(ipython_dir)
        // Out of the test's process group: a Ctrl-C meant for cargo reaches the runner only
        // as stdin EOF, so it stops the cluster instead of dying half-way.
        .process_group(0);
}

/// Reads the runner's JSON lines on a thread of their own, so waits can time out.
fn read_events(stdout: impl Read + Send + 'static) -> Receiver<Event> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let event = serde_json::from_str(&line).unwrap_or_else(|e| Event::Error {
                message: format!("unreadable runner output {line:?}: {e}"),
            });
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for `child` until `deadline`; true if it exited.
fn wait_until(child: &mut Child, deadline: Instant) -> bool {
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return true,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => return false,
            Err(_) => return true,
        }
    }
}

/// Processes whose environment has `IPYTHONDIR=<ipython_dir>`, or whose command line or
/// environment names `cluster_id` (`--cluster-id=`, `IPP_CLUSTER_ID=`).
pub fn cluster_processes(ipython_dir: &Path, cluster_id: &str) -> Vec<u32> {
    let id = cluster_id.as_bytes();
    live_processes(|environ, cmdline| {
        has_ipython_dir(environ, ipython_dir)
            || (!id.is_empty() && (contains(cmdline, id) || contains(environ, id)))
    })
}

/// SIGKILLs every process marked with `ipython_dir` until none is left (bounded).
pub fn kill_marked(ipython_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids = live_processes(|environ, _| has_ipython_dir(environ, ipython_dir));
        if pids.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in pids {
            signal(pid as i32, SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_ipython_dir(environ: &[u8], ipython_dir: &Path) -> bool {
    let mut marker = b"IPYTHONDIR=".to_vec();
    marker.extend_from_slice(ipython_dir.as_os_str().as_bytes());
    environ
        .split(|&b| b == 0)
        .any(|var| var == marker.as_slice())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Live processes (not zombies, whose environ reads empty) matching `(environ, cmdline)`,
/// other than this one; processes of other users are skipped.
fn live_processes(matches: impl Fn(&[u8], &[u8]) -> bool) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            let dir = Path::new("/proc").join(pid.to_string());
            let environ = std::fs::read(dir.join("environ")).unwrap_or_default();
            let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            !environ.is_empty() && matches(&environ, &cmdline)
        })
        .collect();
    pids.sort_unstable();
    pids
}

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

/// `kill(2)`; a negative pid signals a process group. Errors (already gone) are ignored.
fn signal(pid: i32, sig: i32) {
    // 0, -1 and ±1 would signal our own group, every process we may signal, or init.
    if pid.abs() <= 1 {
        return;
    }
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    unsafe {
        kill(pid, sig);
    }
}
