//! Where a local execution's events go: the host's output (a kernel's IOPub, a terminal),
//! or the magics' sink for a nested cell.

use px_client::StreamName as PxStream;
use px_worker::{DisplayData, Event, Execution, StreamName};
use serde_json::Value;

use crate::render::OutputSink;
use crate::session::{BoxFuture, ErrorReply};

/// Receives what a local cell produces, in order: the worker's events, as the host shows
/// them. A kernel turns them into IOPub messages; pxsh prints them.
pub trait LocalOutput: Send {
    /// Text the code wrote to file descriptor 1 or 2.
    fn stream(&mut self, name: StreamName, text: &str);
    /// `display(obj)`.
    fn display(&mut self, d: DisplayData);
    /// An update of an earlier display with the same `display_id`.
    fn update(&mut self, d: DisplayData);
    /// `clear_output(wait)`.
    fn clear(&mut self, wait: bool);
    /// The cell's value. The host numbers it: the worker's own count skips the cells the
    /// magics ran, so it is not the prompt number the user sees.
    fn result(&mut self, data: Value, metadata: Value);
    /// The exception that ended the cell.
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]);
    /// The code called `input()`: ask the user for a line; `None` refuses (the code then
    /// gets an error instead of blocking forever).
    fn input<'a>(&'a mut self, prompt: &'a str, password: bool) -> BoxFuture<'a, Option<String>>;
    /// The code asked its host for something only the host has (a `-o NAME` handle asking
    /// about its result): the answer, or the message the call raises with. A host that
    /// binds no results refuses.
    fn host_call<'a>(
        &'a mut self,
        name: &'a str,
        _args: &'a Value,
    ) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async move { Err(format!("this shell does not answer {name:?}")) })
    }
}

/// A nested cell (`%%px --local`): output to the magics' sink; its error is kept, not
/// shown (the magics show it), and it cannot ask for input.
pub(super) struct SinkOutput<'a> {
    pub(super) sink: &'a mut (dyn OutputSink + Send),
    pub(super) error: Option<ErrorReply>,
}

impl LocalOutput for SinkOutput<'_> {
    fn stream(&mut self, name: StreamName, text: &str) {
        let name = match name {
            StreamName::Stdout => PxStream::Stdout,
            StreamName::Stderr => PxStream::Stderr,
        };
        self.sink.stream(name, text);
    }
    fn display(&mut self, d: DisplayData) {
        self.sink.display_data(
            &Value::Object(d.data),
            &Value::Object(d.metadata),
            &Value::Object(d.transient),
        );
    }
    fn update(&mut self, d: DisplayData) {
        self.sink.update_display_data(
            &Value::Object(d.data),
            &Value::Object(d.metadata),
            &Value::Object(d.transient),
        );
    }
    fn clear(&mut self, _wait: bool) {}
    fn result(&mut self, data: Value, metadata: Value) {
        self.sink.execute_result(&data, &metadata);
    }
    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.error = Some(ErrorReply {
            ename: ename.to_owned(),
            evalue: evalue.to_owned(),
            traceback: traceback.to_vec(),
        });
    }
    fn input<'a>(&'a mut self, _: &'a str, _: bool) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }
    // The magics are busy running this cell: their results cannot be asked about here.
    fn host_call<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a Value,
    ) -> BoxFuture<'a, Result<Value, String>> {
        Box::pin(async { Err("parallel results cannot be read inside %%px --local".to_owned()) })
    }
}

/// Hands every event of `run` to `out`, answering input requests, until the run ends.
pub(super) async fn forward_events(run: &mut Execution, out: &mut dyn LocalOutput) {
    // An event that arrived while a question was open: the code stopped waiting for it.
    let mut early = None;
    loop {
        let event = match early.take() {
            Some(event) => event,
            None => match run.next_event().await {
                Some(event) => event,
                None => return,
            },
        };
        match event {
            Event::Stream { name, text } => out.stream(name, &text),
            Event::DisplayData(d) => out.display(d),
            Event::UpdateDisplayData(d) => out.update(d),
            Event::ClearOutput { wait } => out.clear(wait),
            Event::ExecuteResult { data, metadata, .. } => {
                out.result(Value::Object(data), Value::Object(metadata))
            }
            Event::Error(e) => out.error(&e.ename, &e.evalue, &e.traceback),
            // Only engines publish data (`publish_data`); a local cell has nobody to tell.
            Event::Data { .. } => {}
            Event::InputRequest { prompt, password } => {
                // An interrupted `input()` raises and goes on without its answer: the
                // question is dropped as soon as the code does anything else.
                let line = tokio::select! {
                    line = out.input(&prompt, password) => line,
                    later = run.next_event() => match later {
                        Some(event) => {
                            early = Some(event);
                            continue;
                        }
                        None => return,
                    },
                };
                let answered = match line {
                    Some(value) => run.answer_input(value),
                    None => run.refuse_input(),
                };
                if let Err(e) = answered {
                    tracing::warn!("could not answer input: {e}");
                }
            }
            Event::HostCall { name, args } => {
                let answer = out.host_call(&name, &args).await;
                if let Err(e) = run.answer_host(answer) {
                    tracing::warn!("could not answer a host call: {e}");
                }
            }
        }
    }
}
