//! One Python child: spawning it, the handshake, and taking it down.
//!
//! The child runs the bundled `px_worker` package (compiled into this crate, so binaries need
//! no files beside them: each start writes it into a private directory and a `python -c`
//! bootstrap imports it from there) in a process group of its own, with
//! - stdin on `/dev/null` (`input()` goes through the channel instead),
//! - stdout and stderr on pipes read by [`OutputPipe`]s,
//! - the channel: a Unix socket in that private (0700) directory, whose path and a random
//!   token travel in the environment; the child connects, says `hello` with the token, and
//!   the directory is removed at once (the package is imported by then).
//!
//! The process group is what makes "no process left behind" hold: interrupts go to the whole
//! group (as Jupyter does, so `!sleep 100` is interrupted too) and every way of ending a
//! child — shutdown, crash, restart, drop — kills the group, grandchildren included.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::net::UnixListener;
use tokio::process::{Child, Command};

use crate::capture::OutputPipe;
use crate::config::{ShellChoice, WorkerConfig};
use crate::connection::{Connection, Frame};
use crate::error::{Result, WorkerError};
use crate::event::StreamName;
use crate::info::{ShellKind, WorkerInfo};
use crate::protocol::{FromChild, ToChild};

/// The Python side (`python/px_worker/`), embedded so that the crate's binaries are
/// relocatable.
const PYTHON_PACKAGE: [(&str, &str); 12] = [
    (
        "__init__.py",
        include_str!("../python/px_worker/__init__.py"),
    ),
    ("apply.py", include_str!("../python/px_worker/apply.py")),
    (
        "basic_shell.py",
        include_str!("../python/px_worker/basic_shell.py"),
    ),
    ("channel.py", include_str!("../python/px_worker/channel.py")),
    (
        "encoding.py",
        include_str!("../python/px_worker/encoding.py"),
    ),
    ("host.py", include_str!("../python/px_worker/host.py")),
    (
        "ipython_shell.py",
        include_str!("../python/px_worker/ipython_shell.py"),
    ),
    ("output.py", include_str!("../python/px_worker/output.py")),
    ("results.py", include_str!("../python/px_worker/results.py")),
    ("serve.py", include_str!("../python/px_worker/serve.py")),
    ("state.py", include_str!("../python/px_worker/state.py")),
    ("stdin.py", include_str!("../python/px_worker/stdin.py")),
];

/// Imports the package from the private directory and leaves no trace of it on `sys.path`
/// (user code expects `''` first, as in any interactive Python), nor `.pyc` files there.
const BOOTSTRAP: &str = "\
import os, sys
home = os.environ.pop('PX_WORKER_HOME')
keep_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
sys.path.insert(0, home)
from px_worker.serve import main
sys.path.remove(home)
sys.dont_write_bytecode = keep_bytecode
main()
";

/// What the child did that the supervisor must look at next.
#[derive(Debug)]
pub(crate) enum Activity {
    /// Text read from fd 1 or 2.
    Output(StreamName, String),
    /// A frame from the channel.
    Frame(Frame),
    /// The child is gone or the channel is broken; the string says how, for the log.
    Gone(String),
}

/// A running, connected Python child.
#[derive(Debug)]
pub(crate) struct Process {
    child: Child,
    group: ProcessGroup,
    conn: Connection,
    stdout: OutputPipe,
    stderr: OutputPipe,
    info: WorkerInfo,
    /// What the child printed before it said hello (warnings from site or IPython).
    startup_output: Vec<(StreamName, String)>,
}

impl Process {
    /// Spawns the child and waits for its hello, within `config.start_timeout`.
    pub(crate) async fn start(config: &WorkerConfig) -> Result<Process> {
        let token = random_hex();
        let dir = PrivateDir::create(&token).await?;
        dir.write_package().await?;
        let listener = UnixListener::bind(dir.socket())?;

        let mut command = Command::new(&config.python);
        command
            .args(&config.python_args)
            .arg("-c")
            .arg(BOOTSTRAP)
            .env("PX_WORKER_HOME", dir.path())
            .env("PX_WORKER_SOCKET", dir.socket())
            .env("PX_WORKER_TOKEN", &token)
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if config.shell == ShellChoice::Basic {
            command.env("PX_WORKER_SHELL", "basic");
        }
        if let Some(colors) = &config.ipython_colors {
            command.env("PX_WORKER_COLORS", colors);
        }
        if let Some(cwd) = &config.cwd {
            command.current_dir(cwd);
        }
        let mut child = command.spawn().map_err(|source| WorkerError::Spawn {
            python: config.python.clone(),
            source,
        })?;
        // From here on, any early return kills the group (guard) and the child (kill_on_drop).
        let group = ProcessGroup(child.id().map_or(0, |pid| pid as i32));
        let missing = || io::Error::other("the child's output pipe is missing");
        let stdout = child.stdout.take().ok_or_else(missing)?.into_owned_fd()?;
        let stderr = child.stderr.take().ok_or_else(missing)?.into_owned_fd()?;
        let stdout = OutputPipe::new(StreamName::Stdout, stdout)?;
        let stderr = OutputPipe::new(StreamName::Stderr, stderr)?;
        let mut starting = Starting {
            python: &config.python,
            deadline: Instant::now() + config.start_timeout,
            child: &mut child,
            stdout,
            stderr,
            output: Vec::new(),
        };
        let stream = starting.accept(&listener).await?;
        drop(listener);
        dir.remove().await;
        let mut conn = Connection::new(stream);
        let info = starting.hello(&mut conn, &token).await?;
        let Starting {
            stdout,
            stderr,
            output,
            ..
        } = starting;
        Ok(Process {
            child,
            group,
            conn,
            stdout,
            stderr,
            info,
            startup_output: output,
        })
    }

    pub(crate) fn info(&self) -> &WorkerInfo {
        &self.info
    }

    /// The process group id, for interrupts sent from outside the supervisor.
    pub(crate) fn pgid(&self) -> i32 {
        self.group.0
    }

    pub(crate) fn take_startup_output(&mut self) -> Vec<(StreamName, String)> {
        std::mem::take(&mut self.startup_output)
    }

    /// Sends a frame to the child.
    pub(crate) async fn send(&mut self, msg: &ToChild) -> io::Result<()> {
        self.conn.write_frame(msg).await
    }

    /// Sends a frame followed by binary buffers.
    pub(crate) async fn send_with(
        &mut self,
        msg: &ToChild,
        buffers: &[bytes::Bytes],
    ) -> io::Result<()> {
        self.conn.write_frame_with(msg, buffers).await
    }

    /// Waits for the next thing the child does. Cancel-safe.
    pub(crate) async fn next_activity(&mut self) -> Activity {
        loop {
            let ready = tokio::select! {
                frame = self.conn.read_frame() => return match frame {
                    Ok(Some(body)) => Activity::Frame(body),
                    Ok(None) => Activity::Gone("the channel was closed".into()),
                    Err(e) => Activity::Gone(format!("the channel broke: {e}")),
                },
                status = self.child.wait() => return Activity::Gone(match status {
                    Ok(status) => describe_exit(status),
                    Err(e) => format!("waiting for it failed: {e}"),
                }),
                () = self.stdout.readable() => StreamName::Stdout,
                () = self.stderr.readable() => StreamName::Stderr,
            };
            let pipe = match ready {
                StreamName::Stdout => &mut self.stdout,
                StreamName::Stderr => &mut self.stderr,
            };
            if let Some(text) = pipe.drain() {
                return Activity::Output(pipe.name(), text);
            }
        }
    }

    /// Everything both pipes hold now, stdout first.
    pub(crate) fn drain_output(&mut self) -> Vec<(StreamName, String)> {
        [&mut self.stdout, &mut self.stderr]
            .into_iter()
            .filter_map(|pipe| pipe.drain().map(|text| (pipe.name(), text)))
            .collect()
    }

    /// Ends the child: waits up to `grace` for it to exit by itself, then kills the whole
    /// group and reaps it. Returns how it ended and its last output.
    pub(crate) async fn terminate(mut self, grace: Duration) -> Ended {
        let status = match tokio::time::timeout(grace, self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => None,
        };
        // Grandchildren may hold the pipes open and would keep writing: kill them first.
        self.group.kill();
        let status = match status {
            Some(status) => Some(status),
            None => self.child.wait().await.ok(),
        };
        self.group.disarm();
        let mut output = self.drain_output();
        output.extend(
            [&mut self.stdout, &mut self.stderr]
                .into_iter()
                .filter_map(|pipe| pipe.finish().map(|text| (pipe.name(), text))),
        );
        Ended {
            how: status.map_or_else(|| "it could not be reaped".into(), describe_exit),
            output,
        }
    }
}

/// How a child ended.
#[derive(Debug)]
pub(crate) struct Ended {
    /// `exit code 3`, `signal 11 (SIGSEGV)`.
    pub how: String,
    /// What it wrote last.
    pub output: Vec<(StreamName, String)>,
}

/// The handshake's state: the child is running but not yet known to be a worker.
struct Starting<'a> {
    python: &'a Path,
    deadline: Instant,
    child: &'a mut Child,
    stdout: OutputPipe,
    stderr: OutputPipe,
    output: Vec<(StreamName, String)>,
}

impl Starting<'_> {
    fn failed(&mut self, detail: String) -> WorkerError {
        let said: String = self
            .output
            .iter()
            .filter(|(name, _)| *name == StreamName::Stderr)
            .map(|(_, text)| text.as_str())
            .collect();
        let said = said.trim();
        WorkerError::Start {
            python: self.python.to_path_buf(),
            detail: if said.is_empty() {
                detail
            } else {
                format!("{detail}; it said:\n{said}")
            },
        }
    }

    fn keep_output(&mut self) {
        for pipe in [&mut self.stdout, &mut self.stderr] {
            if let Some(text) = pipe.drain() {
                self.output.push((pipe.name(), text));
            }
        }
    }

    /// Waits for the child to connect, reading its output meanwhile so that a chatty start
    /// cannot fill a pipe and stall.
    async fn accept(&mut self, listener: &UnixListener) -> Result<tokio::net::UnixStream> {
        loop {
            tokio::select! {
                accepted = listener.accept() => return Ok(accepted?.0),
                status = self.child.wait() => {
                    self.keep_output();
                    let how = status.map_or_else(|e| e.to_string(), describe_exit);
                    return Err(self.failed(format!("it exited before connecting ({how})")));
                }
                () = self.stdout.readable() => self.keep_output(),
                () = self.stderr.readable() => self.keep_output(),
                () = tokio::time::sleep_until(self.deadline.into()) => {
                    self.keep_output();
                    return Err(self.failed("it did not connect in time".into()));
                }
            }
        }
    }

    /// Waits for `hello` and checks the token.
    async fn hello(&mut self, conn: &mut Connection, token: &str) -> Result<WorkerInfo> {
        loop {
            tokio::select! {
                frame = conn.read_frame() => {
                    self.keep_output();
                    let frame = match frame {
                        Ok(Some(frame)) => frame,
                        Ok(None) => return Err(self.failed("it closed the channel before hello".into())),
                        Err(e) => return Err(self.failed(format!("the channel broke: {e}"))),
                    };
                    return match FromChild::parse(&frame.body) {
                        Ok(FromChild::Hello { token: t, pid, python, ipython, shell }) if t == token => {
                            Ok(WorkerInfo {
                                pid,
                                python_version: python,
                                ipython_version: ipython,
                                shell: if shell == "ipython" { ShellKind::IPython } else { ShellKind::Basic },
                            })
                        }
                        Ok(FromChild::Hello { .. }) => Err(self.failed("it sent the wrong token".into())),
                        Ok(other) => Err(self.failed(format!("it sent {other:?} instead of hello"))),
                        Err(bad) => Err(self.failed(format!("it sent a malformed hello: {}", bad.reason))),
                    };
                }
                status = self.child.wait() => {
                    self.keep_output();
                    let how = status.map_or_else(|e| e.to_string(), describe_exit);
                    return Err(self.failed(format!("it exited while starting ({how})")));
                }
                () = self.stdout.readable() => self.keep_output(),
                () = self.stderr.readable() => self.keep_output(),
                () = tokio::time::sleep_until(self.deadline.into()) => {
                    self.keep_output();
                    return Err(self.failed("it did not finish starting in time".into()));
                }
            }
        }
    }
}

/// The child's process group; dropping it kills every process in it.
#[derive(Debug)]
pub(crate) struct ProcessGroup(i32);

impl ProcessGroup {
    /// Sends SIGKILL to the group (nothing if it is already empty).
    pub(crate) fn kill(&self) {
        signal_group(self.0, libc::SIGKILL);
    }

    /// After the group has been killed and its leader reaped, the id may be reused: forget it.
    fn disarm(&mut self) {
        self.0 = 0;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends `signal` to process group `pgid`; a group that no longer exists is not an error.
pub(crate) fn signal_group(pgid: i32, signal: libc::c_int) {
    if pgid <= 1 {
        return; // 0 would signal our own group, 1 init's: never meant
    }
    // SAFETY: killpg only sends a signal; any pgid and signal value is memory-safe.
    let rc = unsafe { libc::killpg(pgid, signal) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ESRCH) {
            tracing::warn!(pgid, signal, "signalling the worker's process group: {err}");
        }
    }
}

/// Sends `signal` to the one process `pid` (the group leader, not its subprocesses); a
/// process that no longer exists is not an error.
pub(crate) fn signal_process(pid: i32, signal: libc::c_int) {
    if pid <= 1 {
        return; // 0 would signal our own group, 1 init: never meant
    }
    // SAFETY: kill only sends a signal; any pid and signal value is memory-safe.
    let rc = unsafe { libc::kill(pid, signal) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ESRCH) {
            tracing::warn!(pid, signal, "signalling the worker: {err}");
        }
    }
}

/// `exit code 3`, or `signal 11 (SIGSEGV)`.
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code {code}");
    }
    match status.signal() {
        Some(sig) => match signal_name(sig) {
            Some(name) => format!("signal {sig} ({name})"),
            None => format!("signal {sig}"),
        },
        None => status.to_string(),
    }
}

fn signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return None,
    })
}

/// A private directory holding the package and the channel's socket until the child has
/// connected.
struct PrivateDir(PathBuf);

impl PrivateDir {
    async fn create(token: &str) -> io::Result<PrivateDir> {
        let mut base = std::env::temp_dir();
        // sun_path holds 108 bytes; a long TMPDIR would make bind fail.
        if base.as_os_str().len() > 64 {
            base = PathBuf::from("/tmp");
        }
        let dir = base.join(format!("px-worker-{}-{}", std::process::id(), &token[..12]));
        tokio::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .await?;
        Ok(PrivateDir(dir))
    }

    async fn write_package(&self) -> io::Result<()> {
        let package = self.0.join("px_worker");
        tokio::fs::create_dir(&package).await?;
        for (name, source) in PYTHON_PACKAGE {
            tokio::fs::write(package.join(name), source).await?;
        }
        Ok(())
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn socket(&self) -> PathBuf {
        self.0.join("channel")
    }

    async fn remove(self) {
        let _ = tokio::fs::remove_dir_all(&self.0).await;
        std::mem::forget(self);
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Only on a failed start; small, local, once.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 128 random bits as hex, from the standard library's per-process random hash keys.
fn random_hex() -> String {
    let mut out = String::new();
    for salt in 0..2u64 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", hasher.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_of_the_package_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/px_worker");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".py"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = PYTHON_PACKAGE.iter().map(|(name, _)| *name).collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn exits_are_described_in_one_phrase() {
        assert_eq!(describe_exit(ExitStatus::from_raw(3 << 8)), "exit code 3");
        assert_eq!(
            describe_exit(ExitStatus::from_raw(11)),
            "signal 11 (SIGSEGV)"
        );
    }
}
