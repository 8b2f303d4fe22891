//! `PxMagics` against stock ipyparallel clusters, cell by cell against the recordings of a
//! stock IPython kernel (`shared/spec/magics-captures`).
//!
//! Each recording was made on a fresh cluster, and what it shows depends on that: engine
//! execution counts start at 0 (`Out[0:1]`, `Cell In[1]` in tracebacks), nothing is
//! queued, the namespace is empty. So each scenario gets a fresh stock cluster of the
//! recording's size and a fresh local namespace, and replays every setup cell and cell of
//! the recording through `PxMagics::run`, comparing what is published with what stock
//! published (normalised as `replay::compare` explains). Clusters take seconds to start,
//! so the next scenario's cluster starts while the current scenario runs.
//!
//! A small harness (`harness = false`) runs the scenarios in order, prints
//! `<name> ... ok|FAILED` for each and `N passed, N failed` at the end; arguments filter
//! scenarios by name.

#[path = "../../client/tests/support/mod.rs"]
mod support;

mod replay;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use replay::local_shell::LocalShell;
use replay::Kernel;
use support::cluster::StockCluster;

/// What a scenario does.
enum Kind {
    /// Replays a recording (`capture` is its file name without `.json`); cells whose code
    /// is in `skip` run but are not compared (their output is the local Python's own).
    Replay {
        capture: &'static str,
        skip: &'static [&'static str],
    },
    /// A behaviour no recording shows, checked against the spec.
    Custom(fn(Option<PathBuf>) -> BoxFuture<Result<(), String>>),
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

struct Scenario {
    name: &'static str,
    /// Engines of the scenario's cluster; `None` for a scenario that never connects.
    engines: Option<usize>,
    kind: Kind,
}

/// A recording of a 4-engine cluster.
const fn replay(capture: &'static str) -> Scenario {
    Scenario {
        name: capture,
        engines: Some(4),
        kind: Kind::Replay { capture, skip: &[] },
    }
}

const SCENARIOS: &[Scenario] = &[
    replay("px_print"),
    replay("px_assign_then_expr"),
    replay("cellpx_engine_nostream"),
    replay("cellpx_type_stream"),
    replay("targets_cell"),
    replay("pxconfig_targets"),
    replay("verbose"),
    replay("px_error_all_stream"),
    replay("px_error_one_engine"),
    replay("error_single_int_target"),
    replay("noblock_and_result"),
    Scenario {
        name: "result_no_prior",
        engines: None,
        kind: Kind::Replay {
            capture: "result_no_prior",
            skip: &[],
        },
    },
    replay("autopx"),
    replay("autopx_local_syntax"),
    replay("autopx_verbose_noblock"),
    replay("cellpx_local"),
    replay("suffix_activate"),
    Scenario {
        name: "save_out",
        engines: Some(4),
        kind: Kind::Replay {
            capture: "save_out",
            // `.get()` of a stored result is the local namespace's business.
            skip: &["ar1.get()", "ar2.get()"],
        },
    },
    replay("aborted_after_error"),
    replay("result_repeat_single_target"),
    replay("stream_edge_cases"),
    replay("cellpx_short_flags"),
    replay("px_line_flags"),
    replay("bad_input"),
    replay("interrupt_stream"),
    replay("interrupt_nostream"),
    replay("interrupt_signal_flag"),
    replay("interrupt_nostream_signal0"),
    replay("progress_bar"),
    Scenario {
        name: "engine_death_fails_its_request",
        engines: Some(4),
        kind: Kind::Custom(|file| Box::pin(engine_death_fails_its_request(file))),
    },
];

/// Spec §12.6 (not recorded): an engine that dies while running a request fails it with
/// an `EngineError` labelled `[Engine Exception]`, which never passes through IOPub, so
/// streaming prints nothing and the cell ends with `1 errors`; without streaming the
/// composite error shows it.
async fn engine_death_fails_its_request(client_file: Option<PathBuf>) -> Result<(), String> {
    let python = support::cluster::python();
    let mut kernel = Kernel::new(client_file, LocalShell::start(&python));
    let streamed = kernel
        .execute("%%px --targets [0]\nimport os\nos._exit(1)", None)
        .await;
    check(&streamed.reply["ename"], "AlreadyDisplayedError")?;
    check(&streamed.reply["evalue"], "1 errors")?;
    let grouped = kernel
        .execute(
            "%%px --targets [1] --no-stream\nimport os\nos._exit(1)",
            None,
        )
        .await;
    check(&grouped.reply["ename"], "CompositeError")?;
    let error = grouped
        .messages
        .iter()
        .find(|m| m["msg_type"] == "error")
        .ok_or("no error message")?;
    let tb = &error["content"]["traceback"];
    check(&tb[0], "[Engine Exception]:")?;
    let line = tb[1].as_str().unwrap_or_default();
    if !line.starts_with("EngineError: Engine 1 died while running task '") {
        return Err(format!("unexpected traceback {tb}"));
    }
    Ok(())
}

fn check(got: &serde_json::Value, want: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("got {got}, want {want:?}"))
    }
}

/// A cluster starting on a thread of its own.
type Starting = JoinHandle<StockCluster>;

fn start(engines: usize) -> Starting {
    std::thread::spawn(move || StockCluster::start(engines))
}

fn main() {
    // Streaming is stock's default only when this is unset (CI sets it).
    std::env::remove_var("IPP_NONINTERACTIVE");
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| filter.is_empty() || filter.iter().any(|f| s.name.contains(f.as_str())))
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let python = support::cluster::python();

    let mut next: Option<Starting> = None;
    let mut stopping: Vec<JoinHandle<()>> = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    for (i, scenario) in selected.iter().enumerate() {
        let started = Instant::now();
        let cluster = match scenario.engines {
            None => Ok(None),
            Some(n) => next.take().unwrap_or_else(|| start(n)).join().map(Some),
        };
        // Start the next scenario's cluster while this one runs.
        next = selected.get(i + 1).and_then(|s| s.engines).map(start);
        let outcome = match &cluster {
            Err(_) => Err("the stock cluster did not start (see the panic above)".to_owned()),
            Ok(cluster) => {
                let client_file = cluster.as_ref().map(StockCluster::client_file);
                let python = python.clone();
                let run: BoxFuture<Result<(), String>> = match scenario.kind {
                    Kind::Replay { capture, skip } => Box::pin(async move {
                        let mut kernel = Kernel::new(client_file, LocalShell::start(&python));
                        replay::replay(capture, &mut kernel, skip).await
                    }),
                    Kind::Custom(f) => f(client_file),
                };
                rt.block_on(async move {
                    let task = tokio::spawn(run);
                    match tokio::time::timeout(Duration::from_secs(120), task).await {
                        Ok(Ok(result)) => result,
                        Ok(Err(e)) => Err(format!("panicked: {e}")),
                        Err(_) => Err("timed out after 120 s".to_owned()),
                    }
                })
            }
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("test {} ... ok ({:.1?})", scenario.name, started.elapsed());
            }
            Err(why) => {
                failed += 1;
                println!("test {} ... FAILED\n{why}\n", scenario.name);
            }
        }
        if let Ok(Some(cluster)) = cluster {
            stopping.push(std::thread::spawn(move || drop(cluster)));
        }
    }
    if let Some(starting) = next {
        let _ = starting.join();
    }
    for s in stopping {
        let _ = s.join();
    }
    drop(rt);
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
