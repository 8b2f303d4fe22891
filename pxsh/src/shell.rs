//! [`Shell`]: one pxsh session — the local Python, the parallel magics, the cluster — and
//! how one cell runs, Ctrl-C included.

use std::sync::Arc;

use px_cluster::ClusterFinder;
use px_magics::{parse_cell, BoundResults, InterruptHandle, LocalPython, Outcome, PxMagics};
use px_worker::{ExecuteRequest, IsComplete, ReplyStatus, Worker, WorkerConfig, WorkerError};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Mutex;

use crate::console::Console;

/// Turns the local IPython's colours off (`--colors=NoColor`); nothing without IPython.
const NO_COLOR_IN_PYTHON: &str =
    "try:\n    get_ipython().colors = 'nocolor'\nexcept Exception:\n    pass\n";

/// How long a controller may take to answer before pxsh counts its cluster as gone.
const CONTROLLER_PROBE: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The local Python did not start.
    #[error("could not start the local Python: {0}")]
    Python(#[from] WorkerError),
    /// Ctrl-C could not be caught (no signal support).
    #[error("could not install the Ctrl-C handler: {0}")]
    Signal(std::io::Error),
}

/// How a cell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellStatus {
    /// It ran (autopx cells whose engines failed count as run, as in the kernel).
    Ok,
    /// It raised; the error has been shown.
    Error,
    /// Ctrl-C stopped it.
    Interrupted,
}

/// A session: the local Python runs ordinary cells, [`PxMagics`] the parallel ones.
pub struct Shell {
    python: Arc<LocalPython>,
    magics: PxMagics,
    interrupt: InterruptHandle,
    finder: Arc<Mutex<ClusterFinder>>,
    console: Console,
    /// The number of the next cell (IPython's `execution_count`).
    count: u64,
    /// Results bound by `-o NAME`, which the local Python's handles ask about.
    bound: BoundResults,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl Shell {
    /// Starts the local Python with `python`; magics find engines through `finder` when
    /// they first need them. `progress_after` overrides the view's progress-bar delay.
    pub async fn start(
        python: WorkerConfig,
        finder: ClusterFinder,
        color: bool,
        progress_after: Option<f64>,
    ) -> Result<Shell, ShellError> {
        // Catch Ctrl-C from now on: once caught, SIGINT never again ends pxsh itself.
        let _installed = signal(SignalKind::interrupt()).map_err(ShellError::Signal)?;
        let worker = Worker::start(python).await?;
        let python = Arc::new(LocalPython::new(worker));
        if !color {
            // Without colour IPython's own output is plain too: escape codes are filtered
            // out on the way, but the pretty printer counts them in a line's width (a list
            // of `Out[0:3]: 5` results wraps where IPython's plain terminal keeps it on one
            // line).
            python.run_hidden(NO_COLOR_IN_PYTHON).await;
        }
        let finder = Arc::new(Mutex::new(finder));
        let connector = finder.clone();
        let mut magics = PxMagics::new(move || {
            let finder = connector.clone();
            async move { finder.lock().await.connect().await.map(|f| f.client) }
        })
        .with_local_executor(python.clone())
        .with_color(color);
        if let (Some(delay), Some(view)) = (progress_after, magics.view_mut("")) {
            view.progress_after = delay;
        }
        let interrupt = magics.interrupt_handle();
        let bound = BoundResults::default();
        let mut console = Console::new(color);
        console.answer_results_from(bound.clone());
        Ok(Shell {
            python,
            magics,
            interrupt,
            finder,
            console,
            count: 1,
            bound,
        })
    }

    /// The number the next cell runs as.
    pub fn execution_count(&self) -> u64 {
        self.count
    }

    /// Whether autopx is on: every cell goes to the engines.
    pub fn autopx(&self) -> bool {
        self.magics.autopx().is_some()
    }

    /// The local Python (for completion).
    pub fn python(&self) -> Arc<LocalPython> {
        self.python.clone()
    }

    /// The console cells print on.
    pub fn console(&mut self) -> &mut Console {
        &mut self.console
    }

    /// Python's version and shell, for the banner.
    pub async fn describe(&self) -> String {
        self.python.describe().await
    }

    /// Whether `cell` (its lines joined by `\n`, as typed so far) is ready to run. A
    /// cell magic takes every line up to a blank one (IPython's rule); anything else is
    /// Python's (and IPython's input transformations') judgement. An unknown answer runs
    /// the cell: better an error than a prompt that never ends.
    pub async fn is_complete(&self, cell: &str) -> IsComplete {
        if cell.trim_start().starts_with("%%") {
            if ends_with_blank_line(cell) {
                return IsComplete::Complete;
            }
            // Indent the body as Python would, though only a blank line ends the cell.
            let body = cell.split_once('\n').map_or("", |(_, body)| body);
            let indent = match self.python.is_complete(body).await {
                Some(IsComplete::Incomplete { indent }) if !body.is_empty() => indent,
                _ => String::new(),
            };
            return IsComplete::Incomplete { indent };
        }
        self.python
            .is_complete(cell)
            .await
            .unwrap_or(IsComplete::Complete)
    }

    /// Connects now, printing the one-line notice of a started cluster. A failure is
    /// printed if `report` (else the magics report it when they next need engines).
    /// Ctrl-C abandons the attempt. Returns whether the magics have a client.
    pub async fn connect(&mut self, report: bool) -> bool {
        if self.magics.client().is_some() {
            return true;
        }
        let found = {
            let mut finder = self.finder.lock().await;
            match signal(SignalKind::interrupt()) {
                Ok(mut interrupts) => tokio::select! {
                    found = finder.connect() => Some(found),
                    _ = interrupts.recv() => None,
                },
                Err(_) => Some(finder.connect().await),
            }
        };
        match found {
            Some(Ok(found)) => {
                if let Some(notice) = found.notice {
                    self.console.print(&notice);
                }
                self.magics.set_client(found.client);
                true
            }
            Some(Err(e)) if report => {
                self.console.eprint(&format!("ConnectionError: {e}\n"));
                false
            }
            Some(Err(_)) => false,
            None => {
                self.console.eprint("\nKeyboardInterrupt\n");
                false
            }
        }
    }

    /// Runs one cell: a parallel magic (or any cell while autopx is on) on the engines,
    /// anything else in the local Python. Ctrl-C interrupts the engines' wait (and the
    /// engines), or else the local Python; a second Ctrl-C abandons the cell.
    pub async fn run_cell(&mut self, cell: &str) -> CellStatus {
        if cell.trim().is_empty() {
            return CellStatus::Ok;
        }
        let n = self.count;
        self.count += 1;
        self.console.set_execution_count(n);
        self.python.begin_cell(n);
        let is_magic = self.autopx() || parse_cell(cell, &self.magics.suffixes()).is_some();
        if is_magic && self.magics.client().is_none() {
            // Before the cell's own output, so a started cluster's notice comes first.
            self.connect(false).await;
        }
        let interrupt = self.interrupt.clone();
        let python = self.python.clone();
        let bound = self.bound.clone();
        let mut interrupts = match signal(SignalKind::interrupt()) {
            Ok(s) => s,
            Err(e) => {
                self.console
                    .eprint(&format!("pxsh: Ctrl-C is not caught: {e}\n"));
                return self.run_uninterruptible(cell, is_magic).await;
            }
        };
        let mut interrupted = false;
        let finished = {
            let run = run_one(
                &mut self.magics,
                &python,
                &bound,
                &mut self.console,
                cell,
                is_magic,
            );
            tokio::pin!(run);
            loop {
                tokio::select! {
                    status = &mut run => break Some(status),
                    _ = interrupts.recv() => {
                        if interrupted {
                            // The cell does not let go: leave it.
                            break None;
                        }
                        interrupted = true;
                        if !interrupt.interrupt() {
                            bound.interrupt_waits();
                            python.interrupt().await;
                        }
                    }
                }
            }
        };
        if is_magic && finished == Some(CellStatus::Error) {
            self.forget_a_lost_cluster().await;
        }
        match finished {
            // A script stops at an interrupted cell, whether or not it then raised.
            Some(_) if interrupted => CellStatus::Interrupted,
            Some(status) => status,
            None => {
                // The abandoned wait may have left its bar on screen.
                px_magics::OutputSink::progress(&mut self.console, 0, 0, true);
                self.console.eprint("\nKeyboardInterrupt\n");
                CellStatus::Interrupted
            }
        }
    }

    /// After a failed magic: if the controller no longer answers, says so and drops the
    /// client, so that the next magic looks for a cluster again instead of failing on
    /// the dead one.
    async fn forget_a_lost_cluster(&mut self) {
        let Some(client) = self.magics.client() else {
            return;
        };
        if client.controller_alive(CONTROLLER_PROBE).await {
            return;
        }
        self.magics.disconnect();
        self.console.eprint(
            "The cluster is gone (its controller does not answer); the next parallel magic looks for one again.\n",
        );
    }

    async fn run_uninterruptible(&mut self, cell: &str, is_magic: bool) -> CellStatus {
        let python = self.python.clone();
        let bound = self.bound.clone();
        run_one(
            &mut self.magics,
            &python,
            &bound,
            &mut self.console,
            cell,
            is_magic,
        )
        .await
    }

    /// Stops the local Python and the cluster pxsh started, if any.
    pub async fn shutdown(self) {
        // The client first: connected to a stopped controller it would retry and warn.
        drop(self.magics);
        self.python.shutdown().await;
        self.finder.lock().await.stop().await;
    }
}

/// One cell, without the Ctrl-C handling.
async fn run_one(
    magics: &mut PxMagics,
    python: &LocalPython,
    bound: &BoundResults,
    console: &mut Console,
    cell: &str,
    is_magic: bool,
) -> CellStatus {
    if is_magic {
        let outcome = magics.run(cell, console).await;
        if let Some(stored) = outcome.stored() {
            // `-o NAME`: a handle on the result in the local namespace.
            python.run_hidden(&bound.bind(stored)).await;
        }
        match outcome {
            Outcome::NotMagic => {}
            Outcome::Ok { .. } => return CellStatus::Ok,
            Outcome::Error { .. } => return CellStatus::Error,
        }
    }
    let reply = python
        .execute(ExecuteRequest::new(cell).allow_stdin(true), console)
        .await;
    px_magics::OutputSink::flush(console);
    match reply {
        Ok(reply) if reply.status == ReplyStatus::Ok => CellStatus::Ok,
        Ok(_) => CellStatus::Error,
        Err(e) => {
            console.eprint(&format!("pxsh: the local Python failed: {e}\n"));
            CellStatus::Error
        }
    }
}

/// Whether the last of `cell`'s lines is blank (and it has more than one).
fn ends_with_blank_line(cell: &str) -> bool {
    cell.rsplit_once('\n')
        .is_some_and(|(_, last)| last.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_magic_ends_at_a_blank_line() {
        assert!(!ends_with_blank_line("%%px"));
        assert!(!ends_with_blank_line("%%px\nprint(1)"));
        assert!(ends_with_blank_line("%%px\nprint(1)\n"));
        assert!(ends_with_blank_line("%%px\nprint(1)\n   "));
    }
}
