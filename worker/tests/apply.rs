//! Function calls from ipyparallel clients: packed and unpacked by stock
//! `ipyparallel.serialize`, run in the same namespace as cells.

mod common;

use std::process::Command;

use bytes::Bytes;
use common::{config, python, run, start, LIMIT};
use px_worker::{
    ApplyReply, ApplyRequest, Event, ExecuteOutput, ReplyStatus, ShellChoice, StreamName, Worker,
    WorkerConfig,
};

/// Runs `code` in a separate Python with stock ipyparallel; the code reads hex-encoded
/// buffers (one per line) from stdin as `bufs` and prints its answer.
fn stock_python(code: &str, input: &[Bytes]) -> String {
    let prelude = "import sys, pickle\nfrom ipyparallel.serialize import *\n\
                   bufs = [bytes.fromhex(l) for l in sys.stdin.read().split()]\n";
    let mut child = Command::new(python())
        .arg("-c")
        .arg(format!("{prelude}{code}"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for b in input {
            writeln!(stdin, "{}", hex(b)).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "stock python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Bytes {
    let bytes = text.as_bytes();
    Bytes::from(
        (0..bytes.len() / 2)
            .map(|i| {
                u8::from_str_radix(std::str::from_utf8(&bytes[2 * i..2 * i + 2]).unwrap(), 16)
                    .unwrap()
            })
            .collect::<Vec<u8>>(),
    )
}

/// `pack_apply_message(...)` of the Python expression `call` (a tuple `(f, args, kwargs)`),
/// made by stock ipyparallel.
fn packed(setup: &str, call: &str) -> ApplyRequest {
    let code = format!(
        "{setup}\nf, args, kwargs = {call}\n\
         for b in pack_apply_message(f, args, kwargs):\n    print(bytes(b).hex())\n"
    );
    ApplyRequest::new(
        stock_python(&code, &[])
            .split_whitespace()
            .map(unhex)
            .collect(),
    )
}

/// `repr` of the result, as stock `deserialize_object` reads the reply's buffers.
fn result_repr(reply: &ApplyReply) -> String {
    stock_python(
        "print(repr(deserialize_object(bufs)[0]), end='')",
        &reply.buffers,
    )
}

async fn apply(worker: &Worker, request: ApplyRequest) -> ExecuteOutput<ApplyReply> {
    let run = worker.apply(request).expect("worker accepts the call");
    tokio::time::timeout(LIMIT, run.collect())
        .await
        .expect("apply timed out")
        .expect("apply has a reply")
}

#[tokio::test]
async fn a_function_runs_in_the_user_namespace_and_its_result_comes_back_pickled() {
    let worker = start(config()).await;
    run(&worker, "base = 40").await;
    let call = packed(
        "def add_base(x):\n    print('adding', x)\n    return base + x",
        "(add_base, (2,), {})",
    );
    let out = apply(&worker, call).await;
    assert_eq!(out.reply.status, ReplyStatus::Ok, "{:?}", out.events);
    assert_eq!(out.stdout(), "adding 2\n");
    assert_eq!(result_repr(&out.reply), "42");
    // Applies do not count as cells.
    let next = run(&worker, "1").await;
    assert_eq!(next.reply.execution_count, 2);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn large_arrays_travel_as_raw_buffers_both_ways() {
    let worker = start(config()).await;
    let call = packed(
        "import numpy as np",
        "(lambda a, k=1: a * k, (np.arange(200_000, dtype='int64'),), {'k': 3})",
    );
    assert!(
        call.buffers.iter().any(|b| b.len() == 1_600_000),
        "the array's data is a buffer of its own"
    );
    let out = apply(&worker, call).await;
    assert_eq!(out.reply.status, ReplyStatus::Ok, "{:?}", out.events);
    assert!(out.reply.buffers.iter().any(|b| b.len() == 1_600_000));
    let sum = stock_python(
        "print(int(deserialize_object(bufs)[0].sum()), end='')",
        &out.reply.buffers,
    );
    assert_eq!(sum, (3 * (0..200_000i64).sum::<i64>()).to_string());
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_exception_is_an_error_reply_whose_traceback_starts_in_user_code() {
    let worker = start(config()).await;
    let out = apply(
        &worker,
        packed("def boom():\n    return 1 / 0", "(boom, (), {})"),
    )
    .await;
    assert_eq!(out.reply.status, ReplyStatus::Error);
    let error = out.reply.error.as_ref().unwrap();
    assert_eq!(error.ename, "ZeroDivisionError");
    assert_eq!(error.evalue, "division by zero");
    let text = error.traceback.join("\n");
    assert!(text.contains("boom"), "{text}");
    assert!(!text.contains("px_worker"), "{text}");
    assert!(out.reply.buffers.is_empty());
    assert!(matches!(out.error(), Some(e) if e.ename == "ZeroDivisionError"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn without_ipyparallel_the_error_says_what_to_install() {
    // `-S` hides site-packages, and with them ipyparallel.
    let worker = start(WorkerConfig {
        shell: ShellChoice::Basic,
        python_args: vec!["-S".into()],
        ..config()
    })
    .await;
    let out = apply(&worker, ApplyRequest::new(vec![Bytes::from_static(b"x")])).await;
    assert_eq!(out.reply.status, ReplyStatus::Error);
    let error = out.reply.error.unwrap();
    assert_eq!(error.ename, "ModuleNotFoundError");
    assert!(
        error.evalue.contains("-m pip install ipyparallel"),
        "{}",
        error.evalue
    );
    assert_eq!(run(&worker, "2 + 2").await.result_text(), Some("4"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn reset_empties_the_namespace_but_keeps_the_count() {
    for shell in [ShellChoice::Auto, ShellChoice::Basic] {
        let worker = start(WorkerConfig { shell, ..config() }).await;
        run(&worker, "gone = 1").await;
        worker.reset().await.unwrap();
        let out = run(&worker, "'gone' in dir()").await;
        assert_eq!(out.result_text(), Some("False"), "{shell:?}");
        assert_eq!(out.reply.execution_count, 2, "{shell:?}");
        worker.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_signal_reaches_the_handler_the_code_installed() {
    let worker = start(config()).await;
    run(
        &worker,
        "import signal\ndef on_usr1(*a):\n    raise KeyboardInterrupt('usr1')\n\
         signal.signal(signal.SIGUSR1, on_usr1)",
    )
    .await;
    let mut running = worker
        .execute(px_worker::ExecuteRequest::new(
            "import time\nprint('sleeping', flush=True)\ntime.sleep(30)",
        ))
        .unwrap();
    // Signal once the code runs: it has printed.
    loop {
        match running.next_event().await {
            Some(Event::Stream {
                name: StreamName::Stdout,
                ..
            }) => break,
            Some(_) => continue,
            None => panic!("ended before sleeping"),
        }
    }
    worker.signal(libc::SIGUSR1);
    let reply = tokio::time::timeout(LIMIT, running.reply())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.status, ReplyStatus::Error);
    assert_eq!(reply.error.unwrap().ename, "KeyboardInterrupt");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn published_data_comes_out_serialized_as_ipyparallel_does() {
    let worker = start(config()).await;
    run(
        &worker,
        "__import__('px_worker.apply').apply.load_ipyparallel()",
    )
    .await;
    let out = run(
        &worker,
        "from ipyparallel.datapub import publish_data\nprint('before')\npublish_data({'i': 4})",
    )
    .await;
    assert_eq!(out.reply.status, ReplyStatus::Ok, "{:?}", out.events);
    let Some(Event::Data { keys, buffers }) =
        out.events.iter().find(|e| matches!(e, Event::Data { .. }))
    else {
        panic!("no data event in {:?}", out.events)
    };
    assert_eq!(keys, &["i".to_owned()]);
    assert!(
        matches!(&out.events[0], Event::Stream { text, .. } if text == "before\n"),
        "in order"
    );
    let value = stock_python("print(repr(deserialize_object(bufs)[0]), end='')", buffers);
    assert_eq!(value, "{'i': 4}");
    worker.shutdown().await.unwrap();
}
