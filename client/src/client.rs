//! `Client`: the connection to a controller, its engine table, and the requests in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use px_wire::{ClientConnectionInfo, Message, MsgType, Sender, Session, Socket, SocketKind};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::asyncresult::AsyncResult;
use crate::connect::ConnectionSource;
use crate::engines::EngineTable;
use crate::error::{ClientError, Result};
use crate::targets::Targets;
use crate::tracker::{OutputEvent, Tracker};
use crate::tunnel::{SshOptions, SshTunnel};
use crate::view::{DirectView, LoadBalancedView};

/// How long `Client::connect` waits for sockets and for the hub's `connection_reply`; stock
/// ipyparallel waits 10 s too.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a hub query or control request may take before the controller counts as gone.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The sockets requests go out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// Hub queries.
    Query,
    /// Direct execution on named engines.
    Mux,
    /// Load-balanced execution.
    Task,
    /// Abort, signal, shutdown.
    Control,
}

pub(crate) struct Shared {
    pub(crate) session: Session,
    pub(crate) info: ClientConnectionInfo,
    engines: Mutex<EngineTable>,
    /// Bumped on every registration change, so waiters wake up.
    pub(crate) engines_changed: watch::Sender<u64>,
    trackers: Mutex<HashMap<String, Arc<Tracker>>>,
    replies: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    query_tx: tokio::sync::Mutex<Sender>,
    mux_tx: tokio::sync::Mutex<Sender>,
    task_tx: tokio::sync::Mutex<Sender>,
    control_tx: tokio::sync::Mutex<Sender>,
    /// Messages dropped because they were malformed, forged or unexpected.
    pub(crate) dropped: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub(crate) fn engines(&self) -> MutexGuard<'_, EngineTable> {
        lock(&self.engines)
    }

    pub(crate) fn tracker(&self, msg_id: &str) -> Option<Arc<Tracker>> {
        lock(&self.trackers).get(msg_id).cloned()
    }

    pub(crate) fn forget_if_done(&self, msg_id: &str) {
        let mut trackers = lock(&self.trackers);
        if trackers.get(msg_id).is_some_and(|t| t.is_done()) {
            trackers.remove(msg_id);
        }
    }

    pub(crate) fn trackers_for_engine(&self, uuid: &str) -> Vec<Arc<Tracker>> {
        lock(&self.trackers)
            .values()
            .filter(|t| t.target_uuid.as_deref() == Some(uuid) && !t.is_done())
            .cloned()
            .collect()
    }

    /// Hands a reply to whoever waits for it (hub queries and control requests).
    pub(crate) fn deliver_reply(&self, msg: Message) -> bool {
        let Some(parent) = msg.parent_msg_id() else {
            return false;
        };
        match lock(&self.replies).remove(parent) {
            Some(tx) => {
                let _ = tx.send(msg);
                true
            }
            None => false,
        }
    }

    pub(crate) fn count_dropped(&self, why: &dyn std::fmt::Display) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("dropped a message: {why}");
    }

    pub(crate) fn register_engine(&self, id: i64, uuid: String) {
        self.engines().register(id, uuid);
        self.engines_changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn unregister_engine(&self, id: i64) -> Option<String> {
        let uuid = self.engines().unregister(id);
        self.engines_changed.send_modify(|n| *n += 1);
        uuid
    }

    async fn send_frames(&self, channel: Channel, frames: Vec<Bytes>) -> Result<()> {
        let tx = match channel {
            Channel::Query => &self.query_tx,
            Channel::Mux => &self.mux_tx,
            Channel::Task => &self.task_tx,
            Channel::Control => &self.control_tx,
        };
        tx.lock()
            .await
            .send(frames)
            .await
            .map_err(|e| ClientError::Closed(e.to_string()))
    }
}

/// Stops the I/O tasks (and the ssh tunnel, if any) when the last `Client` handle goes away.
struct TaskGuard {
    tasks: Vec<JoinHandle<()>>,
    _tunnel: Option<SshTunnel>,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// How to connect.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    /// How long to wait for the controller.
    pub timeout: Duration,
    /// Tunnel every port through this ssh server; without it, the connection file's `ssh`
    /// field (if not empty) is used, as the stock client does.
    pub ssh: Option<SshOptions>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: DEFAULT_CONNECT_TIMEOUT,
            ssh: None,
        }
    }
}

/// A connection to an ipyparallel controller (stock or ours).
///
/// Cheap to clone: clones share the sockets and the engine table. The sockets are served by
/// background tasks on the current tokio runtime, stopped when the last clone is dropped.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    _tasks: Arc<TaskGuard>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.shared.session.id())
            .field("ids", &self.ids())
            .finish()
    }
}

async fn connect_socket(
    kind: SocketKind,
    url: String,
    timeout: Duration,
) -> Result<(Socket, String)> {
    let mut socket = Socket::new(kind, None)?;
    socket
        .connect(&url, timeout)
        .await
        .map_err(|_| ClientError::ControllerSilent {
            what: format!("the connection to {url}"),
            timeout,
        })?;
    Ok((socket, url))
}

impl Client {
    /// Connects to the controller `source` designates and learns its engines.
    pub async fn connect(source: &ConnectionSource) -> Result<Client> {
        Self::connect_with(source, &ConnectOptions::default()).await
    }

    /// As [`Client::connect`], with a time-out and optional ssh tunnel.
    pub async fn connect_with(source: &ConnectionSource, opts: &ConnectOptions) -> Result<Client> {
        let (_path, info) = source.load()?;
        let ssh = opts
            .ssh
            .clone()
            .or_else(|| (!info.ssh.is_empty()).then(|| SshOptions::new(info.ssh.clone())));
        let Some(ssh) = ssh else {
            return Self::connect_info(info, opts.timeout).await;
        };
        let timeout = opts.timeout;
        let (tunnel, local) =
            tokio::task::spawn_blocking(move || crate::tunnel::open(&info, &ssh, timeout))
                .await
                .map_err(|e| ClientError::Closed(e.to_string()))??;
        Self::connect_inner(local, timeout, Some(tunnel)).await
    }

    /// Connects with already-loaded connection info (no tunnel).
    pub async fn connect_info(info: ClientConnectionInfo, timeout: Duration) -> Result<Client> {
        Self::connect_inner(info, timeout, None).await
    }

    async fn connect_inner(
        info: ClientConnectionInfo,
        timeout: Duration,
        tunnel: Option<SshTunnel>,
    ) -> Result<Client> {
        let session = info.security.session()?;
        let (query, mux, task, control, iopub, notification) = tokio::try_join!(
            connect_socket(SocketKind::Dealer, info.url(info.registration), timeout),
            connect_socket(SocketKind::Dealer, info.url(info.mux), timeout),
            connect_socket(SocketKind::Dealer, info.url(info.task), timeout),
            connect_socket(SocketKind::Dealer, info.url(info.control), timeout),
            connect_socket(SocketKind::Sub, info.url(info.iopub), timeout),
            connect_socket(SocketKind::Sub, info.url(info.notification), timeout),
        )?;
        let (query_tx, query_rx) = query.0.split()?;
        let (mux_tx, mux_rx) = mux.0.split()?;
        let (task_tx, task_rx) = task.0.split()?;
        let (control_tx, control_rx) = control.0.split()?;
        let (engines_changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            session,
            info,
            engines: Mutex::new(EngineTable::default()),
            engines_changed,
            trackers: Mutex::new(HashMap::new()),
            replies: Mutex::new(HashMap::new()),
            query_tx: tokio::sync::Mutex::new(query_tx),
            mux_tx: tokio::sync::Mutex::new(mux_tx),
            task_tx: tokio::sync::Mutex::new(task_tx),
            control_tx: tokio::sync::Mutex::new(control_tx),
            dropped: AtomicU64::new(0),
        });
        let tasks = vec![
            tokio::spawn(crate::io::serve_replies(shared.clone(), query_rx)),
            tokio::spawn(crate::io::serve_replies(shared.clone(), control_rx)),
            tokio::spawn(crate::io::serve_results(shared.clone(), mux_rx)),
            tokio::spawn(crate::io::serve_results(shared.clone(), task_rx)),
            tokio::spawn(crate::io::serve_iopub(shared.clone(), iopub.0)),
            tokio::spawn(crate::io::serve_notifications(
                shared.clone(),
                notification.0,
            )),
        ];
        let client = Client {
            shared,
            _tasks: Arc::new(TaskGuard {
                tasks,
                _tunnel: tunnel,
            }),
        };
        let reply = client
            .query(MsgType::ConnectionRequest, json!({}), timeout)
            .await?;
        let engines = reply
            .content
            .get("engines")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (id, uuid) in engines {
            if let (Ok(id), Some(uuid)) = (id.parse::<i64>(), uuid.as_str()) {
                client.shared.register_engine(id, uuid.to_owned());
            }
        }
        Ok(client)
    }

    /// Registered engine ids, ascending.
    pub fn ids(&self) -> Vec<i64> {
        self.shared.engines().ids()
    }

    /// The uuid of engine `id`.
    pub fn engine_uuid(&self, id: i64) -> Option<String> {
        self.shared.engines().uuid(id).map(str::to_owned)
    }

    /// Our session id (IOPub output is matched to our requests by it).
    pub fn session_id(&self) -> &str {
        self.shared.session.id()
    }

    /// The connection info in use.
    pub fn connection_info(&self) -> &ClientConnectionInfo {
        &self.shared.info
    }

    /// How many received messages were dropped as malformed, forged or unexpected.
    pub fn dropped_messages(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until at least `n` engines are registered. Fails if an engine unregisters
    /// while waiting (as stock `wait_for_engines` does), or after `timeout`.
    pub async fn wait_for_engines(&self, n: usize, timeout: Duration) -> Result<Vec<i64>> {
        let mut changed = self.shared.engines_changed.subscribe();
        let departed_before = self.shared.engines().departed().len();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let table = self.shared.engines();
                if let Some((id, _)) = table.departed().get(departed_before) {
                    return Err(ClientError::InvalidArgument(format!(
                        "engine {id} unregistered while waiting for {n} engines"
                    )));
                }
                if table.ids().len() >= n {
                    return Ok(table.ids());
                }
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(ClientError::Closed("client closed".into())),
                Err(_) => {
                    return Err(ClientError::Timeout {
                        timeout,
                        pending: n.saturating_sub(self.ids().len()),
                        total: n,
                    })
                }
            }
        }
    }

    /// A view on `targets` for direct execution.
    pub fn direct_view(&self, targets: Targets) -> DirectView {
        DirectView::new(self.clone(), targets)
    }

    /// A view for load-balanced execution.
    pub fn load_balanced_view(&self) -> LoadBalancedView {
        LoadBalancedView::new(self.clone())
    }

    /// Sends a request that expects one reply (hub query or control) and waits for it.
    pub(crate) async fn request(
        &self,
        channel: Channel,
        ident: Option<&str>,
        msg_type: MsgType,
        content: Value,
        timeout: Duration,
    ) -> Result<Message> {
        let msg = self.shared.session.msg(msg_type, content);
        let msg_id = msg.header.msg_id.clone();
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.replies).insert(msg_id.clone(), tx);
        let idents = ident
            .map(|i| vec![Bytes::copy_from_slice(i.as_bytes())])
            .unwrap_or_default();
        let frames = self.shared.session.serialize(&msg.with_idents(idents));
        let sent = self.shared.send_frames(channel, frames).await;
        let result = match sent {
            Err(e) => Err(e),
            Ok(()) => match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(reply)) => Ok(reply),
                Ok(Err(_)) => Err(ClientError::Closed("client closed".into())),
                Err(_) => Err(ClientError::ControllerSilent {
                    what: format!("a {msg_type}"),
                    timeout,
                }),
            },
        };
        lock(&self.shared.replies).remove(&msg_id);
        result
    }

    /// A hub query on the registration socket; an error reply becomes [`ClientError::Hub`].
    pub(crate) async fn query(
        &self,
        msg_type: MsgType,
        content: Value,
        timeout: Duration,
    ) -> Result<Message> {
        let reply = self
            .request(Channel::Query, None, msg_type, content, timeout)
            .await?;
        check_status(msg_type, reply)
    }

    /// Sends an execution request (execute or apply) and tracks its outcome.
    pub(crate) async fn submit(
        &self,
        channel: Channel,
        engine: Option<(i64, String)>,
        msg: Message,
        events: Option<mpsc::UnboundedSender<OutputEvent>>,
    ) -> Result<Arc<Tracker>> {
        let msg_id = msg.header.msg_id.clone();
        let idents = match &engine {
            Some((_, uuid)) if channel == Channel::Mux => {
                vec![Bytes::copy_from_slice(uuid.as_bytes())]
            }
            _ => Vec::new(),
        };
        let tracker = Tracker::new(
            msg_id.clone(),
            &msg.header.msg_type,
            engine,
            channel == Channel::Mux,
            events,
        );
        lock(&self.shared.trackers).insert(msg_id.clone(), tracker.clone());
        let frames = self.shared.session.serialize(&msg.with_idents(idents));
        if let Err(e) = self.shared.send_frames(channel, frames).await {
            lock(&self.shared.trackers).remove(&msg_id);
            return Err(e);
        }
        Ok(tracker)
    }

    /// Per-engine queue counts from the hub (`queue_status`): the stock reply content, with
    /// engine ids as keys and an `unassigned` count.
    pub async fn queue_status(
        &self,
        targets: Option<Vec<i64>>,
        verbose: bool,
    ) -> Result<Map<String, Value>> {
        let reply = self
            .query(
                MsgType::QueueRequest,
                json!({"targets": targets, "verbose": verbose}),
                DEFAULT_REQUEST_TIMEOUT,
            )
            .await?;
        let mut content = match reply.content {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        content.remove("status");
        Ok(content)
    }

    /// Whether the hub answers a cheap query within `timeout`: how waits tell a slow engine
    /// from a dead controller. Any answer counts: stock's hub answers this query with a
    /// `hub_error` ("No Engines Registered") for the empty target list.
    pub async fn controller_alive(&self, timeout: Duration) -> bool {
        self.request(
            Channel::Query,
            None,
            MsgType::QueueRequest,
            json!({"targets": [], "verbose": false}),
            timeout,
        )
        .await
        .is_ok()
    }

    /// Starts an [`AsyncResult`] over trackers already submitted.
    pub(crate) fn async_result(
        &self,
        trackers: Vec<Arc<Tracker>>,
        events: Option<mpsc::UnboundedReceiver<OutputEvent>>,
    ) -> AsyncResult {
        AsyncResult::new(self.clone(), trackers, events)
    }
}

/// Turns an error reply into [`ClientError::Hub`].
pub(crate) fn check_status(msg_type: MsgType, reply: Message) -> Result<Message> {
    if reply.content.get("status").and_then(Value::as_str) == Some("error") {
        let field = |k: &str| {
            reply
                .content
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        return Err(ClientError::Hub {
            what: format!("a {msg_type}"),
            ename: field("ename"),
            evalue: field("evalue"),
        });
    }
    Ok(reply)
}
