//! The local Python that runs a notebook's ordinary cells: a `px-worker` child whose events
//! become the kernel's IOPub messages.

use px_worker::{Event, ExecuteRequest as WorkerRequest, IsComplete, ReplyStatus, Worker};
use serde_json::{json, Value};
use tokio::sync::RwLock;

use crate::backend::{ExecuteOutcome, ExecuteRequest};
use crate::publisher::Publisher;

/// The kernel's local Python.
pub struct LocalPython {
    /// `None` once shut down. Executions hold a read lock; interrupts too, so they can reach
    /// a running cell.
    worker: RwLock<Option<Worker>>,
}

fn outcome_error(ename: &str, evalue: &str, traceback: Vec<String>) -> ExecuteOutcome {
    ExecuteOutcome::Error {
        ename: ename.to_owned(),
        evalue: evalue.to_owned(),
        traceback,
    }
}

impl LocalPython {
    /// Wraps a started worker.
    pub fn new(worker: Worker) -> Self {
        LocalPython {
            worker: RwLock::new(Some(worker)),
        }
    }

    /// Python's version and shell, for the banner.
    pub async fn describe(&self) -> String {
        let guard = self.worker.read().await;
        match guard.as_ref().and_then(Worker::info) {
            Some(info) => match info.ipython_version {
                Some(v) => format!("Python {} — IPython {v}", info.python_version),
                None => format!("Python {}", info.python_version),
            },
            None => "Python".to_owned(),
        }
    }

    /// Runs `request` locally, publishing what it produces.
    pub async fn execute(&self, request: &ExecuteRequest, out: &Publisher) -> ExecuteOutcome {
        let guard = self.worker.read().await;
        let Some(worker) = guard.as_ref() else {
            return outcome_error("RuntimeError", "the local Python is shut down", vec![]);
        };
        let mut user_expressions = std::collections::BTreeMap::new();
        if let Some(map) = request.user_expressions.as_object() {
            for (k, v) in map {
                if let Some(expr) = v.as_str() {
                    user_expressions.insert(k.clone(), expr.to_owned());
                }
            }
        }
        let mut req = WorkerRequest::new(request.code.clone())
            .silent(request.silent)
            .store_history(request.store_history)
            .allow_stdin(request.allow_stdin);
        req.user_expressions = user_expressions;
        let mut run = match worker.execute(req) {
            Ok(run) => run,
            Err(e) => return outcome_error("WorkerError", &e.to_string(), vec![]),
        };
        while let Some(event) = run.next_event().await {
            match event {
                Event::Stream { name, text } => out.stream(name.as_str(), &text),
                Event::DisplayData(d) => out.display_data(
                    Value::Object(d.data),
                    Value::Object(d.metadata),
                    (!d.transient.is_empty()).then_some(Value::Object(d.transient)),
                ),
                Event::UpdateDisplayData(d) => out.update_display_data(
                    Value::Object(d.data),
                    Value::Object(d.metadata),
                    Value::Object(d.transient),
                ),
                Event::ClearOutput { wait } => out.clear_output(wait),
                // The kernel's count, not the worker's: %px cells count in the notebook
                // but never reach the local Python.
                Event::ExecuteResult { data, metadata, .. } => out.execute_result(
                    request.execution_count,
                    Value::Object(data),
                    Value::Object(metadata),
                ),
                Event::Error(e) => out.error(&e.ename, &e.evalue, &e.traceback),
                Event::InputRequest { prompt, password } => {
                    let answered = match out.input(&prompt, password).await {
                        Ok(value) => run.answer_input(value),
                        Err(_) => run.refuse_input(),
                    };
                    if let Err(e) = answered {
                        tracing::warn!("could not answer input: {e}");
                    }
                }
            }
        }
        match run.reply().await {
            Ok(reply) => match reply.status {
                ReplyStatus::Ok => ExecuteOutcome::Ok {
                    user_expressions: Value::Object(reply.user_expressions),
                },
                ReplyStatus::Error => {
                    let e = reply.error.unwrap_or_default();
                    outcome_error(&e.ename, &e.evalue, e.traceback)
                }
                ReplyStatus::Aborted => {
                    outcome_error("RuntimeError", "the local Python was stopped", vec![])
                }
            },
            Err(e) => outcome_error("WorkerError", &e.to_string(), vec![]),
        }
    }

    /// `is_complete_reply` content.
    pub async fn is_complete(&self, code: &str) -> Value {
        let guard = self.worker.read().await;
        let answer = match guard.as_ref() {
            Some(w) => w.is_complete(code).await.ok(),
            None => None,
        };
        match answer {
            Some(IsComplete::Complete) => json!({"status": "complete"}),
            Some(IsComplete::Incomplete { indent }) => {
                json!({"status": "incomplete", "indent": indent})
            }
            Some(IsComplete::Invalid) => json!({"status": "invalid"}),
            _ => json!({"status": "unknown"}),
        }
    }

    /// `complete_reply` content (empty when the worker cannot say).
    pub async fn complete(&self, code: &str, cursor_pos: usize) -> Value {
        let guard = self.worker.read().await;
        let answer = match guard.as_ref() {
            Some(w) => w.complete(code, cursor_pos).await.ok(),
            None => None,
        };
        match answer {
            Some(c) => json!({"matches": c.matches, "cursor_start": c.cursor_start,
                              "cursor_end": c.cursor_end, "metadata": c.metadata}),
            None => json!({"matches": [], "cursor_start": cursor_pos,
                           "cursor_end": cursor_pos, "metadata": {}}),
        }
    }

    /// `inspect_reply` content.
    pub async fn inspect(&self, code: &str, cursor_pos: usize, detail_level: u8) -> Value {
        let guard = self.worker.read().await;
        let answer = match guard.as_ref() {
            Some(w) => w.inspect(code, cursor_pos, detail_level).await.ok(),
            None => None,
        };
        match answer {
            Some(i) => json!({"found": i.found, "data": i.data, "metadata": i.metadata}),
            None => json!({"found": false, "data": {}, "metadata": {}}),
        }
    }

    /// SIGINT to the running cell (harmless when idle).
    pub async fn interrupt(&self) {
        if let Some(w) = self.worker.read().await.as_ref() {
            w.interrupt();
        }
    }

    /// Stops the child and everything it started. A running cell is interrupted first; if
    /// it does not let go, the child's own watchdog ends it when the kernel exits.
    pub async fn shutdown(&self) {
        self.interrupt().await;
        let lock = tokio::time::timeout(std::time::Duration::from_secs(3), self.worker.write());
        let Ok(mut guard) = lock.await else {
            return tracing::warn!("the local Python did not stop its cell in time");
        };
        if let Some(w) = guard.take() {
            if let Err(e) = w.shutdown().await {
                tracing::warn!("stopping the local Python: {e}");
            }
        }
    }
}

impl crate::backend::Backend for LocalPython {
    fn language_info(&self) -> Value {
        crate::backend::python_language_info()
    }

    fn banner(&self) -> String {
        "Parallel (Rust): Python locally, %px on the engines".to_owned()
    }

    async fn execute(&self, request: ExecuteRequest, out: Publisher) -> ExecuteOutcome {
        LocalPython::execute(self, &request, &out).await
    }

    async fn is_complete(&self, code: &str) -> Value {
        LocalPython::is_complete(self, code).await
    }

    async fn complete(&self, code: &str, cursor_pos: usize) -> Value {
        LocalPython::complete(self, code, cursor_pos).await
    }

    async fn inspect(&self, code: &str, cursor_pos: usize, detail_level: u8) -> Value {
        LocalPython::inspect(self, code, cursor_pos, detail_level).await
    }

    async fn interrupt(&self) {
        LocalPython::interrupt(self).await
    }

    async fn shutdown(&self) {
        LocalPython::shutdown(self).await
    }
}
