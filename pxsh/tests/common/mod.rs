//! What pxsh's integration tests share: one stock cluster for the whole test binary, and
//! running the pxsh binary with a deadline.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::support::cluster::{python, StockCluster};

/// The pxsh binary under test.
pub const PXSH: &str = env!("CARGO_BIN_EXE_pxsh");

/// How long one pxsh run may take before the test kills it and fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// The binary's one stock cluster of 2 engines, started on first use. Tests take it
/// through the returned guard, one at a time: they share the engines' namespaces and
/// would see each other's output otherwise. The cluster is stopped by the fixture's
/// runner when the test process exits (its stdin closes).
pub fn cluster() -> MutexGuard<'static, StockCluster> {
    static CLUSTER: OnceLock<Mutex<StockCluster>> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| Mutex::new(StockCluster::start(2)));
    cluster.lock().unwrap_or_else(|e| e.into_inner())
}

/// A pxsh command using `cluster`'s connection file and the test venv's Python, in
/// `ipython_dir` (a directory of the test's own: never the user's profiles, and never the
/// cluster's, whose processes a test's cleanup would kill).
pub fn pxsh(cluster: &StockCluster, ipython_dir: &Path) -> Command {
    let mut cmd = pxsh_in(ipython_dir);
    cmd.arg("--file").arg(cluster.client_file());
    cmd
}

/// A pxsh command with the test venv's Python in `ipython_dir`, without a cluster.
pub fn pxsh_in(ipython_dir: &Path) -> Command {
    let mut cmd = Command::new(PXSH);
    cmd.arg("--python")
        .arg(python())
        .env("IPYTHONDIR", ipython_dir)
        .env_remove("NO_COLOR")
        .env_remove("IPP_CLUSTER_ID")
        .env_remove("PX_CLUSTER")
        .env_remove("PX_PROFILE");
    cmd
}

/// Kills the child unless it was waited for.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `cmd` with `stdin` as its input; fails the test if it takes longer than
/// [`RUN_TIMEOUT`] (after killing it).
pub fn run(mut cmd: Command, stdin: &str) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Reaped(cmd.spawn().expect("pxsh starts"));
    let mut input = child.0.stdin.take().expect("piped stdin");
    let text = stdin.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let stdout = child.0.stdout.take().expect("piped stdout");
    let stderr = child.0.stderr.take().expect("piped stderr");
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("waiting for pxsh") {
            break status;
        }
        if Instant::now() > deadline {
            panic!("pxsh did not finish within {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// stdout and stderr as text.
pub fn texts(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A temporary file holding `text`.
pub fn script(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing the script");
    path
}

pub mod tmux;
