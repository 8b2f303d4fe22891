//! Interrupts: KeyboardInterrupt in the running code, the namespace kept, idle ones harmless.

mod common;

use std::time::{Duration, Instant};

use common::{basic_config, config, run, start, LIMIT};
use px_worker::{Event, ExecuteRequest, ReplyStatus, Worker};

async fn interrupt_sleep(worker: &Worker) {
    run(worker, "survivor = 'still here'").await;
    let mut execution = worker
        .execute(ExecuteRequest::new(
            "import time\nprint('sleeping')\ntime.sleep(10)",
        ))
        .unwrap();
    // Interrupt once the code is surely inside sleep().
    let first = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap();
    assert!(matches!(first, Some(Event::Stream { .. })), "{first:?}");
    let interrupted = Instant::now();
    worker.interrupt();
    let out = tokio::time::timeout(LIMIT, execution.collect())
        .await
        .unwrap()
        .unwrap();
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "took {:?}",
        interrupted.elapsed()
    );
    assert_eq!(out.reply.status, ReplyStatus::Error);
    assert_eq!(out.error().unwrap().ename, "KeyboardInterrupt");
    assert!(!out.reply.worker_restarted);
    let after = run(worker, "survivor").await;
    assert_eq!(after.result_text(), Some("'still here'"));
}

#[tokio::test]
async fn interrupt_during_sleep_raises_keyboard_interrupt_and_keeps_the_namespace() {
    let worker = start(config()).await;
    interrupt_sleep(&worker).await;
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn interrupt_works_in_the_basic_shell_too() {
    let worker = start(basic_config()).await;
    interrupt_sleep(&worker).await;
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn interrupting_an_idle_worker_does_nothing() {
    let worker = start(config()).await;
    run(&worker, "x = 1").await;
    for _ in 0..3 {
        worker.interrupt();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = run(&worker, "x + 1").await;
    assert_eq!(out.reply.status, ReplyStatus::Ok);
    assert_eq!(out.result_text(), Some("2"));
    assert_eq!(out.reply.execution_count, 2);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn interrupt_reaches_a_shell_command() {
    let worker = start(config()).await;
    let execution = worker.execute(ExecuteRequest::new("!sleep 10")).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let interrupted = Instant::now();
    worker.interrupt();
    tokio::time::timeout(LIMIT, execution.collect())
        .await
        .unwrap()
        .unwrap();
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "took {:?}",
        interrupted.elapsed()
    );
    assert_eq!(run(&worker, "1").await.result_text(), Some("1"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn interrupt_while_waiting_for_input_ends_the_input() {
    let worker = start(config()).await;
    let mut execution = worker
        .execute(ExecuteRequest::new("input('?')").allow_stdin(true))
        .unwrap();
    let first = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap();
    assert!(
        matches!(first, Some(Event::InputRequest { .. })),
        "{first:?}"
    );
    worker.interrupt();
    let out = tokio::time::timeout(LIMIT, execution.collect())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.error().unwrap().ename, "KeyboardInterrupt");
    // The channel is still in step: the next cell runs normally.
    assert_eq!(run(&worker, "2 + 2").await.result_text(), Some("4"));
    worker.shutdown().await.unwrap();
}
