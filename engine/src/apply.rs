//! `apply_request`: call a function a client pickled (`apply`, `map`, `push`, `pull`,
//! `scatter`, `gather` all arrive this way) in the Python's namespace, and send the pickled
//! result back as the reply's buffers.

use px_wire::{Message, MsgType};
use px_worker::{ApplyRequest, ReplyStatus, Worker};
use serde_json::json;

use crate::context::Context;
use crate::execute::{note_restart, run};
use crate::metadata::ReplyMetadata;

/// Runs one apply_request and returns its reply; IOPub output is published on the way.
pub(crate) async fn apply(ctx: &Context, request: &Message) -> Message {
    // Stamped once the Python can take it, as an execute is.
    let worker = ctx.state.worker().await;
    let metadata = ReplyMetadata::begin(request, &ctx.identity);
    let start = |w: &Worker| w.apply(ApplyRequest::new(request.buffers.clone()));
    let (content, buffers) = match run(ctx, request, worker, start).await {
        Ok(reply) => match reply.status {
            ReplyStatus::Ok => (json!({"status": "ok"}), reply.buffers),
            ReplyStatus::Error => {
                if reply.worker_restarted {
                    note_restart(reply.error.as_ref());
                }
                let error = reply.error.unwrap_or_default();
                (ctx.identity.error_content(&error, "apply"), Vec::new())
            }
            ReplyStatus::Aborted => (json!({"status": "aborted"}), Vec::new()),
        },
        Err(error) => {
            ctx.publisher.error(&request.header, &error);
            (ctx.identity.error_content(&error, "apply"), Vec::new())
        }
    };
    let metadata = metadata.finish(&content, &ctx.identity);
    ctx.session
        .reply(request, MsgType::ApplyReply, content)
        .with_metadata(metadata)
        .with_buffers(buffers)
}
