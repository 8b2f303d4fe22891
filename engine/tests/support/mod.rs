//! Fixtures for the engine's integration tests: a stock `ipcontroller`, `pxengine`
//! processes, and stock `ipyparallel.Client` drivers (`tests/drivers/*.py`).
//!
//! Every process a test starts carries the test's own `IPYTHONDIR` in its environment, and
//! the controller's `Drop` kills whatever still carries it, so a failing test leaves
//! nothing behind. Every wait is bounded.
#![allow(dead_code)]

use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The controller's heartbeat period in tests, as ipyparallel's own test suite sets it:
/// registration completes at the first beat after the engine's first pong.
pub const HEARTBEAT_MS: u32 = 200;

/// Upper bound for any one wait (a controller starting, an engine exiting, a driver).
pub const LIMIT: Duration = Duration::from_secs(120);

/// Python from `PX_PYTHON`, else the workspace venv (stock ipyparallel, IPython, numpy).
pub fn python() -> PathBuf {
    match std::env::var_os("PX_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

fn unique_id() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pxe-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Waits for `child` until `limit`; `None` if it is still running.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `sig` to `pid` (a negative pid: a process group); errors are ignored.
pub fn signal(pid: i32, sig: i32) {
    if pid.abs() <= 1 {
        return;
    }
    // SAFETY: kill(2) sends a signal and touches no memory of ours.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// A stock `ipcontroller` on 127.0.0.1 in a fresh `IPYTHONDIR`.
pub struct Controller {
    child: Option<Child>,
    cluster_id: String,
    dir: TempDir,
}

impl Controller {
    /// Starts it and waits until both connection files exist.
    pub fn start() -> Controller {
        Controller::start_with(&[])
    }

    /// [`Controller::start`] with extra controller arguments (`--reuse`, say).
    pub fn start_with(extra: &[&str]) -> Controller {
        let dir = tempfile::Builder::new()
            .prefix("px-engine-test-")
            .tempdir()
            .expect("a temporary IPYTHONDIR");
        let mut controller = Controller {
            child: None,
            cluster_id: unique_id(),
            dir,
        };
        controller.launch(extra);
        controller
    }

    fn launch(&mut self, extra: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join("controller.log")).unwrap();
        let mut command = Command::new(python());
        command
            .args(["-m", "ipyparallel.controller", "--ip=127.0.0.1"])
            .arg(format!("--cluster-id={}", self.cluster_id))
            .arg(format!("--profile-dir={}", self.profile_dir().display()))
            .arg(format!("--HeartMonitor.period={HEARTBEAT_MS}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.isolate(&mut command);
        self.child = Some(command.spawn().expect("the stock controller starts"));
        let deadline = Instant::now() + LIMIT;
        while !(self.engine_file().exists() && self.client_file().exists()) {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the controller exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "no connection files:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Environment shared by everything the test starts: the `IPYTHONDIR` that marks its
    /// processes, and no `IPP_*` from the caller.
    pub fn isolate(&self, command: &mut Command) {
        for (key, _) in std::env::vars_os() {
            if key.as_bytes().starts_with(b"IPP_") {
                command.env_remove(key);
            }
        }
        command
            .env("IPYTHONDIR", self.dir.path())
            .current_dir(self.dir.path())
            .process_group(0);
    }

    /// Stops the controller (SIGTERM, then SIGKILL), keeping its files when `--reuse` ran.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = child.id() as i32;
            signal(-group, libc::SIGTERM);
            if wait_for_exit(&mut child, Duration::from_secs(10)).is_none() {
                signal(-group, libc::SIGKILL);
                let _ = child.wait();
            }
            signal(-group, libc::SIGKILL); // schedulers it forked, if any are left
        }
    }

    /// Starts the controller again on the same ports and key (stock `--reuse`).
    pub fn restart_reusing_files(&mut self) {
        self.launch(&["--reuse"]);
    }

    /// The test's `IPYTHONDIR`.
    pub fn ipython_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The profile directory (`<IPYTHONDIR>/profile_default`).
    pub fn profile_dir(&self) -> PathBuf {
        self.dir.path().join("profile_default")
    }

    /// The cluster id, unique per fixture.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// `ipcontroller-<id>-engine.json`.
    pub fn engine_file(&self) -> PathBuf {
        px_wire::ProfileDir::at(self.profile_dir()).engine_file(&self.cluster_id)
    }

    /// `ipcontroller-<id>-client.json`.
    pub fn client_file(&self) -> PathBuf {
        px_wire::ProfileDir::at(self.profile_dir()).client_file(&self.cluster_id)
    }

    /// The tails of every engine's log, for failure messages.
    fn engine_logs(&self) -> String {
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("engine-"))
            })
            .collect();
        logs.sort();
        logs.iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                format!("--- {} ---\n{}", p.display(), tail(&text))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The controller's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("controller.log")).unwrap_or_default()
    }

    /// Starts `pxengine` with `args` against this controller's `--profile-dir` and
    /// `--cluster-id` (unless `args` says otherwise), using the venv's Python.
    pub fn engine(&self, args: &[&str]) -> Engine {
        self.engine_with(args, &[])
    }

    /// [`Controller::engine`] with extra environment variables.
    pub fn engine_with(&self, args: &[&str], env: &[(&str, &str)]) -> Engine {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut command = Command::new(env!("CARGO_BIN_EXE_pxengine"));
        let mut all: Vec<String> = vec!["--log-level=DEBUG".into()];
        if !args.iter().any(|a| a.starts_with("--python")) {
            all.push(format!("--python={}", python().display()));
        }
        let names_source = args.iter().any(|a| {
            a.starts_with("--file")
                || a.starts_with("--profile-dir")
                || a.starts_with("--cluster-id")
        }) || env.iter().any(|(k, _)| *k == "IPP_CONNECTION_INFO");
        if !names_source {
            all.push(format!("--profile-dir={}", self.profile_dir().display()));
            all.push(format!("--cluster-id={}", self.cluster_id));
        }
        all.extend(args.iter().map(|a| a.to_string()));
        command.args(&all);
        self.spawn_engine(command, format!("engine-{n}.log"), env)
    }

    /// Starts a stock `ipengine` against this controller: the reference a driver's
    /// expectations are checked with.
    pub fn stock_engine(&self) -> Engine {
        let mut command = Command::new(python());
        command
            .args(["-m", "ipyparallel.engine"])
            .arg(format!("--profile-dir={}", self.profile_dir().display()))
            .arg(format!("--cluster-id={}", self.cluster_id));
        self.spawn_engine(command, format!("stock-engine-{}.log", unique_id()), &[])
    }

    /// Starts an engine `command` isolated like everything else here, its stderr in
    /// `log_name` (shown when a driver fails), `env` set last.
    fn spawn_engine(&self, mut command: Command, log_name: String, env: &[(&str, &str)]) -> Engine {
        let stderr_path = self.dir.path().join(log_name);
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        self.isolate(&mut command);
        command.envs(env.iter().copied());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{:?} does not start: {e}", command.get_program()));
        Engine { child, stderr_path }
    }

    /// Runs `tests/drivers/<script>` with the client file and `args`, and returns the JSON
    /// object it prints last. The driver asserts as it goes; its failure fails the test
    /// with its output and the controller's log.
    pub fn drive(&self, script: &str, args: &[&str]) -> Value {
        let client_file = self.client_file();
        let mut all = vec![client_file.to_str().unwrap()];
        all.extend_from_slice(args);
        self.drive_with(script, &all)
    }

    /// [`Controller::drive`] with only `args` (drivers that start clusters of their own).
    pub fn drive_with(&self, script: &str, args: &[&str]) -> Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/drivers")
            .join(script);
        let out_path = self
            .dir
            .path()
            .join(format!("{script}.{}.out", unique_id()));
        let out = std::fs::File::create(&out_path).unwrap();
        let mut command = Command::new(python());
        command
            .arg(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        self.isolate(&mut command);
        let mut child = command.spawn().expect("the driver starts");
        let status = wait_for_exit(&mut child, LIMIT);
        if status.is_none() {
            signal(-(child.id() as i32), libc::SIGKILL);
            let _ = child.wait();
        }
        let output = std::fs::read_to_string(&out_path).unwrap_or_default();
        match status {
            Some(s) if s.success() => {}
            _ => panic!(
                "driver {script} failed ({status:?}):\n{output}\n--- controller ---\n{}\n{}",
                tail(&self.log()),
                self.engine_logs()
            ),
        }
        let last = output
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or("{}");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("driver output {last:?}: {e}"))
    }
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(8000);
    let mut at = start;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    &text[at..]
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.stop();
        kill_marked(self.dir.path());
    }
}

/// A `pxengine` process; stopped with SIGTERM (then SIGKILL) on drop.
pub struct Engine {
    child: Child,
    stderr_path: PathBuf,
}

impl Engine {
    /// The engine's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends a signal to the engine process.
    pub fn signal(&self, sig: i32) {
        signal(self.pid(), sig);
    }

    /// Waits for the engine to exit.
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        wait_for_exit(&mut self.child, limit)
    }

    /// What it logged on stderr so far (its log lines, with colours off).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        signal(self.pid(), libc::SIGTERM);
        if wait_for_exit(&mut self.child, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// SIGKILLs every process whose environment has `IPYTHONDIR=<dir>` (bounded).
fn kill_marked(dir: &Path) {
    let mut marker = b"IPYTHONDIR=".to_vec();
    marker.extend_from_slice(dir.as_os_str().as_bytes());
    let me = std::process::id();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids: Vec<i32> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| pid != me)
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .map(|env| env.split(|&b| b == 0).any(|var| var == marker.as_slice()))
                    .unwrap_or(false)
            })
            .map(|pid| pid as i32)
            .collect();
        if pids.is_empty() || Instant::now() > deadline {
            return;
        }
        for pid in pids {
            signal(pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
