//! The caller's side of one running execution.

use tokio::sync::mpsc;

use crate::error::{Result, WorkerError};
use crate::event::{ErrorInfo, Event, MimeBundle, StreamName};
use crate::reply::ExecuteReply;
use crate::supervisor::Update;

/// A running execution: its events in order, then its reply.
///
/// Read it with [`next_event`](Execution::next_event) to forward output while the code
/// runs (and to answer [`Event::InputRequest`]), or with [`collect`](Execution::collect)
/// when only the whole result matters. Unread events hold the worker back once a small
/// buffer is full, which throttles a runaway `print` loop instead of growing memory.
/// Dropping an execution does not stop the code; [`Worker::interrupt`](crate::Worker::interrupt)
/// does.
#[derive(Debug)]
pub struct Execution {
    updates: mpsc::Receiver<Update>,
    input: mpsc::UnboundedSender<Option<String>>,
    reply: Option<ExecuteReply>,
}

impl Execution {
    pub(crate) fn new(
        updates: mpsc::Receiver<Update>,
        input: mpsc::UnboundedSender<Option<String>>,
    ) -> Self {
        Execution {
            updates,
            input,
            reply: None,
        }
    }

    /// The next event, or `None` once the execution is over (then see
    /// [`reply`](Execution::reply)).
    pub async fn next_event(&mut self) -> Option<Event> {
        if self.reply.is_some() {
            return None;
        }
        match self.updates.recv().await? {
            Update::Event(event) => Some(event),
            Update::Reply(reply) => {
                self.reply = Some(reply);
                None
            }
        }
    }

    /// Answers the pending [`Event::InputRequest`]: `input()` returns `value`.
    pub fn answer_input(&self, value: impl Into<String>) -> Result<()> {
        self.input
            .send(Some(value.into()))
            .map_err(|_| WorkerError::Closed)
    }

    /// Refuses the pending [`Event::InputRequest`]: `input()` raises `EOFError`.
    pub fn refuse_input(&self) -> Result<()> {
        self.input.send(None).map_err(|_| WorkerError::Closed)
    }

    /// Skips the remaining events (refusing input requests) and returns the reply;
    /// [`WorkerError::Closed`] if the worker went away first.
    pub async fn reply(self) -> Result<ExecuteReply> {
        Ok(self.collect().await?.reply)
    }

    /// All remaining events and the reply. Input requests are refused, since nobody can
    /// answer them here.
    pub async fn collect(mut self) -> Result<ExecuteOutput> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            if matches!(event, Event::InputRequest { .. }) {
                let _ = self.refuse_input();
            }
            events.push(event);
        }
        let reply = self.reply.take().ok_or(WorkerError::Closed)?;
        Ok(ExecuteOutput { events, reply })
    }
}

/// Everything one execution produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteOutput {
    /// The events, in order.
    pub events: Vec<Event>,
    /// How it ended.
    pub reply: ExecuteReply,
}

impl ExecuteOutput {
    /// All text of one stream, concatenated.
    pub fn stream(&self, which: StreamName) -> String {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Stream { name, text } if *name == which => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// All stdout text.
    pub fn stdout(&self) -> String {
        self.stream(StreamName::Stdout)
    }

    /// All stderr text.
    pub fn stderr(&self) -> String {
        self.stream(StreamName::Stderr)
    }

    /// The `execute_result` bundle, if the cell ended with a value.
    pub fn result(&self) -> Option<&MimeBundle> {
        self.events.iter().find_map(|event| match event {
            Event::ExecuteResult { data, .. } => Some(data),
            _ => None,
        })
    }

    /// The `text/plain` form of the result.
    pub fn result_text(&self) -> Option<&str> {
        self.result()?.get("text/plain")?.as_str()
    }

    /// The first error event.
    pub fn error(&self) -> Option<&ErrorInfo> {
        self.events.iter().find_map(|event| match event {
            Event::Error(error) => Some(error),
            _ => None,
        })
    }
}
