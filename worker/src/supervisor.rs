//! The task that owns the Python child: one request at a time, restarts after crashes.
//!
//! A [`Worker`](crate::Worker) is a handle; this task does the work. Requests arrive on a
//! queue and are served in order (the child is single-threaded, and the kernel's shell
//! channel is sequential anyway). While serving one, the task watches four things at once:
//! the channel, both output pipes, and the child's exit, so a crash is noticed whatever the
//! child was doing. Interrupts and kills do not go through the queue: the handle signals the
//! process group directly, because the task is busy exactly when an interrupt is wanted.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::config::WorkerConfig;
use crate::error::{Result, WorkerError};
use crate::event::{ErrorInfo, Event, StreamName};
use crate::execution::Answer;
use crate::idle_output::IdleOutput;
use crate::info::WorkerInfo;
use crate::job::{Job, JobReply, Update};
use crate::partial_lines::PartialLines;
use crate::process::{Activity, Ended, Process};
use crate::protocol::{FromChild, ToChild};
use crate::reply::{ApplyReply, ExecuteReply};

/// How long a child whose channel closed may take to be reaped by itself: long enough to
/// report its own exit code (`os._exit(3)` closes the socket a moment before it is a zombie),
/// short enough that a wedged child does not delay the restart.
const DEATH_GRACE: Duration = Duration::from_secs(1);

/// How long an idle child may take to exit after a `shutdown` request before it is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// State shared between the handle and the task, read without asking the task.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Process group of the current child; 0 while there is none.
    pub pgid: AtomicI32,
    /// Facts about the current child.
    pub info: Mutex<Option<WorkerInfo>>,
    /// Set by `restart()` before it kills the child: the death that follows was asked for,
    /// so it is reported as an aborted execution and not answered by an automatic restart.
    pub restarting: AtomicBool,
}

/// Work for the task.
pub(crate) enum Command {
    Execute(Job<ExecuteReply>),
    Apply(Job<ApplyReply>),
    Query {
        request: ToChild,
        reply: oneshot::Sender<Result<FromChild>>,
    },
    Restart {
        done: oneshot::Sender<Result<WorkerInfo>>,
    },
}

/// How serving a job ended, before the task cleans up.
enum Outcome<R> {
    Replied(R),
    Gone(String),
    Stopped,
}

pub(crate) struct Supervisor {
    config: WorkerConfig,
    commands: mpsc::UnboundedReceiver<Command>,
    stop: watch::Receiver<bool>,
    shared: Arc<Shared>,
    process: Option<Process>,
    idle: IdleOutput,
    /// The count of the last stored execution, to number a cell that a crash cut short.
    last_count: u32,
}

impl Supervisor {
    pub(crate) fn new(
        config: WorkerConfig,
        process: Process,
        commands: mpsc::UnboundedReceiver<Command>,
        stop: watch::Receiver<bool>,
        shared: Arc<Shared>,
    ) -> Self {
        let mut supervisor = Supervisor {
            config,
            commands,
            stop,
            shared,
            process: None,
            idle: IdleOutput::default(),
            last_count: 0,
        };
        supervisor.adopt(process);
        supervisor
    }

    /// Serves commands until the handle is dropped or shut down, then ends the child.
    pub(crate) async fn run(mut self) {
        while let Some(command) = self.next_command().await {
            match command {
                Command::Execute(job) => self.execute(job).await,
                Command::Apply(job) => self.execute(job).await,
                Command::Query { request, reply } => {
                    let answer = self.query(request).await;
                    let _ = reply.send(answer);
                }
                Command::Restart { done } => {
                    self.stop_process(false).await;
                    self.shared.restarting.store(false, Ordering::SeqCst);
                    let started = self.ensure_process().await.map(|p| p.info().clone());
                    let _ = done.send(started);
                }
            }
            if self.stopping() {
                break;
            }
        }
        self.stop_process(true).await;
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow() || self.stop.has_changed().is_err()
    }

    /// Waits for the next command while keeping an eye on the idle child.
    async fn next_command(&mut self) -> Option<Command> {
        loop {
            if self.stopping() {
                return None;
            }
            let Some(process) = self.process.as_mut() else {
                return tokio::select! {
                    command = self.commands.recv() => command,
                    () = stopped(&mut self.stop) => None,
                };
            };
            let activity = tokio::select! {
                command = self.commands.recv() => return command,
                () = stopped(&mut self.stop) => return None,
                activity = process.next_activity() => activity,
            };
            match activity {
                Activity::Output(name, text) => self.idle.push_stream(name, text),
                Activity::Frame(frame) => match FromChild::parse(&frame.body) {
                    Ok(msg) => {
                        let ack = msg.ack_seq();
                        match event_of(msg, frame.buffers) {
                            Ok(event) => self.idle.push(event),
                            Err(other) => {
                                tracing::debug!("unexpected frame from an idle worker: {other:?}")
                            }
                        }
                        if let Some(seq) = ack {
                            let _ = process.send(&ToChild::Ack { seq }).await;
                        }
                    }
                    Err(bad) => tracing::warn!("malformed frame from the worker: {}", bad.reason),
                },
                Activity::Gone(how) => {
                    tracing::debug!("idle worker gone: {how}");
                    let ended = self.bury().await;
                    for (name, text) in ended.output {
                        self.idle.push_stream(name, text);
                    }
                    if !self.restart_requested() {
                        tracing::warn!(
                            "the Python worker died while idle ({}); restarting it",
                            ended.how
                        );
                        self.idle.push(Event::Error(died_error(&ended.how)));
                        self.restart_after_death().await;
                    }
                }
            }
        }
    }

    async fn execute<R: JobReply>(&mut self, job: Job<R>) {
        let Job {
            request,
            buffers,
            counted,
            updates,
            mut answers,
        } = job;
        let mut sink = Sink {
            updates,
            stop: self.stop.clone(),
            lines: PartialLines::default(),
        };
        if let Err(e) = self.ensure_process().await {
            for event in self.idle.take() {
                sink.event(event).await;
            }
            let error = ErrorInfo {
                ename: "WorkerStartError".into(),
                evalue: e.to_string(),
                traceback: vec![e.to_string()],
            };
            sink.event(Event::Error(error.clone())).await;
            sink.reply(R::failed(self.last_count, error, false)).await;
            return;
        }
        for event in self.idle.take() {
            sink.event(event).await;
        }
        match self
            .serve_execute(request, &buffers, &mut sink, &mut answers)
            .await
        {
            Outcome::Replied(reply) => {
                if let Some(count) = reply.execution_count() {
                    self.last_count = count;
                }
                sink.reply(reply).await;
            }
            Outcome::Stopped => {
                self.stop_process(false).await;
                sink.reply(R::aborted(self.last_count)).await;
            }
            Outcome::Gone(how) => {
                tracing::debug!("worker gone during an execution: {how}");
                let requested = self.restart_requested();
                let ended = self.bury().await;
                for (name, text) in ended.output {
                    sink.stream(name, text).await;
                }
                let count = self.last_count + u32::from(counted);
                if requested || self.stopping() {
                    sink.reply(R::aborted(count)).await;
                } else {
                    let error = died_error(&ended.how);
                    sink.event(Event::Error(error.clone())).await;
                    sink.reply(R::failed(count, error, true)).await;
                    self.restart_after_death().await;
                }
            }
        }
    }

    /// Sends the request and relays what the child does until its reply.
    async fn serve_execute<R: JobReply>(
        &mut self,
        request: ToChild,
        buffers: &[Bytes],
        sink: &mut Sink<R>,
        answers: &mut mpsc::UnboundedReceiver<Answer>,
    ) -> Outcome<R> {
        let Some(process) = self.process.as_mut() else {
            return Outcome::Gone("no process".into());
        };
        if let Err(e) = process.send_with(&request, buffers).await {
            return Outcome::Gone(format!("sending the request failed: {e}"));
        }
        // The child's main thread waits for one answer at a time: its seq, and whether it
        // is a host call (else an input request).
        let mut waiting: Option<(u64, bool)> = None;
        loop {
            let held_until = sink.lines.deadline();
            let step = tokio::select! {
                activity = process.next_activity() => Step::Activity(activity),
                answer = answers.recv(), if waiting.is_some() => Step::Answer(answer),
                () = sleep_until(held_until), if held_until.is_some() => Step::Release,
                () = stopped(&mut self.stop) => return Outcome::Stopped,
            };
            let activity = match step {
                Step::Activity(activity) => activity,
                Step::Release => {
                    sink.release().await;
                    continue;
                }
                Step::Answer(answer) => {
                    let (seq, host) = waiting.take().unwrap_or_default();
                    // A dropped Execution answers nothing: refuse, or the code waits forever.
                    let answer = answer.unwrap_or(if host {
                        Answer::Host(Err("nobody is listening to this execution".into()))
                    } else {
                        Answer::Input(None)
                    });
                    let reply = match answer {
                        Answer::Input(value) => ToChild::InputReply { seq, value },
                        Answer::Host(result) => host_reply(seq, result),
                    };
                    if let Err(e) = process.send(&reply).await {
                        return Outcome::Gone(format!("sending an answer failed: {e}"));
                    }
                    continue;
                }
            };
            let frame = match activity {
                Activity::Output(name, text) => {
                    sink.stream(name, text).await;
                    continue;
                }
                Activity::Gone(how) => return Outcome::Gone(how),
                Activity::Frame(frame) => frame,
            };
            // Everything written before this frame was sent is in the pipes now.
            for (name, text) in process.drain_output() {
                sink.stream(name, text).await;
            }
            sink.release().await;
            let msg = match FromChild::parse(&frame.body) {
                Ok(msg) => msg,
                Err(bad) => {
                    tracing::warn!("malformed frame from the worker: {}", bad.reason);
                    if let Some(seq) = bad.seq {
                        let _ = process.send(&ToChild::Ack { seq }).await;
                    }
                    continue;
                }
            };
            let ack = msg.ack_seq();
            let mut buffers = frame.buffers;
            let msg = match R::from_frame(msg, &mut buffers) {
                Ok(reply) => return Outcome::Replied(reply),
                Err(msg) => msg,
            };
            match msg {
                FromChild::InputRequest {
                    prompt,
                    password,
                    seq,
                } => {
                    waiting = Some((seq, false));
                    sink.event(Event::InputRequest { prompt, password }).await;
                }
                FromChild::HostCall { name, args, seq } => {
                    waiting = Some((seq, true));
                    sink.event(Event::HostCall { name, args }).await;
                }
                msg => match event_of(msg, buffers) {
                    Ok(event) => sink.event(event).await,
                    Err(FromChild::Sync { .. }) => {}
                    Err(other) => {
                        tracing::debug!("unexpected frame during an execution: {other:?}")
                    }
                },
            }
            if let Some(seq) = ack {
                if let Err(e) = process.send(&ToChild::Ack { seq }).await {
                    return Outcome::Gone(format!("sending an ack failed: {e}"));
                }
            }
        }
    }

    /// Sends a helper request (is_complete, complete, inspect) and waits for its answer.
    async fn query(&mut self, request: ToChild) -> Result<FromChild> {
        self.ensure_process().await?;
        let Some(process) = self.process.as_mut() else {
            return Err(WorkerError::Closed);
        };
        let how = match process.send(&request).await {
            Err(e) => format!("sending the request failed: {e}"),
            Ok(()) => loop {
                let activity = tokio::select! {
                    activity = process.next_activity() => activity,
                    () = stopped(&mut self.stop) => return Err(WorkerError::Closed),
                };
                let frame = match activity {
                    Activity::Output(name, text) => {
                        self.idle.push_stream(name, text);
                        continue;
                    }
                    Activity::Gone(how) => break how,
                    Activity::Frame(frame) => frame,
                };
                let msg = match FromChild::parse(&frame.body) {
                    Ok(msg) => msg,
                    Err(bad) => {
                        tracing::warn!("malformed frame from the worker: {}", bad.reason);
                        continue;
                    }
                };
                if let Some(seq) = msg.ack_seq() {
                    let _ = process.send(&ToChild::Ack { seq }).await;
                }
                match msg {
                    FromChild::IsCompleteReply { .. }
                    | FromChild::CompleteReply(_)
                    | FromChild::InspectReply(_)
                    | FromChild::ResetReply
                    | FromChild::Failed { .. } => return Ok(msg),
                    msg => match event_of(msg, frame.buffers) {
                        Ok(event) => self.idle.push(event),
                        Err(other) => tracing::debug!("unexpected frame during a query: {other:?}"),
                    },
                }
            },
        };
        tracing::debug!("worker gone during a query: {how}");
        let ended = self.bury().await;
        for (name, text) in ended.output {
            self.idle.push_stream(name, text);
        }
        if !self.restart_requested() {
            self.restart_after_death().await;
        }
        Err(WorkerError::Died(ended.how))
    }

    fn restart_requested(&self) -> bool {
        self.shared.restarting.load(Ordering::SeqCst)
    }

    /// Starts a child if there is none (after a crash whose restart failed, say).
    async fn ensure_process(&mut self) -> Result<&mut Process> {
        if self.process.is_none() {
            let process = tokio::select! {
                process = Process::start(&self.config) => process?,
                // Dropping the start future kills the half-started child.
                () = stopped(&mut self.stop) => return Err(WorkerError::Closed),
            };
            self.adopt(process);
        }
        self.process.as_mut().ok_or(WorkerError::Closed)
    }

    fn adopt(&mut self, mut process: Process) {
        for (name, text) in process.take_startup_output() {
            self.idle.push_stream(name, text);
        }
        self.shared.pgid.store(process.pgid(), Ordering::SeqCst);
        *lock(&self.shared.info) = Some(process.info().clone());
        self.last_count = 0;
        self.process = Some(process);
    }

    async fn restart_after_death(&mut self) {
        if self.stopping() {
            return;
        }
        if let Err(e) = self.ensure_process().await {
            tracing::error!("restarting the Python worker failed: {e}");
            self.idle.push_stream(
                StreamName::Stderr,
                format!("[px-worker: restarting Python failed: {e}]\n"),
            );
        }
    }

    /// Takes the dead (or useless) child away and reaps it.
    async fn bury(&mut self) -> Ended {
        self.forget_process();
        match self.process.take() {
            Some(process) => process.terminate(DEATH_GRACE).await,
            None => Ended {
                how: "no process".into(),
                output: Vec::new(),
            },
        }
    }

    /// Ends the child, asking it to exit first when `graceful` (it is idle then).
    async fn stop_process(&mut self, graceful: bool) {
        self.forget_process();
        let Some(mut process) = self.process.take() else {
            return;
        };
        let grace = if graceful {
            let _ = tokio::time::timeout(Duration::from_secs(1), process.send(&ToChild::Shutdown))
                .await;
            SHUTDOWN_GRACE
        } else {
            Duration::ZERO
        };
        let ended = process.terminate(grace).await;
        tracing::debug!("Python worker stopped ({})", ended.how);
    }

    fn forget_process(&mut self) {
        self.shared.pgid.store(0, Ordering::SeqCst);
        *lock(&self.shared.info) = None;
    }
}

/// Delivers an execution's updates; gives up when the worker stops, so that an
/// [`Execution`](crate::Execution) nobody reads cannot hold a shutdown back.
struct Sink<R> {
    updates: mpsc::Sender<Update<R>>,
    stop: watch::Receiver<bool>,
    lines: PartialLines,
}

impl<R> Sink<R> {
    async fn stream(&mut self, name: StreamName, text: String) {
        for event in self.lines.push(name, text) {
            self.deliver(Update::Event(event)).await;
        }
    }

    /// Emits held partial output; called before anything that must come after it.
    async fn release(&mut self) {
        if let Some(event) = self.lines.flush() {
            self.deliver(Update::Event(event)).await;
        }
    }

    async fn event(&mut self, event: Event) {
        self.release().await;
        self.deliver(Update::Event(event)).await;
    }

    async fn reply(&mut self, reply: R) {
        self.release().await;
        self.deliver(Update::Reply(reply)).await;
    }

    async fn deliver(&self, update: Update<R>) {
        let mut stop = self.stop.clone();
        tokio::select! {
            biased;
            // A dropped Execution is fine: the code runs to its end regardless.
            _ = self.updates.send(update) => {}
            () = stopped(&mut stop) => {}
        }
    }
}

/// What woke up the execution loop.
enum Step {
    Activity(Activity),
    /// `None`: the Execution was dropped.
    Answer(Option<Answer>),
    Release,
}

/// Sleeps until `deadline`; callers only poll it when there is one.
async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// Resolves once the handle asked to stop or is gone.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|&stop| stop).await;
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The event a frame stands for, or the frame back if it is not an event.
fn event_of(msg: FromChild, buffers: Vec<Bytes>) -> Result<Event, FromChild> {
    Ok(match msg {
        FromChild::DisplayData { display, .. } => Event::DisplayData(display),
        FromChild::UpdateDisplayData { display, .. } => Event::UpdateDisplayData(display),
        FromChild::ClearOutput { wait, .. } => Event::ClearOutput { wait },
        FromChild::ExecuteResult {
            execution_count,
            data,
            metadata,
            ..
        } => Event::ExecuteResult {
            execution_count,
            data,
            metadata,
        },
        FromChild::Error { error, .. } => Event::Error(error),
        FromChild::DataMessage { keys, .. } => Event::Data { keys, buffers },
        other => return Err(other),
    })
}

fn host_reply(seq: u64, result: std::result::Result<serde_json::Value, String>) -> ToChild {
    match result {
        Ok(value) => ToChild::HostReply {
            seq,
            value,
            error: None,
        },
        Err(message) => ToChild::HostReply {
            seq,
            value: serde_json::Value::Null,
            error: Some(message),
        },
    }
}

fn died_error(how: &str) -> ErrorInfo {
    let message = format!("the Python worker died ({how}); restarting it — variables are lost");
    ErrorInfo {
        ename: "WorkerDied".into(),
        evalue: message.clone(),
        traceback: vec![message],
    }
}
