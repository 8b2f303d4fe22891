//! `AsyncResult`: the pending outcome of one submission, on one or many engines.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{ClientError, Result};
use crate::remote_error::{CompositeError, RemoteError};
use crate::tracker::{EngineResult, OutputEvent, Tracker};

/// How often a long wait checks that the controller still answers, so a dead controller ends
/// a wait with an error instead of a hang.
pub const LIVENESS_INTERVAL: Duration = Duration::from_secs(5);

/// How far a wait goes: replies only, or replies and all output.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Replied,
    Done,
}

/// The outcome of a submission: one [`EngineResult`] per engine-request, filled in as
/// replies and output arrive.
#[derive(Debug)]
pub struct AsyncResult {
    client: Client,
    trackers: Vec<Arc<Tracker>>,
    events: Option<mpsc::UnboundedReceiver<OutputEvent>>,
}

impl AsyncResult {
    pub(crate) fn new(
        client: Client,
        trackers: Vec<Arc<Tracker>>,
        events: Option<mpsc::UnboundedReceiver<OutputEvent>>,
    ) -> Self {
        AsyncResult {
            client,
            trackers,
            events,
        }
    }

    /// The msg_ids of the requests, in submission (target) order.
    pub fn msg_ids(&self) -> Vec<String> {
        self.trackers.iter().map(|t| t.snapshot().msg_id).collect()
    }

    /// Another handle on the same requests, without the event stream (which has one
    /// reader): for whoever keeps the result while the submitter reads its events, as the
    /// magics keep their last result for `%result`.
    pub fn share(&self) -> AsyncResult {
        AsyncResult::new(self.client.clone(), self.trackers.clone(), None)
    }

    /// How many requests there are (one per target engine).
    pub fn len(&self) -> usize {
        self.trackers.len()
    }

    /// Whether this result has no request at all.
    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    /// Whether every request has its reply and all its output.
    pub fn ready(&self) -> bool {
        self.trackers.iter().all(|t| t.is_done())
    }

    /// How many requests have their reply (output may still be on its way): the count a
    /// progress bar shows.
    pub fn replied(&self) -> usize {
        self.trackers.iter().filter(|t| t.has_reply()).count()
    }

    /// Whether every request has its reply, output complete or not: stock's
    /// `AsyncResult.done()`. [`AsyncResult::ready`] also waits for the output.
    pub fn all_replied(&self) -> bool {
        self.trackers.iter().all(|t| t.has_reply())
    }

    /// What is known so far, per request, in submission order.
    pub fn results(&self) -> Vec<EngineResult> {
        self.trackers.iter().map(|t| t.snapshot()).collect()
    }

    fn reached(&self, stage: Stage) -> bool {
        match stage {
            Stage::Replied => self.all_replied(),
            Stage::Done => self.ready(),
        }
    }

    async fn all_reached(&self, stage: Stage) {
        for t in &self.trackers {
            let mut rx = match stage {
                Stage::Replied => t.subscribe_replied(),
                Stage::Done => t.subscribe(),
            };
            // The sender lives in the tracker we hold, so this cannot fail.
            let _ = rx.wait_for(|flag| *flag).await;
        }
    }

    async fn wait_stage(&self, stage: Stage, timeout: Option<Duration>) -> Result<()> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if self.reached(stage) {
                return Ok(());
            }
            let next_check = Instant::now() + LIVENESS_INTERVAL;
            let until = deadline.map_or(next_check, |d| d.min(next_check));
            if tokio::time::timeout_at(until, self.all_reached(stage))
                .await
                .is_ok()
            {
                return Ok(());
            }
            if let (Some(d), Some(t)) = (deadline, timeout) {
                if Instant::now() >= d {
                    let pending = self.trackers.iter().filter(|t| match stage {
                        Stage::Replied => !t.has_reply(),
                        Stage::Done => !t.is_done(),
                    });
                    return Err(ClientError::Timeout {
                        timeout: t,
                        pending: pending.count(),
                        total: self.trackers.len(),
                    });
                }
            }
            self.check_controller().await?;
        }
    }

    /// Waits until every request completes (reply and all output); `None` waits as long as
    /// the controller answers.
    pub async fn wait(&self, timeout: Option<Duration>) -> Result<()> {
        self.wait_stage(Stage::Done, timeout).await
    }

    /// Waits until every request has its reply, not for output still on its way (stock's
    /// `AsyncResult.wait`); `None` waits as long as the controller answers.
    pub async fn wait_replies(&self, timeout: Option<Duration>) -> Result<()> {
        self.wait_stage(Stage::Replied, timeout).await
    }

    async fn check_controller(&self) -> Result<()> {
        if self.client.controller_alive(LIVENESS_INTERVAL).await {
            Ok(())
        } else {
            Err(ClientError::ControllerSilent {
                what: "a liveness check while waiting for results".into(),
                timeout: LIVENESS_INTERVAL,
            })
        }
    }

    /// Waits, then returns every engine's result, or a [`CompositeError`] holding each
    /// engine's error (engines that failed, died, or had the request aborted).
    pub async fn get(&self, timeout: Option<Duration>) -> Result<Vec<EngineResult>> {
        self.wait(timeout).await?;
        self.collect()
    }

    /// What [`AsyncResult::get`] returns, without waiting: `None` while some request has
    /// no reply yet. Output may still be incomplete (see [`AsyncResult::ready`]).
    pub fn try_get(&self) -> Option<Result<Vec<EngineResult>>> {
        self.all_replied().then(|| self.collect())
    }

    fn collect(&self) -> Result<Vec<EngineResult>> {
        let results = self.results();
        let errors: Vec<RemoteError> = results
            .iter()
            // Aborted requests are silent successes to stock, not errors.
            .filter(|r| !r.is_ok() && r.status.as_deref() != Some("aborted"))
            .map(|r| match &r.error {
                Some(e) => e.clone(),
                None => {
                    RemoteError::from_content(r.reply.as_ref().unwrap_or(&serde_json::Value::Null))
                }
            })
            .collect();
        match CompositeError::collect("execute", errors) {
            None => Ok(results),
            Some(composite) => Err(composite.into()),
        }
    }

    /// The next output event, as it arrives; `Ok(None)` once every request is complete and
    /// every event has been read. Submissions made without output tracking yield `None` at
    /// once. Fails only if the controller stops answering.
    pub async fn next_event(&mut self) -> Result<Option<OutputEvent>> {
        loop {
            let Some(rx) = self.events.as_mut() else {
                return Ok(None);
            };
            if let Ok(ev) = rx.try_recv() {
                return Ok(Some(ev));
            }
            if self.trackers.iter().all(|t| t.is_done()) {
                return Ok(None);
            }
            let rx = self.events.as_mut().expect("checked above");
            let got = tokio::time::timeout(LIVENESS_INTERVAL, rx.recv()).await;
            match got {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => return Ok(None),
                Err(_) => self.check_controller().await?,
            }
        }
    }
}
