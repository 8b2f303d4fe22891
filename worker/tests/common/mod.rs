//! Shared test helpers: finding the Python with IPython, running cells, watching processes.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use px_worker::{ExecuteOutput, ExecuteRequest, IsComplete, ShellChoice, Worker, WorkerConfig};

/// Every await in these tests is bounded: a hang is a failure, not a stuck CI run.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The interpreter with IPython: `$PX_PYTHON`, else the workspace's `.venv`.
pub fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("PX_PYTHON") {
        return PathBuf::from(path);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for candidate in [
        manifest.join("../.venv/bin/python"),
        manifest.join(".venv/bin/python"),
    ] {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("no Python with IPython: set PX_PYTHON or create <workspace>/.venv");
}

pub fn config() -> WorkerConfig {
    WorkerConfig::new(python())
}

pub fn basic_config() -> WorkerConfig {
    WorkerConfig {
        shell: ShellChoice::Basic,
        ..config()
    }
}

pub async fn start(config: WorkerConfig) -> Worker {
    tokio::time::timeout(LIMIT, Worker::start(config))
        .await
        .expect("start timed out")
        .expect("worker starts")
}

pub async fn run(worker: &Worker, code: &str) -> ExecuteOutput {
    run_request(worker, ExecuteRequest::new(code)).await
}

pub async fn run_request(worker: &Worker, request: ExecuteRequest) -> ExecuteOutput {
    let execution = worker.execute(request).expect("worker accepts the request");
    tokio::time::timeout(LIMIT, execution.collect())
        .await
        .expect("execution timed out")
        .expect("execution has a reply")
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Waits up to `limit` for `pid` to be gone.
pub async fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    !alive(pid)
}

/// The is_complete answers every shell must give: an open block, a statement, a syntax error.
pub async fn assert_is_complete_answers(worker: &Worker) {
    assert_eq!(
        worker.is_complete("for i in range(3):").await.unwrap(),
        IsComplete::Incomplete {
            indent: "    ".into()
        }
    );
    assert_eq!(
        worker.is_complete("x = 1").await.unwrap(),
        IsComplete::Complete
    );
    assert_eq!(
        worker.is_complete("x = )").await.unwrap(),
        IsComplete::Invalid
    );
}
