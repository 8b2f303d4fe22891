//! The Rust client against a stock ipyparallel cluster (`ipp.Cluster` from `.venv`).
//!
//! Starting a stock cluster takes seconds, so one 4-engine cluster is shared by the scenarios
//! below, run in order by a small harness (`harness = false`): each prints
//! `<name> ... ok|FAILED`, the run ends with `N passed, N failed`. Scenarios that change the
//! cluster for good (an added engine, a killed engine, a killed controller) come last.

mod support;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use px_client::{
    Client, ClientError, ConnectionSource, ExecuteOptions, OutputEvent, StreamName, Targets,
};
use serde_json::Value;
use support::cluster::StockCluster;

const T: Option<Duration> = Some(Duration::from_secs(30));

struct Ctx {
    cluster: Mutex<StockCluster>,
    client_file: PathBuf,
}

impl Ctx {
    async fn client(&self) -> Client {
        Client::connect(&ConnectionSource::File(self.client_file.clone()))
            .await
            .expect("connecting to the stock cluster")
    }
}

fn loud() -> ExecuteOptions {
    ExecuteOptions {
        silent: false,
        ..ExecuteOptions::default()
    }
}

async fn ids_are_the_four_engines(ctx: Arc<Ctx>) {
    assert_eq!(ctx.client().await.ids(), vec![0, 1, 2, 3]);
}

async fn execute_on_all_collects_stdout_and_stderr_per_engine(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let code = "import sys\nprint('out', 7)\nprint('err', 8, file=sys.stderr)";
    let results = c
        .direct_view(Targets::All)
        .execute_sync(code, &loud(), T)
        .await
        .unwrap();
    assert_eq!(results.len(), 4);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.engine_id, Some(i as i64));
        assert_eq!(r.stdout, "out 7\n");
        assert_eq!(r.stderr, "err 8\n");
        assert_eq!(r.status.as_deref(), Some("ok"));
        assert!(r.started.is_some() && r.completed.is_some() && r.received.is_some());
    }
}

async fn execute_on_target_subsets_reaches_exactly_those_engines(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    for (targets, want) in [
        ("::2", vec![0, 2]),
        ("1:3", vec![1, 2]),
        ("-1", vec![3]),
        ("0,3", vec![0, 3]),
        ("all", vec![0, 1, 2, 3]),
    ] {
        let view = c.direct_view(targets.parse().unwrap());
        let results = view
            .execute_sync("print('here')", &loud(), T)
            .await
            .unwrap();
        let got: Vec<i64> = results.iter().map(|r| r.engine_id.unwrap()).collect();
        assert_eq!(got, want, "targets {targets}");
        assert!(results.iter().all(|r| r.stdout == "here\n"));
    }
}

async fn division_by_zero_gives_a_composite_error_with_four_tracebacks(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let err = c
        .direct_view(Targets::All)
        .execute_sync("1/0", &loud(), T)
        .await
        .unwrap_err();
    let ClientError::Composite(composite) = err else {
        panic!("expected a CompositeError, got {err:?}");
    };
    assert_eq!(composite.errors.len(), 4);
    for (i, e) in composite.errors.iter().enumerate() {
        assert_eq!(e.engine_id, Some(i as i64));
        assert_eq!(e.ename, "ZeroDivisionError");
        assert_eq!(e.evalue, "division by zero");
        assert!(
            e.traceback.iter().any(|l| l.contains("ZeroDivisionError")),
            "{:?}",
            e.traceback
        );
    }
}

async fn execute_result_carries_the_engines_execution_count(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let view = c.direct_view("0".parse().unwrap());
    let first = view.execute_sync("6*7", &loud(), T).await.unwrap();
    let second = view.execute_sync("6*8", &loud(), T).await.unwrap();
    let (a, b) = (&first[0], &second[0]);
    let n = a.execution_count.unwrap();
    assert_eq!(b.execution_count, Some(n + 1));
    let result = b.execute_result.as_ref().unwrap();
    assert_eq!(result["data"]["text/plain"], "48");
    assert_eq!(result["execution_count"], n + 1);
}

async fn nonblocking_execute_then_get(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let ar = c
        .direct_view(Targets::All)
        .execute("import time; time.sleep(0.5); print('late')", &loud())
        .await
        .unwrap();
    assert!(
        !ar.ready(),
        "should still be running right after submission"
    );
    let results = ar.get(T).await.unwrap();
    assert!(ar.ready());
    assert!(results.iter().all(|r| r.stdout == "late\n"));
}

async fn get_times_out_on_a_long_sleep_and_interrupt_stops_it(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let view = c.direct_view(Targets::All);
    let ar = view
        .execute("import time; time.sleep(5)", &loud())
        .await
        .unwrap();
    let started = Instant::now();
    let err = ar.get(Some(Duration::from_millis(500))).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                pending: 4,
                total: 4,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    view.interrupt().await.unwrap();
    let err = ar.get(Some(Duration::from_secs(4))).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "interrupt did not stop the sleep"
    );
    let ClientError::Composite(composite) = err else {
        panic!("expected KeyboardInterrupt errors, got {err:?}");
    };
    assert!(composite
        .errors
        .iter()
        .all(|e| e.ename == "KeyboardInterrupt"));
}

async fn queue_status_lists_each_engine(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    c.direct_view(Targets::All)
        .execute_sync("pass", &ExecuteOptions::default(), T)
        .await
        .unwrap();
    let status = c.queue_status(None, false).await.unwrap();
    for id in ["0", "1", "2", "3"] {
        let engine = &status[id];
        // Other scenarios share the cluster and may have a request queued right now.
        assert!(
            engine["queue"].as_i64().is_some_and(|q| q >= 0),
            "{status:?}"
        );
        assert!(engine["completed"].as_i64().unwrap() >= 1, "{status:?}");
    }
    assert!(status.contains_key("unassigned"));
}

async fn outputs_match_what_the_stock_client_collects(ctx: Arc<Ctx>) {
    let code = "import sys\nfrom IPython.display import display, HTML\nprint('a\\rb')\nprint('é', file=sys.stderr)\ndisplay(HTML('<b>x</b>'))\n{'k': [1, 2]}";
    let c = ctx.client().await;
    let ours = c
        .direct_view(Targets::All)
        .execute_sync(code, &loud(), T)
        .await
        .unwrap();
    let python = support::cluster::python();
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/stock_outputs.py"
        ))
        .arg(&ctx.client_file)
        .arg(code)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stock: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in &ours {
        let s = &stock[r.engine_id.unwrap().to_string()];
        assert_eq!(r.stdout, s["stdout"].as_str().unwrap());
        assert_eq!(r.stderr, s["stderr"].as_str().unwrap());
        let outputs: Vec<Value> = r.outputs.iter().map(|o| o["data"].clone()).collect();
        assert_eq!(Value::Array(outputs), s["outputs"]);
        assert_eq!(
            r.execute_result.as_ref().unwrap()["data"],
            s["execute_result"]
        );
    }
}

async fn replies_are_waited_for_apart_from_output(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let ar = c
        .direct_view(Targets::All)
        .execute("import time; time.sleep(0.5); print('done')", &loud())
        .await
        .unwrap();
    assert_eq!((ar.len(), ar.replied()), (4, 0));
    assert!(!ar.all_replied() && ar.try_get().is_none());
    // Another handle on the same requests sees them complete.
    let shared = ar.share();
    shared.wait_replies(T).await.unwrap();
    assert!(ar.all_replied() && shared.all_replied());
    assert_eq!(ar.replied(), 4);
    let results = ar.try_get().expect("all replied").unwrap();
    assert_eq!(results.len(), 4);
    ar.wait(T).await.unwrap();
    assert!(ar.results().iter().all(|r| r.stdout == "done\n"));

    let failed = c
        .direct_view("0".parse().unwrap())
        .execute("1/0", &loud())
        .await
        .unwrap();
    failed.wait_replies(T).await.unwrap();
    let Some(Err(ClientError::Composite(e))) = failed.try_get() else {
        panic!("expected the engine's error");
    };
    assert_eq!(e.errors[0].label(), "[0:execute]");
}

async fn streamed_errors_are_labelled_with_engine_and_method(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let opts = ExecuteOptions {
        silent: false,
        stream: true,
        ..ExecuteOptions::default()
    };
    let mut ar = c
        .direct_view("1".parse().unwrap())
        .execute("1/0", &opts)
        .await
        .unwrap();
    let mut label = None;
    while let Some(ev) = ar.next_event().await.unwrap() {
        if let OutputEvent::Error { error, .. } = ev {
            label = Some(error.label());
        }
    }
    // Engines publish IOPub errors without engine_info; stock labels them anyway.
    assert_eq!(label.as_deref(), Some("[1:execute]"));
}

async fn output_streams_while_the_engines_still_run(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let opts = ExecuteOptions {
        silent: false,
        stream: true,
        ..ExecuteOptions::default()
    };
    let mut ar = c
        .direct_view("0".parse().unwrap())
        .execute("import time, sys\nprint('first'); sys.stdout.flush()\ntime.sleep(1.5)\nprint('second')", &opts)
        .await
        .unwrap();
    let submitted = Instant::now();
    let mut seen_first = None;
    let mut texts = String::new();
    while let Some(ev) = ar.next_event().await.unwrap() {
        if let OutputEvent::Stream {
            name: StreamName::Stdout,
            text,
            ..
        } = &ev
        {
            texts.push_str(text);
            if text.contains("first") {
                seen_first = Some(submitted.elapsed());
                assert!(
                    !ar.ready(),
                    "first line should arrive before the request completes"
                );
            }
        }
    }
    assert_eq!(texts, "first\nsecond\n");
    assert!(
        seen_first.unwrap() < Duration::from_millis(1400),
        "{seen_first:?}"
    );
}

async fn load_balanced_execute_runs_on_one_engine(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let lb = c.load_balanced_view();
    let results = lb
        .execute("print('lb')", &loud())
        .await
        .unwrap()
        .get(T)
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert!((0..4).contains(&results[0].engine_id.unwrap()));
    assert_eq!(results[0].stdout, "lb\n");
    let pinned = lb
        .clone()
        .targets(vec![2])
        .execute("print('pinned')", &loud())
        .await
        .unwrap()
        .get(T)
        .await
        .unwrap();
    assert_eq!(pinned[0].engine_id, Some(2));
}

async fn abort_stops_a_queued_request(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let view = c.direct_view("1".parse().unwrap());
    let running = view
        .execute("import time; time.sleep(1)", &loud())
        .await
        .unwrap();
    let queued = view.execute("print('never')", &loud()).await.unwrap();
    view.abort(Some(&queued)).await.unwrap();
    running.get(T).await.unwrap();
    let results = queued.get(T).await.unwrap();
    assert_eq!(results[0].status.as_deref(), Some("aborted"));
    assert_eq!(results[0].stdout, "");
}

async fn load_balanced_metadata_reaches_the_scheduler(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let lb = c.load_balanced_view();
    // follow: the second task must run where the first one ran.
    let first = lb.execute("pass", &loud()).await.unwrap();
    let first_engine = first.get(T).await.unwrap()[0].engine_id;
    for _ in 0..3 {
        let follower = lb
            .clone()
            .follow(first.msg_ids())
            .execute("pass", &loud())
            .await
            .unwrap();
        assert_eq!(follower.get(T).await.unwrap()[0].engine_id, first_engine);
    }
    // after + timeout: a task waiting on a long one times out in the scheduler.
    let long = lb
        .execute("import time; time.sleep(3)", &loud())
        .await
        .unwrap();
    let waiting = lb
        .clone()
        .after(long.msg_ids())
        .timeout(0.5)
        .execute("pass", &loud())
        .await
        .unwrap();
    let err = waiting.get(T).await.unwrap_err();
    let ClientError::Composite(composite) = err else {
        panic!("expected a TaskTimeout, got {err:?}");
    };
    assert_eq!(composite.errors[0].ename, "TaskTimeout");
    long.get(T).await.unwrap();
}

async fn bad_targets_give_one_clear_error(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let err = "1:x".parse::<Targets>().unwrap_err().to_string();
    assert!(err.contains("1:x"), "{err}");
    assert!("".parse::<Targets>().is_err());
    let err = c
        .direct_view("99".parse().unwrap())
        .execute("pass", &loud())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("No such engine") && err.contains("99"),
        "{err}"
    );
}

async fn missing_connection_file_names_the_file(_ctx: Arc<Ctx>) {
    let path = PathBuf::from("/nonexistent/security/ipcontroller-client.json");
    let err = Client::connect(&ConnectionSource::File(path.clone()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("ipcluster start"), "{err}");
}

async fn wrong_key_says_signatures_do_not_match(ctx: Arc<Ctx>) {
    let mut info = px_wire::ClientConnectionInfo::load(&ctx.client_file).unwrap();
    info.security.key = "00000000-000000000000000000000000".into();
    let started = Instant::now();
    let err = Client::connect_info(info, Duration::from_secs(2))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("signatures do not match"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn connects_from_profile_and_cluster_file(ctx: Arc<Ctx>) {
    let cluster_file = ctx.cluster.lock().unwrap().cluster_file();
    let c = Client::connect(&ConnectionSource::ClusterFile(cluster_file))
        .await
        .unwrap();
    assert_eq!(c.ids(), vec![0, 1, 2, 3]);
}

async fn ssh_tunnel_forwards_every_port_and_stops_with_the_client(ctx: Arc<Ctx>) {
    let fake = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/fake_ssh.py");
    let opts = px_client::ConnectOptions {
        ssh: Some(px_client::SshOptions {
            server: "tester@gateway:2222".into(),
            key: None,
            program: fake.into(),
        }),
        ..Default::default()
    };
    let c = Client::connect_with(&ConnectionSource::File(ctx.client_file.clone()), &opts)
        .await
        .unwrap();
    assert_eq!(c.connection_info().interface, "tcp://127.0.0.1");
    assert_ne!(
        c.connection_info().mux,
        px_wire::ClientConnectionInfo::load(&ctx.client_file)
            .unwrap()
            .mux,
        "the client should use the tunnel's local port"
    );
    // ZMQ's slow joiner: the IOPub subscription travels through the forwarder on its own
    // connection and may take effect after the first request's output was published (CI
    // saw a stream lost while its idle arrived). Stock clients have the same gap; wait until
    // output flows, as a probe's idle arriving shows.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let probe = c
            .direct_view(Targets::All)
            .execute("pass", &ExecuteOptions::default())
            .await
            .unwrap();
        if probe.wait(Some(Duration::from_millis(500))).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "IOPub output never arrived through the tunnel"
        );
    }
    let ar = c
        .direct_view(Targets::All)
        .execute("print('tunnelled')", &loud())
        .await
        .unwrap();
    if let Err(e) = ar.wait(T).await {
        // Which part is missing (the reply, or the IOPub output and idle) says where the
        // message was lost.
        let states: Vec<String> = ar
            .results()
            .iter()
            .map(|r| {
                format!(
                    "engine {:?}: reply status {:?}, stdout {:?}",
                    r.engine_id, r.status, r.stdout
                )
            })
            .collect();
        panic!("{e}; per engine:\n{}", states.join("\n"));
    }
    let results = ar.get(T).await.unwrap();
    assert!(
        results.iter().all(|r| r.stdout == "tunnelled\n"),
        "{:?}",
        results.iter().map(|r| &r.stdout).collect::<Vec<_>>()
    );
    // A result holds its client, and so the tunnel.
    drop(ar);
    let tunnels = || {
        let out = Command::new("pgrep")
            .args(["-f", "fake_ssh.py -N"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    let args = Command::new("pgrep")
        .args(["-af", "fake_ssh.py -N"])
        .output()
        .unwrap();
    let args = String::from_utf8_lossy(&args.stdout).to_string();
    assert!(
        args.contains("-p 2222") && args.contains("tester@gateway"),
        "{args}"
    );
    assert_eq!(args.matches("-L 127.0.0.1:").count(), 7, "{args}");
    drop(c);
    assert_eq!(tunnels(), 0, "the ssh process should stop with the client");
}

async fn pull_repr_returns_each_engines_text_plain(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let view = c.direct_view(Targets::All);
    let printed = view
        .execute_sync(
            "import os; _pid = os.getpid(); print(_pid, end='')",
            &loud(),
            T,
        )
        .await
        .unwrap();
    let reprs = view.pull_repr("[_pid, 'x']", T).await.unwrap();
    assert_eq!(reprs.len(), 4);
    for ((id, bundle), p) in reprs.iter().zip(&printed) {
        assert_eq!(Some(*id), p.engine_id);
        assert_eq!(
            bundle["text/plain"],
            format!("[{}, 'x']", p.stdout),
            "engine {id}"
        );
    }
    let err = view.pull_repr("undefined_name", T).await.unwrap_err();
    assert!(err.to_string().contains("NameError") || format!("{err:?}").contains("NameError"));
}

async fn engine_added_later_appears_in_ids(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    ctx.cluster.lock().unwrap().add_engine();
    let ids = c
        .wait_for_engines(5, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
}

async fn shutdown_stops_the_target_engine(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    c.direct_view("3".parse().unwrap())
        .shutdown()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.ids().contains(&3) {
        assert!(
            Instant::now() < deadline,
            "engine 3 still registered: {:?}",
            c.ids()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn engine_death_fails_its_pending_requests(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let view = c.direct_view("4".parse().unwrap());
    view.execute_sync("import os; _pid = os.getpid()", &loud(), T)
        .await
        .unwrap();
    let pid: i64 = view.pull_repr("_pid", T).await.unwrap()[0].1["text/plain"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ar = view
        .execute("import time; time.sleep(60)", &loud())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let err = ar.get(Some(Duration::from_secs(30))).await.unwrap_err();
    let ClientError::Composite(composite) = err else {
        panic!("expected an EngineError, got {err:?}");
    };
    assert_eq!(composite.errors[0].ename, "EngineError");
    assert!(!c.ids().contains(&4));
}

async fn a_running_stock_controller_counts_as_alive(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    // Stock's hub answers the probe with a `hub_error` (no targets): an answer all the same.
    assert!(c.controller_alive(Duration::from_secs(5)).await);
}

async fn dead_controller_ends_a_wait_with_an_error(ctx: Arc<Ctx>) {
    let c = ctx.client().await;
    let ar = c
        .direct_view("0".parse().unwrap())
        .execute("import time; time.sleep(120)", &loud())
        .await
        .unwrap();
    let pid = ctx.cluster.lock().unwrap().controller_pid();
    Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let started = Instant::now();
    let err = ar.get(None).await.unwrap_err();
    assert!(matches!(err, ClientError::ControllerSilent { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
}

type Scenario = fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

macro_rules! scenarios {
    ($($name:ident),+ $(,)?) => {
        vec![$((stringify!($name), (|ctx| Box::pin($name(ctx))) as Scenario)),+]
    };
}

fn main() {
    let list = scenarios![
        ids_are_the_four_engines,
        execute_on_all_collects_stdout_and_stderr_per_engine,
        execute_on_target_subsets_reaches_exactly_those_engines,
        division_by_zero_gives_a_composite_error_with_four_tracebacks,
        execute_result_carries_the_engines_execution_count,
        nonblocking_execute_then_get,
        get_times_out_on_a_long_sleep_and_interrupt_stops_it,
        queue_status_lists_each_engine,
        a_running_stock_controller_counts_as_alive,
        outputs_match_what_the_stock_client_collects,
        output_streams_while_the_engines_still_run,
        replies_are_waited_for_apart_from_output,
        streamed_errors_are_labelled_with_engine_and_method,
        load_balanced_execute_runs_on_one_engine,
        abort_stops_a_queued_request,
        load_balanced_metadata_reaches_the_scheduler,
        bad_targets_give_one_clear_error,
        missing_connection_file_names_the_file,
        wrong_key_says_signatures_do_not_match,
        connects_from_profile_and_cluster_file,
        pull_repr_returns_each_engines_text_plain,
        ssh_tunnel_forwards_every_port_and_stops_with_the_client,
        engine_added_later_appears_in_ids,
        shutdown_stops_the_target_engine,
        engine_death_fails_its_pending_requests,
        dead_controller_ends_a_wait_with_an_error,
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<_> = list
        .into_iter()
        .filter(|(name, _)| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())))
        .collect();
    if selected.is_empty() {
        println!("0 passed, 0 failed");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cluster = StockCluster::start(4);
    println!(
        "stock cluster with 4 engines up in {:.1?}",
        cluster.startup_time()
    );
    let ctx = Arc::new(Ctx {
        client_file: cluster.client_file(),
        cluster: Mutex::new(cluster),
    });
    let (mut passed, mut failed) = (0, 0);
    for (name, scenario) in selected {
        let started = Instant::now();
        let outcome = rt.block_on(async {
            let task = tokio::spawn(scenario(ctx.clone()));
            tokio::time::timeout(Duration::from_secs(90), task).await
        });
        match outcome {
            Ok(Ok(())) => {
                passed += 1;
                println!("test {name} ... ok ({:.1?})", started.elapsed());
            }
            Ok(Err(e)) => {
                failed += 1;
                println!("test {name} ... FAILED: {e}");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED: timed out after 90 s");
            }
        }
    }
    drop(rt);
    drop(ctx);
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
