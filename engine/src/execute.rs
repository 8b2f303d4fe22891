//! `execute_request`: run code in the Python, publish what it produces, reply with the
//! engine's execution count, as an ipykernel-based engine does.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use px_wire::{Message, MsgType};
use px_worker::{ErrorInfo, Event, ExecuteRequest, Execution, ReplyStatus, Worker};
use serde_json::{json, Value};

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
    }
    let content = match run(ctx, request, worker, run_request).await {
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

async fn run(
    ctx: &Context,
    request: &Message,
    worker: Result<Arc<Worker>, String>,
    run_request: ExecuteRequest,
) -> Result<px_worker::ExecuteReply, ErrorInfo> {
    let worker = worker.map_err(not_running)?;
    let mut running = worker
        .execute(run_request)
        .map_err(|e| not_running(e.to_string()))?;
    forward_events(ctx, request, &mut running).await;
    running
        .reply()
        .await
        .map_err(|e| not_running(e.to_string()))
}

/// Publishes a running request's events until it ends; nobody can answer `input()` on an
/// engine, so input requests are refused (stock engines raise there too).
pub(crate) async fn forward_events<R>(
    ctx: &Context,
    request: &Message,
    running: &mut Execution<R>,
) {
    while let Some(event) = running.next_event().await {
        match &event {
            Event::InputRequest { .. } => {
                let _ = running.refuse_input();
            }
            Event::HostCall { name, .. } => {
                let _ =
                    running.answer_host(Err(format!("an engine has no host to answer {name:?}")));
            }
            _ => ctx.publisher.event(&request.header, &event).await,
        }
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
