//! The engine's IOPub: everything a request produces besides its reply, published with the
//! topics and metadata stock engines use (`engine.<id>.stdout`, `{"engine": uuid}` on
//! status, execute_input and error, `{}` on the rest), so stock clients file it under the
//! right request and the hub records it.
//!
//! Messages go through a queue to one task that owns the socket: handlers never wait for
//! the network, and everything keeps the order it was published in — the final `idle` of a
//! request always comes after its output.

use std::sync::Arc;

use bytes::Bytes;
use px_wire::{Header, Message, MsgType, Session, Socket};
use px_worker::{DisplayData, ErrorInfo, Event, StreamName};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ids::{EngineId, EngineUuid};

/// What the publishing task is asked to do.
enum Item {
    Publish(Box<Message>),
    /// Answer once everything queued before has been handed to the socket.
    Flush(oneshot::Sender<()>),
}

/// Publishes on behalf of one registration (the id is in the topics).
#[derive(Clone)]
pub(crate) struct Publisher {
    queue: mpsc::UnboundedSender<Item>,
    session: Arc<Session>,
    id: EngineId,
    uuid: EngineUuid,
}

impl Publisher {
    /// Starts the task that owns `socket` (already connected).
    pub(crate) fn start(
        mut socket: Socket,
        session: Arc<Session>,
        id: EngineId,
        uuid: EngineUuid,
    ) -> (Publisher, JoinHandle<()>) {
        let (queue, mut rx) = mpsc::unbounded_channel::<Item>();
        let signer = session.clone();
        let task = tokio::spawn(async move {
            while let Some(item) = rx.recv().await {
                match item {
                    Item::Publish(msg) => {
                        if let Err(e) = socket.send_msg(&signer, &msg).await {
                            tracing::warn!("IOPub message not sent: {e}");
                        }
                    }
                    Item::Flush(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        let publisher = Publisher {
            queue,
            session,
            id,
            uuid,
        };
        (publisher, task)
    }

    fn publish(
        &self,
        topic: &str,
        msg_type: MsgType,
        parent: &Header,
        content: Value,
        with_engine: bool,
    ) {
        let topic = Bytes::from(format!("engine.{}.{topic}", self.id));
        self.send(topic, msg_type, parent, content, with_engine, Vec::new());
    }

    fn send(
        &self,
        topic: Bytes,
        msg_type: MsgType,
        parent: &Header,
        content: Value,
        with_engine: bool,
        buffers: Vec<Bytes>,
    ) {
        let mut metadata = Map::new();
        if with_engine {
            metadata.insert("engine".into(), json!(self.uuid.as_str()));
        }
        let msg = self
            .session
            .msg(msg_type, content)
            .with_parent(parent)
            .with_metadata(metadata)
            .with_idents(vec![topic])
            .with_buffers(buffers);
        // The task only ends with the registration; then nobody listens anyway.
        let _ = self.queue.send(Item::Publish(Box::new(msg)));
    }

    /// Waits until everything published so far is on its way: a reply sent after this
    /// leaves after its request's output, as a stock engine flushes its streams before
    /// replying (clients that read `stdout` as soon as the reply is in see it all).
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.queue.send(Item::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }

    /// `status` busy or idle, around every request.
    pub(crate) fn status(&self, parent: &Header, state: &str) {
        self.publish(
            "status",
            MsgType::Status,
            parent,
            json!({"execution_state": state}),
            true,
        );
    }

    /// The code of a non-silent execute, with the count it runs as.
    pub(crate) fn execute_input(&self, parent: &Header, code: &str, count: u32) {
        self.publish(
            "execute_input",
            MsgType::ExecuteInput,
            parent,
            json!({"code": code, "execution_count": count}),
            true,
        );
    }

    /// An `error` message (the reply carries the same error with `engine_info`).
    pub(crate) fn error(&self, parent: &Header, error: &ErrorInfo) {
        self.publish(
            "error",
            MsgType::Error,
            parent,
            json!({"ename": error.ename, "evalue": error.evalue, "traceback": error.traceback}),
            true,
        );
    }

    /// Text the code wrote.
    pub(crate) fn stream(&self, parent: &Header, name: StreamName, text: &str) {
        self.publish(
            name.as_str(),
            MsgType::Stream,
            parent,
            json!({"name": name.as_str(), "text": text}),
            false,
        );
    }

    /// The `shutdown_reply` copy by which the hub learns an engine is leaving.
    pub(crate) fn shutdown_reply(&self, parent: &Header, content: Value) {
        self.publish("shutdown", MsgType::ShutdownReply, parent, content, false);
    }

    /// One event of a running request. Input requests and host calls are not output; the
    /// caller answers them.
    pub(crate) fn event(&self, parent: &Header, event: &Event) {
        match event {
            Event::Stream { name, text } => self.stream(parent, *name, text),
            Event::DisplayData(d) => self.display(parent, MsgType::DisplayData, d),
            Event::UpdateDisplayData(d) => self.display(parent, MsgType::UpdateDisplayData, d),
            Event::ClearOutput { wait } => self.publish(
                "displaypub",
                MsgType::ClearOutput,
                parent,
                json!({"wait": wait}),
                false,
            ),
            Event::ExecuteResult {
                execution_count,
                data,
                metadata,
            } => self.publish(
                "execute_result",
                MsgType::ExecuteResult,
                parent,
                json!({"data": data, "metadata": metadata, "execution_count": execution_count}),
                false,
            ),
            Event::Error(error) => self.error(parent, error),
            // Stock engines publish data under the bare `datapub` topic.
            Event::Data { keys, buffers } => self.send(
                Bytes::from_static(b"datapub"),
                MsgType::DataMessage,
                parent,
                json!({"keys": keys}),
                true,
                buffers.clone(),
            ),
            Event::InputRequest { .. } | Event::HostCall { .. } => {}
        }
    }

    fn display(&self, parent: &Header, msg_type: MsgType, d: &DisplayData) {
        self.publish(
            "displaypub",
            msg_type,
            parent,
            json!({"data": d.data, "metadata": d.metadata, "transient": d.transient}),
            false,
        );
    }
}
