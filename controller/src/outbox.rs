//! Sending on a ROUTER without letting one slow peer hold up the others.
//!
//! The socket crate has no high-water mark: a send to a peer whose queue is full waits. The
//! controller's core serves every client and engine from one loop, so it never awaits a
//! send; it hands frames to an [`Outbox`], which keeps one queue and one sending task per
//! peer. Queues are accounted in bytes: past [`PEER_QUEUE_LIMIT`] a peer that does not read
//! loses messages (logged and counted) instead of the controller growing without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use px_wire::Sender;
use tokio::sync::mpsc;

/// Most bytes queued for one peer before new messages to it are dropped.
pub const PEER_QUEUE_LIMIT: usize = 2 << 30;

/// One peer's queue, shared with its sending task.
struct PeerQueue {
    tx: mpsc::UnboundedSender<Vec<Bytes>>,
    queued: Arc<AtomicUsize>,
    /// Set by the sending task when the socket says the peer is not connected.
    gone: Arc<AtomicBool>,
}

/// Per-peer queues in front of one ROUTER's sending half.
pub struct Outbox {
    name: &'static str,
    sender: Sender,
    peers: HashMap<Bytes, PeerQueue>,
    dropped: Arc<AtomicU64>,
}

impl Outbox {
    /// Queues in front of `sender`; `name` labels the socket in logs.
    pub fn new(name: &'static str, sender: Sender) -> Self {
        Outbox {
            name,
            sender,
            peers: HashMap::new(),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Queues `frames` for the peer named by the first frame. Never waits.
    pub fn send(&mut self, frames: Vec<Bytes>) {
        let Some(peer) = frames.first().cloned() else {
            return;
        };
        let size: usize = frames.iter().map(Bytes::len).sum();
        if self
            .peers
            .get(&peer)
            .is_some_and(|q| q.gone.load(Ordering::Relaxed) || q.tx.is_closed())
        {
            // The peer may have reconnected since: start afresh.
            self.peers.remove(&peer);
        }
        if !self.peers.contains_key(&peer) {
            let Some(q) = self.spawn_peer(peer.clone()) else {
                tracing::error!(
                    socket = self.name,
                    "this socket cannot queue per peer; message dropped"
                );
                return;
            };
            self.peers.insert(peer.clone(), q);
        }
        let Some(queue) = self.peers.get(&peer) else {
            return;
        };
        if queue.queued.load(Ordering::Relaxed) + size > PEER_QUEUE_LIMIT {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                socket = self.name,
                peer = %String::from_utf8_lossy(&peer),
                "peer is not reading; message dropped ({n} dropped on this socket)"
            );
            return;
        }
        queue.queued.fetch_add(size, Ordering::Relaxed);
        if queue.tx.send(frames).is_err() {
            queue.queued.fetch_sub(size, Ordering::Relaxed);
        }
    }

    /// Messages dropped because a peer's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Forgets a peer (an engine that unregistered): its task ends once its queue is sent.
    pub fn forget(&mut self, peer: &[u8]) {
        self.peers.remove(peer);
    }

    /// `None` if the sending half cannot be shared (only ROUTER halves can).
    fn spawn_peer(&self, peer: Bytes) -> Option<PeerQueue> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<Bytes>>();
        let queued = Arc::new(AtomicUsize::new(0));
        let gone = Arc::new(AtomicBool::new(false));
        let (task_queued, task_gone) = (queued.clone(), gone.clone());
        let mut sender = self.sender.try_clone()?;
        let name = self.name;
        tokio::spawn(async move {
            while let Some(frames) = rx.recv().await {
                let size: usize = frames.iter().map(Bytes::len).sum();
                let result = sender.send(frames).await;
                task_queued.fetch_sub(size, Ordering::Relaxed);
                if let Err(e) = result {
                    // Not connected (yet, or any more): what stock's ROUTER drops silently.
                    tracing::debug!(socket = name, peer = %String::from_utf8_lossy(&peer), "not delivered: {e}");
                    task_gone.store(true, Ordering::Relaxed);
                }
            }
        });
        Some(PeerQueue { tx, queued, gone })
    }
}
