//! Waiting for a submission while showing what arrives: the one loop behind every wait of
//! the blocking sequence (spec §6), `%pxresult` and `--local`.
//!
//! A wait ends when its stage is reached (every reply, or every reply and all output),
//! at its deadline, or at an interrupt. Meanwhile it renders streamed output as it
//! arrives and redraws the progress bar. A dead controller ends it with an error: the
//! client's own waits check the controller's liveness, and the loop keeps one such wait
//! alive across its iterations so those checks happen.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use px_client::{AsyncResult, ClientError};
use tokio::time::Instant;

use super::interrupt::Armed;
use super::progress::ProgressBar;
use super::Sink;
use crate::render::LiveDisplay;

/// How far to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// Every request has its reply (stock's `wait`).
    Replies,
    /// Every request has its reply and all its output (stock's `wait_for_output`).
    Output,
}

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    /// The stage was reached.
    Reached,
    /// The deadline passed first.
    TimedOut,
    /// The host interrupted the cell.
    Interrupted,
}

/// A submission being waited for: the submitter's handle (which reads the output
/// events, if streaming), a second handle to wait on, the live display and the bar.
#[derive(Debug)]
pub(crate) struct Watch {
    events: AsyncResult,
    shared: AsyncResult,
    live: Option<LiveDisplay>,
    events_open: bool,
    bar: Option<ProgressBar>,
}

/// A far-away instant for a timer that is disabled anyway.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

impl Watch {
    /// Watches `ar`; with `live`, its output events are rendered as they arrive.
    pub(crate) fn new(ar: AsyncResult, live: Option<LiveDisplay>) -> Self {
        Watch {
            shared: ar.share(),
            events: ar,
            live,
            events_open: true,
            bar: None,
        }
    }

    /// The submission.
    pub(crate) fn result(&self) -> &AsyncResult {
        &self.shared
    }

    /// Stops the live display: later output of the request is not shown (spec §10.3).
    pub(crate) fn stop_streaming(&mut self) {
        self.live = None;
    }

    /// Shows the progress bar.
    pub(crate) fn start_bar(&mut self, sink: &mut Sink<'_>) {
        let (total, done) = (self.shared.len(), self.shared.replied());
        self.bar = Some(ProgressBar::start(sink, total, done));
    }

    /// Closes the progress bar, if shown, leaving its final state on screen.
    pub(crate) fn close_bar(&mut self, sink: &mut Sink<'_>) {
        if let Some(bar) = self.bar.take() {
            bar.close(sink, self.shared.replied());
        }
    }

    /// Renders the events that have already arrived, without waiting for more.
    pub(crate) async fn drain(&mut self, sink: &mut Sink<'_>) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        while self.events_open {
            // A zero timeout polls `next_event` once: events already queued come out,
            // an empty queue ends the drain (receiving is cancel-safe).
            match tokio::time::timeout(Duration::ZERO, self.events.next_event()).await {
                Ok(Ok(Some(event))) => live.handle(sink, &event),
                Ok(Ok(None)) => self.events_open = false,
                Ok(Err(_)) | Err(_) => break,
            }
        }
    }

    /// Waits until `until`, `deadline` or an interrupt on `interrupt`, rendering what
    /// arrives meanwhile.
    pub(crate) async fn wait(
        &mut self,
        sink: &mut Sink<'_>,
        until: Until,
        deadline: Option<Instant>,
        mut interrupt: Option<&mut Armed>,
    ) -> Result<WaitEnd, ClientError> {
        let end = {
            let Watch {
                events,
                shared,
                live,
                events_open,
                bar,
            } = self;
            // Kept across iterations: it is what checks the controller's liveness.
            let mut target: Pin<Box<dyn Future<Output = px_client::Result<()>> + Send + '_>> =
                match until {
                    Until::Replies => Box::pin(shared.wait_replies(None)),
                    Until::Output => Box::pin(shared.wait(None)),
                };
            loop {
                let now = Instant::now();
                if deadline.is_some_and(|d| now >= d) {
                    break WaitEnd::TimedOut;
                }
                if let Some(bar) = bar.as_mut() {
                    bar.tick(sink, shared.replied(), now);
                }
                let wake = deadline
                    .into_iter()
                    .chain(bar.as_ref().map(ProgressBar::next_draw))
                    .min();
                let streaming = live.is_some() && *events_open;
                tokio::select! {
                    biased;
                    () = async {
                        match interrupt.as_deref_mut() {
                            Some(armed) => armed.interrupted().await,
                            None => std::future::pending().await,
                        }
                    } => break WaitEnd::Interrupted,
                    event = events.next_event(), if streaming => match event? {
                        Some(event) => {
                            if let Some(live) = live.as_mut() {
                                live.handle(sink, &event);
                            }
                        }
                        None => *events_open = false,
                    },
                    reached = &mut target => {
                        reached?;
                        break WaitEnd::Reached;
                    }
                    () = tokio::time::sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => {}
                }
            }
        };
        if end == WaitEnd::Reached {
            // Output that came with the last reply is shown before the wait returns.
            self.drain(sink).await;
        }
        Ok(end)
    }
}
