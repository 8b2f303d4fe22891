//! `execute_request`: run code in the Python, publish what it produces, reply with the
//! engine's execution count, as an ipykernel-based engine does.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use px_wire::{Header, Message, MsgType};
use px_worker::{ErrorInfo, Event, ExecuteRequest, Execution, ReplyStatus, StreamName, Worker};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::context::Context;
use crate::metadata::ReplyMetadata;

/// Runs one execute_request and returns its reply; IOPub output is published on the way.
pub(crate) async fn execute(ctx: &Context, request: &Message) -> Message {
    // Stamped once the Python can take the request: waiting for it to start is not the
    // request's running time.
    let worker = ctx.state.worker().await;
    let metadata = ReplyMetadata::begin(request, &ctx.identity);
    let c = &request.content;
    let code = c["code"].as_str().unwrap_or_default();
    let silent = c["silent"].as_bool().unwrap_or(false);
    let store_history = c["store_history"].as_bool().unwrap_or(!silent) && !silent;
    let stop_on_error = c["stop_on_error"].as_bool().unwrap_or(true);

    // The engine counts non-silent cells itself, as ipykernel does, so the count goes on
    // across a restart of the Python.
    let counter = &ctx.state.execution_count;
    let mut count = counter.load(Ordering::SeqCst);
    if !silent {
        count += 1;
        counter.store(count, Ordering::SeqCst);
        ctx.publisher.execute_input(&request.header, code, count);
    }

    let mut run_request = ExecuteRequest::new(code)
        .silent(silent)
        .store_history(store_history);
    run_request.user_expressions = user_expressions(&c["user_expressions"]);
    if store_history {
        run_request = run_request.execution_count(u64::from(count));
        // Stored as the cell starts, as IPython stores it: a cell that fails is listed too.
        ctx.state.history().record(u64::from(count), code);
    }
    let content = match run(ctx, request, worker, |w| w.execute(run_request)).await {
        Ok(reply) => match reply.status {
            ReplyStatus::Ok => json!({
                "status": "ok",
                "execution_count": count,
                "user_expressions": reply.user_expressions,
                "payload": reply.payload,
            }),
            ReplyStatus::Error => {
                if reply.worker_restarted {
                    note_restart(reply.error.as_ref());
                }
                error_content(ctx, &reply.error.unwrap_or_default(), count)
            }
            ReplyStatus::Aborted => json!({"status": "aborted"}),
        },
        Err(error) => {
            ctx.publisher.error(&request.header, &error);
            error_content(ctx, &error, count)
        }
    };
    if content["status"] == "error" && !silent && stop_on_error {
        ctx.state.aborts.abort_waiting_executes();
    }
    let metadata = metadata.finish(&content, &ctx.identity);
    ctx.session
        .reply(request, MsgType::ExecuteReply, content)
        .with_metadata(metadata)
}

/// Starts a job on the worker (an execute or an apply), publishes its events, and returns
/// its reply; no Python, or one that cannot take the job, is an `EngineError`.
pub(crate) async fn run<R>(
    ctx: &Context,
    request: &Message,
    worker: Result<Arc<Worker>, String>,
    start: impl FnOnce(&Worker) -> px_worker::Result<Execution<R>>,
) -> Result<R, ErrorInfo> {
    let worker = worker.map_err(not_running)?;
    let mut running = start(&worker).map_err(|e| not_running(e.to_string()))?;
    forward_events(ctx, request, &mut running).await;
    running
        .reply()
        .await
        .map_err(|e| not_running(e.to_string()))
}

/// How long written text may wait to be published with what is written after it, as
/// ipykernel's output streams wait (`flush_interval`): stock engines publish the output
/// of a quick cell as one message, and clients show it that way.
const STREAM_INTERVAL: Duration = Duration::from_millis(200);

/// Text waiting longer than this is published at once, keeping messages and memory small.
const STREAM_CHUNK: usize = 1 << 20;

/// Text of one stream written since the last publish.
struct PendingText {
    name: StreamName,
    text: String,
    due: Instant,
}

/// Publishes a running request's events until it ends; nobody can answer `input()` on an
/// engine, so input requests are refused (stock engines raise there too). Consecutive text
/// of one stream is gathered for up to [`STREAM_INTERVAL`]; anything else publishes it
/// first, so the order of everything is kept.
pub(crate) async fn forward_events<R>(
    ctx: &Context,
    request: &Message,
    running: &mut Execution<R>,
) {
    let parent = &request.header;
    let mut pending: Option<PendingText> = None;
    loop {
        let event = match &pending {
            Some(p) => tokio::select! {
                event = running.next_event() => event,
                _ = tokio::time::sleep_until(p.due) => {
                    publish_text(ctx, parent, pending.take()).await;
                    continue;
                }
            },
            None => running.next_event().await,
        };
        let Some(event) = event else { break };
        match event {
            Event::Stream { name, text } => {
                match &mut pending {
                    Some(p) if p.name == name => p.text.push_str(&text),
                    _ => {
                        publish_text(ctx, parent, pending.take()).await;
                        pending = Some(PendingText {
                            name,
                            text,
                            due: Instant::now() + STREAM_INTERVAL,
                        });
                    }
                }
                if pending
                    .as_ref()
                    .is_some_and(|p| p.text.len() >= STREAM_CHUNK)
                {
                    publish_text(ctx, parent, pending.take()).await;
                }
            }
            Event::InputRequest { .. } => {
                publish_text(ctx, parent, pending.take()).await;
                let _ = running.refuse_input();
            }
            Event::HostCall { name, .. } => {
                let _ =
                    running.answer_host(Err(format!("an engine has no host to answer {name:?}")));
            }
            event => {
                publish_text(ctx, parent, pending.take()).await;
                ctx.publisher.event(parent, &event).await;
            }
        }
    }
    publish_text(ctx, parent, pending).await;
}

async fn publish_text(ctx: &Context, parent: &Header, pending: Option<PendingText>) {
    if let Some(p) = pending {
        ctx.publisher.stream(parent, p.name, &p.text).await;
    }
}

/// The error when there is no Python to run the request.
pub(crate) fn not_running(reason: String) -> ErrorInfo {
    ErrorInfo {
        ename: "EngineError".into(),
        evalue: format!("the engine's Python is not running: {reason}"),
        traceback: Vec::new(),
    }
}

/// The one line a crash of the Python leaves on the engine's stderr.
pub(crate) fn note_restart(error: Option<&ErrorInfo>) {
    let how = error.map_or("", |e| e.evalue.as_str());
    tracing::warn!("the namespace was lost: {how}");
}

fn error_content(ctx: &Context, error: &ErrorInfo, count: u32) -> Value {
    let mut content = ctx.identity.error_content(error, "execute");
    content["execution_count"] = json!(count);
    content["user_expressions"] = json!({});
    content["payload"] = json!([]);
    content
}

fn user_expressions(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
