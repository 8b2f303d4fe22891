//! Binds the five channels and runs them until a `shutdown_request`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use px_wire::{
    Header, KernelConnectionInfo, Message, MsgType, Receiver, Sender, Session, Socket, SocketKind,
};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, Mutex, Notify};

use crate::backend::Backend;
use crate::publisher::Publisher;
use crate::stdin::InputAsk;

/// Why the kernel could not start.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    /// Bad connection file, or a port could not be bound.
    #[error(transparent)]
    Wire(#[from] px_wire::WireError),
}

/// State shared by the channel tasks.
pub(crate) struct Ctx<B> {
    pub(crate) session: Arc<Session>,
    pub(crate) backend: Arc<B>,
    iopub: mpsc::UnboundedSender<Message>,
    stdin: mpsc::UnboundedSender<InputAsk>,
    pub(crate) execution_count: AtomicU64,
    pub(crate) shutdown: Notify,
    /// Messages dropped as malformed or forged.
    pub(crate) dropped: AtomicU64,
    /// Counted cells, for `history_request`.
    pub(crate) history: std::sync::Mutex<px_wire::History>,
}

impl<B: Backend> Ctx<B> {
    /// A publisher for outputs of `request`.
    pub(crate) fn publisher(&self, request: &Message, allow_stdin: bool) -> Publisher {
        Publisher {
            session: self.session.clone(),
            iopub: self.iopub.clone(),
            stdin: self.stdin.clone(),
            parent: request.header.clone(),
            idents: request.idents.clone(),
            allow_stdin,
        }
    }

    /// `status` busy/idle around a request.
    pub(crate) fn status(&self, parent: &Header, state: &str) {
        let msg = self
            .session
            .msg(MsgType::Status, json!({ "execution_state": state }))
            .with_parent(parent);
        let _ = self.iopub.send(msg);
    }

    /// What ipykernel adds to every error reply (a convention from ipyparallel's engines,
    /// which are kernels): this kernel's id, engine id -1, method `execute`.
    pub(crate) fn engine_info(&self) -> Value {
        json!({"engine_uuid": self.session.id(), "engine_id": -1, "method": "execute"})
    }

    pub(crate) fn next_count(&self) -> u64 {
        self.execution_count.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub(crate) fn current_count(&self) -> u64 {
        self.execution_count.load(Ordering::SeqCst)
    }

    /// Sends a reply to `request` on a ROUTER channel.
    pub(crate) async fn reply(
        &self,
        socket: &Mutex<Sender>,
        request: &Message,
        msg_type: MsgType,
        content: Value,
        metadata: Map<String, Value>,
    ) {
        let reply = self
            .session
            .reply(request, msg_type, content)
            .with_metadata(metadata);
        if let Err(e) = socket
            .lock()
            .await
            .send(self.session.serialize(&reply))
            .await
        {
            tracing::warn!("could not send {msg_type}: {e}");
        }
    }

    /// `kernel_info_reply` content, answered on shell and control alike.
    pub(crate) fn kernel_info(&self) -> Value {
        json!({
            "status": "ok",
            "protocol_version": px_wire::PROTOCOL_VERSION,
            "implementation": "parallel-rust",
            "implementation_version": env!("CARGO_PKG_VERSION"),
            "language_info": self.backend.language_info(),
            "banner": self.backend.banner(),
            "help_links": [],
        })
    }
}

async fn bind(
    kind: SocketKind,
    info: &KernelConnectionInfo,
    port: u16,
) -> Result<Socket, KernelError> {
    let mut socket = Socket::new(kind, None)?;
    socket.bind(&info.endpoint(port)).await?;
    Ok(socket)
}

/// Reads a ROUTER channel into a queue, so the handler can look at what is already waiting
/// (to abort queued cells after an error) without blocking the socket.
fn read_into_queue<B: Backend>(
    ctx: Arc<Ctx<B>>,
    mut rx: Receiver,
) -> mpsc::UnboundedReceiver<Message> {
    let (tx, queue) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let frames = match rx.recv().await {
                Ok(f) => f,
                Err(e) => return tracing::debug!("channel closed: {e}"),
            };
            match ctx.session.deserialize(frames) {
                Ok(msg) => {
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    ctx.dropped.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("dropped a message: {e}");
                }
            }
        }
    });
    queue
}

/// Runs a kernel on the ports of `info` until a frontend asks it to shut down.
pub async fn serve<B: Backend>(
    info: &KernelConnectionInfo,
    backend: Arc<B>,
) -> Result<(), KernelError> {
    let session = Arc::new(info.session()?);
    let shell = bind(SocketKind::Router, info, info.shell_port).await?;
    let control = bind(SocketKind::Router, info, info.control_port).await?;
    let stdin = bind(SocketKind::Router, info, info.stdin_port).await?;
    let iopub = bind(SocketKind::XPub, info, info.iopub_port).await?;
    let mut hb = bind(SocketKind::Rep, info, info.hb_port).await?;

    let (iopub_tx, iopub_rx) = mpsc::unbounded_channel();
    let (stdin_tx, stdin_rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(Ctx {
        session: session.clone(),
        backend,
        iopub: iopub_tx,
        stdin: stdin_tx,
        execution_count: AtomicU64::new(0),
        shutdown: Notify::new(),
        dropped: AtomicU64::new(0),
        history: Default::default(),
    });
    let mut tasks = vec![
        tokio::spawn(crate::iopub::serve(iopub, session.clone(), iopub_rx)),
        tokio::spawn(crate::stdin::serve(stdin, session.clone(), stdin_rx)),
        tokio::spawn(async move {
            // The heartbeat echoes whatever it gets; jupyter_client only checks liveness.
            while let Ok(frames) = hb.recv().await {
                if hb.send(frames).await.is_err() {
                    break;
                }
            }
        }),
    ];
    ctx.status(&Header::default(), "starting");

    let (shell_tx, shell_rx) = shell.split()?;
    let (control_tx, control_rx) = control.split()?;
    let shell_queue = read_into_queue(ctx.clone(), shell_rx);
    let control_queue = read_into_queue(ctx.clone(), control_rx);
    let shell_tx = Arc::new(Mutex::new(shell_tx));
    let control_tx = Arc::new(Mutex::new(control_tx));
    tasks.push(tokio::spawn(crate::shell::serve(
        ctx.clone(),
        shell_tx,
        shell_queue,
    )));
    tasks.push(tokio::spawn(crate::control::serve(
        ctx.clone(),
        control_tx,
        control_queue,
    )));

    ctx.shutdown.notified().await;
    ctx.backend.shutdown().await;
    // Let the idle after the shutdown reply leave before the writer goes.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    for t in tasks {
        t.abort();
    }
    Ok(())
}
