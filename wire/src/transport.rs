//! The one module that touches the socket crate (`zeromq`, pure Rust).
//!
//! Everything above speaks `Vec<Bytes>` frames, so replacing the socket crate means
//! rewriting this file only. The crate's differences from libzmq are handled here or made
//! explicit to callers:
//! - `connect()` waits for the peer; we bound it with our own time-out so a missing
//!   controller is an error within seconds, not a hang;
//! - ROUTER/DEALER sockets do not reconnect after the peer restarts: a send or receive error
//!   is returned as [`WireError::Socket`] and the owner rebuilds the socket;
//! - there is no high-water mark: a send waits when a peer's queue is full, so loops that
//!   serve many peers must send from per-peer tasks ([`Sender`] is cheap to clone for ROUTER).

use std::time::Duration;

use bytes::Bytes;
use zeromq::{util::PeerIdentity, SocketOptions, ZmqMessage};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

use crate::error::{Result, WireError};
use crate::message::Message;
use crate::session::Session;

/// Socket types the ipyparallel topology uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// Addressed by identity; bound by the controller, and the engine's shell socket.
    Router,
    /// Clients' request sockets, the engine's registration and heartbeat-pong sockets.
    Dealer,
    /// IOPub, notifications, heartbeat pings.
    Pub,
    /// IOPub that sees subscriptions (protocol 5.5 `iopub_welcome`).
    XPub,
    /// Subscribers (always to everything: ipyparallel filters by parent session, not topic).
    Sub,
    /// A kernel's heartbeat: echoes each request.
    Rep,
}

enum Inner {
    Router(zeromq::RouterSocket),
    Dealer(zeromq::DealerSocket),
    Pub(zeromq::PubSocket),
    XPub(zeromq::XPubSocket),
    Sub(zeromq::SubSocket),
    Rep(zeromq::RepSocket),
}

/// A ZeroMQ socket speaking multipart frames.
pub struct Socket {
    inner: Inner,
    kind: SocketKind,
    /// Last endpoint bound or connected, for error messages.
    endpoint: String,
}

fn socket_err(endpoint: &str, e: impl std::fmt::Display) -> WireError {
    WireError::Socket {
        endpoint: endpoint.to_owned(),
        reason: e.to_string(),
    }
}

fn to_zmq(endpoint: &str, frames: Vec<Bytes>) -> Result<ZmqMessage> {
    ZmqMessage::try_from(frames).map_err(|e| socket_err(endpoint, e))
}

impl Socket {
    /// A new socket; `identity` is the routing id advertised to peers (ROUTER/DEALER only):
    /// engines use their uuid so the controller can address them.
    pub fn new(kind: SocketKind, identity: Option<&[u8]>) -> Result<Self> {
        let mut options = SocketOptions::default();
        if let Some(id) = identity {
            let peer =
                PeerIdentity::try_from(id.to_vec()).map_err(|e| socket_err("(identity)", e))?;
            options.peer_identity(peer);
        }
        // Jupyter messages are often a few hundred bytes but buffers can be hundreds of MB:
        // let reads grow to 1 MiB chunks so large frames do not take thousands of reads.
        options.read_buffer(256, 1 << 20, 2);
        let inner = match kind {
            SocketKind::Router => Inner::Router(zeromq::RouterSocket::with_options(options)),
            SocketKind::Dealer => Inner::Dealer(zeromq::DealerSocket::with_options(options)),
            SocketKind::Pub => Inner::Pub(zeromq::PubSocket::with_options(options)),
            SocketKind::XPub => Inner::XPub(zeromq::XPubSocket::with_options(options)),
            SocketKind::Sub => Inner::Sub(zeromq::SubSocket::with_options(options)),
            SocketKind::Rep => Inner::Rep(zeromq::RepSocket::with_options(options)),
        };
        Ok(Socket {
            inner,
            kind,
            endpoint: String::new(),
        })
    }

    /// The socket type.
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// Binds to `endpoint` (`tcp://127.0.0.1:0` picks a free port) and returns the endpoint
    /// actually bound, with its port.
    pub async fn bind(&mut self, endpoint: &str) -> Result<String> {
        let bound = match &mut self.inner {
            Inner::Router(s) => s.bind(endpoint).await,
            Inner::Dealer(s) => s.bind(endpoint).await,
            Inner::Pub(s) => s.bind(endpoint).await,
            Inner::XPub(s) => s.bind(endpoint).await,
            Inner::Sub(s) => s.bind(endpoint).await,
            Inner::Rep(s) => s.bind(endpoint).await,
        }
        .map_err(|e| socket_err(endpoint, e))?;
        self.endpoint = bound.to_string();
        Ok(self.endpoint.clone())
    }

    /// Connects to `endpoint`, failing with [`WireError::Timeout`] if the peer does not
    /// accept within `timeout` (the socket crate retries refused connects until then).
    pub async fn connect(&mut self, endpoint: &str, timeout: Duration) -> Result<()> {
        let fut = async {
            match &mut self.inner {
                Inner::Router(s) => s.connect(endpoint).await,
                Inner::Dealer(s) => s.connect(endpoint).await,
                Inner::Pub(s) => s.connect(endpoint).await,
                Inner::XPub(s) => s.connect(endpoint).await,
                Inner::Sub(s) => s.connect(endpoint).await,
                Inner::Rep(s) => s.connect(endpoint).await,
            }
        };
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(socket_err(endpoint, e)),
            Err(_) => {
                return Err(WireError::Timeout {
                    what: format!("connecting to {endpoint}"),
                    seconds: timeout.as_secs_f64(),
                })
            }
        }
        if let Inner::Sub(s) = &mut self.inner {
            // ipyparallel subscribers take everything and filter by parent session.
            s.subscribe("").await.map_err(|e| socket_err(endpoint, e))?;
        }
        self.endpoint = endpoint.to_owned();
        Ok(())
    }

    /// Subscribes a SUB socket to everything (needed after `bind`; `connect` does it).
    pub async fn subscribe_all(&mut self) -> Result<()> {
        match &mut self.inner {
            Inner::Sub(s) => s
                .subscribe("")
                .await
                .map_err(|e| socket_err(&self.endpoint, e)),
            _ => Ok(()),
        }
    }

    /// Sends one multipart message. For a ROUTER the first frame is the destination identity;
    /// an unknown destination is an error (the peer is gone), not a silent drop.
    pub async fn send(&mut self, frames: Vec<Bytes>) -> Result<()> {
        let msg = to_zmq(&self.endpoint, frames)?;
        let r = match &mut self.inner {
            Inner::Router(s) => s.send(msg).await,
            Inner::Dealer(s) => s.send(msg).await,
            Inner::Pub(s) => s.send(msg).await,
            Inner::XPub(s) => s.send(msg).await,
            Inner::Rep(s) => s.send(msg).await,
            Inner::Sub(_) => return Err(socket_err(&self.endpoint, "SUB sockets cannot send")),
        };
        r.map_err(|e| socket_err(&self.endpoint, e))
    }

    /// Receives one multipart message. A ROUTER prefixes the sender's identity; an XPUB
    /// yields subscription frames (`\x01` + prefix).
    pub async fn recv(&mut self) -> Result<Vec<Bytes>> {
        let r = match &mut self.inner {
            Inner::Router(s) => s.recv().await,
            Inner::Dealer(s) => s.recv().await,
            Inner::XPub(s) => s.recv().await,
            Inner::Sub(s) => s.recv().await,
            Inner::Rep(s) => s.recv().await,
            Inner::Pub(_) => return Err(socket_err(&self.endpoint, "PUB sockets cannot receive")),
        };
        r.map(ZmqMessage::into_vec)
            .map_err(|e| socket_err(&self.endpoint, e))
    }

    /// Signs and sends a message.
    pub async fn send_msg(&mut self, session: &Session, msg: &Message) -> Result<()> {
        self.send(session.serialize(msg)).await
    }

    /// Receives, verifies and parses a message. A socket failure and a bad message are
    /// different [`WireError`] variants: the first ends the socket, the second only the
    /// message.
    pub async fn recv_msg(&mut self, session: &Session) -> Result<Message> {
        let frames = self.recv().await?;
        session.deserialize(frames)
    }

    /// Splits a ROUTER or DEALER into halves that can be used from different tasks.
    pub fn split(self) -> Result<(Sender, Receiver)> {
        let endpoint = self.endpoint;
        match self.inner {
            Inner::Router(s) => {
                let (tx, rx) = s.split();
                Ok((
                    Sender {
                        inner: SendInner::Router(tx),
                        endpoint: endpoint.clone(),
                    },
                    Receiver {
                        inner: RecvInner::Router(rx),
                        endpoint,
                    },
                ))
            }
            Inner::Dealer(s) => {
                let (tx, rx) = s.split();
                Ok((
                    Sender {
                        inner: SendInner::Dealer(tx),
                        endpoint: endpoint.clone(),
                    },
                    Receiver {
                        inner: RecvInner::Dealer(rx),
                        endpoint,
                    },
                ))
            }
            _ => Err(socket_err(
                &endpoint,
                "only ROUTER and DEALER sockets split",
            )),
        }
    }
}

enum SendInner {
    Router(zeromq::RouterSendHalf),
    Dealer(zeromq::DealerSendHalf),
}

enum RecvInner {
    Router(zeromq::RouterRecvHalf),
    Dealer(zeromq::DealerRecvHalf),
}

/// The sending half of a split socket.
pub struct Sender {
    inner: SendInner,
    endpoint: String,
}

/// The receiving half of a split socket.
pub struct Receiver {
    inner: RecvInner,
    endpoint: String,
}

impl Sender {
    /// Sends one multipart message (see [`Socket::send`]).
    pub async fn send(&mut self, frames: Vec<Bytes>) -> Result<()> {
        let msg = to_zmq(&self.endpoint, frames)?;
        match &mut self.inner {
            SendInner::Router(s) => s.send(msg).await,
            SendInner::Dealer(s) => s.send(msg).await,
        }
        .map_err(|e| socket_err(&self.endpoint, e))
    }

    /// A second sender on the same ROUTER, for per-peer send tasks; DEALER halves cannot
    /// be shared.
    pub fn try_clone(&self) -> Option<Sender> {
        match &self.inner {
            SendInner::Router(s) => Some(Sender {
                inner: SendInner::Router(s.clone()),
                endpoint: self.endpoint.clone(),
            }),
            SendInner::Dealer(_) => None,
        }
    }
}

impl Receiver {
    /// Receives one multipart message (see [`Socket::recv`]).
    pub async fn recv(&mut self) -> Result<Vec<Bytes>> {
        match &mut self.inner {
            RecvInner::Router(s) => s.recv().await,
            RecvInner::Dealer(s) => s.recv().await,
        }
        .map(ZmqMessage::into_vec)
        .map_err(|e| socket_err(&self.endpoint, e))
    }
}
