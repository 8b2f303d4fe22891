//! The stdlib-only shell, forced by configuration or chosen because IPython is missing.

mod common;

use common::{assert_is_complete_answers, basic_config, config, run, run_request, start, LIMIT};
use px_worker::{Event, ExecuteRequest, ReplyStatus, ShellKind, WorkerConfig};

#[tokio::test]
async fn python_without_ipython_gets_the_basic_shell() {
    // -S: no site-packages, so `import IPython` fails exactly as on a bare interpreter.
    let config = WorkerConfig {
        python_args: vec!["-S".into()],
        ..config()
    };
    let worker = start(config).await;
    assert_eq!(worker.info().unwrap().shell, ShellKind::Basic);
    assert_eq!(run(&worker, "print('ok')").await.stdout(), "ok\n");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_runs_cells_with_ipython_semantics() {
    let worker = start(basic_config()).await;
    assert_eq!(worker.info().unwrap().shell, ShellKind::Basic);
    let out = run(
        &worker,
        "import os\nprint('p')\nos.system('echo fd')\n3 * 4",
    )
    .await;
    assert_eq!(out.stdout(), "p\nfd\n");
    assert_eq!(out.result_text(), Some("12"));
    assert_eq!(out.reply.execution_count, 1);
    let failing = run(&worker, "def f():\n    return 1/0\nf()").await;
    let error = failing.error().unwrap();
    assert_eq!(error.ename, "ZeroDivisionError");
    assert!(
        error.traceback.iter().any(|l| l.contains("return 1/0")),
        "{:?}",
        error.traceback
    );
    assert!(
        !error.traceback.iter().any(|l| l.contains("px_worker")),
        "{:?}",
        error.traceback
    );
    assert_eq!(failing.reply.execution_count, 2);
    let syntax = run(&worker, "1 +").await;
    assert_eq!(syntax.error().unwrap().ename, "SyntaxError");
    assert_eq!(syntax.reply.execution_count, 3);
    let silent = run_request(&worker, ExecuteRequest::new("5").silent(true)).await;
    assert_eq!((silent.result(), silent.reply.execution_count), (None, 3));
    assert_eq!(run(&worker, "_").await.result_text(), Some("12"));
    let exit = run(&worker, "import sys; sys.exit(2)").await;
    assert_eq!(exit.reply.status, ReplyStatus::Error);
    assert_eq!(run(&worker, "'alive'").await.result_text(), Some("'alive'"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_displays_rich_reprs() {
    let worker = start(basic_config()).await;
    let code = "class H:\n    def _repr_html_(self): return '<i>h</i>'\ndisplay(H())\nH()";
    let out = run(&worker, code).await;
    let Event::DisplayData(display) = &out.events[0] else {
        panic!("{:?}", out.events)
    };
    assert_eq!(display.data["text/html"], "<i>h</i>");
    assert_eq!(out.result().unwrap()["text/html"], "<i>h</i>");
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_supports_top_level_await() {
    let worker = start(basic_config()).await;
    let out = run(&worker, "import asyncio\nawait asyncio.sleep(0)\n7").await;
    assert_eq!(out.result_text(), Some("7"), "{:?}", out.events);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_helpers_answer() {
    let worker = start(basic_config()).await;
    assert_is_complete_answers(&worker).await;
    let completion = worker.complete("pri", 3).await.unwrap();
    assert!(
        completion.matches.iter().any(|m| m == "print"),
        "{:?}",
        completion.matches
    );
    run(&worker, "import os").await;
    let completion = worker.complete("os.pa", 5).await.unwrap();
    assert!(
        completion.matches.iter().any(|m| m == "os.path"),
        "{:?}",
        completion.matches
    );
    assert_eq!(completion.cursor_start, 0);
    let inspection = worker.inspect("len(", 4, 0).await.unwrap();
    assert!(inspection.found);
    assert!(inspection.data["text/plain"]
        .as_str()
        .unwrap()
        .contains("Return the number"));
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_input_round_trip() {
    let worker = start(basic_config()).await;
    let mut execution = worker
        .execute(
            ExecuteRequest::new("import getpass\nsecret = getpass.getpass()\nlen(secret)")
                .allow_stdin(true),
        )
        .unwrap();
    while let Some(event) = tokio::time::timeout(LIMIT, execution.next_event())
        .await
        .unwrap()
    {
        match event {
            Event::InputRequest { password, .. } => {
                assert!(password);
                execution.answer_input("hunter2").unwrap();
            }
            Event::ExecuteResult { data, .. } => assert_eq!(data["text/plain"], "7"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(execution.reply().await.unwrap().status, ReplyStatus::Ok);
    worker.shutdown().await.unwrap();
}

#[tokio::test]
async fn basic_shell_takes_the_callers_count_and_checks_syntax_only() {
    let worker = start(basic_config()).await;
    let out = run_request(&worker, ExecuteRequest::new("3 * 4").execution_count(9)).await;
    assert_eq!(out.reply.execution_count, 9);
    let checked = run_request(
        &worker,
        ExecuteRequest::new("print('ran')").syntax_only(true),
    )
    .await;
    assert!(checked.events.is_empty(), "{:?}", checked.events);
    assert_eq!(checked.reply.status, ReplyStatus::Ok);
    assert_eq!(checked.reply.execution_count, 10);
    let bad = run_request(&worker, ExecuteRequest::new("print('a'").syntax_only(true)).await;
    assert_eq!(bad.error().map(|e| e.ename.as_str()), Some("SyntaxError"));
    worker.shutdown().await.unwrap();
}
