//! One registration with a controller: the sockets, the tasks serving them, and the watch
//! on the heartbeat that tells when the controller is gone.
//!
//! A link is made again, with the same uuid and id, when a controller comes back; the
//! Python and its namespace live outside it, in the engine.

use std::sync::Arc;
use std::time::Duration;

use px_wire::{EngineConnectionInfo, Session, Signer, Socket, SocketKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::context::{Context, EngineState, StopRequest, WorkerState};
use crate::error::Result;
use crate::heart::Heart;
use crate::ids::{EngineId, EngineUuid};
use crate::iopub::Publisher;
use crate::metadata::Identity;
use crate::registration::{self, Registration};

/// How long connecting one socket may take once the controller has answered registration.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a link ended.
pub(crate) enum LinkEnd {
    /// The engine must stop (and leave the controller).
    Stop(StopRequest),
    /// No heartbeat for this long: the controller is gone.
    ControllerLost(Duration),
    /// The Python could not be started.
    WorkerFailed(String),
}

/// A live registration.
pub(crate) struct Link {
    /// Taken when the link leaves.
    registration: Option<Registration>,
    id: EngineId,
    hb_period: Duration,
    session: Arc<Session>,
    ctx: Context,
    heart: Heart,
    tasks: Vec<JoinHandle<()>>,
}

/// The session an engine signs with: the controller's key, the engine's uuid as session id.
pub(crate) fn session_for(info: &EngineConnectionInfo, uuid: &EngineUuid) -> Result<Session> {
    let signer = Signer::new(
        info.security.key.as_bytes(),
        &info.security.signature_scheme,
    )?;
    Ok(Session::with_id(signer, uuid.as_str().to_owned()))
}

impl Link {
    /// Registers, connects every socket (the heart first) and starts serving.
    pub(crate) async fn establish(
        info: &EngineConnectionInfo,
        uuid: &EngineUuid,
        requested_id: Option<u32>,
        timeout: Duration,
        state: Arc<EngineState>,
    ) -> Result<Link> {
        let session = Arc::new(session_for(info, uuid)?);
        let registration =
            registration::register(info, &session, uuid, requested_id, timeout).await?;
        let id = registration.id;
        if state.beat_after_startup {
            if let Err(reason) = state.worker().await {
                registration.unregister(&session).await;
                return Err(crate::error::EngineError::Worker(reason));
            }
        }
        // The heart starts last, as a stock engine's does: the hub counts the engine
        // registered at its first pong and clients send requests at once, which the
        // schedulers can only route once the shell socket is connected.
        let connected = async {
            let (shell, control, iopub) = tokio::join!(
                connect_shell(info, uuid, id),
                connect_one(SocketKind::Router, Some(uuid), info.url(info.control)),
                connect_one(SocketKind::XPub, None, info.url(info.iopub)),
            );
            let (shell, control, iopub) = (shell?, control?, iopub?);
            let heart = Heart::start(info, uuid, CONNECT_TIMEOUT).await?;
            Ok::<_, crate::error::EngineError>((heart, shell, control, iopub))
        };
        let (heart, shell, control, iopub) = match connected.await {
            Ok(sockets) => sockets,
            Err(e) => {
                // Or the hub keeps the registration pending, and refuses this uuid.
                registration.unregister(&session).await;
                return Err(e);
            }
        };

        let identity = Identity {
            id,
            uuid: uuid.clone(),
        };
        let (publisher, iopub_task) = Publisher::start(iopub, session.clone(), id, uuid.clone());
        let ctx = Context {
            identity,
            session: session.clone(),
            publisher,
            state,
        };
        let (replies, requests) = shell.split()?;
        let (queue, queued) = mpsc::unbounded_channel();
        let tasks = vec![
            iopub_task,
            tokio::spawn(crate::shell::receive(requests, ctx.clone(), queue)),
            tokio::spawn(crate::shell::serve(ctx.clone(), queued, replies)),
            tokio::spawn(crate::control::serve(ctx.clone(), control)),
        ];
        Ok(Link {
            id,
            hb_period: registration.hb_period,
            registration: Some(registration),
            session,
            ctx,
            heart,
            tasks,
        })
    }

    /// The id the hub gave.
    pub(crate) fn id(&self) -> EngineId {
        self.id
    }

    /// Serves until the engine must stop or the controller is gone. Signals sent to the
    /// engine process arrive on `signals`.
    pub(crate) async fn watch(
        &mut self,
        signals: &mut mpsc::UnboundedReceiver<i32>,
        stops: &mut mpsc::UnboundedReceiver<StopRequest>,
        missed_beats: u32,
    ) -> LinkEnd {
        let period = self.hb_period;
        let lost_after = period * missed_beats.max(1);
        let mut check = tokio::time::interval(period);
        let mut worker = self.ctx.state.worker.clone();
        loop {
            tokio::select! {
                Some(sig) = signals.recv() => {
                    if let Some(stop) = self.deliver(sig) {
                        return LinkEnd::Stop(stop);
                    }
                }
                Some(stop) = stops.recv() => return LinkEnd::Stop(stop),
                _ = check.tick() => {
                    let silence = self.heart.silence();
                    if silence > lost_after {
                        return LinkEnd::ControllerLost(silence);
                    }
                }
                Ok(state) = worker.wait_for(|s| matches!(s, WorkerState::Failed(_))) => {
                    if let WorkerState::Failed(reason) = &*state {
                        return LinkEnd::WorkerFailed(reason.clone());
                    }
                }
            }
        }
    }

    /// A signal sent to the engine process: interrupt, stop, or pass to the Python.
    fn deliver(&self, sig: i32) -> Option<StopRequest> {
        crate::control::deliver(&self.ctx.state, sig)
    }

    /// Stops serving and tells the hub we are leaving.
    pub(crate) async fn leave(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(registration) = self.registration.take() {
            registration.unregister(&self.session).await;
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn connect_one(kind: SocketKind, uuid: Option<&EngineUuid>, url: String) -> Result<Socket> {
    let routing = uuid.map(EngineUuid::routing_id);
    let mut socket = Socket::new(kind, routing.as_deref())?;
    socket.connect(&url, CONNECT_TIMEOUT).await?;
    Ok(socket)
}

/// One ROUTER for MUX, task and our broadcast leaf: requests from all three are served in
/// one queue, and replies find their way back by the routing frames they came with.
async fn connect_shell(
    info: &EngineConnectionInfo,
    uuid: &EngineUuid,
    id: EngineId,
) -> Result<Socket> {
    let mut socket = Socket::new(SocketKind::Router, Some(&uuid.routing_id()))?;
    let mut ports = vec![info.mux, info.task];
    if !info.broadcast.is_empty() {
        ports.push(info.broadcast[id.0 as usize % info.broadcast.len()]);
    }
    for port in ports {
        socket.connect(&info.url(port), CONNECT_TIMEOUT).await?;
    }
    Ok(socket)
}
