//! An engine's whole life: find the controller, start the Python while registering, serve,
//! survive the controller going away, and leave cleanly.

use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use px_worker::{ExecuteRequest, ReplyStatus, Worker};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::aborts::Aborts;
use crate::config::{EngineConfig, OnControllerLoss};
use crate::context::{EngineState, StopRequest, WorkerState};
use crate::error::{EngineError, Result};
use crate::ids::{EngineId, EngineUuid};
use crate::link::{Link, LinkEnd};
use crate::locate;

/// How long the Python may take to exit by itself when the engine stops.
const WORKER_SHUTDOWN: Duration = Duration::from_secs(3);

/// Loads what apply requests need (and points `publish_data` at the worker), if
/// ipyparallel is there; the worker's own package stays importable after start-up.
const PRELOAD: &str = "__import__('px_worker.apply').apply.load_ipyparallel()";

/// Pause between attempts to register with a controller that went away.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Why an engine stopped without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// A client asked it to (`shutdown_request`).
    Shutdown,
    /// It received a stopping signal (SIGTERM, SIGHUP, SIGQUIT), directly or as a
    /// `signal_request`.
    Signal(i32),
}

/// Runs an engine until it is told to stop.
///
/// Signals the process receives are passed in on `signals` (numbers): SIGINT interrupts
/// the running code, SIGTERM/SIGHUP/SIGQUIT stop the engine, others go to the Python.
pub async fn run(config: EngineConfig, mut signals: mpsc::UnboundedReceiver<i32>) -> Result<Exit> {
    let uuid = config.uuid.clone().unwrap_or_else(EngineUuid::generate);
    let located = locate::load(
        &config.source,
        config.location.as_deref(),
        config.wait_for_file,
    );
    let mut info = match unless_stopped(located, &mut signals).await {
        Ok(info) => info?,
        Err(sig) => return Ok(Exit::Signal(sig)),
    };

    // The Python starts while the engine registers: the hub counts an engine registered
    // at its first heartbeat, which need not wait for Python.
    let (worker_tx, worker_rx) = watch::channel(WorkerState::Starting);
    let starter = tokio::spawn(start_worker(config.clone(), worker_tx));
    let (stop_tx, mut stops) = mpsc::unbounded_channel();
    let state = Arc::new(EngineState {
        worker: worker_rx,
        aborts: Aborts::default(),
        execution_count: AtomicU32::new(0),
        history: Default::default(),
        stop: stop_tx,
        beat_after_startup: !config.startup_files.is_empty(),
    });
    let timeout = config.registration_timeout;
    let first = Link::establish(&info, &uuid, config.requested_id, timeout, state.clone());
    let mut link = match unless_stopped(first, &mut signals).await {
        Ok(link) => link,
        Err(sig) => {
            starter.abort();
            stop_worker(state).await;
            return Ok(Exit::Signal(sig));
        }
    };
    let result = 'serving: loop {
        let mut live = match link {
            Ok(live) => live,
            Err(e) => break Err(e),
        };
        let id = live.id();
        // Worded as stock engines word it: launchers and tests look for this line.
        tracing::info!("Completed registration with id {id} ({uuid})");
        match live
            .watch(&mut signals, &mut stops, config.missed_beats)
            .await
        {
            LinkEnd::Stop(stop) => {
                live.leave().await;
                break Ok(match stop {
                    StopRequest::Shutdown => Exit::Shutdown,
                    StopRequest::Signal(sig) => Exit::Signal(sig),
                });
            }
            LinkEnd::WorkerFailed(reason) => {
                live.leave().await;
                break Err(EngineError::Worker(reason));
            }
            LinkEnd::ControllerLost(silence) => {
                drop(live);
                let OnControllerLoss::Reconnect(limit) = config.on_controller_loss else {
                    break Err(EngineError::ControllerLost {
                        silent: silence,
                        waited: Duration::ZERO,
                    });
                };
                tracing::warn!(
                    "no heartbeat from the controller for {silence:.1?}; registering again \
                     as engine {id} for up to {limit:?} (the namespace is kept)"
                );
                let again = reconnect(&config, &mut info, &uuid, id, limit, state.clone());
                tokio::pin!(again);
                link = loop {
                    tokio::select! {
                        link = &mut again => break link.map_err(|_| EngineError::ControllerLost {
                            silent: silence,
                            waited: limit,
                        }),
                        Some(sig) = signals.recv() => {
                            if let Some(StopRequest::Signal(sig)) = crate::control::deliver(&state, sig) {
                                break 'serving Ok(Exit::Signal(sig));
                            }
                        }
                    }
                };
            }
        }
    };
    starter.abort();
    stop_worker(state).await;
    result
}

/// Runs `work` unless a stopping signal comes first (its number then); other signals
/// arriving meanwhile are dropped, since no code runs yet that they could be meant for.
async fn unless_stopped<T>(
    work: impl std::future::Future<Output = T>,
    signals: &mut mpsc::UnboundedReceiver<i32>,
) -> Result<T, i32> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            Some(sig) = signals.recv() => {
                if crate::signals::action(sig) == crate::signals::SignalAction::Stop {
                    tracing::info!("stopping on signal {sig} before registration completed");
                    return Err(sig);
                }
            }
        }
    }
}

/// Registers again until it works or `limit` has passed; a file source is read again each
/// time, since a restarted controller may have written new ports.
async fn reconnect(
    config: &EngineConfig,
    info: &mut px_wire::EngineConnectionInfo,
    uuid: &EngineUuid,
    id: EngineId,
    limit: Duration,
    state: Arc<EngineState>,
) -> Result<Link> {
    let deadline = Instant::now() + limit;
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(fresh) =
            locate::load(&config.source, config.location.as_deref(), Duration::ZERO).await
        {
            *info = fresh;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = config.registration_timeout.min(left).max(RECONNECT_PAUSE);
        match Link::establish(info, uuid, Some(id.0), timeout, state.clone()).await {
            Ok(link) => return Ok(link),
            Err(e) => {
                tracing::debug!("registering again failed: {e}");
                last = Some(e);
            }
        }
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
    Err(last.unwrap_or(EngineError::RegistrationTimeout {
        url: info.url(info.registration),
        waited: limit,
    }))
}

/// Starts the Python, runs the startup files and code in it, and makes it available to
/// handlers. A Python that dies in a startup file fails the engine, as a stock engine dies
/// with it: restarting would only run the same file again.
async fn start_worker(config: EngineConfig, state: watch::Sender<WorkerState>) {
    let worker = match Worker::start(config.worker.clone()).await {
        Ok(worker) => worker,
        Err(e) => {
            tracing::error!("the engine's Python did not start: {e}");
            state.send_replace(WorkerState::Failed(e.to_string()));
            return;
        }
    };
    let files = config.startup_files.iter().map(|path| {
        let runner = if path.extension().is_some_and(|e| e == "ipy") {
            "safe_execfile_ipy"
        } else {
            "safe_execfile"
        };
        let path = px_wire::python_str_repr(&path.display().to_string());
        // As IPython runs them: in the user namespace, errors shown, not fatal.
        let code = format!("get_ipython().{runner}({path}, get_ipython().user_ns)");
        (format!("the startup file {path}"), code)
    });
    let codes = config
        .startup_code
        .iter()
        .map(|code| (format!("the startup code {code:?}"), code.clone()));
    for (what, code) in files.chain(codes) {
        let reply = match worker.execute(ExecuteRequest::new(code).silent(true)) {
            Ok(run) => run.collect().await,
            Err(e) => Err(e),
        };
        match reply {
            Ok(out) if out.reply.status == ReplyStatus::Ok => {}
            Ok(out) if out.reply.worker_restarted => {
                let why = out.reply.error.map(|e| e.evalue).unwrap_or_default();
                // The worker's words go on about the restart, which is not going to happen.
                let why = why.split("; restarting").next().unwrap_or_default();
                let reason = format!("the Python died running {what}: {why}");
                tracing::error!("{reason}");
                state.send_replace(WorkerState::Failed(reason));
                return;
            }
            Ok(out) => tracing::warn!(
                "{what} failed: {}",
                out.reply.error.map(|e| e.evalue).unwrap_or_default()
            ),
            Err(e) => tracing::warn!("{what} failed: {e}"),
        }
    }
    if let Some(info) = worker.info() {
        tracing::info!("Python {} ready (pid {})", info.python_version, info.pid);
    }
    // Stock engines have ipyparallel loaded; load it now, before the first apply needs it,
    // without binding a name in the user namespace. Requests queue behind it.
    if let Ok(warm_up) = worker.execute(ExecuteRequest::new(PRELOAD).silent(true)) {
        tokio::spawn(warm_up.collect());
    }
    state.send_replace(WorkerState::Ready(Arc::new(worker)));
}

/// Lets the Python exit by itself (running its `atexit` handlers) when it is idle, else
/// kills it.
async fn stop_worker(state: Arc<EngineState>) {
    let Some(mut worker) = state.worker_now() else {
        return;
    };
    drop(state);
    // The handlers' tasks were aborted; they let go of the worker as they are dropped.
    let deadline = Instant::now() + WORKER_SHUTDOWN;
    loop {
        match Arc::try_unwrap(worker) {
            Ok(owned) => {
                if tokio::time::timeout(WORKER_SHUTDOWN, owned.shutdown())
                    .await
                    .is_err()
                {
                    tracing::debug!("the Python did not exit in time; it was killed");
                }
                return;
            }
            Err(shared) if Instant::now() < deadline => {
                worker = shared;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Still held: dropping our handle kills the Python with the engine.
            Err(_) => return,
        }
    }
}
