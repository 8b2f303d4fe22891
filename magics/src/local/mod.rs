//! [`LocalPython`]: the host's local namespace, a `px-worker` Python child. Both hosts
//! (the kernel and pxsh) run ordinary cells there, and the magics use it for `%%px
//! --local` and autopx's syntax check ([`LocalExecutor`]).

mod output;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use px_worker::{
    Completion, ExecuteReply, ExecuteRequest, Inspection, IsComplete, Worker, WorkerError,
};
use tokio::sync::RwLock;

use crate::render::OutputSink;
use crate::session::{BoxFuture, ErrorReply, LocalExecutor};

pub use output::LocalOutput;
use output::{forward_events, SinkOutput};

/// How long shutdown waits for an interrupted cell to let go of the worker.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A session's local Python: one worker, shared by the host's cells, the magics and
/// interrupts (all methods take `&self`).
///
/// Executions hold the worker for reading, so an interrupt reaches a running cell;
/// [`LocalPython::shutdown`] takes it for good. After shutdown every call fails or
/// answers "don't know".
pub struct LocalPython {
    worker: RwLock<Option<Worker>>,
    /// The host's count of the cell being run: nested cells and autopx's check run under
    /// it, as they do inside IPython's own `run_cell`.
    cell: AtomicU64,
}

impl std::fmt::Debug for LocalPython {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPython").finish_non_exhaustive()
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

    /// Tells the local Python the host's count of the cell about to run, whether it runs
    /// here or on the engines: the host counts cells the worker never sees.
    pub fn begin_cell(&self, execution_count: u64) {
        self.cell.store(execution_count, Ordering::SeqCst);
    }

    fn current_cell(&self) -> u64 {
        self.cell.load(Ordering::SeqCst)
    }

    /// The local Python's version (`3.11.7`), if it is known now without waiting.
    pub fn python_version(&self) -> Option<String> {
        let guard = self.worker.try_read().ok()?;
        Some(guard.as_ref()?.info()?.python_version)
    }

    /// Python's version and shell, for a banner: `Python 3.11.7 — IPython 9.18.1`.
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

    /// Runs `request`, handing what it produces to `out`, and returns how it ended. A
    /// counted request runs under the host's count (see [`LocalPython::begin_cell`]).
    pub async fn execute(
        &self,
        mut request: ExecuteRequest,
        out: &mut dyn LocalOutput,
    ) -> Result<ExecuteReply, WorkerError> {
        if request.store_history && !request.silent && request.execution_count.is_none() {
            request = request.execution_count(self.current_cell());
        }
        let guard = self.worker.read().await;
        let worker = guard.as_ref().ok_or(WorkerError::Closed)?;
        let mut run = worker.execute(request)?;
        forward_events(&mut run, out).await;
        run.reply().await
    }

    /// Runs `code` as a nested cell for the magics (`%%px --local`): output and value to
    /// `sink`, the exception returned unshown.
    pub async fn run_nested(
        &self,
        code: &str,
        sink: &mut (dyn OutputSink + Send),
    ) -> Result<(), ErrorReply> {
        // As IPython's nested `run_cell`: not stored, numbered as the outer cell.
        let request = ExecuteRequest::new(code)
            .store_history(false)
            .execution_count(self.current_cell());
        let mut out = SinkOutput { sink, error: None };
        if let Err(e) = self.execute(request, &mut out).await {
            return Err(ErrorReply::one_line("WorkerError", e.to_string()));
        }
        out.error.map_or(Ok(()), Err)
    }

    /// Runs `code` silently for the host's own purposes (binding `-o NAME`); a failure is
    /// logged, never shown: the cell that asked has already ended.
    pub async fn run_hidden(&self, code: &str) {
        let guard = self.worker.read().await;
        let Some(worker) = guard.as_ref() else { return };
        let request = ExecuteRequest::new(code).silent(true).store_history(false);
        let collected = match worker.execute(request) {
            Ok(run) => run.collect().await,
            Err(e) => Err(e),
        };
        match collected {
            Ok(out) => {
                if let Some(e) = out.error() {
                    tracing::warn!("hidden local code failed: {}: {}", e.ename, e.evalue);
                }
            }
            Err(e) => tracing::warn!("hidden local code: {e}"),
        }
    }

    /// Whether `code` compiles locally (autopx sends only cells that do): the cell goes
    /// through the local shell's front half as IPython's `run_cell` takes it (transformed,
    /// counted, kept in history, parsed), and its SyntaxError is IPython's, but nothing
    /// runs. Without an answer (the worker is gone), the cell passes: the engines judge it.
    pub async fn check_syntax(&self, code: &str) -> Result<(), ErrorReply> {
        let request = ExecuteRequest::new(code)
            .syntax_only(true)
            .execution_count(self.current_cell());
        let mut sink = crate::render::CaptureSink::new();
        let mut out = SinkOutput {
            sink: &mut sink,
            error: None,
        };
        match self.execute(request, &mut out).await {
            Ok(_) => out.error.map_or(Ok(()), Err),
            Err(_) => Ok(()),
        }
    }

    /// Whether `code` is ready to run, as the shell's input transformations see it;
    /// `None` when the worker cannot say.
    pub async fn is_complete(&self, code: &str) -> Option<IsComplete> {
        let guard = self.worker.read().await;
        guard.as_ref()?.is_complete(code).await.ok()
    }

    /// Completions at `cursor_pos` (code points); `None` when the worker cannot say.
    pub async fn complete(&self, code: &str, cursor_pos: usize) -> Option<Completion> {
        let guard = self.worker.read().await;
        guard.as_ref()?.complete(code, cursor_pos).await.ok()
    }

    /// Help for the name at `cursor_pos`; `None` when the worker cannot say.
    pub async fn inspect(
        &self,
        code: &str,
        cursor_pos: usize,
        detail_level: u8,
    ) -> Option<Inspection> {
        let guard = self.worker.read().await;
        guard
            .as_ref()?
            .inspect(code, cursor_pos, detail_level)
            .await
            .ok()
    }

    /// SIGINT to the running cell (harmless when idle).
    pub async fn interrupt(&self) {
        if let Some(w) = self.worker.read().await.as_ref() {
            w.interrupt();
        }
    }

    /// Stops the child and everything it started. A running cell is interrupted first; if
    /// it does not let go, the child's own watchdog ends it when the host exits.
    pub async fn shutdown(&self) {
        self.interrupt().await;
        let lock = tokio::time::timeout(SHUTDOWN_GRACE, self.worker.write());
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

/// The magics' local namespace is the host's local Python.
impl LocalExecutor for Arc<LocalPython> {
    fn run_cell<'a>(
        &'a mut self,
        code: &'a str,
        sink: &'a mut (dyn OutputSink + Send),
    ) -> BoxFuture<'a, Result<(), ErrorReply>> {
        Box::pin(async move { self.run_nested(code, sink).await })
    }

    fn check_syntax<'a>(&'a mut self, code: &'a str) -> BoxFuture<'a, Result<(), ErrorReply>> {
        Box::pin(async move { LocalPython::check_syntax(self, code).await })
    }
}
