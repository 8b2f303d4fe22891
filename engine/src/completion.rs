//! The editing helpers a stock engine answers on its shell socket, as any IPython kernel
//! does: `complete_request`, `inspect_request` and `is_complete_request`. A frontend bound
//! to an engine asks them while the user types; the engine's Python answers.

use px_wire::{Message, MsgType};
use serde_json::Value;

use crate::context::Context;
use crate::execute::not_running;

/// The request's `code`; missing or not text reads as empty, as ipykernel reads it.
fn code(request: &Message) -> &str {
    request
        .content
        .get("code")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The request's `cursor_pos` in code points, clamped to the code; missing means its end.
fn cursor_pos(request: &Message) -> usize {
    let end = code(request).chars().count();
    request
        .content
        .get("cursor_pos")
        .and_then(Value::as_u64)
        .map_or(end, |c| (c as usize).min(end))
}

/// `complete_request`: the Python's candidates for the text before the cursor.
pub(crate) async fn complete(ctx: &Context, request: &Message) -> Message {
    let (code, cursor) = (code(request), cursor_pos(request));
    let content = match ctx.state.worker().await {
        Ok(worker) => match worker.complete(code, cursor).await {
            Ok(completion) => completion.reply_content(),
            Err(e) => failed(ctx, "complete", e.to_string()),
        },
        Err(reason) => failed(ctx, "complete", reason),
    };
    ctx.engine_reply(request, MsgType::CompleteReply, content)
}

/// `inspect_request`: help for the name at the cursor.
pub(crate) async fn inspect(ctx: &Context, request: &Message) -> Message {
    let (code, cursor) = (code(request), cursor_pos(request));
    let detail = request
        .content
        .get("detail_level")
        .and_then(Value::as_u64)
        .map_or(0, |d| d.min(1) as u8);
    let content = match ctx.state.worker().await {
        Ok(worker) => match worker.inspect(code, cursor, detail).await {
            Ok(inspection) => inspection.reply_content(),
            Err(e) => failed(ctx, "inspect", e.to_string()),
        },
        Err(reason) => failed(ctx, "inspect", reason),
    };
    ctx.engine_reply(request, MsgType::InspectReply, content)
}

/// `is_complete_request`: whether the code is ready to run or wants more lines.
pub(crate) async fn is_complete(ctx: &Context, request: &Message) -> Message {
    let content = match ctx.state.worker().await {
        Ok(worker) => match worker.is_complete(code(request)).await {
            Ok(verdict) => verdict.reply_content(),
            Err(e) => failed(ctx, "is_complete", e.to_string()),
        },
        Err(reason) => failed(ctx, "is_complete", reason),
    };
    ctx.engine_reply(request, MsgType::IsCompleteReply, content)
}

/// The error reply when the Python cannot be asked (not running, or it died meanwhile).
fn failed(ctx: &Context, what: &str, reason: String) -> Value {
    tracing::warn!("{what}_request not answered by the Python: {reason}");
    ctx.identity.error_content(&not_running(reason), what)
}
