//! No process is ever left behind: shutdown, drop, restart, subprocesses of the user's.

mod common;

use std::time::Duration;

use common::{alive, config, gone_within, run, start};
use px_worker::{ExecuteRequest, ReplyStatus, Worker, WorkerConfig, WorkerError};

/// Starts a background `sleep` from Python and returns its pid.
async fn spawn_sleeper(worker: &Worker) -> u32 {
    let out = run(
        worker,
        "import subprocess\np = subprocess.Popen(['sleep', '100'])\np.pid",
    )
    .await;
    let pid: u32 = out.result_text().unwrap().parse().unwrap();
    assert!(alive(pid));
    pid
}

#[tokio::test]
async fn shutdown_leaves_no_process_behind() {
    let worker = start(config()).await;
    let pid = worker.info().unwrap().pid;
    let sleeper = spawn_sleeper(&worker).await;
    worker.shutdown().await.unwrap();
    assert!(!alive(pid), "worker {pid} still alive");
    assert!(
        gone_within(sleeper, Duration::from_secs(2)).await,
        "sleeper {sleeper} still alive"
    );
}

#[tokio::test]
async fn dropping_the_worker_kills_the_child_and_its_subprocesses() {
    let worker = start(config()).await;
    let pid = worker.info().unwrap().pid;
    let sleeper = spawn_sleeper(&worker).await;
    drop(worker);
    assert!(
        gone_within(pid, Duration::from_secs(2)).await,
        "worker {pid} still alive"
    );
    assert!(
        gone_within(sleeper, Duration::from_secs(2)).await,
        "sleeper {sleeper} still alive"
    );
}

#[test]
fn dropping_the_runtime_with_the_worker_leaves_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = runtime.block_on(async {
        let worker = start(config()).await;
        let pid = worker.info().unwrap().pid;
        std::mem::forget(worker.execute(ExecuteRequest::new("import time; time.sleep(100)")));
        // The handle is leaked on purpose: only the runtime's teardown can clean up now.
        std::mem::forget(worker);
        pid
    });
    drop(runtime);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(pid), "worker {pid} outlived its runtime");
}

#[tokio::test]
async fn shutdown_during_an_execution_aborts_it() {
    let worker = start(config()).await;
    let pid = worker.info().unwrap().pid;
    let execution = worker
        .execute(ExecuteRequest::new("import time; time.sleep(100)"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::time::timeout(Duration::from_secs(5), worker.shutdown())
        .await
        .expect("shutdown is prompt")
        .unwrap();
    assert!(!alive(pid));
    match execution.reply().await {
        Ok(reply) => assert_eq!(reply.status, ReplyStatus::Aborted),
        Err(e) => assert!(matches!(e, WorkerError::Closed)),
    }
}

#[tokio::test]
async fn restart_gives_a_fresh_namespace_and_aborts_the_running_cell() {
    let worker = start(config()).await;
    let old = worker.info().unwrap().pid;
    run(&worker, "x = 1").await;
    let execution = worker
        .execute(ExecuteRequest::new("import time; time.sleep(100)"))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = tokio::time::timeout(Duration::from_secs(30), worker.restart())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(info.pid, old);
    assert!(gone_within(old, Duration::from_secs(2)).await);
    let reply = execution.reply().await.unwrap();
    assert_eq!(reply.status, ReplyStatus::Aborted);
    let out = run(&worker, "'x' in dir()").await;
    assert_eq!(out.result_text(), Some("False"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_missing_interpreter_is_a_spawn_error() {
    let err = Worker::start(WorkerConfig::new("/nonexistent/python3"))
        .await
        .unwrap_err();
    assert!(matches!(err, WorkerError::Spawn { .. }), "{err}");
}

#[tokio::test]
async fn an_interpreter_that_fails_reports_what_it_said() {
    // Options before our `-c` are the interpreter's: this `-c` wins and exits at once.
    let config = WorkerConfig {
        python_args: vec![
            "-c".into(),
            "import sys; sys.stderr.write('broken site\\n'); sys.exit(4)".into(),
        ],
        ..config()
    };
    match Worker::start(config).await {
        Err(WorkerError::Start { detail, .. }) => {
            assert!(detail.contains("exit code 4"), "{detail}");
            assert!(detail.contains("broken site"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_start_that_times_out_leaves_no_process() {
    let marker = format!("px-start-timeout-{}", std::process::id());
    let config = WorkerConfig {
        python_args: vec![
            "-c".into(),
            format!("import time; time.sleep(30)  # {marker}").into(),
        ],
        start_timeout: Duration::from_millis(500),
        ..config()
    };
    match Worker::start(config).await {
        Err(WorkerError::Start { detail, .. }) => assert!(detail.contains("in time"), "{detail}"),
        other => panic!("{other:?}"),
    }
    assert!(
        gone_within_marker(&marker, Duration::from_secs(2)).await,
        "the half-started child survived"
    );
}

/// Waits until no process has `marker` on its command line.
async fn gone_within_marker(marker: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let found = std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok();
            pid.is_some_and(alive)
                && std::fs::read(entry.path().join("cmdline"))
                    .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(marker))
        });
        if !found {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
