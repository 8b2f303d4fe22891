//! The engine's IOPub: everything a request produces besides its reply, published with the
//! topics and metadata stock engines use (`engine.<id>.stdout`, `{"engine": uuid}` on
//! status, execute_input and error, `{}` on the rest), so stock clients file it under the
//! right request and the hub records it.
//!
//! Messages go through a queue to one task that owns the socket: handlers never wait for
//! the network, and everything keeps the order it was published in — the final `idle` of a
//! request always comes after its output.
//!
//! Output is bounded in memory: what a request produces (streams, displays, data) takes
//! bytes from a budget until the socket has written it, so a cell printing faster than the
//! controller reads is slowed down (its pipe fills, its writes block) instead of the engine
//! holding the flood. The socket is an XPUB — a PUB to the controller's SUB — because its
//! send waits for the connection to take the message, where a PUB queues without limit.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use px_wire::{Header, Message, MsgType, Session, Socket};
use px_worker::{DisplayData, ErrorInfo, Event, StreamName};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::ids::{EngineId, EngineUuid};

/// Bytes of output that may wait for the socket; a larger message waits for all of it.
const OUTPUT_BUDGET: usize = 8 << 20;

/// How long a new connection waits for the controller's subscription, so the first
/// messages are not published to nobody.
const SUBSCRIPTION_WAIT: Duration = Duration::from_secs(2);

/// What the publishing task is asked to do.
enum Item {
    /// A message, with the output budget it holds until it is written.
    Publish(Box<Message>, Option<OwnedSemaphorePermit>),
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
    budget: Arc<Semaphore>,
}

impl Publisher {
    /// Starts the task that owns `socket` (an XPUB, already connected).
    pub(crate) fn start(
        socket: Socket,
        session: Arc<Session>,
        id: EngineId,
        uuid: EngineUuid,
    ) -> (Publisher, JoinHandle<()>) {
        let (queue, rx) = mpsc::unbounded_channel::<Item>();
        let task = tokio::spawn(publish_queue(socket, session.clone(), rx));
        let publisher = Publisher {
            queue,
            session,
            id,
            uuid,
            budget: Arc::new(Semaphore::new(OUTPUT_BUDGET)),
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
        self.publish_held(topic, msg_type, parent, content, with_engine, None);
    }

    fn publish_held(
        &self,
        topic: &str,
        msg_type: MsgType,
        parent: &Header,
        content: Value,
        with_engine: bool,
        held: Option<OwnedSemaphorePermit>,
    ) {
        let topic = Bytes::from(format!("engine.{}.{topic}", self.id));
        let msg = self.message(msg_type, parent, content, with_engine);
        self.enqueue(msg.with_idents(vec![topic]), held);
    }

    /// Takes `bytes` of the output budget, waiting while earlier output is still unsent.
    async fn hold(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let n = bytes.clamp(1, OUTPUT_BUDGET) as u32;
        self.budget.clone().acquire_many_owned(n).await.ok()
    }

    /// A message of this engine, with `{"engine": uuid}` metadata when stock puts it there.
    fn message(
        &self,
        msg_type: MsgType,
        parent: &Header,
        content: Value,
        with_engine: bool,
    ) -> Message {
        let mut metadata = Map::new();
        if with_engine {
            metadata.insert("engine".into(), json!(self.uuid.as_str()));
        }
        self.session
            .msg(msg_type, content)
            .with_parent(parent)
            .with_metadata(metadata)
    }

    fn enqueue(&self, msg: Message, held: Option<OwnedSemaphorePermit>) {
        // The task only ends with the registration; then nobody listens anyway.
        let _ = self.queue.send(Item::Publish(Box::new(msg), held));
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

    /// Text the code wrote; waits while too much earlier output is unsent.
    pub(crate) async fn stream(&self, parent: &Header, name: StreamName, text: &str) {
        let held = self.hold(text.len()).await;
        self.publish_held(
            name.as_str(),
            MsgType::Stream,
            parent,
            json!({"name": name.as_str(), "text": text}),
            false,
            held,
        );
    }

    /// The `shutdown_reply` copy by which the hub learns an engine is leaving.
    pub(crate) fn shutdown_reply(&self, parent: &Header, content: Value) {
        self.publish("shutdown", MsgType::ShutdownReply, parent, content, false);
    }

    /// One event of a running request; output waits while too much earlier output is
    /// unsent. Input requests and host calls are not output; the caller answers them.
    pub(crate) async fn event(&self, parent: &Header, event: &Event) {
        match event {
            Event::Stream { name, text } => self.stream(parent, *name, text).await,
            Event::DisplayData(d) => self.display(parent, MsgType::DisplayData, d).await,
            Event::UpdateDisplayData(d) => {
                self.display(parent, MsgType::UpdateDisplayData, d).await
            }
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
            } => {
                let held = self.hold(bundle_size(data)).await;
                self.publish_held(
                    "execute_result",
                    MsgType::ExecuteResult,
                    parent,
                    json!({"data": data, "metadata": metadata, "execution_count": execution_count}),
                    false,
                    held,
                )
            }
            Event::Error(error) => self.error(parent, error),
            // Stock engines publish data under the bare `datapub` topic.
            Event::Data { keys, buffers } => {
                let held = self.hold(buffers.iter().map(Bytes::len).sum()).await;
                let msg = self.message(MsgType::DataMessage, parent, json!({"keys": keys}), true);
                let topic = Bytes::from_static(b"datapub");
                self.enqueue(
                    msg.with_idents(vec![topic]).with_buffers(buffers.clone()),
                    held,
                )
            }
            Event::InputRequest { .. } | Event::HostCall { .. } => {}
        }
    }

    async fn display(&self, parent: &Header, msg_type: MsgType, d: &DisplayData) {
        let held = self.hold(bundle_size(&d.data)).await;
        self.publish_held(
            "displaypub",
            msg_type,
            parent,
            json!({"data": d.data, "metadata": d.metadata, "transient": d.transient}),
            false,
            held,
        );
    }
}

/// The size of a mime bundle, as the budget counts it: its text, not its JSON.
fn bundle_size(bundle: &Map<String, Value>) -> usize {
    bundle.iter().map(|(k, v)| k.len() + json_size(v)).sum()
}

fn json_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(json_size).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + json_size(v)).sum(),
        _ => 8,
    }
}

/// The task that owns the socket: sends what is queued, in order, each send waiting for
/// the connection; reads the controller's subscriptions (an XPUB only takes them when read).
async fn publish_queue(
    mut socket: Socket,
    signer: Arc<Session>,
    mut rx: mpsc::UnboundedReceiver<Item>,
) {
    match tokio::time::timeout(SUBSCRIPTION_WAIT, socket.recv()).await {
        Ok(Ok(_subscription)) => {}
        Ok(Err(e)) => tracing::warn!("IOPub socket: {e}"),
        Err(_) => tracing::warn!("the controller has not subscribed to IOPub yet"),
    }
    loop {
        let item = tokio::select! {
            biased;
            item = rx.recv() => match item {
                Some(item) => item,
                None => return,
            },
            frames = socket.recv() => {
                if let Err(e) = frames {
                    tracing::debug!("IOPub socket: {e}");
                }
                continue;
            }
        };
        match item {
            Item::Publish(msg, held) => {
                if let Err(e) = socket.send_msg(&signer, &msg).await {
                    tracing::warn!("IOPub message not sent: {e}");
                }
                drop(held);
            }
            Item::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}
