//! The non-streamed display of a finished submission (spec §9): what `--no-stream`,
//! `%result` and `--local` show, in engine order, grouped by type, engine or order.

use px_client::{EngineResult, StreamName};

use super::out::{out_bundle, out_metadata, output_label, republish};
use super::prefix::{header, StreamPrefixState};
use super::sink::OutputSink;
use crate::flags::GroupBy;

/// How to display a result: its grouping, whether it is stock's single-result mode (an int
/// target: no headers, no labels), and whether `Out[N:k]` is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayOptions {
    /// Grouping of multi-engine output.
    pub group_by: GroupBy,
    /// An int target: show everything without `[stdout:N]` headers or `[output:N]` labels.
    pub single: bool,
    /// Colour the `Out[N:k]: ` prefix (false for IPython's `NoColor` scheme).
    pub color: bool,
}

impl Default for DisplayOptions {
    fn default() -> Self {
        DisplayOptions {
            group_by: GroupBy::Type,
            single: false,
            color: true,
        }
    }
}

fn id(r: &EngineResult) -> i64 {
    r.engine_id.unwrap_or(-1)
}

fn show_value(sink: &mut dyn OutputSink, r: &EngineResult, color: bool) {
    if let Some(er) = &r.execute_result {
        sink.display_data(
            &out_bundle(id(r), er, color),
            &out_metadata(r),
            &serde_json::json!({}),
        );
    }
}

/// One engine's text of one stream, under its `[stdout:N]` / `[stderr:N]` header.
fn print_stream(
    state: &mut StreamPrefixState,
    sink: &mut dyn OutputSink,
    r: &EngineResult,
    name: StreamName,
) {
    let text = match name {
        StreamName::Stdout => &r.stdout,
        StreamName::Stderr => &r.stderr,
    };
    state.print(sink, name, &header(name, id(r)), text);
}

/// Shows every engine's stdout, stderr, displays and value, as stock's
/// `AsyncResult.display_outputs` does. Errors are not shown here: the caller reports them
/// afterwards. `state` is the result's header state (kept between displays).
pub fn display_outputs(
    sink: &mut dyn OutputSink,
    results: &[EngineResult],
    opts: DisplayOptions,
    state: &mut StreamPrefixState,
) {
    if opts.single {
        for r in results {
            state.print(sink, StreamName::Stdout, "", &r.stdout);
            state.print(sink, StreamName::Stderr, "", &r.stderr);
            for output in &r.outputs {
                republish(sink, output, id(r));
            }
            show_value(sink, r, opts.color);
        }
        return;
    }
    match opts.group_by {
        GroupBy::Engine => {
            for r in results {
                print_stream(state, sink, r, StreamName::Stdout);
                print_stream(state, sink, r, StreamName::Stderr);
                if !r.outputs.is_empty() || r.execute_result.is_some() {
                    output_label(sink, id(r));
                }
                for output in &r.outputs {
                    republish(sink, output, id(r));
                }
                show_value(sink, r, opts.color);
            }
        }
        GroupBy::Type | GroupBy::Order => {
            for r in results {
                print_stream(state, sink, r, StreamName::Stdout);
            }
            for r in results {
                print_stream(state, sink, r, StreamName::Stderr);
            }
            if opts.group_by == GroupBy::Order {
                // Deliberate deviation (README): stock shows only the engines having the
                // most displays (spec §9.4, quirk 4); we show every engine's i-th display.
                let most = results.iter().map(|r| r.outputs.len()).max().unwrap_or(0);
                for i in 0..most {
                    for r in results.iter().filter(|r| r.outputs.len() > i) {
                        output_label(sink, id(r));
                        republish(sink, &r.outputs[i], id(r));
                    }
                }
            } else {
                for r in results.iter().filter(|r| !r.outputs.is_empty()) {
                    output_label(sink, id(r));
                    for output in &r.outputs {
                        republish(sink, output, id(r));
                    }
                }
            }
            for r in results {
                show_value(sink, r, opts.color);
            }
        }
    }
}
