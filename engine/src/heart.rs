//! The heartbeat: every ping the heart monitor publishes goes straight back, byte for byte,
//! from a DEALER carrying the engine's uuid, and the time of the last ping answered tells
//! the engine whether its controller is still there.
//!
//! The heart starts once registration is accepted and the shell, control and IOPub sockets
//! are connected, before the Python is ready (unless startup files must run first, as a
//! stock engine runs them): the hub counts the engine as registered at the first pong it
//! sees, and requests that arrive before the Python is up simply wait in the queue.

use std::time::Duration;

use px_wire::{EngineConnectionInfo, Socket, SocketKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::Result;
use crate::ids::EngineUuid;

/// A running heart: the echo task and the time of the last ping.
pub(crate) struct Heart {
    task: JoinHandle<()>,
    last_ping: watch::Receiver<Instant>,
}

impl Heart {
    /// Connects to the ping and pong sockets and starts echoing.
    pub(crate) async fn start(
        info: &EngineConnectionInfo,
        uuid: &EngineUuid,
        timeout: Duration,
    ) -> Result<Heart> {
        let mut ping = Socket::new(SocketKind::Sub, None)?;
        let mut pong = Socket::new(SocketKind::Dealer, Some(&uuid.routing_id()))?;
        let (ping_url, pong_url) = (info.url(info.hb_ping), info.url(info.hb_pong));
        let (a, b) = tokio::join!(
            ping.connect(&ping_url, timeout),
            pong.connect(&pong_url, timeout)
        );
        a?;
        b?;
        let (beat, last_ping) = watch::channel(Instant::now());
        let task = tokio::spawn(async move {
            loop {
                let frames = match ping.recv().await {
                    Ok(frames) => frames,
                    Err(e) => {
                        tracing::debug!("heartbeat pings ended: {e}");
                        return;
                    }
                };
                // Only an answered ping counts: after a controller restart the ping socket
                // may be connected again while the pong socket is not, and a heart that
                // cannot answer is as lost as one that hears nothing.
                match pong.send(frames).await {
                    Ok(()) => {
                        beat.send_replace(Instant::now());
                    }
                    Err(e) => tracing::debug!("heartbeat pong not sent: {e}"),
                }
            }
        });
        Ok(Heart { task, last_ping })
    }

    /// How long ago the last ping was answered (or the heart started, before any ping).
    pub(crate) fn silence(&self) -> Duration {
        self.last_ping.borrow().elapsed()
    }
}

impl Drop for Heart {
    fn drop(&mut self) {
        self.task.abort();
    }
}
