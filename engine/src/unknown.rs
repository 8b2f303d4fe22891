//! Requests of a type the engine does not serve. Stock engines log them and never answer,
//! so whoever sent one waits forever; we answer `<x>_request` with `<x>_reply` carrying an
//! error that names the type. Anything not a request (nobody waits for it) is logged and
//! dropped.

use px_wire::{Message, MsgType};

use crate::context::Context;
use crate::metadata::ReplyMetadata;

/// The error reply to an unknown request that came in on `socket`, if it is a request.
pub(crate) fn reply(ctx: &Context, request: &Message, socket: &str) -> Option<Message> {
    let msg_type = &request.header.msg_type;
    let Some(stem) = msg_type.strip_suffix("_request") else {
        tracing::warn!("dropped a {msg_type:?} message on the {socket} socket: not a request");
        return None;
    };
    tracing::warn!("answered a {msg_type:?} on the {socket} socket with an error: unknown type");
    let error = px_worker::ErrorInfo {
        ename: "UnknownMessageType".into(),
        evalue: format!("pxengine does not handle {msg_type:?} messages"),
        traceback: Vec::new(),
    };
    let content = ctx.identity.error_content(&error, stem);
    let metadata = ReplyMetadata::begin(request, &ctx.identity).finish(&content, &ctx.identity);
    // The reply's type is not one we know, so the header is spelled out after building.
    let mut reply = ctx
        .session
        .reply(request, MsgType::Error, content)
        .with_metadata(metadata);
    reply.header.msg_type = format!("{stem}_reply");
    Some(reply)
}
