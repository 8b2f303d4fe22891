//! The state of one request on one engine, filled in by the I/O tasks as replies and IOPub
//! messages arrive, and watched by `AsyncResult`s.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::remote_error::RemoteError;

/// Which output stream a chunk of text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamName {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Output as it arrives, so a frontend can print while engines still run.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputEvent {
    /// The engine echoed the code it runs.
    ExecuteInput {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
        /// The code.
        code: String,
    },
    /// A chunk of stdout or stderr.
    Stream {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
        /// Which stream.
        name: StreamName,
        /// The text, as sent.
        text: String,
    },
    /// A `display_data`, `update_display_data` or `clear_output` message's content.
    Display {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
        /// `display_data`, `update_display_data` or `clear_output`.
        msg_type: String,
        /// The content as sent.
        content: Value,
    },
    /// The value of the last expression.
    ExecuteResult {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
        /// The content (`data`, `metadata`, `execution_count`).
        content: Value,
    },
    /// An exception on the engine.
    Error {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
        /// The error.
        error: RemoteError,
    },
    /// The request is complete on this engine: reply and all output have arrived.
    Done {
        /// Engine id, if known.
        engine_id: Option<i64>,
        /// The request's msg_id.
        msg_id: String,
    },
}

/// Everything known about one request on one engine: ipyparallel's per-message metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineResult {
    /// The request's msg_id.
    pub msg_id: String,
    /// The engine that ran it, once known.
    pub engine_id: Option<i64>,
    /// The engine's uuid, once known.
    pub engine_uuid: Option<String>,
    /// When the request was sent (our clock).
    pub submitted: Option<DateTime<Utc>>,
    /// When the engine started it (engine's clock).
    pub started: Option<DateTime<Utc>>,
    /// When the engine finished it (engine's clock).
    pub completed: Option<DateTime<Utc>>,
    /// When the reply arrived (our clock).
    pub received: Option<DateTime<Utc>>,
    /// The code, as echoed by the engine.
    pub execute_input: Option<String>,
    /// All stdout, with carriage-return overwrites applied as ipyparallel applies them.
    pub stdout: String,
    /// All stderr, likewise.
    pub stderr: String,
    /// `display_data` contents, in order.
    pub outputs: Vec<Value>,
    /// The `execute_result` content.
    pub execute_result: Option<Value>,
    /// The error, from the reply or from IOPub.
    pub error: Option<RemoteError>,
    /// `ok`, `error` or `aborted`, once the reply arrived.
    pub status: Option<String>,
    /// The engine's execution count after this request.
    pub execution_count: Option<i64>,
    /// The reply content.
    pub reply: Option<Value>,
}

impl EngineResult {
    /// Whether the engine ran the code without error.
    pub fn is_ok(&self) -> bool {
        self.status.as_deref() == Some("ok")
    }
}

/// Removes text overwritten by carriage returns, line by line, as ipyparallel does: on each
/// line, everything up to the last `\r` that has more text after it is dropped.
pub fn apply_carriage_returns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let cut = line
            .char_indices()
            .rev()
            .find(|&(at, c)| c == '\r' && at + 1 < line.len())
            .map(|(at, _)| at + 1)
            .unwrap_or(0);
        out.push_str(&line[cut..]);
    }
    out
}

#[derive(Debug)]
struct State {
    result: EngineResult,
    have_reply: bool,
    have_idle: bool,
    events: Option<mpsc::UnboundedSender<OutputEvent>>,
}

/// Shared between the I/O tasks (writers) and `AsyncResult`s (readers).
#[derive(Debug)]
pub(crate) struct Tracker {
    state: Mutex<State>,
    done: watch::Sender<bool>,
    /// True once the reply is in, whether or not all output has arrived: stock's
    /// `AsyncResult.done()`, which the magics' waits and progress bar follow.
    replied: watch::Sender<bool>,
    /// The engine a direct request was addressed to; it fails if that engine dies.
    pub(crate) target_uuid: Option<String>,
    /// The request's msg_type (`execute_request`, `apply_request`): engines publish errors
    /// on IOPub without saying which kind of request failed, and stock labels them with it
    /// (`[0:execute]`).
    pub(crate) request_type: String,
}

impl Tracker {
    pub(crate) fn new(
        msg_id: String,
        request_type: &str,
        engine: Option<(i64, String)>,
        direct: bool,
        events: Option<mpsc::UnboundedSender<OutputEvent>>,
    ) -> Arc<Self> {
        let (engine_id, engine_uuid) = match &engine {
            Some((id, uuid)) => (Some(*id), Some(uuid.clone())),
            None => (None, None),
        };
        let (done, _) = watch::channel(false);
        let (replied, _) = watch::channel(false);
        Arc::new(Tracker {
            state: Mutex::new(State {
                result: EngineResult {
                    msg_id,
                    engine_id,
                    engine_uuid: engine_uuid.clone(),
                    submitted: Some(Utc::now()),
                    ..EngineResult::default()
                },
                have_reply: false,
                have_idle: false,
                events,
            }),
            done,
            replied,
            target_uuid: if direct { engine_uuid } else { None },
            request_type: request_type.to_owned(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not make every later result unreadable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn snapshot(&self) -> EngineResult {
        self.lock().result.clone()
    }

    pub(crate) fn is_done(&self) -> bool {
        *self.done.borrow()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<bool> {
        self.done.subscribe()
    }

    pub(crate) fn has_reply(&self) -> bool {
        *self.replied.borrow()
    }

    pub(crate) fn subscribe_replied(&self) -> watch::Receiver<bool> {
        self.replied.subscribe()
    }

    /// Learns which engine runs the request (load-balanced requests learn it late).
    pub(crate) fn set_engine(&self, id: Option<i64>, uuid: &str) {
        let mut st = self.lock();
        if st.result.engine_uuid.is_none() {
            st.result.engine_uuid = Some(uuid.to_owned());
        }
        if st.result.engine_id.is_none() {
            st.result.engine_id = id;
        }
    }

    /// Applies `f` to the result and sends `event` (built with the engine id) to listeners.
    pub(crate) fn update(
        &self,
        f: impl FnOnce(&mut EngineResult),
        event: impl FnOnce(Option<i64>, String) -> Option<OutputEvent>,
    ) {
        let mut st = self.lock();
        f(&mut st.result);
        if let Some(ev) = event(st.result.engine_id, st.result.msg_id.clone()) {
            if let Some(tx) = &st.events {
                let _ = tx.send(ev);
            }
        }
    }

    /// Records the reply. Replies with no engine behind them (controller errors, aborts)
    /// complete at once: no IOPub output will follow for them.
    pub(crate) fn set_reply(&self, apply: impl FnOnce(&mut EngineResult), no_output_follows: bool) {
        let mut st = self.lock();
        apply(&mut st.result);
        st.have_reply = true;
        if no_output_follows {
            st.have_idle = true;
        }
        // Before `done`, so a waiter for `done` always also sees the reply.
        self.replied.send_replace(true);
        self.maybe_finish(st);
    }

    /// Records the engine's `status: idle` for this request: all its output has arrived.
    pub(crate) fn set_idle(&self) {
        let mut st = self.lock();
        st.have_idle = true;
        self.maybe_finish(st);
    }

    fn maybe_finish(&self, st: MutexGuard<'_, State>) {
        if st.have_reply && st.have_idle && !*self.done.borrow() {
            if let Some(tx) = &st.events {
                let _ = tx.send(OutputEvent::Done {
                    engine_id: st.result.engine_id,
                    msg_id: st.result.msg_id.clone(),
                });
            }
            drop(st);
            self.done.send_replace(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_overwrite_like_ipyparallel() {
        // re.sub(r'.*\r(?=[^\n])', '', s) in Python gives these.
        assert_eq!(apply_carriage_returns("10%\r20%\r30%"), "30%");
        assert_eq!(apply_carriage_returns("a\rb\nc\rd\n"), "b\nd\n");
        assert_eq!(apply_carriage_returns("done\r\n"), "done\r\n");
        assert_eq!(apply_carriage_returns("ab\r\r"), "\r");
        assert_eq!(apply_carriage_returns("plain"), "plain");
    }

    #[test]
    fn done_needs_reply_and_idle_unless_no_output_follows() {
        let t = Tracker::new("m".into(), "execute_request", None, false, None);
        t.set_idle();
        assert!(!t.is_done() && !t.has_reply());
        t.set_reply(|_| {}, false);
        assert!(t.is_done() && t.has_reply());

        let t = Tracker::new("m".into(), "execute_request", None, false, None);
        t.set_reply(|_| {}, true);
        assert!(t.is_done());
    }

    #[test]
    fn a_reply_before_the_output_is_replied_but_not_done() {
        let t = Tracker::new("m".into(), "execute_request", None, false, None);
        t.set_reply(|_| {}, false);
        assert!(t.has_reply() && !t.is_done());
        assert!(*t.subscribe_replied().borrow());
    }
}
