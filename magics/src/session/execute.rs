//! Running code on the engines: stock's `parallel_execute` (spec §6, §8) and the
//! `--local` variant of `%%px` (§13).

use std::time::Duration;

use px_client::{AsyncResult, Client, ExecuteOptions, StreamName, Targets};
use serde_json::json;
use tokio::time::Instant;

use super::interrupt::Armed;
use super::outcome::{client_failure, report, Failure, StoredResult};
use super::result::PxResult;
use super::wait::{Until, WaitEnd, Watch};
use super::{exclusive, PxMagics, Sink};
use crate::error::MagicsError;
use crate::flags::Signal;
use crate::render::{verbose_line, LiveDisplay};
use crate::state::CellSettings;

/// How long a blocking cell waits for trailing output after its replies before showing
/// it (stock's `wait_for_output(1)`).
const OUTPUT_GRACE: Duration = Duration::from_secs(1);

/// How a blocking wait ended, before the cell's own handling of it.
enum Waited {
    /// Every engine replied: the cell's error, if any, is in the result.
    Finished(Result<(), Failure>),
    /// The host interrupted the wait.
    Interrupted,
}

/// `Ok(WaitEnd)`, or the early return a failed or interrupted wait calls for.
macro_rules! step {
    ($wait:expr) => {
        match $wait.await {
            Ok(WaitEnd::Interrupted) => return Waited::Interrupted,
            Err(e) => return Waited::Finished(Err(e.into())),
            Ok(end) => end,
        }
    };
}

/// `seconds` from now; `None` for a delay too large (or not a number) to be a deadline.
fn deadline_in(seconds: f64) -> Option<Instant> {
    let delay = Duration::try_from_secs_f64(seconds).ok()?;
    Instant::now().checked_add(delay)
}

impl PxMagics {
    /// Submits `code` to `targets`, after the verbose line (`Async` unless `block_word`).
    /// The result becomes the set's last result, and `out` stores it. With `events`, the
    /// result delivers output events for a live display.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn submit(
        &mut self,
        set: usize,
        client: &Client,
        code: &str,
        targets: &Targets,
        block_word: bool,
        events: bool,
        out: Option<&str>,
        sink: &mut Sink<'_>,
    ) -> Result<(AsyncResult, PxResult), Failure> {
        if self.sets[set].view.verbose {
            sink.stream(StreamName::Stdout, &verbose_line(targets, block_word));
        }
        let opts = ExecuteOptions {
            silent: false,
            stream: events,
            ..ExecuteOptions::default()
        };
        let ar = client
            .direct_view(targets.clone())
            .execute(code, &opts)
            .await?;
        let result = PxResult::new(&ar, targets.clone());
        self.sets[set].last_result = Some(result.clone());
        if let Some(name) = out {
            self.stored = Some(StoredResult {
                name: name.to_owned(),
                result: result.clone(),
            });
        }
        Ok((ar, result))
    }

    /// Stock's `parallel_execute`: submit, then either the blocking sequence or, without
    /// blocking, the result object as the cell's value (`show_value`; autopx shows none).
    pub(super) async fn parallel_execute(
        &mut self,
        set: usize,
        client: &Client,
        code: &str,
        settings: &CellSettings,
        show_value: bool,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        let events = settings.block && settings.stream;
        let (ar, result) = self
            .submit(
                set,
                client,
                code,
                &settings.targets,
                settings.block,
                events,
                settings.out.as_deref(),
                sink,
            )
            .await?;
        if settings.block {
            self.run_blocking(ar, &result, settings, client, sink).await
        } else {
            if show_value {
                show_pending(sink, &result);
            }
            Ok(())
        }
    }

    /// The blocking sequence of spec §6, steps 3–6.
    async fn run_blocking(
        &mut self,
        ar: AsyncResult,
        result: &PxResult,
        settings: &CellSettings,
        client: &Client,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        let live = settings.stream.then(|| LiveDisplay::new(self.color));
        let mut watch = Watch::new(ar, live);
        let mut armed = self.interrupt.arm();
        let waited = wait_and_get(&mut watch, settings, result.is_single(), &mut armed, sink).await;
        watch.close_bar(sink);
        watch.stop_streaming();
        let outcome = match waited {
            Waited::Finished(outcome) => outcome,
            Waited::Interrupted => {
                send_interrupt(client, &watch, &settings.signal_on_interrupt, sink).await
            }
        };
        if !settings.stream {
            // Shown before the error is reported, whatever happened (stock's `finally`).
            let grace = Some(Instant::now() + OUTPUT_GRACE);
            wait_for(&mut watch, Until::Output, grace, &mut armed, sink).await?;
            if !watch.result().all_replied() {
                return Err(Failure::not_ready());
            }
            wait_for(&mut watch, Until::Output, None, &mut armed, sink).await?;
            result.display(sink, settings.group_by, self.color);
        }
        outcome
    }

    /// `%%px --local` (spec §13): submit without blocking, run the cell locally, then
    /// wait and show the remote output grouped, or return the result object.
    pub(super) async fn run_local(
        &mut self,
        set: usize,
        client: &Client,
        code: &str,
        settings: &CellSettings,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        if self.local.is_none() {
            return Err(MagicsError::NoLocalNamespace.into());
        }
        let (ar, result) = self
            .submit(
                set,
                client,
                code,
                &settings.targets,
                false,
                false,
                settings.out.as_deref(),
                sink,
            )
            .await?;
        if let Some(local) = self.local.as_mut().map(exclusive) {
            if let Err(e) = local.run_cell(code, sink).await {
                report(sink, &Failure::Local(e));
            }
        }
        if !settings.block {
            show_pending(sink, &result);
            return Ok(());
        }
        let mut watch = Watch::new(ar, None);
        let mut armed = self.interrupt.arm();
        wait_for(&mut watch, Until::Replies, None, &mut armed, sink).await?;
        if let Some(Err(e)) = watch.result().try_get() {
            return Err(client_failure(e, result.is_single(), false));
        }
        wait_for(&mut watch, Until::Output, None, &mut armed, sink).await?;
        result.display(sink, settings.group_by, self.color);
        Ok(())
    }
}

/// The result object as the cell's value: `<AsyncResult(%px): pending>`.
pub(super) fn show_pending(sink: &mut Sink<'_>, result: &PxResult) {
    sink.execute_result(&json!({"text/plain": result.repr()}), &json!({}));
}

/// Waits for `until` (up to `deadline`); an interrupt ends the cell with a
/// KeyboardInterrupt, as it does in stock outside the guarded wait.
pub(super) async fn wait_for(
    watch: &mut Watch,
    until: Until,
    deadline: Option<Instant>,
    armed: &mut Armed,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    match watch.wait(sink, until, deadline, Some(armed)).await? {
        WaitEnd::Interrupted => Err(Failure::keyboard_interrupt()),
        WaitEnd::Reached | WaitEnd::TimedOut => Ok(()),
    }
}

/// Spec §6 step 4 (waiting, with the progress bar) and step 5 (the outcome).
async fn wait_and_get(
    watch: &mut Watch,
    settings: &CellSettings,
    single: bool,
    armed: &mut Armed,
    sink: &mut Sink<'_>,
) -> Waited {
    let after = settings.progress_after;
    let mut finished = false;
    if after > 0.0 {
        // Quick results show no bar: wait for replies, then output, within one deadline.
        let deadline = deadline_in(after);
        step!(watch.wait(sink, Until::Replies, deadline, Some(&mut *armed)));
        step!(watch.wait(sink, Until::Output, deadline, Some(&mut *armed)));
        finished = watch.result().all_replied();
    }
    if !finished {
        if after >= 0.0 {
            watch.start_bar(sink);
            step!(watch.wait(sink, Until::Replies, None, Some(&mut *armed)));
            watch.close_bar(sink);
            let deadline = Some(Instant::now() + OUTPUT_GRACE);
            step!(watch.wait(sink, Until::Output, deadline, Some(&mut *armed)));
        } else {
            // No bar and no wait for output: only the replies, as `get()` waits.
            step!(watch.wait(sink, Until::Replies, None, Some(&mut *armed)));
        }
    }
    if settings.stream && watch.result().all_replied() && !watch.result().ready() {
        // Deliberate deviation (README): stock stops streaming at the last reply, losing
        // output still on its way; we give it the same grace as the grouped display.
        let deadline = Some(Instant::now() + OUTPUT_GRACE);
        step!(watch.wait(sink, Until::Output, deadline, Some(&mut *armed)));
    }
    let shown = settings.stream && watch.result().ready();
    match watch.result().try_get() {
        Some(Err(e)) => Waited::Finished(Err(client_failure(e, single, shown))),
        Some(Ok(_)) | None => Waited::Finished(Ok(())),
    }
}

/// Spec §15: say so on stderr, then send the cell's signal to its engines and wait for
/// the acknowledgement. The cell then ends without error.
async fn send_interrupt(
    client: &Client,
    watch: &Watch,
    signal: &Signal,
    sink: &mut Sink<'_>,
) -> Result<(), Failure> {
    sink.stream(
        StreamName::Stderr,
        &format!("Received Keyboard Interrupt. Sending signal {signal} to engines...\n"),
    );
    sink.flush();
    let sig = signal
        .number()
        .ok_or_else(|| MagicsError::UnknownSignal(signal.to_string()))?;
    let ids: Vec<i64> = watch
        .result()
        .results()
        .iter()
        .filter_map(|r| r.engine_id)
        .collect();
    client.direct_view(Targets::List(ids)).signal(sig).await?;
    Ok(())
}
