//! The text progress bar of a slow blocking `%px` (spec §14): the `tqdm` bar stock prints
//! on the local stdout when ipywidgets is not installed.

use std::time::Duration;

use px_client::StreamName;
use tokio::time::Instant;

use crate::render::OutputSink;

/// How often the bar is redrawn while waiting (stock's `wait_interactive` interval).
pub(crate) const REDRAW_INTERVAL: Duration = Duration::from_millis(100);

/// Width of the bar itself: tqdm's width when the output is not a terminal (a kernel).
const BAR_WIDTH: usize = 10;

/// tqdm's bar characters: a space, then eighths of a block.
const EIGHTHS: [char; 9] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// A bar counting replies out of `total` requests, labelled `%px`, unit `tasks`; or the
/// sink's own bar, if it draws one ([`OutputSink::progress`]).
///
/// Each draw is its own stdout write starting with `\r`, so a kernel sends one `stream`
/// message per redraw and a terminal overwrites the line; closing writes the final state
/// and a newline, which leaves the bar on screen.
#[derive(Debug)]
pub(crate) struct ProgressBar {
    total: usize,
    started: Instant,
    next_draw: Instant,
}

impl ProgressBar {
    /// Shows the bar at `done` of `total`.
    pub(crate) fn start(sink: &mut dyn OutputSink, total: usize, done: usize) -> Self {
        let now = Instant::now();
        let mut bar = ProgressBar {
            total,
            started: now,
            next_draw: now,
        };
        bar.draw(sink, done);
        bar
    }

    /// When the next redraw is due.
    pub(crate) fn next_draw(&self) -> Instant {
        self.next_draw
    }

    /// Redraws with `done` replies if a redraw is due at `now`. A full bar is left to
    /// [`close`](Self::close): the replies can all be counted a moment before the wait
    /// sees them, and stock draws 100% once.
    pub(crate) fn tick(&mut self, sink: &mut dyn OutputSink, done: usize, now: Instant) {
        if now < self.next_draw {
            return;
        }
        if done < self.total {
            self.draw(sink, done);
        } else {
            self.next_draw = now + REDRAW_INTERVAL;
        }
    }

    /// Redraws with `done` replies.
    pub(crate) fn draw(&mut self, sink: &mut dyn OutputSink, done: usize) {
        let now = Instant::now();
        self.next_draw = now + REDRAW_INTERVAL;
        if sink.progress(done, self.total, false) {
            return;
        }
        let line = format_meter(done, self.total, now - self.started);
        sink.stream(StreamName::Stdout, &format!("\r{line}"));
        // tqdm flushes each redraw: one stream message each.
        sink.flush();
    }

    /// Draws the final state and ends the line.
    pub(crate) fn close(mut self, sink: &mut dyn OutputSink, done: usize) {
        if sink.progress(done, self.total, true) {
            return;
        }
        self.draw(sink, done);
        sink.stream(StreamName::Stdout, "\n");
    }
}

/// tqdm's `format_meter` for `%px` in `tasks`, with a 10-character bar:
/// `%px:  25%|██▌       | 1/4 [00:01<00:00,  9.85tasks/s]`. The rate is the average since
/// the bar appeared (tqdm smooths it; its exact value varies from run to run anyway).
pub(crate) fn format_meter(n: usize, total: usize, elapsed: Duration) -> String {
    let frac = if total == 0 {
        0.0
    } else {
        n.min(total) as f64 / total as f64
    };
    let secs = elapsed.as_secs_f64();
    let rate = (n > 0 && secs > 0.0).then(|| n as f64 / secs);
    let remaining = match rate {
        Some(r) => format_interval(total.saturating_sub(n) as f64 / r),
        None => "?".to_owned(),
    };
    let rate = match rate {
        Some(r) if r < 1.0 => format!("{:5.2}s/tasks", 1.0 / r),
        Some(r) => format!("{r:5.2}tasks/s"),
        None => "?tasks/s".to_owned(),
    };
    format!(
        "%px: {:3.0}%|{}| {n}/{total} [{}<{remaining}, {rate}]",
        frac * 100.0,
        bar(frac),
        format_interval(secs),
    )
}

/// `MM:SS`, or `H:MM:SS` from an hour on, as tqdm writes intervals.
fn format_interval(secs: f64) -> String {
    // Truncated as Python's int() does; negative or NaN durations cannot occur here.
    let t = secs.max(0.0) as u64;
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

fn bar(frac: f64) -> String {
    let eighths = (frac * (BAR_WIDTH * 8) as f64) as usize;
    let (full, part) = (eighths / 8, eighths % 8);
    let mut s: String = std::iter::repeat_n(EIGHTHS[8], full.min(BAR_WIDTH)).collect();
    if full < BAR_WIDTH {
        s.push(EIGHTHS[part]);
        s.extend(std::iter::repeat_n(' ', BAR_WIDTH - full - 1));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::CaptureSink;

    /// A sink with a bar of its own: records the calls, shows no text.
    #[derive(Default)]
    struct OwnBar {
        calls: Vec<(usize, usize, bool)>,
        text: String,
    }

    impl OutputSink for OwnBar {
        fn stream(&mut self, _: StreamName, text: &str) {
            self.text.push_str(text);
        }
        fn display_data(
            &mut self,
            _: &serde_json::Value,
            _: &serde_json::Value,
            _: &serde_json::Value,
        ) {
        }
        fn update_display_data(
            &mut self,
            _: &serde_json::Value,
            _: &serde_json::Value,
            _: &serde_json::Value,
        ) {
        }
        fn execute_result(&mut self, _: &serde_json::Value, _: &serde_json::Value) {}
        fn error(&mut self, _: &str, _: &str, _: &[String]) {}
        fn progress(&mut self, done: usize, total: usize, finished: bool) -> bool {
            self.calls.push((done, total, finished));
            true
        }
    }

    #[tokio::test]
    async fn a_sink_with_its_own_bar_gets_the_counts_and_no_text() {
        let mut sink = OwnBar::default();
        let mut bar = ProgressBar::start(&mut sink, 4, 0);
        bar.draw(&mut sink, 3);
        // A due redraw of a full bar waits for the close.
        bar.tick(&mut sink, 4, Instant::now() + REDRAW_INTERVAL);
        bar.close(&mut sink, 4);
        assert_eq!(sink.calls, [(0, 4, false), (3, 4, false), (4, 4, true)]);
        assert!(sink.text.is_empty());

        // Others get stock's text bar, ended by a newline.
        let mut capture = CaptureSink::new();
        ProgressBar::start(&mut capture, 2, 0).close(&mut capture, 2);
        let text: String = capture
            .finish()
            .iter()
            .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
            .collect();
        assert!(
            text.starts_with("\r%px:   0%|") && text.contains("| 2/2 [") && text.ends_with('\n'),
            "{text:?}"
        );
    }

    /// Expected texts: tqdm 4.70's `format_meter` with the same numbers (and the lines of
    /// the `progress_bar` recording).
    #[test]
    fn lines_match_tqdm() {
        let ms = Duration::from_millis;
        assert_eq!(
            format_meter(0, 4, ms(900)),
            "%px:   0%|          | 0/4 [00:00<?, ?tasks/s]"
        );
        assert_eq!(
            format_meter(4, 4, ms(1010)),
            "%px: 100%|██████████| 4/4 [00:01<00:00,  3.96tasks/s]"
        );
        assert_eq!(
            format_meter(1, 4, ms(3000)),
            "%px:  25%|██▌       | 1/4 [00:03<00:09,  3.00s/tasks]"
        );
        assert_eq!(
            format_meter(4, 4, Duration::from_secs(3725)),
            "%px: 100%|██████████| 4/4 [1:02:05<00:00, 931.25s/tasks]"
        );
        assert_eq!(
            format_meter(1, 3, ms(500)),
            "%px:  33%|███▎      | 1/3 [00:00<00:01,  2.00tasks/s]"
        );
        assert_eq!(
            format_meter(2, 3, ms(500)),
            "%px:  67%|██████▋   | 2/3 [00:00<00:00,  4.00tasks/s]"
        );
    }
}
