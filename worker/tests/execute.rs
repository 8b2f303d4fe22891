//! Running cells with IPython: output, results, counts, displays, errors, magics, input.

mod common;

use std::time::{Duration, Instant};

use common::{config, run, run_request, start, LIMIT};
use px_worker::{Event, ExecuteRequest, ReplyStatus, ShellKind, StreamName, WorkerConfig};

#[tokio::test]
async fn worker_uses_ipython_when_importable() {
    let worker = start(config()).await;
    let info = worker.info().unwrap();
    assert_eq!(info.shell, ShellKind::IPython);
    assert!(info.ipython_version.is_some());
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn print_is_captured_as_stdout() {
    let worker = start(config()).await;
    let out = run(&worker, "print('hello')").await;
    assert_eq!(out.stdout(), "hello\n");
    assert_eq!(out.reply.status, ReplyStatus::Ok);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn os_system_output_is_captured_at_fd_level() {
    let worker = start(config()).await;
    let out = run(
        &worker,
        "import os, sys\nos.system('echo hi; echo oops >&2')\nos.write(1, b'raw\\n');",
    )
    .await;
    assert_eq!(out.stdout(), "hi\nraw\n");
    assert_eq!(out.stderr(), "oops\n");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn stderr_is_captured() {
    let worker = start(config()).await;
    let out = run(&worker, "import sys; print('bad', file=sys.stderr)").await;
    assert_eq!(out.stderr(), "bad\n");
    assert_eq!(out.stdout(), "");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn expression_result_and_execution_count_follow_ipython() {
    let worker = start(config()).await;
    let first = run(&worker, "6 * 7").await;
    assert_eq!(first.result_text(), Some("42"));
    assert_eq!(first.reply.execution_count, 1);
    assert!(matches!(
        first.events[0],
        Event::ExecuteResult {
            execution_count: 1,
            ..
        }
    ));
    // Failing cells are counted too; silent ones are not and show no result.
    let failing = run(&worker, "1/0").await;
    assert_eq!(
        (failing.reply.status, failing.reply.execution_count),
        (ReplyStatus::Error, 2)
    );
    let silent = run_request(&worker, ExecuteRequest::new("5").silent(true)).await;
    assert_eq!(silent.result(), None);
    assert_eq!(silent.reply.execution_count, 2);
    let unstored = run_request(&worker, ExecuteRequest::new("5").store_history(false)).await;
    assert_eq!(unstored.reply.execution_count, 2);
    assert_eq!(run(&worker, "_ + 1").await.result_text(), Some("6"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn display_html_gives_a_text_html_bundle() {
    let worker = start(config()).await;
    let out = run(
        &worker,
        "from IPython.display import HTML, display\ndisplay(HTML('<b>bold</b>'))",
    )
    .await;
    let Event::DisplayData(display) = &out.events[0] else {
        panic!("expected a display, got {:?}", out.events)
    };
    assert_eq!(display.data["text/html"], "<b>bold</b>");
    assert!(display.data.contains_key("text/plain"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn update_display_and_clear_output_are_forwarded() {
    let worker = start(config()).await;
    let code = "from IPython.display import display, clear_output\n\
                h = display('one', display_id='d1')\n\
                h.update('two')\n\
                clear_output(wait=True)";
    let out = run(&worker, code).await;
    assert!(matches!(&out.events[0], Event::DisplayData(d) if d.display_id() == Some("d1")));
    assert!(
        matches!(&out.events[1], Event::UpdateDisplayData(d) if d.display_id() == Some("d1") && d.data["text/plain"] == "'two'")
    );
    assert_eq!(out.events[2], Event::ClearOutput { wait: true });
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn error_has_ename_evalue_and_coloured_traceback() {
    let worker = start(config()).await;
    let out = run(&worker, "def f():\n    raise ValueError('nope')\nf()").await;
    let error = out.error().expect("an error event");
    assert_eq!(error.ename, "ValueError");
    assert_eq!(error.evalue, "nope");
    let text = error.traceback.join("\n");
    assert!(text.contains("ValueError"), "{text}");
    assert!(
        text.contains('\u{1b}'),
        "IPython colours its tracebacks: {text}"
    );
    assert_eq!(out.reply.error.as_ref(), Some(error));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn output_keeps_the_order_the_code_wrote_it() {
    let worker = start(config()).await;
    let code = "import sys, os\nfrom IPython.display import display\n\
                print('a')\nprint('b', file=sys.stderr)\nos.system('echo c')\n\
                display('d')\nprint('e')\n1/0";
    let out = run(&worker, code).await;
    // A lone newline has no place of its own: `print` writes it to stderr as a second
    // write, and the two pipes carry no order between a write and a child's output.
    let seen: Vec<String> = out
        .events
        .iter()
        .filter(|event| !matches!(event, Event::Stream { text, .. } if text.trim().is_empty()))
        .map(|event| match event {
            Event::Stream { name, text } => format!("{}:{}", name.as_str(), text.trim()),
            Event::DisplayData(d) => format!("display:{}", d.data["text/plain"].as_str().unwrap()),
            Event::Error(e) => format!("error:{}", e.ename),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        seen,
        [
            "stdout:a",
            "stderr:b",
            "stdout:c",
            "display:'d'",
            "stdout:e",
            "error:ZeroDivisionError"
        ]
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn output_is_streamed_while_the_code_runs() {
    let worker = start(config()).await;
    let started = Instant::now();
    let mut execution = worker
        .execute(ExecuteRequest::new(
            "import time\nprint('early')\ntime.sleep(1.5)\nprint('late')",
        ))
        .unwrap();
    let first = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap();
    assert_eq!(
        first,
        Some(Event::Stream {
            name: StreamName::Stdout,
            text: "early\n".into()
        })
    );
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "arrived after {:?}",
        started.elapsed()
    );
    let rest = execution.collect().await.unwrap();
    assert_eq!(rest.stdout(), "late\n");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn magics_and_shell_escapes_work() {
    let worker = start(config()).await;
    let out = run(&worker, "!echo from-shell").await;
    assert_eq!(out.stdout().trim(), "from-shell");
    let out = run(&worker, "%timeit -n1 -r1 sum(range(10))").await;
    assert!(out.stdout().contains("per loop"), "{:?}", out.events);
    let out = run(&worker, "%%capture c\nprint('hidden')").await;
    assert_eq!(out.stdout(), "");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn user_expressions_are_evaluated_after_success() {
    let worker = start(config()).await;
    let mut request = ExecuteRequest::new("x = 20");
    request
        .user_expressions
        .insert("double".into(), "x * 2".into());
    let out = run_request(&worker, request).await;
    assert_eq!(
        out.reply.user_expressions["double"]["data"]["text/plain"],
        "40"
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn input_round_trips_through_the_caller() {
    let worker = start(config()).await;
    let mut execution = worker
        .execute(ExecuteRequest::new("name = input('who? ')\nprint('hi', name)").allow_stdin(true))
        .unwrap();
    let mut answered = false;
    while let Some(event) = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap()
    {
        match event {
            Event::InputRequest { prompt, password } => {
                assert_eq!((prompt.as_str(), password), ("who? ", false));
                execution.answer_input("Ada").unwrap();
                answered = true;
            }
            Event::Stream { text, .. } => assert_eq!(text, "hi Ada\n"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(answered);
    assert_eq!(execution.reply().await.unwrap().status, ReplyStatus::Ok);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn input_without_stdin_raises_a_clear_error() {
    let worker = start(config()).await;
    let out = run(&worker, "input('x')").await;
    let error = out.error().expect("an error");
    assert_eq!(error.ename, "StdinNotImplementedError");
    assert!(!out
        .events
        .iter()
        .any(|e| matches!(e, Event::InputRequest { .. })));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn large_output_arrives_complete_and_in_order() {
    let worker = start(config()).await;
    let out = run(
        &worker,
        "print('x' * 1_000_000)\nfor i in range(20000):\n    print(i)",
    )
    .await;
    let stdout = out.stdout();
    let mut lines = stdout.lines();
    assert_eq!(lines.next().map(str::len), Some(1_000_000));
    let numbers: Vec<u32> = lines.map(|l| l.parse().unwrap()).collect();
    assert_eq!(numbers, (0..20000).collect::<Vec<_>>());
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn output_written_between_executions_goes_to_the_next_one() {
    let worker = start(config()).await;
    run(
        &worker,
        "import threading, time\nthreading.Timer(0.2, lambda: print('late')).start()",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let out = run(&worker, "print('now')").await;
    assert_eq!(out.stdout(), "late\nnow\n");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_dropped_execution_does_not_block_the_worker() {
    let worker = start(config()).await;
    let execution = worker
        .execute(
            ExecuteRequest::new("print('unread')\nx = input('never answered')").allow_stdin(true),
        )
        .unwrap();
    drop(execution);
    let out = run(&worker, "'x' in dir()").await;
    assert_eq!(
        out.result_text(),
        Some("False"),
        "input() failed, so x was never set"
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn user_code_sees_a_plain_interactive_python() {
    let worker = start(config()).await;
    let code = "import os, sys\n\
                (sys.path[0], [p for p in sys.path if 'px-worker' in p], \
                 sorted(k for k in os.environ if k.startswith('PX_WORKER')), sys.argv, \
                 sys.stdout.isatty(), sys.stdin.read())";
    let out = run(&worker, code).await;
    assert_eq!(
        out.result_text(),
        Some("('', [], [], [''], False, '')"),
        "{:?}",
        out.events
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cell_runs_as_the_number_its_caller_gives() {
    let worker = start(config()).await;
    let out = run_request(&worker, ExecuteRequest::new("1/0").execution_count(45)).await;
    assert_eq!(out.reply.execution_count, 45);
    let error = out.error().expect("an error");
    // Cells are named as ipykernel names them, so tracebacks read as in a notebook: the
    // line is syntax-coloured, nothing highlighted.
    assert!(
        error.traceback[2].contains("In[45]"),
        "{:?}",
        error.traceback
    );
    assert!(
        !error.traceback[2].contains("\u{1b}[30;43m"),
        "{:?}",
        error.traceback
    );
    let next = run(&worker, "6 * 7").await;
    assert_eq!(next.reply.execution_count, 46);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn syntax_only_counts_and_checks_but_runs_nothing() {
    let worker = start(config()).await;
    let checked = ExecuteRequest::new("x = 1\nprint('ran')\nx").syntax_only(true);
    let out = run_request(&worker, checked.execution_count(7)).await;
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(
        (out.reply.status, out.reply.execution_count),
        (ReplyStatus::Ok, 7)
    );
    let bad = run_request(
        &worker,
        ExecuteRequest::new("print('a'")
            .syntax_only(true)
            .execution_count(8),
    )
    .await;
    let error = bad.error().expect("a SyntaxError");
    assert_eq!(error.ename, "SyntaxError");
    // ipykernel's cell file name: the murmur2 hash of the code.
    assert_eq!(error.evalue, "incomplete input (1144531680.py, line 1)");
    assert!(
        error.traceback[0].contains("In[8]"),
        "{:?}",
        error.traceback
    );
    assert_eq!(bad.reply.status, ReplyStatus::Error);
    let undefined = run(&worker, "x").await;
    assert_eq!(
        undefined.error().map(|e| e.ename.as_str()),
        Some("NameError")
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_nocolor_scheme_gives_plain_tracebacks() {
    let worker = start(WorkerConfig {
        ipython_colors: Some("nocolor".into()),
        ..config()
    })
    .await;
    let out = run(&worker, "1/0").await;
    let text = out.error().expect("an error").traceback.join("\n");
    assert!(
        text.contains("ZeroDivisionError: division by zero"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "{text:?}");
    worker.shutdown().await.unwrap();
}
