//! The caller's side of one running execution.

use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{Result, WorkerError};
use crate::event::{ErrorInfo, Event, MimeBundle, StreamName};
use crate::job::Update;
use crate::reply::ExecuteReply;

/// A running execution (or apply, with `R` = [`ApplyReply`](crate::ApplyReply)): its events
/// in order, then its reply.
///
/// Read it with [`next_event`](Execution::next_event) to forward output while the code
/// runs (and to answer [`Event::InputRequest`] and [`Event::HostCall`]), or with [`collect`](Execution::collect)
/// when only the whole result matters. Unread events hold the worker back once a small
/// buffer is full, which throttles a runaway `print` loop instead of growing memory.
/// Dropping an execution does not stop the code; [`Worker::interrupt`](crate::Worker::interrupt)
/// does.
#[derive(Debug)]
pub struct Execution<R = ExecuteReply> {
    updates: mpsc::Receiver<Update<R>>,
    answers: mpsc::UnboundedSender<Answer>,
    reply: Option<R>,
}

/// What the code is waiting for, once its caller has decided.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `input()` returns this; `None` makes it raise `EOFError`.
    Input(Option<String>),
    /// The host call returns the value, or raises with the message.
    Host(std::result::Result<Value, String>),
}

impl<R> Execution<R> {
    pub(crate) fn new(
        updates: mpsc::Receiver<Update<R>>,
        answers: mpsc::UnboundedSender<Answer>,
    ) -> Self {
        Execution {
            updates,
            answers,
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
        self.answer(Answer::Input(Some(value.into())))
    }

    /// Refuses the pending [`Event::InputRequest`]: `input()` raises `EOFError`.
    pub fn refuse_input(&self) -> Result<()> {
        self.answer(Answer::Input(None))
    }

    /// Answers the pending [`Event::HostCall`]: the call returns the value, or raises
    /// `RuntimeError` with the message.
    pub fn answer_host(&self, answer: std::result::Result<Value, String>) -> Result<()> {
        self.answer(Answer::Host(answer))
    }

    fn answer(&self, answer: Answer) -> Result<()> {
        self.answers.send(answer).map_err(|_| WorkerError::Closed)
    }

    /// Skips the remaining events (refusing input requests) and returns the reply;
    /// [`WorkerError::Closed`] if the worker went away first.
    pub async fn reply(self) -> Result<R> {
        Ok(self.collect().await?.reply)
    }

    /// All remaining events and the reply. Input requests and host calls are refused, since
    /// nobody can answer them here.
    pub async fn collect(mut self) -> Result<ExecuteOutput<R>> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            match &event {
                Event::InputRequest { .. } => {
                    let _ = self.refuse_input();
                }
                Event::HostCall { name, .. } => {
                    let _ = self.answer_host(Err(format!("no host answers {name:?} here")));
                }
                _ => {}
            }
            events.push(event);
        }
        let reply = self.reply.take().ok_or(WorkerError::Closed)?;
        Ok(ExecuteOutput { events, reply })
    }
}

/// Everything one execution (or apply) produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteOutput<R = ExecuteReply> {
    /// The events, in order.
    pub events: Vec<Event>,
    /// How it ended.
    pub reply: R,
}

impl<R> ExecuteOutput<R> {
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
