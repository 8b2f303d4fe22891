//! The local Python that runs a notebook's ordinary cells: a `px-worker` child whose events
//! become the kernel's IOPub messages.

use px_client::StreamName as PxStream;
use px_magics::{BoundResults, ErrorReply, OutputSink};
use px_worker::{
    DisplayData, Event, ExecuteRequest as WorkerRequest, Execution, IsComplete, ReplyStatus,
    StreamName, Worker,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::RwLock;

use crate::backend::{ExecuteOutcome, ExecuteRequest};
use crate::publisher::Publisher;
use crate::sink::KernelSink;

/// The kernel's local Python.
pub struct LocalPython {
    /// `None` once shut down. Executions hold a read lock; interrupts too, so they can reach
    /// a running cell.
    worker: RwLock<Option<Worker>>,
    /// The execution count of the cell being run: nested cells and autopx's check run
    /// under it, as they do inside IPython's own `run_cell`.
    cell: AtomicU64,
}

fn outcome_error(ename: &str, evalue: &str, traceback: Vec<String>) -> ExecuteOutcome {
    ExecuteOutcome::Error {
        ename: ename.to_owned(),
        evalue: evalue.to_owned(),
        traceback,
    }
}

/// Where a local execution's events go: the request's IOPub, or a nested cell's sink.
trait Target: Send {
    fn stream(&mut self, name: StreamName, text: &str);
    fn display(&mut self, d: DisplayData);
    fn update(&mut self, d: DisplayData);
    fn clear(&mut self, wait: bool);
    fn result(&mut self, data: Value, metadata: Value);
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]);
    /// Asks the frontend for a line; `None` refuses the request.
    fn input<'a>(
        &'a mut self,
        prompt: &'a str,
        password: bool,
    ) -> px_magics::BoxFuture<'a, Option<String>>;
    /// Answers the code's call to its host (a `-o NAME` handle asking for its result).
    fn host_call<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a Value,
    ) -> px_magics::BoxFuture<'a, Result<Value, String>>;
}

struct PublisherTarget<'a> {
    out: &'a Publisher,
    execution_count: u64,
    /// What answers host calls; without it they are refused.
    host: Option<&'a BoundResults>,
}

impl Target for PublisherTarget<'_> {
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

/// A nested cell (`%%px --local`): output to the magics' sink; its error is returned, not
/// shown, and it cannot ask for input.
struct SinkTarget<'a> {
    sink: &'a mut (dyn OutputSink + Send),
    error: Option<ErrorReply>,
}

impl Target for SinkTarget<'_> {
    fn stream(&mut self, name: StreamName, text: &str) {
        let name = match name {
            StreamName::Stdout => PxStream::Stdout,
            StreamName::Stderr => PxStream::Stderr,
        };
        self.sink.stream(name, text);
    }
    fn display(&mut self, d: DisplayData) {
        self.sink.display_data(
            &Value::Object(d.data),
            &Value::Object(d.metadata),
            &Value::Object(d.transient),
        );
    }
    fn update(&mut self, d: DisplayData) {
        self.sink.update_display_data(
            &Value::Object(d.data),
            &Value::Object(d.metadata),
            &Value::Object(d.transient),
        );
    }
    fn clear(&mut self, _wait: bool) {}
    fn result(&mut self, data: Value, metadata: Value) {
        self.sink.execute_result(&data, &metadata);
    }
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.error = Some(ErrorReply {
            ename: ename.to_owned(),
            evalue: evalue.to_owned(),
            traceback: traceback.to_vec(),
        });
    }
    fn input<'a>(&'a mut self, _: &'a str, _: bool) -> px_magics::BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
    // The magics are busy running this cell: their results cannot be asked about here.
    fn host_call<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a Value,
    ) -> px_magics::BoxFuture<'a, Result<Value, String>> {
        Box::pin(async { Err("parallel results cannot be read inside %%px --local".to_owned()) })
    }
}

async fn forward_events(run: &mut Execution, target: &mut dyn Target) {
    while let Some(event) = run.next_event().await {
        match event {
            Event::Stream { name, text } => target.stream(name, &text),
            Event::DisplayData(d) => target.display(d),
            Event::UpdateDisplayData(d) => target.update(d),
            Event::ClearOutput { wait } => target.clear(wait),
            Event::ExecuteResult { data, metadata, .. } => {
                target.result(Value::Object(data), Value::Object(metadata))
            }
            Event::Error(e) => target.error(&e.ename, &e.evalue, &e.traceback),
            Event::InputRequest { prompt, password } => {
                let answered = match target.input(&prompt, password).await {
                    Some(value) => run.answer_input(value),
                    None => run.refuse_input(),
                };
                if let Err(e) = answered {
                    tracing::warn!("could not answer input: {e}");
                }
            }
            Event::HostCall { name, args } => {
                let answer = target.host_call(&name, &args).await;
                if let Err(e) = run.answer_host(answer) {
                    tracing::warn!("could not answer a host call: {e}");
                }
            }
        }
    }
}

impl LocalPython {
    /// Wraps a started worker.
    pub fn new(worker: Worker) -> Self {
        LocalPython {
            worker: RwLock::new(Some(worker)),
            cell: AtomicU64::new(0),
        }
    }

    /// Tells the local Python the execution count of the cell about to run, whether it
    /// runs here or on the engines.
    pub fn begin_cell(&self, execution_count: u64) {
        self.cell.store(execution_count, Ordering::SeqCst);
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

    /// Runs `request` locally, publishing what it produces; `host` answers the code's
    /// questions about `-o NAME` results.
    pub async fn execute(
        &self,
        request: &ExecuteRequest,
        out: &Publisher,
        host: Option<&BoundResults>,
    ) -> ExecuteOutcome {
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
        if request.store_history && !request.silent {
            // The kernel's count: cells that ran on the engines count too.
            req = req.execution_count(request.execution_count);
            self.begin_cell(request.execution_count);
        }
        let mut run = match worker.execute(req) {
            Ok(run) => run,
            Err(e) => return outcome_error("WorkerError", &e.to_string(), vec![]),
        };
        let mut target = PublisherTarget {
            out,
            execution_count: request.execution_count,
            host,
        };
        forward_events(&mut run, &mut target).await;
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

    /// Runs `code` as a nested cell for the magics (`%%px --local`).
    pub async fn run_nested(
        &self,
        code: &str,
        sink: &mut (dyn OutputSink + Send),
    ) -> Result<(), ErrorReply> {
        let guard = self.worker.read().await;
        let Some(worker) = guard.as_ref() else {
            return Err(ErrorReply::one_line(
                "RuntimeError",
                "the local Python is shut down",
            ));
        };
        // As IPython's nested `run_cell`: not stored, numbered as the outer cell.
        let request = WorkerRequest::new(code)
            .store_history(false)
            .execution_count(self.cell.load(Ordering::SeqCst));
        let mut run = worker
            .execute(request)
            .map_err(|e| ErrorReply::one_line("WorkerError", e.to_string()))?;
        let mut target = SinkTarget { sink, error: None };
        forward_events(&mut run, &mut target).await;
        let _ = run.reply().await;
        target.error.map_or(Ok(()), Err)
    }

    /// Runs `code` silently for the kernel's own purposes (binding `-o NAME`); a failure is
    /// logged, never shown: the cell that asked has already replied.
    pub async fn run_hidden(&self, code: &str) {
        let guard = self.worker.read().await;
        let Some(worker) = guard.as_ref() else { return };
        let request = WorkerRequest::new(code).silent(true).store_history(false);
        match worker.execute(request) {
            Ok(run) => match run.collect().await {
                Ok(out) => {
                    if let Some(e) = out.error() {
                        tracing::warn!("hidden local code failed: {}: {}", e.ename, e.evalue);
                    }
                }
                Err(e) => tracing::warn!("hidden local code: {e}"),
            },
            Err(e) => tracing::warn!("hidden local code: {e}"),
        }
    }

    /// Whether `code` compiles locally (autopx sends only cells that do): the cell goes
    /// through the local shell's front half as IPython's `run_cell` takes it (transformed,
    /// counted, kept in history, parsed), and its SyntaxError is IPython's, but nothing
    /// runs.
    pub async fn check_syntax(&self, code: &str) -> Result<(), ErrorReply> {
        let guard = self.worker.read().await;
        let Some(worker) = guard.as_ref() else {
            return Ok(());
        };
        let request = WorkerRequest::new(code)
            .syntax_only(true)
            .execution_count(self.cell.load(Ordering::SeqCst));
        let Ok(mut run) = worker.execute(request) else {
            return Ok(());
        };
        let mut sink = px_magics::CaptureSink::new();
        let mut target = SinkTarget {
            sink: &mut sink,
            error: None,
        };
        forward_events(&mut run, &mut target).await;
        let error = target.error.take();
        let _ = run.reply().await;
        error.map_or(Ok(()), Err)
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
