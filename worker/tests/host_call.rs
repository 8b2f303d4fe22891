//! Calls from user code to the host (`px_worker.host.call`): answered, refused, and ended by
//! an interrupt without losing the worker.

mod common;

use std::time::Duration;

use common::{config, run, start, LIMIT};
use px_worker::{Event, ExecuteRequest, ReplyStatus};
use serde_json::json;

#[tokio::test]
async fn host_call_returns_the_hosts_answer() {
    let worker = start(config()).await;
    let code = "from px_worker import host\nr = host.call('double', n=21)\nprint(r['n'])";
    let mut execution = worker.execute(ExecuteRequest::new(code)).unwrap();
    let mut asked = false;
    while let Some(event) = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap()
    {
        match event {
            Event::HostCall { name, args } => {
                assert_eq!(name, "double");
                let n = args["n"].as_i64().unwrap();
                execution.answer_host(Ok(json!({ "n": n * 2 }))).unwrap();
                asked = true;
            }
            Event::Stream { text, .. } => assert_eq!(text, "42\n"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(asked);
    assert_eq!(execution.reply().await.unwrap().status, ReplyStatus::Ok);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_refused_host_call_raises_with_the_hosts_message() {
    let worker = start(config()).await;
    // `collect` answers nobody's calls: the code sees why.
    let out = run(
        &worker,
        "from px_worker import host\ntry:\n    host.call('anything')\nexcept host.HostError as e:\n    print('refused:', e)",
    )
    .await;
    assert_eq!(out.stdout(), "refused: no host answers \"anything\" here\n");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_interrupt_ends_a_host_call_and_the_worker_goes_on() {
    let worker = start(config()).await;
    let code = "from px_worker import host\nhost.call('never')";
    let mut execution = worker.execute(ExecuteRequest::new(code)).unwrap();
    let first = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap();
    assert!(matches!(first, Some(Event::HostCall { .. })), "{first:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    worker.interrupt();
    let mut error = None;
    while let Some(event) = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap()
    {
        if let Event::Error(e) = event {
            error = Some(e);
        }
    }
    assert_eq!(error.expect("an error").ename, "KeyboardInterrupt");
    // The answer nobody waits for any more is dropped, and the next cell is unaffected.
    let _ = execution.answer_host(Ok(json!(1)));
    let out = run(&worker, "1 + 1").await;
    assert_eq!(out.result_text(), Some("2"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn host_call_outside_a_cell_is_refused() {
    let worker = start(config()).await;
    let out = run(
        &worker,
        "import threading\nfrom px_worker import host\nres = []\ndef f():\n    try:\n        host.call('x')\n    except host.HostError as e:\n        res.append(str(e))\nt = threading.Thread(target=f); t.start(); t.join()\nprint(res)",
    )
    .await;
    assert_eq!(
        out.stdout(),
        "['the host can only be asked from the main thread']\n"
    );
    worker.shutdown().await.unwrap();
}
