//! The protocol server against jupyter_client, with a small scripted backend standing in for
//! Python: message order, replies, stdin, interrupt on control, stop_on_error, shutdown.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use px_kernel::{Backend, ExecuteOutcome, ExecuteRequest, Publisher};
use px_wire::KernelConnectionInfo;
use serde_json::{json, Value};
use tokio::sync::Notify;

/// Runs the tiny language `print:TEXT`, `value`, `fail`, `slowfail`, `input:PROMPT`, `sleep`.
#[derive(Default)]
struct Scripted {
    interrupted: Notify,
}

impl Backend for Scripted {
    fn language_info(&self) -> Value {
        json!({"name": "scripted", "version": "1", "mimetype": "text/plain", "file_extension": ".txt"})
    }

    fn banner(&self) -> String {
        "scripted test backend".into()
    }

    async fn execute(&self, req: ExecuteRequest, out: Publisher) -> ExecuteOutcome {
        let code = req.code.as_str();
        if let Some(text) = code.strip_prefix("print:") {
            out.stream("stdout", &format!("{text}\n"));
        } else if code == "value" {
            out.execute_result(req.execution_count, json!({"text/plain": "42"}), json!({}));
        } else if let Some(prompt) = code.strip_prefix("input:") {
            match out.input(prompt, false).await {
                Ok(v) => out.stream("stdout", &format!("got {v}\n")),
                Err(e) => out.stream("stderr", &e.to_string()),
            }
        } else if code == "sleep" {
            tokio::select! {
                _ = self.interrupted.notified() => {
                    let tb = vec!["KeyboardInterrupt".to_string()];
                    out.error("KeyboardInterrupt", "", &tb);
                    return ExecuteOutcome::Error { ename: "KeyboardInterrupt".into(), evalue: String::new(), traceback: tb };
                }
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        } else if code == "fail" || code == "slowfail" {
            if code == "slowfail" {
                // Long enough for the next cell to be queued behind this one.
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            let tb = vec!["ValueError: boom".to_string()];
            out.error("ValueError", "boom", &tb);
            return ExecuteOutcome::Error {
                ename: "ValueError".into(),
                evalue: "boom".into(),
                traceback: tb,
            };
        }
        ExecuteOutcome::Ok {
            user_expressions: json!({}),
        }
    }

    async fn is_complete(&self, code: &str) -> Value {
        if code.ends_with(':') {
            json!({"status": "incomplete", "indent": "    "})
        } else {
            json!({"status": "complete"})
        }
    }

    async fn complete(&self, code: &str, cursor_pos: usize) -> Value {
        let matches: Vec<&str> = ["print", "property"]
            .into_iter()
            .filter(|m| m.starts_with(code))
            .collect();
        json!({"matches": matches, "cursor_start": 0, "cursor_end": cursor_pos, "metadata": {}})
    }

    async fn inspect(&self, _code: &str, _cursor_pos: usize, _detail: u8) -> Value {
        json!({"found": false, "data": {}, "metadata": {}})
    }

    async fn interrupt(&self) {
        self.interrupted.notify_one();
    }

    async fn shutdown(&self) {}
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> PathBuf {
    std::env::var_os("PX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python"))
        })
}

fn types(seen: &Value) -> Vec<String> {
    seen.as_array()
        .unwrap()
        .iter()
        .map(|m| m["msg_type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jupyter_client_drives_the_kernel_like_a_notebook() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kernel-test.json");
    let info = KernelConnectionInfo {
        shell_port: free_port(),
        iopub_port: free_port(),
        stdin_port: free_port(),
        control_port: free_port(),
        hb_port: free_port(),
        ip: "127.0.0.1".into(),
        key: px_wire::new_id(),
        transport: "tcp".into(),
        signature_scheme: "hmac-sha256".into(),
        kernel_name: "parallel-rust".into(),
    };
    info.save(&file).unwrap();
    let server =
        tokio::spawn(async move { px_kernel::serve(&info, Arc::new(Scripted::default())).await });
    let py = python();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(&py)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/peers/frontend.py"
            ))
            .arg(&file)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("frontend timed out")
    .unwrap_or_else(|e| {
        panic!(
            "cannot run {}: {e} (run bash scripts/setup-venv.sh)",
            py.display()
        )
    });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(r["kernel_info"]["implementation"], "parallel-rust");
    assert_eq!(r["kernel_info"]["protocol_version"], "5.3");
    assert_eq!(r["execute_reply"]["status"], "ok");
    assert_eq!(r["execute_reply"]["execution_count"], 1);
    assert_eq!(
        types(&r["execute_iopub"]),
        ["status", "execute_input", "stream", "status"]
    );
    assert_eq!(r["execute_iopub"][0]["content"]["execution_state"], "busy");
    assert_eq!(r["execute_iopub"][1]["content"]["code"], "print:hello");
    assert_eq!(r["execute_iopub"][2]["content"]["text"], "hello\n");
    assert_eq!(
        types(&r["value_iopub"]),
        ["status", "execute_input", "execute_result", "status"]
    );
    assert_eq!(r["value_iopub"][2]["content"]["execution_count"], 2);
    assert_eq!(r["is_complete"]["status"], "incomplete");
    assert_eq!(r["complete"]["matches"], json!(["print"]));
    assert_eq!(r["complete"]["status"], "ok");
    assert_eq!(r["fail_then_queued"], json!(["error", "aborted"]));
    // As ipykernel: error replies carry the engine info ipyparallel once relied on.
    let info = &r["error_reply"]["engine_info"];
    assert_eq!(info["engine_id"], -1);
    assert_eq!(info["method"], "execute");
    assert!(info["engine_uuid"].as_str().is_some_and(|u| !u.is_empty()));
    assert_eq!(r["input_request"]["prompt"], "name? ");
    assert_eq!(r["input_iopub"][2]["content"]["text"], "got Ada\n");
    assert_eq!(r["interrupt_reply"]["status"], "ok");
    assert_eq!(r["interrupted_reply"], "error");
    assert!(r["interrupt_seconds"].as_f64().unwrap() < 2.0);
    assert_eq!(r["shutdown_reply"]["status"], "ok");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the kernel did not stop after shutdown_request")
        .unwrap()
        .unwrap();
}
