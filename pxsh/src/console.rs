//! [`Console`]: where everything a cell shows goes — the magics' per-engine output and the
//! local Python's — printed as IPython's terminal prints it.

use std::io::{Stderr, Stdout};

use px_client::StreamName;
use px_magics::{BoundResults, BoxFuture, LocalOutput, OutputSink, TerminalSink};
use px_worker::DisplayData;
use serde_json::Value;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ansi::AnsiFilter;
use crate::line_input::{read_line, EchoOff};
use crate::prompt;

/// The sink under the console: px-magics' terminal rendering, through the colour filter.
type Sink = TerminalSink<AnsiFilter<Stdout>, AnsiFilter<Stderr>>;

/// Prints a session's output on stdout and stderr.
///
/// The magics' output goes through px-magics' [`TerminalSink`] (headers on their own line,
/// displays as their text, tracebacks as lines); a cell's value gets IPython's
/// `Out[n]: ` prompt; without colour every escape sequence is dropped on the way out. A
/// slow blocking `%px` shows an indicatif bar of engines done on stderr (only on a
/// terminal), which output printed meanwhile goes around and which disappears when the
/// wait ends.
pub struct Console {
    inner: Sink,
    color: bool,
    /// The prompt number of the cell running now.
    execution_count: u64,
    /// The progress bar, while one is shown.
    bar: Option<ProgressBar>,
    /// What answers local code asking about `-o NAME` results.
    bound: Option<BoundResults>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("color", &self.color)
            .field("execution_count", &self.execution_count)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console on the process's stdout and stderr, with colour or plain.
    pub fn new(color: bool) -> Self {
        let out = AnsiFilter::new(std::io::stdout(), color);
        let err = AnsiFilter::new(std::io::stderr(), color);
        Console {
            inner: TerminalSink::new(out, err),
            color,
            execution_count: 0,
            bar: None,
            bound: None,
        }
    }

    /// Lets local code's `-o NAME` handles ask `bound` about their results.
    pub fn answer_results_from(&mut self, bound: BoundResults) {
        self.bound = Some(bound);
    }

    /// Runs `print` with the progress bar (if any) off the screen, so text never mixes
    /// with it.
    fn around_bar(&mut self, print: impl FnOnce(&mut Sink)) {
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                print(&mut self.inner);
                self.inner.flush();
            }),
            None => print(&mut self.inner),
        }
    }

    fn bar_style(&self) -> ProgressStyle {
        let template = if self.color {
            "%px {bar:40.green/white} {pos}/{len} engines done [{elapsed}]"
        } else {
            "%px {bar:40} {pos}/{len} engines done [{elapsed}]"
        };
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("━╸─")
    }

    /// Numbers the values of the cell about to run.
    pub fn set_execution_count(&mut self, n: u64) {
        self.execution_count = n;
    }

    /// Prints `text` on stdout as it is (a notice, a blank line between cells).
    pub fn print(&mut self, text: &str) {
        self.around_bar(|inner| {
            inner.stream(StreamName::Stdout, text);
            inner.flush();
        });
    }

    /// Prints `text` on stderr as it is.
    pub fn eprint(&mut self, text: &str) {
        self.around_bar(|inner| {
            inner.stream(StreamName::Stderr, text);
            inner.flush();
        });
    }

    /// IPython's display of a cell's value: `Out[n]: ` and its text, on a line of its own
    /// when the text has several lines.
    fn show_value(&mut self, data: &Value) {
        let Some(text) = data.get("text/plain").and_then(Value::as_str) else {
            return;
        };
        let sep = if text.contains('\n') { "\n" } else { "" };
        let line = format!(
            "{}{sep}{text}\n",
            prompt::out_prompt(self.execution_count, self.color)
        );
        self.print(&line);
    }
}

impl OutputSink for Console {
    fn stream(&mut self, name: StreamName, text: &str) {
        self.around_bar(|inner| inner.stream(name, text));
    }

    fn display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        self.around_bar(|inner| inner.display_data(data, metadata, transient));
    }

    fn update_display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        self.around_bar(|inner| inner.update_display_data(data, metadata, transient));
    }

    fn execute_result(&mut self, data: &Value, _metadata: &Value) {
        self.show_value(data);
    }

    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.around_bar(|inner| inner.error(ename, evalue, traceback));
    }

    fn flush(&mut self) {
        self.inner.flush();
    }

    fn progress(&mut self, done: usize, total: usize, finished: bool) -> bool {
        if finished {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
            return true;
        }
        let style = self.bar_style();
        let bar = self.bar.get_or_insert_with(|| {
            // Hidden by indicatif itself when stderr is not a terminal.
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(style);
            bar
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.tick();
        true
    }

    fn is_terminal(&self) -> bool {
        true
    }
}

fn stream_name(name: px_worker::StreamName) -> StreamName {
    match name {
        px_worker::StreamName::Stdout => StreamName::Stdout,
        px_worker::StreamName::Stderr => StreamName::Stderr,
    }
}

impl LocalOutput for Console {
    fn stream(&mut self, name: px_worker::StreamName, text: &str) {
        self.inner.stream(stream_name(name), text);
        // Local output appears as the code writes it, as in IPython.
        self.inner.flush();
    }

    fn display(&mut self, d: DisplayData) {
        let transient = Value::Object(d.transient);
        self.inner.display_data(
            &Value::Object(d.data),
            &Value::Object(d.metadata),
            &transient,
        );
    }

    fn update(&mut self, _d: DisplayData) {}

    fn clear(&mut self, _wait: bool) {}

    fn result(&mut self, data: Value, _metadata: Value) {
        self.show_value(&data);
    }

    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.inner.error(ename, evalue, traceback);
        self.inner.flush();
    }

    fn input<'a>(&'a mut self, prompt: &'a str, password: bool) -> BoxFuture<'a, Option<String>> {
        let quiet = password.then(EchoOff::new).flatten();
        self.print(prompt);
        Box::pin(async move {
            let line = read_line().await;
            drop(quiet);
            if password {
                // The typed Enter was not echoed either.
                self.print("\n");
            }
            line
        })
    }

    fn host_call<'a>(
        &'a mut self,
        name: &'a str,
        args: &'a Value,
    ) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move {
            let Some(bound) = self.bound.clone() else {
                return Err("this shell holds no parallel results".to_owned());
            };
            let color = self.color;
            bound.answer(name, args, self, color).await
        })
    }
}
