//! The local Python that runs a notebook's ordinary cells: px-magics' [`Python`] (a
//! `px-worker` child, shared with the magics), whose events become the kernel's IOPub
//! messages and whose answers become the kernel's replies.

use std::sync::Arc;

use px_magics::{BoundResults, ErrorReply, LocalOutput, LocalPython as Python, OutputSink};
use px_worker::{
    Completion, DisplayData, ExecuteRequest as WorkerRequest, Inspection, IsComplete, ReplyStatus,
    StreamName,
};
use serde_json::Value;

use crate::backend::{ExecuteOutcome, ExecuteRequest};
use crate::publisher::Publisher;
use crate::sink::KernelSink;

/// The kernel's local Python.
pub struct LocalPython {
    python: Arc<Python>,
}

fn outcome_error(ename: &str, evalue: &str, traceback: Vec<String>) -> ExecuteOutcome {
    ExecuteOutcome::Error {
        ename: ename.to_owned(),
        evalue: evalue.to_owned(),
        traceback,
    }
}

/// A cell's events as this request's IOPub messages.
struct PublisherTarget<'a> {
    out: &'a Publisher,
    execution_count: u64,
    /// What answers the code's calls about `-o NAME` results; without it they are refused.
    host: Option<&'a BoundResults>,
}

impl LocalOutput for PublisherTarget<'_> {
    fn stream(&mut self, name: StreamName, text: &str) {
        self.out.stream(name.as_str(), text);
    }
    fn display(&mut self, d: DisplayData) {
        let transient = (!d.transient.is_empty()).then_some(Value::Object(d.transient));
        self.out
            .display_data(Value::Object(d.data), Value::Object(d.metadata), transient);
    }
    fn update(&mut self, d: DisplayData) {
        self.out.update_display_data(
            Value::Object(d.data),
            Value::Object(d.metadata),
            Value::Object(d.transient),
        );
    }
    fn clear(&mut self, wait: bool) {
        self.out.clear_output(wait);
    }
    // The kernel's count, not the worker's: %px cells count in the notebook but never
    // reach the local Python.
    fn result(&mut self, data: Value, metadata: Value) {
        self.out
            .execute_result(self.execution_count, data, metadata);
    }
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.out.error(ename, evalue, traceback);
    }
    fn input<'a>(
        &'a mut self,
        prompt: &'a str,
        password: bool,
    ) -> px_magics::BoxFuture<'a, Option<String>> {
        Box::pin(async move { self.out.input(prompt, password).await.ok() })
    }
    fn host_call<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a Value,
    ) -> px_magics::BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let Some(host) = self.host else {
                return Err("this kernel holds no parallel results".to_owned());
            };
            let mut sink = KernelSink {
                out: self.out,
                execution_count: self.execution_count,
            };
            host.answer(name, args, &mut sink, true).await
        })
    }
}

impl LocalPython {
    /// Wraps a started worker.
    pub fn new(worker: px_worker::Worker) -> Self {
        LocalPython {
            python: Arc::new(Python::new(worker)),
        }
    }

    /// The same Python, for the magics (`%%px --local`, autopx's syntax check).
    pub(crate) fn shared(&self) -> Arc<Python> {
        self.python.clone()
    }

    /// The local Python's version, for `language_info`.
    pub fn python_version(&self) -> Option<String> {
        self.python.python_version()
    }

    /// Python's version and shell, for the banner.
    pub async fn describe(&self) -> String {
        self.python.describe().await
    }

    /// Tells the local Python the kernel's count of the cell about to run (local or not):
    /// local cells and tracebacks are numbered as the notebook numbers them.
    pub fn begin_cell(&self, execution_count: u64) {
        self.python.begin_cell(execution_count);
    }

    /// Runs `code` silently, for the kernel's own purposes (binding `-o NAME`).
    pub async fn run_hidden(&self, code: &str) {
        self.python.run_hidden(code).await
    }

    /// Runs `request` locally, publishing what it produces; `host` answers the code's
    /// questions about `-o NAME` results.
    pub async fn execute(
        &self,
        request: &ExecuteRequest,
        out: &Publisher,
        host: Option<&BoundResults>,
    ) -> ExecuteOutcome {
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
        if request.store_history && !request.silent {
            // The kernel's count: cells that ran on the engines count too.
            req = req.execution_count(request.execution_count);
            self.begin_cell(request.execution_count);
        }
        let mut target = PublisherTarget {
            out,
            execution_count: request.execution_count,
            host,
        };
        match self.python.execute(req, &mut target).await {
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
            Err(px_worker::WorkerError::Closed) => {
                outcome_error("RuntimeError", "the local Python is shut down", vec![])
            }
            Err(e) => outcome_error("WorkerError", &e.to_string(), vec![]),
        }
    }

    /// Runs `code` as a nested cell for the magics (`%%px --local`).
    pub async fn run_nested(
        &self,
        code: &str,
        sink: &mut (dyn OutputSink + Send),
    ) -> Result<(), ErrorReply> {
        self.python.run_nested(code, sink).await
    }

    /// Whether `code` compiles locally (autopx sends only cells that do).
    pub async fn check_syntax(&self, code: &str) -> Result<(), ErrorReply> {
        self.python.check_syntax(code).await
    }

    /// `is_complete_reply` content.
    pub async fn is_complete(&self, code: &str) -> Value {
        self.python
            .is_complete(code)
            .await
            .unwrap_or(IsComplete::Unknown)
            .reply_content()
    }

    /// `complete_reply` content (empty when the worker cannot say).
    pub async fn complete(&self, code: &str, cursor_pos: usize) -> Value {
        self.python
            .complete(code, cursor_pos)
            .await
            .unwrap_or_else(|| Completion::nothing_at(cursor_pos))
            .reply_content()
    }

    /// `inspect_reply` content.
    pub async fn inspect(&self, code: &str, cursor_pos: usize, detail_level: u8) -> Value {
        self.python
            .inspect(code, cursor_pos, detail_level)
            .await
            .unwrap_or_else(Inspection::not_found)
            .reply_content()
    }

    /// SIGINT to the running cell (harmless when idle).
    pub async fn interrupt(&self) {
        self.python.interrupt().await
    }

    /// Stops the child and everything it started. A running cell is interrupted first; if
    /// it does not let go, the child's own watchdog ends it when the kernel exits.
    pub async fn shutdown(&self) {
        self.python.shutdown().await
    }
}

impl crate::backend::Backend for LocalPython {
    fn language_info(&self) -> Value {
        crate::backend::python_language_info(self.python.python_version().as_deref())
    }

    fn banner(&self) -> String {
        "Parallel (Rust): Python locally, %px on the engines".to_owned()
    }

    async fn execute(&self, request: ExecuteRequest, out: Publisher) -> ExecuteOutcome {
        LocalPython::execute(self, &request, &out, None).await
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
