//! Shared helpers for the interop tests against the pinned Python partners (`mod common;`).
//!
//! - [`python`] finds the venv interpreter (`PX_PYTHON`, else `<workspace>/.venv/bin/python`);
//! - [`PyPeer`] runs one of the scripts in `tests/peers/` and talks JSON lines with it;
//! - [`ProcessGuard`] owns a stock server (`ipcontroller`, `ipengine`) in its own process
//!   group and stops the whole group when dropped, so a failing assertion leaves nothing
//!   behind;
//! - [`free_port`], [`temp_dir`], [`isolate`] and the hex helpers for frames.
//!
//! Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::fs::File;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};

/// How long a peer may take to answer one request. Generous: the first request also pays for
/// Python's start-up and imports, which can take seconds on a loaded machine.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root: the parent of the wire crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the wire crate lives inside the workspace")
        .to_owned()
}

/// The Python interpreter with the pinned stock partners.
pub fn python() -> PathBuf {
    let path = match std::env::var_os("PX_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => workspace_root().join(".venv/bin/python"),
    };
    assert!(
        path.exists(),
        "Python test partner not found at {}: run bash scripts/setup-venv.sh \
         (or point PX_PYTHON at a Python with ipyparallel 9.2, jupyter_client 8, pyzmq)",
        path.display()
    );
    path
}

/// A console script installed next to the interpreter (`ipcontroller`, `ipengine`).
pub fn venv_bin(name: &str) -> PathBuf {
    let python = python();
    let path = python
        .parent()
        .expect("the interpreter lives in a bin directory")
        .join(name);
    assert!(
        path.exists(),
        "{} not found next to {}: run bash scripts/setup-venv.sh",
        path.display(),
        python.display()
    );
    path
}

/// A script in `tests/peers/`.
pub fn peer_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// A temporary directory, removed when dropped.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("px-wire-test-")
        .tempdir()
        .expect("create a temporary directory")
}

/// A TCP port on 127.0.0.1 that was free a moment ago. Only for ports that are written into a
/// file but never bound: anything a test binds uses port 0 and reads the port back.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

/// Points IPython and Jupyter at `dir`, so a stock tool never reads or writes `~`.
pub fn isolate(cmd: &mut Command, dir: &Path) {
    cmd.env("IPYTHONDIR", dir.join("ipython"))
        .env("HOME", dir)
        .env("JUPYTER_CONFIG_DIR", dir.join("jupyter"))
        .env("JUPYTER_DATA_DIR", dir.join("jupyter-data"))
        .env("JUPYTER_RUNTIME_DIR", dir.join("jupyter-runtime"))
        .env_remove("IPP_PROFILE_DIR")
        .env_remove("IPP_CLUSTER_ID")
        .env_remove("IPP_CONNECTION_INFO")
        .env_remove("IPP_SESSION_KEY")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
}

/// Frames as the hex strings the peers exchange.
pub fn to_hex(frames: &[Bytes]) -> Vec<String> {
    frames.iter().map(hex::encode).collect()
}

/// Hex strings from a peer's JSON back to frames.
pub fn from_hex(value: &Value) -> Vec<Bytes> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list of hex frames, got {value}"))
        .iter()
        .map(|f| {
            let text = f.as_str().expect("hex frames are strings");
            Bytes::from(hex::decode(text).expect("valid hex from the peer"))
        })
        .collect()
}

/// The last `max` bytes of a log file, for failure messages.
pub fn tail(path: &Path, max: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let mut raw = Vec::new();
        let _ = f.read_to_end(&mut raw);
        let start = raw.len().saturating_sub(max);
        text = String::from_utf8_lossy(&raw[start..]).into_owned();
    }
    text
}

/// A Python peer script speaking JSON lines on stdin/stdout.
///
/// Its stderr goes to a file that failure messages quote. The process is killed when the
/// peer is dropped; peers also exit by themselves when their stdin closes.
pub struct PyPeer {
    name: String,
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: Lines<BufReader<tokio::process::ChildStdout>>,
    stderr: tempfile::NamedTempFile,
}

impl PyPeer {
    /// Starts `tests/peers/<script>` with `args`, isolated in `home` (see [`isolate`]).
    pub fn start(script: &str, args: &[&str], home: &Path) -> PyPeer {
        let stderr = tempfile::NamedTempFile::new().expect("peer stderr file");
        let mut cmd = Command::new(python());
        cmd.arg(peer_script(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                stderr.reopen().expect("reopen the peer stderr file"),
            ));
        isolate(&mut cmd, home);
        let mut cmd = tokio::process::Command::from(cmd);
        cmd.kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        PyPeer {
            name: script.to_owned(),
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// What the peer wrote to stderr so far.
    pub fn stderr(&self) -> String {
        tail(self.stderr.path(), 8000)
    }

    /// Sends one request line.
    pub async fn send(&mut self, request: &Value) {
        let mut line = serde_json::to_vec(request).expect("requests are JSON");
        line.push(b'\n');
        if let Err(e) = self.stdin.write_all(&line).await {
            panic!(
                "{} stopped reading: {e}\nstderr:\n{}",
                self.name,
                self.stderr()
            );
        }
        self.stdin.flush().await.expect("flush the peer's stdin");
    }

    /// Waits up to `timeout` for the next line; panics with the peer's stderr on time-out or
    /// exit.
    pub async fn recv(&mut self, timeout: Duration) -> Value {
        let line = match tokio::time::timeout(timeout, self.stdout.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => panic!(
                "{} exited ({:?}) without answering\nstderr:\n{}",
                self.name,
                self.child.try_wait(),
                self.stderr()
            ),
            Ok(Err(e)) => panic!("reading from {}: {e}", self.name),
            Err(_) => panic!(
                "{} did not answer within {timeout:?}\nstderr:\n{}",
                self.name,
                self.stderr()
            ),
        };
        serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "{} wrote a line that is not JSON ({e}): {line:.200}\nstderr:\n{}",
                self.name,
                self.stderr()
            )
        })
    }

    /// Sends a request and waits for its answer.
    pub async fn call(&mut self, request: &Value) -> Value {
        self.send(request).await;
        self.recv(PEER_TIMEOUT).await
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // Reap it, so no zombie outlives the test binary; SIGKILL takes effect in a few ms.
        let deadline = Instant::now() + Duration::from_secs(2);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// `kill(2)`; a negative pid signals a process group. Errors (already gone) are ignored.
fn signal(pid: i32, sig: i32) {
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    unsafe {
        kill(pid, sig);
    }
}

const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

/// Live processes whose process group is `pgid` (from `/proc/<pid>/stat`; zombies excluded).
pub fn group_members(pgid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[0] != "Z" && fields[2].parse() == Ok(pgid) {
            members.push(pid);
        }
    }
    members
}

/// A stock server process that leads its own process group, stopped with everything it
/// started when the guard is dropped (or [`ProcessGuard::stop`] is called).
///
/// Stopping sends SIGTERM to the group (a stock controller then deletes its connection files
/// and ends its schedulers), waits up to [`ProcessGuard::GRACE`], then SIGKILLs whatever is
/// left of the group. It blocks the calling thread for that long at most: it runs at the end
/// of a test, when nothing else is waiting for the runtime.
///
/// If the test process dies without dropping the guard (SIGKILL, or Ctrl-C, which does not
/// reach a group of its own), a watchdog does it: a `sh` in yet another group that waits for
/// its stdin, a pipe only this process holds, to reach end-of-file, then kills the group.
pub struct ProcessGuard {
    name: String,
    child: Child,
    watchdog: Option<Child>,
    log: PathBuf,
    stopped: bool,
}

/// Kills process group `$1` once stdin closes (see [`ProcessGuard`]).
const WATCHDOG: &str =
    r#"read _ ; kill -TERM "-$1" 2>/dev/null; sleep 3; kill -KILL "-$1" 2>/dev/null"#;

fn spawn_watchdog(pgid: u32) -> Option<Child> {
    Command::new("sh")
        .args(["-c", WATCHDOG, "px-wire-test-watchdog", &pgid.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| eprintln!("no watchdog for process group {pgid}: {e}"))
        .ok()
}

impl ProcessGuard {
    /// How long a SIGTERMed group gets to exit before it is killed.
    pub const GRACE: Duration = Duration::from_secs(5);

    /// Spawns `cmd` as the leader of a new process group, stdout and stderr to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> ProcessGuard {
        let out = File::create(log).expect("create the process log");
        let err = out.try_clone().expect("clone the log handle");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        ProcessGuard {
            name: name.to_owned(),
            watchdog: spawn_watchdog(child.id()),
            child,
            log: log.to_owned(),
            stopped: false,
        }
    }

    /// The leader's pid, which is also the process group id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of the process's output, for failure messages.
    pub fn log(&self) -> String {
        tail(&self.log, 6000)
    }

    /// Whether the leader is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the whole group (idempotent); afterwards no process of the group is alive.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.stop_group();
        // The group is gone: the watchdog has nothing left to do.
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }

    fn stop_group(&mut self) {
        let pgid = self.pid();
        signal(-(pgid as i32), SIGTERM);
        let deadline = Instant::now() + Self::GRACE;
        loop {
            let leader_done = !matches!(self.child.try_wait(), Ok(None));
            if leader_done && group_members(pgid).is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "{} did not stop on SIGTERM in {:?}; killing its group",
            self.name,
            Self::GRACE
        );
        signal(-(pgid as i32), SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        self.stop();
    }
}
