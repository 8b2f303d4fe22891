//! A dying Python: reported on the running execution, restarted with a fresh namespace.

mod common;

use common::{basic_config, config, run, start};
use px_worker::{Event, ReplyStatus};

#[tokio::test]
async fn os_exit_is_reported_and_the_worker_restarts_fresh() {
    let worker = start(config()).await;
    let before = worker.info().unwrap().pid;
    run(&worker, "x = 1").await;
    let out = run(&worker, "import os\nprint('bye', flush=True)\nos._exit(3)").await;
    assert_eq!(out.stdout(), "bye\n");
    let error = out.error().expect("an error event");
    assert_eq!(error.ename, "WorkerDied");
    assert_eq!(
        error.evalue,
        "the Python worker died (exit code 3); restarting it — variables are lost"
    );
    assert_eq!(out.reply.status, ReplyStatus::Error);
    assert_eq!(out.reply.execution_count, 2);
    assert!(out.reply.worker_restarted);

    let next = run(&worker, "'x' in dir()").await;
    assert_eq!(next.reply.status, ReplyStatus::Ok);
    assert_eq!(next.result_text(), Some("False"), "the namespace is fresh");
    assert_eq!(next.reply.execution_count, 1, "counting starts again");
    assert_ne!(worker.info().unwrap().pid, before);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn segfault_is_reported_with_its_signal() {
    let worker = start(basic_config()).await;
    let out = run(&worker, "import ctypes\nctypes.string_at(0)").await;
    let error = out.error().expect("an error event");
    assert!(
        error.evalue.contains("signal 11 (SIGSEGV)"),
        "{}",
        error.evalue
    );
    // faulthandler's report went to fd 2, which is captured.
    assert!(
        out.stderr().contains("Segmentation fault"),
        "{:?}",
        out.stderr()
    );
    assert_eq!(run(&worker, "1 + 1").await.result_text(), Some("2"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn worker_killed_while_idle_is_restarted_and_says_so() {
    let worker = start(config()).await;
    let pid = worker.info().unwrap().pid;
    // SAFETY: kill only sends a signal to the child this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let out = run(&worker, "40 + 2").await;
    assert!(
        matches!(&out.events[0], Event::Error(e) if e.evalue.contains("signal 9 (SIGKILL)")),
        "{:?}",
        out.events
    );
    assert_eq!(out.result_text(), Some("42"));
    worker.shutdown().await.unwrap();
}
