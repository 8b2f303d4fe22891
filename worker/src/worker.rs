//! The handle callers hold: start, execute, interrupt, helpers, restart, shutdown.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::WorkerConfig;
use crate::error::{Result, WorkerError};
use crate::execution::Execution;
use crate::info::WorkerInfo;
use crate::job::Job;
use crate::process::{signal_group, signal_process, Process};
use crate::protocol::{FromChild, ToChild};
use crate::reply::{ApplyReply, Completion, Inspection, IsComplete};
use crate::request::{ApplyRequest, ExecuteRequest};
use crate::supervisor::{lock, Command, Shared, Supervisor};

/// Events an execution may have in flight before the worker waits for its reader.
const EVENT_BUFFER: usize = 64;

/// A supervised Python child process.
///
/// Requests are served one at a time in the order they were made; a request made while an
/// execution runs waits for it. [`interrupt`](Worker::interrupt) acts at once. Dropping the
/// worker kills the child and everything it started.
#[derive(Debug)]
pub struct Worker {
    commands: mpsc::UnboundedSender<Command>,
    stop: watch::Sender<bool>,
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts Python and waits until it is ready to run code.
    pub async fn start(config: WorkerConfig) -> Result<Worker> {
        let process = Process::start(&config).await?;
        let shared = Arc::new(Shared::default());
        let (commands, queue) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let supervisor = Supervisor::new(config, process, queue, stop_rx, shared.clone());
        let task = tokio::spawn(supervisor.run());
        Ok(Worker {
            commands,
            stop,
            shared,
            task: Some(task),
        })
    }

    /// Facts about the current child, `None` while it is being restarted.
    pub fn info(&self) -> Option<WorkerInfo> {
        lock(&self.shared.info).clone()
    }

    /// Queues `request`; its events and reply come through the returned [`Execution`].
    pub fn execute(&self, request: ExecuteRequest) -> Result<Execution> {
        let (updates, updates_rx) = mpsc::channel(EVENT_BUFFER);
        let (answers, answers_rx) = mpsc::unbounded_channel();
        let counted = request.store_history && !request.silent;
        self.commands
            .send(Command::Execute(Job {
                request: ToChild::Execute(request),
                buffers: Vec::new(),
                counted,
                updates,
                answers: answers_rx,
            }))
            .map_err(|_| WorkerError::Closed)?;
        Ok(Execution::new(updates_rx, answers))
    }

    /// Queues a function call from an ipyparallel client; like an execution, its output
    /// comes as events, then the reply carries the serialized result. It runs in the same
    /// namespace as executions, and does not move the execution count.
    pub fn apply(&self, request: ApplyRequest) -> Result<Execution<ApplyReply>> {
        let (updates, updates_rx) = mpsc::channel(EVENT_BUFFER);
        let (answers, answers_rx) = mpsc::unbounded_channel();
        self.commands
            .send(Command::Apply(Job {
                request: ToChild::Apply,
                buffers: request.buffers,
                counted: false,
                updates,
                answers: answers_rx,
            }))
            .map_err(|_| WorkerError::Closed)?;
        Ok(Execution::new(updates_rx, answers))
    }

    /// Sends SIGINT to the child's process group: running code gets `KeyboardInterrupt`
    /// (its namespace survives), a running `!command` is interrupted too. An idle worker
    /// ignores it.
    pub fn interrupt(&self) {
        signal_group(self.shared.pgid.load(Ordering::SeqCst), libc::SIGINT);
    }

    /// Sends `signal` to the Python process itself (not its subprocesses), as if it had
    /// been sent to an engine: a handler the code installed with `signal.signal` runs.
    /// SIGINT is better sent with [`interrupt`](Worker::interrupt). A signal that kills
    /// Python is a crash like any other: the worker restarts.
    pub fn signal(&self, signal: i32) {
        signal_process(self.shared.pgid.load(Ordering::SeqCst), signal);
    }

    /// Empties the user namespace, as IPython's `%reset -f` does (an engine's
    /// `clear_request`); the count is kept. The reset is queued by this call, before any
    /// request made after it, and runs once a running execution has ended; the returned
    /// future resolves when it is done.
    pub fn reset(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let answer = self.send_query(ToChild::Reset);
        async move {
            match answer?.await.map_err(|_| WorkerError::Closed)?? {
                FromChild::ResetReply => Ok(()),
                FromChild::Failed { message } => Err(WorkerError::Python(message)),
                other => Err(unexpected(other)),
            }
        }
    }

    /// Whether `code` is ready to run, as a console decides when Enter runs a cell.
    pub async fn is_complete(&self, code: &str) -> Result<IsComplete> {
        let reply = self
            .query(ToChild::IsComplete {
                code: code.to_owned(),
            })
            .await?;
        match reply {
            FromChild::IsCompleteReply { status, indent } => Ok(match status.as_str() {
                "complete" => IsComplete::Complete,
                "incomplete" => IsComplete::Incomplete { indent },
                "invalid" => IsComplete::Invalid,
                _ => IsComplete::Unknown,
            }),
            other => Err(unexpected(other)),
        }
    }

    /// Completions for the text before `cursor_pos` (in Unicode code points, as Jupyter
    /// counts since protocol 5.2).
    pub async fn complete(&self, code: &str, cursor_pos: usize) -> Result<Completion> {
        let reply = self
            .query(ToChild::Complete {
                code: code.to_owned(),
                cursor_pos,
            })
            .await?;
        match reply {
            FromChild::CompleteReply(completion) => Ok(completion),
            other => Err(unexpected(other)),
        }
    }

    /// Help for the name at `cursor_pos` (code points); `detail_level` 1 adds the source.
    pub async fn inspect(
        &self,
        code: &str,
        cursor_pos: usize,
        detail_level: u8,
    ) -> Result<Inspection> {
        let reply = self
            .query(ToChild::Inspect {
                code: code.to_owned(),
                cursor_pos,
                detail_level,
            })
            .await?;
        match reply {
            FromChild::InspectReply(inspection) => Ok(inspection),
            other => Err(unexpected(other)),
        }
    }

    /// Kills the child now (a running execution ends as `Aborted`) and starts a fresh one.
    pub async fn restart(&self) -> Result<WorkerInfo> {
        self.shared.restarting.store(true, Ordering::SeqCst);
        signal_group(self.shared.pgid.load(Ordering::SeqCst), libc::SIGKILL);
        let (done, started) = oneshot::channel();
        self.commands
            .send(Command::Restart { done })
            .map_err(|_| WorkerError::Closed)?;
        started.await.map_err(|_| WorkerError::Closed)?
    }

    /// Stops the child — asking it to exit when idle, killing it when busy (the running
    /// execution ends as `Aborted`) — and waits until it and its process group are gone.
    pub async fn shutdown(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.await
                .map_err(|e| WorkerError::Io(std::io::Error::other(e)))?;
        }
        Ok(())
    }

    /// Queues a helper request now; its answer comes through the receiver.
    fn send_query(&self, request: ToChild) -> Result<oneshot::Receiver<Result<FromChild>>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Query { request, reply })
            .map_err(|_| WorkerError::Closed)?;
        Ok(answer)
    }

    async fn query(&self, request: ToChild) -> Result<FromChild> {
        let answer = self.send_query(request)?;
        match answer.await.map_err(|_| WorkerError::Closed)?? {
            FromChild::Failed { message } => Err(WorkerError::Python(message)),
            reply => Ok(reply),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Synchronous, so it holds even when the runtime is going away with the task: no
        // Python process outlives its handle. The task reaps what is left.
        let _ = self.stop.send(true);
        signal_group(self.shared.pgid.load(Ordering::SeqCst), libc::SIGKILL);
    }
}

fn unexpected(reply: FromChild) -> WorkerError {
    WorkerError::Python(format!("unexpected answer {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_can_be_shared_across_tasks() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Worker>();
        send::<Execution>();
    }
}
