//! The local namespace of the tests: `local_shell.py` in a Python child process, standing
//! in for the kernel's local worker behind [`LocalExecutor`].

use std::process::Stdio;
use std::sync::Arc;

use px_client::StreamName;
use px_magics::{BoxFuture, ErrorReply, LocalExecutor, OutputSink};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/replay/local_shell.py");

struct Process {
    // Held for kill_on_drop.
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

/// A handle on the shared Python process; clones talk to the same namespace.
#[derive(Clone)]
pub struct LocalShell {
    process: Arc<Mutex<Process>>,
}

impl LocalShell {
    /// Starts the process with the stock Python of the cluster fixture.
    pub fn start(python: &std::path::Path) -> LocalShell {
        let mut child = Command::new(python)
            .arg(SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("starting local_shell.py");
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        LocalShell {
            process: Arc::new(Mutex::new(Process {
                _child: child,
                stdin,
                stdout,
            })),
        }
    }

    async fn request(&self, op: &str, code: &str) -> Value {
        let mut p = self.process.lock().await;
        let line = format!("{}\n", json!({"op": op, "code": code}));
        p.stdin
            .write_all(line.as_bytes())
            .await
            .expect("shell stdin");
        p.stdin.flush().await.expect("shell stdin");
        let reply = p
            .stdout
            .next_line()
            .await
            .expect("shell stdout")
            .expect("a reply line");
        serde_json::from_str(&reply).expect("a JSON reply")
    }

    /// Runs `code` as a cell: its output and value go to `sink`.
    pub async fn run(
        &self,
        code: &str,
        sink: &mut (dyn OutputSink + Send),
    ) -> Result<(), ErrorReply> {
        let reply = self.request("run", code).await;
        for (name, key) in [
            (StreamName::Stdout, "stdout"),
            (StreamName::Stderr, "stderr"),
        ] {
            if let Some(text) = reply[key].as_str().filter(|t| !t.is_empty()) {
                sink.stream(name, text);
            }
        }
        if let Some(value) = reply["value"].as_str() {
            sink.execute_result(&json!({"text/plain": value}), &json!({}));
        }
        error_of(&reply)
    }
}

fn error_of(reply: &Value) -> Result<(), ErrorReply> {
    if reply["ok"] == true {
        return Ok(());
    }
    let e = &reply["error"];
    Err(ErrorReply {
        ename: e["ename"].as_str().unwrap_or_default().to_owned(),
        evalue: e["evalue"].as_str().unwrap_or_default().to_owned(),
        traceback: serde_json::from_value(e["traceback"].clone()).unwrap_or_default(),
    })
}

impl LocalExecutor for LocalShell {
    fn run_cell<'a>(
        &'a mut self,
        code: &'a str,
        sink: &'a mut (dyn OutputSink + Send),
    ) -> BoxFuture<'a, Result<(), ErrorReply>> {
        Box::pin(LocalShell::run(self, code, sink))
    }

    fn check_syntax<'a>(&'a mut self, code: &'a str) -> BoxFuture<'a, Result<(), ErrorReply>> {
        Box::pin(async move { error_of(&self.request("check", code).await) })
    }
}
