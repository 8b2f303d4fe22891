//! Replaying a recorded stock session through [`PxMagics`]: every cell of a capture is
//! run as a kernel would run it, and what it publishes is compared with what stock
//! published (see `compare`).

pub mod compare;
pub mod local_shell;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use px_client::{Client, ConnectionSource, Targets};
use px_magics::{CaptureSink, Outcome, OutputSink, PxMagics, PxResult};
use serde_json::{json, Value};

use local_shell::LocalShell;

/// What a kernel does around the magics: local cells go to the local shell, a bare name
/// bound by `-o NAME` shows its result's repr (the kernel's local namespace would hold a
/// proxy for it).
pub struct Kernel {
    pub magics: PxMagics,
    shell: LocalShell,
    stored: HashMap<String, PxResult>,
}

/// What one cell published, and its reply.
pub struct Executed {
    pub messages: Vec<Value>,
    pub reply: Value,
}

impl Kernel {
    /// A kernel connecting to `client_file` (or to no cluster at all).
    pub fn new(client_file: Option<PathBuf>, shell: LocalShell) -> Kernel {
        let magics = PxMagics::new(move || {
            let file = client_file.clone();
            async move {
                match file {
                    Some(f) => Client::connect(&ConnectionSource::File(f))
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err("no cluster in this test".to_owned()),
                }
            }
        })
        .with_local_executor(shell.clone());
        Kernel {
            magics,
            shell,
            stored: HashMap::new(),
        }
    }

    /// Runs `code`; with `interrupt_after`, the cell is interrupted that long after it
    /// started, as the recording's kernel was.
    pub async fn execute(&mut self, code: &str, interrupt_after: Option<f64>) -> Executed {
        let mut sink = CaptureSink::new();
        let interrupter = interrupt_after.map(|secs| {
            let handle = self.magics.interrupt_handle();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                handle.interrupt()
            })
        });
        let outcome = self.magics.run(code, &mut sink).await;
        if let Some(task) = interrupter {
            let delivered = task.await.unwrap_or(false);
            assert!(delivered, "the interrupt found no wait to interrupt");
        }
        let reply = match outcome {
            Outcome::NotMagic => self.run_locally(code, &mut sink).await,
            Outcome::Ok { stored } => {
                self.keep(stored);
                json!({"status": "ok"})
            }
            Outcome::Error { error, stored } => {
                self.keep(stored);
                json!({"status": "error", "ename": error.ename, "evalue": error.evalue})
            }
        };
        Executed {
            messages: sink.finish(),
            reply,
        }
    }

    fn keep(&mut self, stored: Option<px_magics::StoredResult>) {
        if let Some(s) = stored {
            self.stored.insert(s.name, s.result);
        }
    }

    async fn run_locally(&mut self, code: &str, sink: &mut CaptureSink) -> Value {
        if let Some(result) = self.stored.get(code.trim()) {
            sink.execute_result(&json!({"text/plain": result.repr()}), &json!({}));
            return json!({"status": "ok"});
        }
        match self.shell.run(code, sink).await {
            Ok(()) => json!({"status": "ok"}),
            Err(e) => {
                sink.error(&e.ename, &e.evalue, &e.traceback);
                json!({"status": "error", "ename": e.ename, "evalue": e.evalue})
            }
        }
    }

    /// Waits for the last submission's replies, and a little more: an engine that failed
    /// a request aborts what reaches it in the next moments (ipykernel's stop-on-error).
    pub async fn settle(&self) {
        if let Some(result) = self.magics.last_result("") {
            let _ = result
                .async_result()
                .wait_replies(Some(Duration::from_secs(10)))
                .await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    /// A setup cell of a recording: the stock client's own setup is not ours to run.
    pub async fn setup(&mut self, code: &str) {
        if code.starts_with("import ipyparallel") {
            return;
        }
        if code.contains("rc.activate(targets=[0, 1], suffix='_a')") {
            self.magics.activate("_a", Targets::List(vec![0, 1]));
            return;
        }
        let done = self.execute(code, None).await;
        assert_eq!(done.reply["status"], "ok", "setup cell {code:?}");
    }
}

/// Whether stock streamed the cell's output (arrival order then varies): a blocking `%px`
/// or `%%px` without `--no-stream` (the views of the recordings stream), a cell sent by
/// autopx, or a cell that published live stream displays or streamed tracebacks.
fn streamed(cell: &Value, autopx: bool) -> bool {
    let code = cell["code"].as_str().unwrap_or_default();
    let px =
        code.starts_with("%px") && !code.starts_with("%pxresult") && !code.starts_with("%pxconfig");
    let cell_px = code.starts_with("%%px")
        && !["--no-stream", "--local", "--noblock", " -a"]
            .iter()
            .any(|flag| code.lines().next().unwrap_or_default().contains(flag));
    px || cell_px
        || autopx
        || cell["iopub"].as_array().into_iter().flatten().any(|m| {
            m["content"]["transient"].get("display_id").is_some()
                || (m["msg_type"] == "stream"
                    && m["content"]["text"].as_str().is_some_and(|t| {
                        t.lines()
                            .any(|l| l.starts_with('[') && l.contains(":execute]"))
                    }))
        })
}

/// Replays every cell of `capture` (cells whose code is in `skip` run but are not
/// compared) and returns the differences found, one paragraph per cell.
pub async fn replay(capture: &str, kernel: &mut Kernel, skip: &[&str]) -> Result<(), String> {
    let cap = compare::load(capture);
    for cell in cap["setup_cells"].as_array().into_iter().flatten() {
        kernel
            .setup(cell["code"].as_str().unwrap_or_default())
            .await;
    }
    let mut failures = Vec::new();
    for cell in cap["cells"].as_array().into_iter().flatten() {
        let code = cell["code"].as_str().unwrap_or_default();
        let autopx = kernel.magics.autopx().is_some();
        let interrupt_after = cell["interrupt_after_s"].as_f64();
        let done = kernel.execute(code, interrupt_after).await;
        if interrupt_after.is_some() {
            // The recording's next cell was typed after the interrupted requests ended;
            // sent at once, it would queue behind them and be aborted (spec §15).
            kernel.settle().await;
        }
        if skip.contains(&code) {
            continue;
        }
        let want = &cell["execute_reply"];
        if done.reply["status"] != want["status"] || done.reply["ename"] != want["ename"] {
            failures.push(format!(
                "cell {code:?}: reply {} but stock replied {} {}",
                done.reply, want["status"], want["ename"]
            ));
            continue;
        }
        let ours = compare::ours(&done.messages);
        if let Err(diff) = compare::compare(&ours, &compare::recorded(cell), streamed(cell, autopx))
        {
            failures.push(format!("cell {code:?}: {diff}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n\n"))
    }
}
