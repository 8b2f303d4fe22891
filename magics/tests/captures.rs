//! Rendering checked against the IOPub recordings of stock IPython + ipyparallel 9.2
//! (`shared/spec/magics-captures`, beside the repository). Each test builds the engine results (or the
//! events, in arrival order) a recorded cell implies, renders them, and compares the
//! published messages with the recording: msg_type and content, with display ids and the
//! opaque metadata of `Out[N:k]` displays normalised (the captures' README lists both).

use std::path::PathBuf;

use px_client::{
    AlreadyDisplayedError, CompositeError, EngineResult, OutputEvent, RemoteError, StreamName,
};
use px_magics::{
    display_outputs, parse_cell, render_error, render_usage_error, verbose_line, CaptureSink,
    CellError, DisplayOptions, GroupBy, LiveDisplay, MagicsError, OutputSink, StreamPrefixState,
};
use serde_json::{json, Value};

fn captures_dir() -> PathBuf {
    std::env::var_os("PX_MAGICS_CAPTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/spec/magics-captures"
            ))
        })
}

fn capture(name: &str) -> Value {
    let path = captures_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).expect("capture is JSON")
}

/// The cell whose code is `code`.
fn cell<'a>(capture: &'a Value, code: &str) -> &'a Value {
    capture["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("no cell {code:?} in {}", capture["scenario"]))
}

fn is_out_metadata(md: &Value) -> bool {
    md.get("msg_id").is_some() || md.get("engine_id").is_some()
}

/// Normalises one message: display ids and `Out` metadata are volatile (README).
fn normalise(msg_type: &str, content: &Value) -> Value {
    let mut content = content.clone();
    if msg_type == "display_data" || msg_type == "update_display_data" {
        if is_out_metadata(&content["metadata"]) {
            content["metadata"] = json!("<Out metadata>");
        }
        if content["transient"].get("display_id").is_some() {
            content["transient"]["display_id"] = json!("<display id>");
        }
    }
    json!({"msg_type": msg_type, "content": content})
}

/// The output messages of a recorded cell (no status/execute_input/execute_result:
/// the latter is the cell's own value, published by the kernel, not by the renderer).
fn recorded(cell: &Value) -> Vec<Value> {
    cell["iopub"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["parent_is_cell"] == true)
        .filter(|m| {
            matches!(
                m["msg_type"].as_str(),
                Some("stream" | "display_data" | "update_display_data" | "error")
            )
        })
        .map(|m| normalise(m["msg_type"].as_str().unwrap(), &m["content"]))
        .collect()
}

fn ours(sink: CaptureSink) -> Vec<Value> {
    sink.finish()
        .iter()
        .map(|m| normalise(m["msg_type"].as_str().unwrap(), &m["content"]))
        .collect()
}

fn assert_same(ours: Vec<Value>, cell: &Value) {
    let recorded = recorded(cell);
    assert_eq!(
        ours.len(),
        recorded.len(),
        "cell {:?}\nours: {ours:#?}\nrecorded: {recorded:#?}",
        cell["code"]
    );
    for (i, (o, r)) in ours.iter().zip(&recorded).enumerate() {
        assert_eq!(o, r, "cell {:?}, message {i}", cell["code"]);
    }
}

// ---- building engine results ----

fn engine(id: i64) -> EngineResult {
    EngineResult {
        msg_id: format!("msg-{id}"),
        engine_id: Some(id),
        status: Some("ok".into()),
        ..EngineResult::default()
    }
}

fn value(count: i64, text: &str) -> Value {
    json!({"data": {"text/plain": text}, "metadata": {}, "execution_count": count})
}

fn html(plain: &str, mime: &str, body: &str) -> Value {
    json!({"data": {"text/plain": plain, mime: body}, "metadata": {}, "transient": {}})
}

fn grouped(results: &[EngineResult], group_by: GroupBy) -> Vec<Value> {
    let mut sink = CaptureSink::new();
    let opts = DisplayOptions {
        group_by,
        ..DisplayOptions::default()
    };
    display_outputs(&mut sink, results, opts, &mut StreamPrefixState::default());
    ours(sink)
}

/// The traceback lines of engine `id` inside a recorded composite traceback: between its
/// `[id:execute]:` label and the empty line closing it.
fn composite_traceback_of(error_content: &Value, id: i64) -> Vec<String> {
    let lines: Vec<String> = serde_json::from_value(error_content["traceback"].clone()).unwrap();
    let label = format!("[{id}:execute]:");
    let start = lines.iter().position(|l| *l == label).expect("label") + 1;
    let is_end =
        |l: &String| (l.starts_with('[') && l.ends_with(":execute]:")) || l.starts_with("... ");
    let len = lines[start..]
        .iter()
        .position(is_end)
        .unwrap_or(lines.len() - start);
    let mut tb = lines[start..start + len].to_vec();
    // Each rendered traceback is followed by one empty line.
    assert_eq!(tb.pop().as_deref(), Some(""));
    tb
}

fn remote(id: i64, ename: &str, evalue: &str, traceback: Vec<String>) -> RemoteError {
    RemoteError {
        engine_id: Some(id),
        engine_uuid: Some(format!("uuid-{id}")),
        method: Some("execute".into()),
        ename: ename.into(),
        evalue: evalue.into(),
        traceback,
    }
}

fn recorded_error(cell: &Value) -> Value {
    cell["iopub"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msg_type"] == "error")
        .expect("an error message")["content"]
        .clone()
}

// ---- streamed cells: events reconstructed from the recording, in arrival order ----

/// The events that made a streamed recording: stream chunks from the growth of each
/// `[stdout:N]` display, displays after their `[output:N]` label, values from `Out[N:k]`.
fn events_of(cell: &Value) -> Vec<OutputEvent> {
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut events = Vec::new();
    let mut after_label: Option<i64> = None;
    for m in cell["iopub"].as_array().unwrap() {
        let content = &m["content"];
        let text = content["data"]["text/plain"].as_str().unwrap_or_default();
        match m["msg_type"].as_str().unwrap() {
            "display_data" | "update_display_data" => {
                if let Some(id) = content["transient"]
                    .get("display_id")
                    .and_then(Value::as_str)
                {
                    let (name, rest) = text[1..].split_once(':').unwrap();
                    let (eid, full) = rest.split_once("] ").unwrap();
                    let before = seen
                        .insert(id.to_owned(), full.to_owned())
                        .unwrap_or_default();
                    events.push(OutputEvent::Stream {
                        engine_id: Some(eid.parse().unwrap()),
                        msg_id: id
                            .trim_end_matches("-stdout")
                            .trim_end_matches("-stderr")
                            .into(),
                        name: if name == "stdout" {
                            StreamName::Stdout
                        } else {
                            StreamName::Stderr
                        },
                        text: full[before.len()..].to_owned(),
                    });
                } else if let Some(eid) = text.strip_prefix("[output:") {
                    after_label = Some(eid.trim_end_matches(']').parse().unwrap());
                } else if let Some(eid) = after_label.take() {
                    let mut metadata = content["metadata"].clone();
                    metadata.as_object_mut().unwrap().remove("engine");
                    events.push(OutputEvent::Display {
                        engine_id: Some(eid),
                        msg_id: format!("msg-{eid}"),
                        msg_type: "display_data".into(),
                        content: json!({"data": content["data"], "metadata": metadata, "transient": {}}),
                    });
                } else if let Some(rest) = text.strip_prefix("\u{1b}[0;31mOut[") {
                    let (eid, rest) = rest.split_once(':').unwrap();
                    let (count, rest) = rest.split_once("]: \u{1b}[0m").unwrap();
                    let plain = match rest.strip_prefix('\n') {
                        Some(r) if r.contains('\n') => r,
                        _ => rest,
                    };
                    let mut data = content["data"].clone();
                    data["text/plain"] = json!(plain);
                    events.push(OutputEvent::ExecuteResult {
                        engine_id: Some(eid.parse().unwrap()),
                        msg_id: format!("msg-{eid}"),
                        content: json!({"data": data, "metadata": {}, "execution_count": count.parse::<i64>().unwrap()}),
                    });
                }
            }
            _ => {}
        }
    }
    events
}

fn live(events: &[OutputEvent]) -> CaptureSink {
    let mut sink = CaptureSink::new();
    let mut display = LiveDisplay::new(true);
    for ev in events {
        display.handle(&mut sink, ev);
    }
    sink
}

// ---- the tests ----

#[test]
fn px_print_streams_one_display_per_engine() {
    let c = capture("px_print");
    let cell = cell(&c, "%px print('hi')");
    let events = events_of(cell);
    assert_eq!(events.len(), 4);
    assert_same(ours(live(&events)), cell);
}

#[test]
fn streaming_progressive_updates_the_display_in_place() {
    let c = capture("streaming_progressive");
    for cell in c["cells"].as_array().unwrap() {
        let events = events_of(cell);
        if events.is_empty() {
            continue;
        }
        assert_same(ours(live(&events)), cell);
    }
}

#[test]
fn stream_edge_cases_streamed_and_grouped() {
    let c = capture("stream_edge_cases");
    // Streamed: no trailing newline; carriage returns cleaned in the display text.
    let streamed = cell(&c, "%px print('no newline', end='')");
    assert_same(ours(live(&events_of(streamed))), streamed);
    // The `\r` chunk as the engine sent it, cleaned by the live display.
    let cell_cr = cell(&c, "%px print('abc\\rX')");
    let raw: Vec<OutputEvent> = (0..4)
        .map(|id| OutputEvent::Stream {
            engine_id: Some(id),
            msg_id: format!("msg-{id}"),
            name: StreamName::Stdout,
            text: "abc\rX\n".into(),
        })
        .collect();
    // Arrival order of the recording: 0, 2, 3, 1.
    let ordered: Vec<OutputEvent> = [0, 2, 3, 1].iter().map(|&i| raw[i].clone()).collect();
    assert_same(ours(live(&ordered)), cell_cr);

    let all = |f: &dyn Fn(&mut EngineResult)| -> Vec<EngineResult> {
        (0..4)
            .map(|id| {
                let mut r = engine(id);
                f(&mut r);
                r
            })
            .collect()
    };
    let cases: Vec<(&str, Vec<EngineResult>)> = vec![
        (
            "%%px --no-stream\nprint('no newline', end='')",
            all(&|r| r.stdout = "no newline".into()),
        ),
        (
            "%%px --no-stream\nimport sys\nprint('x', end='')\nprint('y', file=sys.stderr, end='')",
            all(&|r| {
                r.stdout = "x".into();
                r.stderr = "y".into();
            }),
        ),
        (
            // The client's accumulated text is already cleaned (`abc\rX` → `X`).
            "%%px --no-stream\nprint('abc\\rX')\nprint('progress 10%\\rprogress 100%')",
            all(&|r| r.stdout = "X\nprogress 100%\n".into()),
        ),
        (
            "%%px --no-stream\nimport sys\nprint('only err', file=sys.stderr)",
            all(&|r| r.stderr = "only err\n".into()),
        ),
        ("%%px --no-stream\npass", all(&|_| {})),
    ];
    for (code, results) in cases {
        assert_same(grouped(&results, GroupBy::Type), cell(&c, code));
    }
}

fn out1_err1_results(count: i64) -> Vec<EngineResult> {
    (0..4)
        .map(|id| EngineResult {
            stdout: "out1\nout2\n".into(),
            stderr: "err1\n".into(),
            execute_result: Some(value(count, "42")),
            ..engine(id)
        })
        .collect()
}

fn html_markdown_results(count: i64) -> Vec<EngineResult> {
    (0..4)
        .map(|id| EngineResult {
            stdout: "stdout\nstdout2\n".into(),
            stderr: "stderr\nstderr2\n".into(),
            outputs: vec![
                html(
                    "<IPython.core.display.HTML object>",
                    "text/html",
                    "<b>first</b>",
                ),
                html(
                    "<IPython.core.display.Markdown object>",
                    "text/markdown",
                    "*second*",
                ),
            ],
            execute_result: Some(value(count, "'final'")),
            ..engine(id)
        })
        .collect()
}

const HTML_MD_BODY: &str = "import sys\nfrom IPython.display import HTML, Markdown, display\nprint(\"stdout\")\nprint(\"stderr\", file=sys.stderr)\ndisplay(HTML(\"<b>first</b>\"))\nprint(\"stdout2\")\nprint(\"stderr2\", file=sys.stderr)\ndisplay(Markdown(\"*second*\"))\n\"final\"";
const OUT_ERR_BODY: &str =
    "import sys\nprint(\"out1\")\nprint(\"err1\", file=sys.stderr)\nprint(\"out2\")\n6 * 7";

#[test]
fn engine_grouping_matches_cellpx_engine_nostream() {
    let c = capture("cellpx_engine_nostream");
    let head = "%%px --block --group-outputs=engine --no-stream\n";
    assert_same(
        grouped(&out1_err1_results(1), GroupBy::Engine),
        cell(&c, &format!("{head}{OUT_ERR_BODY}")),
    );
    assert_same(
        grouped(&html_markdown_results(2), GroupBy::Engine),
        cell(&c, &format!("{head}{HTML_MD_BODY}")),
    );
}

#[test]
fn order_grouping_matches_cellpx_order_nostream() {
    let c = capture("cellpx_order_nostream");
    assert_same(
        grouped(&html_markdown_results(1), GroupBy::Order),
        cell(
            &c,
            &format!("%%px --group-outputs=order --no-stream\n{HTML_MD_BODY}"),
        ),
    );
}

#[test]
fn type_grouping_matches_cellpx_type_nostream() {
    let c = capture("cellpx_type_nostream");
    assert_same(
        grouped(&html_markdown_results(1), GroupBy::Type),
        cell(
            &c,
            &format!("%%px --group-outputs=type --no-stream\n{HTML_MD_BODY}"),
        ),
    );
    assert_same(
        grouped(&out1_err1_results(2), GroupBy::Type),
        cell(&c, &format!("%%px --no-stream\n{OUT_ERR_BODY}")),
    );
}

#[test]
fn order_grouping_shows_engines_with_fewer_displays_too() {
    let c = capture("cellpx_order_uneven");
    let results: Vec<EngineResult> = (0..4)
        .map(|id| {
            let n = if id == 0 { 2 } else { 1 };
            EngineResult {
                outputs: (0..n)
                    .map(|i| {
                        html(
                            "<IPython.core.display.HTML object>",
                            "text/html",
                            &format!("<i>d{i}</i>"),
                        )
                    })
                    .collect(),
                ..engine(id)
            }
        })
        .collect();
    let body = "from IPython.display import display, HTML\nfor i in range(n_disp):\n    display(HTML(f'<i>d{i}</i>'))";
    // Deliberate deviation (README): stock's `order` grouping drops the displays of
    // engines having fewer than the most (it shows engine 0's two only). Ours shows them
    // all, each engine's i-th display in turn: stock's own messages, from its `type`
    // grouping of the same results, in that order.
    let by_type = recorded(cell(
        &c,
        &format!("%%px --group-outputs=type --no-stream\n{body}"),
    ));
    let label = |e: usize| by_type[[0, 3, 5, 7][e]].clone();
    let first = |e: usize| by_type[[1, 4, 6, 8][e]].clone();
    let expected = vec![
        label(0),
        first(0),
        label(1),
        first(1),
        label(2),
        first(2),
        label(3),
        first(3),
        label(0),
        by_type[2].clone(),
    ];
    assert_eq!(grouped(&results, GroupBy::Order), expected);
    // What stock showed is part of it: engine 0's two displays, each labelled.
    let stock = recorded(cell(
        &c,
        &format!("%%px --group-outputs=order --no-stream\n{body}"),
    ));
    assert_eq!(stock, [&expected[..2], &expected[8..]].concat());
    assert_same(
        grouped(&results, GroupBy::Type),
        cell(
            &c,
            &format!("%%px --group-outputs=type --no-stream\n{body}"),
        ),
    );
}

#[test]
fn short_flag_e_labels_engines_with_a_value() {
    let c = capture("cellpx_short_flags");
    let code = "%%px -e --no-stream\nprint('e')\n1";
    let Some(Ok(inv)) = parse_cell(code, &[""]) else {
        panic!()
    };
    let px_magics::Command::CellPx { flags, .. } = inv.command else {
        panic!()
    };
    let results: Vec<EngineResult> = (0..4)
        .map(|id| EngineResult {
            stdout: "e\n".into(),
            execute_result: Some(value(1, "1")),
            ..engine(id)
        })
        .collect();
    assert_same(
        grouped(&results, flags.output.group_outputs),
        cell(&c, code),
    );
}

#[test]
fn rich_display_streamed_grouped_and_single() {
    let c = capture("rich_display");
    let streamed = cell(
        &c,
        "%%px\nfrom IPython.display import HTML, display\ndisplay(HTML('<b>bold</b>'))",
    );
    assert_same(ours(live(&events_of(streamed))), streamed);

    let bold = |id| EngineResult {
        outputs: vec![html(
            "<IPython.core.display.HTML object>",
            "text/html",
            "<b>bold</b>",
        )],
        ..engine(id)
    };
    let results: Vec<EngineResult> = (0..4).map(bold).collect();
    assert_same(
        grouped(&results, GroupBy::Type),
        cell(&c, "%%px --no-stream\nfrom IPython.display import HTML, display\ndisplay(HTML('<b>bold</b>'))"),
    );

    // An int target: no label, metadata.engine still set.
    let single = [EngineResult {
        outputs: vec![html(
            "<IPython.core.display.HTML object>",
            "text/html",
            "<b>single</b>",
        )],
        ..engine(0)
    }];
    let mut sink = CaptureSink::new();
    let opts = DisplayOptions {
        single: true,
        ..DisplayOptions::default()
    };
    display_outputs(&mut sink, &single, opts, &mut StreamPrefixState::default());
    assert_same(
        ours(sink),
        cell(&c, "%%px --targets 0 --no-stream\nfrom IPython.display import HTML, display\ndisplay(HTML('<b>single</b>'))"),
    );

    // clear_output on the engines clears nothing: both prints are shown.
    let results: Vec<EngineResult> = (0..2)
        .map(|id| EngineResult {
            stdout: "a\nb\n".into(),
            ..engine(id)
        })
        .collect();
    assert_same(
        grouped(&results, GroupBy::Type),
        cell(&c, "%%px --no-stream --targets 0:2\nfrom IPython.display import clear_output\nprint('a')\nclear_output()\nprint('b')"),
    );

    // A rich value keeps its other MIME types next to the Out text.
    let results = [
        EngineResult {
            execute_result: Some(
                json!({"data": {"text/plain": "<IPython.core.display.HTML object>", "text/html": "<i>result</i>"}, "metadata": {}, "execution_count": 5}),
            ),
            ..engine(0)
        },
        EngineResult {
            execute_result: Some(
                json!({"data": {"text/plain": "<IPython.core.display.HTML object>", "text/html": "<i>result</i>"}, "metadata": {}, "execution_count": 4}),
            ),
            ..engine(1)
        },
    ];
    assert_same(
        grouped(&results, GroupBy::Type),
        cell(&c, "%%px --no-stream --targets 0:2\nfrom IPython.display import HTML\nHTML('<i>result</i>')"),
    );
}

#[test]
fn multiline_reprs_start_on_the_next_line() {
    let c = capture("px_multiline_repr");
    for cell in c["cells"].as_array().unwrap() {
        let events = events_of(cell);
        assert_eq!(events.len(), 4, "{}", cell["code"]);
        assert_same(ours(live(&events)), cell);
    }
}

#[test]
fn composite_error_after_grouped_output() {
    let c = capture("px_error_all_nostream");
    for (code, stdout, ename, evalue) in [
        (
            "%%px --no-stream\n1/0",
            "",
            "ZeroDivisionError",
            "division by zero",
        ),
        (
            "%%px --no-stream\nprint('before')\nraise RuntimeError('boom')",
            "before\n",
            "RuntimeError",
            "boom",
        ),
    ] {
        let cell = cell(&c, code);
        let recorded_err = recorded_error(cell);
        let errors: Vec<RemoteError> = (0..4)
            .map(|id| remote(id, ename, evalue, composite_traceback_of(&recorded_err, id)))
            .collect();
        let results: Vec<EngineResult> = (0..4)
            .map(|id| EngineResult {
                stdout: stdout.into(),
                status: Some("error".into()),
                error: Some(errors[id as usize].clone()),
                ..engine(id)
            })
            .collect();
        let mut sink = CaptureSink::new();
        display_outputs(
            &mut sink,
            &results,
            DisplayOptions::default(),
            &mut StreamPrefixState::default(),
        );
        render_error(
            &mut sink,
            &CellError::Composite(CompositeError::new("%px", errors)),
        );
        assert_same(ours(sink), cell);
    }
}

#[test]
fn composite_error_past_tb_limit_and_streamed_one_liners() {
    let c = capture("px_error_six_engines");
    let nostream = cell(&c, "%%px --no-stream\n1/0");
    let rec = recorded_error(nostream);
    let tb0 = composite_traceback_of(&rec, 0);
    let errors: Vec<RemoteError> = (0..6)
        .map(|id| {
            let tb = if id < 4 {
                composite_traceback_of(&rec, id)
            } else {
                tb0.clone()
            };
            remote(id, "ZeroDivisionError", "division by zero", tb)
        })
        .collect();
    let mut sink = CaptureSink::new();
    render_error(
        &mut sink,
        &CellError::Composite(CompositeError::new("%px", errors)),
    );
    assert_same(ours(sink), nostream);

    // Streamed: the recorded stderr holds, in arrival order, four full tracebacks and then
    // one line per error; rebuild the errors in that order from it.
    let streamed = cell(&c, "%px 1/0");
    let stderr = streamed["iopub"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["msg_type"] == "stream")
        .unwrap()["content"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut events = Vec::new();
    let mut blocks: Vec<(i64, Vec<String>)> = Vec::new();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix('[') {
            if let Some((id, tail)) = rest.split_once(":execute]") {
                let id: i64 = id.parse().unwrap();
                // A one-line error (past the limit) records no traceback of its own.
                let _one_line = !tail.is_empty();
                blocks.push((id, Vec::new()));
                continue;
            }
        }
        blocks.last_mut().unwrap().1.push(line.to_owned());
    }
    assert_eq!(blocks.len(), 6);
    for (id, tb) in blocks {
        let tb = if tb.is_empty() { tb0.clone() } else { tb };
        events.push(OutputEvent::Error {
            engine_id: Some(id),
            msg_id: format!("msg-{id}"),
            error: remote(id, "ZeroDivisionError", "division by zero", tb),
        });
    }
    let mut sink = live(&events);
    render_error(
        &mut sink,
        &CellError::AlreadyDisplayed(AlreadyDisplayedError { count: 6 }),
    );
    assert_same(ours(sink), streamed);
}

#[test]
fn streamed_errors_then_already_displayed() {
    let c = capture("px_error_all_stream");
    let cell = cell(&c, "%px 1/0");
    // The tracebacks as the engines sent them: taken from the recorded stderr block of
    // each engine (label line first).
    let stderr = recorded(cell)[0]["content"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut events = Vec::new();
    let mut current: Option<(i64, Vec<String>)> = None;
    let flush = |cur: Option<(i64, Vec<String>)>, events: &mut Vec<OutputEvent>| {
        if let Some((id, tb)) = cur {
            events.push(OutputEvent::Error {
                engine_id: Some(id),
                msg_id: format!("msg-{id}"),
                error: remote(id, "ZeroDivisionError", "division by zero", tb),
            });
        }
    };
    for line in stderr.lines() {
        if let Some(id) = line
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(":execute]"))
        {
            flush(current.take(), &mut events);
            current = Some((id.parse().unwrap(), Vec::new()));
        } else {
            current.as_mut().unwrap().1.push(line.to_owned());
        }
    }
    flush(current, &mut events);
    let mut sink = live(&events);
    render_error(
        &mut sink,
        &CellError::AlreadyDisplayed(AlreadyDisplayedError { count: 4 }),
    );
    assert_same(ours(sink), cell);
}

#[test]
fn int_target_error_is_a_remote_error() {
    let c = capture("error_single_int_target");
    let no_stream = cell(&c, "%%px --targets 1 --no-stream\nprint('before')\n1/0");
    let rec = recorded_error(no_stream);
    let tb: Vec<String> = serde_json::from_value(rec["traceback"].clone()).unwrap();
    let err = remote(1, "ZeroDivisionError", "division by zero", tb[1..].to_vec());
    let result = [EngineResult {
        stdout: "before\n".into(),
        status: Some("error".into()),
        error: Some(err.clone()),
        ..engine(1)
    }];
    let mut sink = CaptureSink::new();
    let opts = DisplayOptions {
        single: true,
        ..DisplayOptions::default()
    };
    display_outputs(&mut sink, &result, opts, &mut StreamPrefixState::default());
    render_error(&mut sink, &CellError::Remote(err.clone()));
    assert_same(ours(sink), no_stream);

    // Streaming: live stdout, the streamed traceback, then the same traceback again.
    let streamed = cell(&c, "%%px --targets 1\nprint('before')\n1/0");
    let tb_streamed: Vec<String> =
        serde_json::from_value(recorded_error(streamed)["traceback"].clone()).unwrap();
    let err = remote(
        1,
        "ZeroDivisionError",
        "division by zero",
        tb_streamed[1..].to_vec(),
    );
    let mut sink = live(&[
        OutputEvent::Stream {
            engine_id: Some(1),
            msg_id: "m".into(),
            name: StreamName::Stdout,
            text: "before\n".into(),
        },
        OutputEvent::Error {
            engine_id: Some(1),
            msg_id: "m".into(),
            error: err.clone(),
        },
    ]);
    render_error(&mut sink, &CellError::Remote(err));
    assert_same(ours(sink), streamed);

    // A one-element list is a multi-engine submission: header and CompositeError.
    let list = cell(&c, "%%px --targets [1] --no-stream\nprint('before')\n1/0");
    let tb = composite_traceback_of(&recorded_error(list), 1);
    let err = remote(1, "ZeroDivisionError", "division by zero", tb);
    let result = [EngineResult {
        stdout: "before\n".into(),
        status: Some("error".into()),
        error: Some(err.clone()),
        ..engine(1)
    }];
    let mut sink = CaptureSink::new();
    display_outputs(
        &mut sink,
        &result,
        DisplayOptions::default(),
        &mut StreamPrefixState::default(),
    );
    render_error(
        &mut sink,
        &CellError::Composite(CompositeError::new("%px", vec![err])),
    );
    assert_same(ours(sink), list);
}

#[test]
fn repeated_result_omits_the_repeated_header() {
    let c = capture("result_repeat_single_target");
    let cells = c["cells"].as_array().unwrap();
    let result = [EngineResult {
        stdout: "once\n".into(),
        execute_result: Some(value(1, "5")),
        ..engine(2)
    }];
    let mut state = StreamPrefixState::default();
    for cell in &cells[1..3] {
        let mut sink = CaptureSink::new();
        display_outputs(&mut sink, &result, DisplayOptions::default(), &mut state);
        assert_same(ours(sink), cell);
    }
    let single = [EngineResult {
        stdout: "int target\n".into(),
        execute_result: Some(value(2, "6")),
        ..engine(2)
    }];
    let mut sink = CaptureSink::new();
    let opts = DisplayOptions {
        single: true,
        ..DisplayOptions::default()
    };
    display_outputs(&mut sink, &single, opts, &mut StreamPrefixState::default());
    assert_same(ours(sink), &cells[4]);
}

#[test]
fn verbose_line_precedes_streamed_values() {
    let c = capture("verbose");
    let cell = cell(&c, "%px 1");
    let mut sink = CaptureSink::new();
    sink.stream(
        StreamName::Stdout,
        &verbose_line(&px_client::Targets::All, true),
    );
    let mut display = LiveDisplay::new(true);
    for ev in events_of(cell) {
        display.handle(&mut sink, &ev);
    }
    assert_same(ours(sink), cell);
}

fn usage_error_of(code: &str) -> px_magics::UsageError {
    match parse_cell(code, &[""]) {
        Some(Err(MagicsError::Usage(e))) => e,
        other => panic!("{code:?}: {other:?}"),
    }
}

#[test]
fn usage_errors_match_bad_input_and_result_index_arg() {
    for (name, codes) in [
        (
            "bad_input",
            &[
                "%%px --group-outputs=bogus\n1",
                "%%px --bogus\n1",
                "%%px --progress-after abc\n1",
                "%%px --signal-on-interrupt\n1",
                "%pxconfig --bogus",
            ][..],
        ),
        ("result_index_arg", &["%result -2", "%result 1"][..]),
        ("save_out", &["%%px --save-name x\n1"][..]),
    ] {
        let c = capture(name);
        for code in codes {
            let cell = cell(&c, code);
            let e = usage_error_of(code);
            assert_eq!(cell["execute_reply"]["evalue"], e.0.as_str());
            let mut sink = CaptureSink::new();
            render_usage_error(&mut sink, &e);
            assert_same(ours(sink), cell);
        }
    }
}

#[test]
fn result_with_nothing_to_recall() {
    let c = capture("result_no_prior");
    for code in ["%result", "%pxresult"] {
        let cell = cell(&c, code);
        let mut sink = CaptureSink::new();
        render_usage_error(
            &mut sink,
            &px_magics::UsageError(px_magics::NO_LAST_RESULT.into()),
        );
        assert_same(ours(sink), cell);
    }
}
