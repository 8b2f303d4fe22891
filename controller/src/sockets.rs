//! Binding every socket of the controller, and the ports that go into the connection files.
//!
//! The controller binds and everyone else connects, so this happens once at start-up, in
//! stock's order of port consumption (§2.5): registration, then the engine-facing ports, then
//! the client-facing ones; each takes the next port of `--ports` or a free one.

use px_wire::{Receiver, Sender, Socket, SocketKind, WireError};

/// Routing ids the controller's ROUTERs advertise: stock's names, so captures compare.
pub mod identity {
    /// MUX, client side.
    pub const MUX_IN: &[u8] = b"mux_in";
    /// MUX, engine side.
    pub const MUX_OUT: &[u8] = b"mux_out";
    /// Task scheduler, client side.
    pub const TASK_IN: &[u8] = b"task_in";
    /// Task scheduler, engine side.
    pub const TASK_OUT: &[u8] = b"task_out";
    /// Control, client side.
    pub const CONTROL_IN: &[u8] = b"control_in";
    /// Control, engine side.
    pub const CONTROL_OUT: &[u8] = b"control_out";
    /// Broadcast, client side (stock's tree root).
    pub const BROADCAST_ROOT: &[u8] = b"sub_scheduler_0";
}

/// A ROUTER split for use from several tasks.
pub struct Router {
    /// The bound port.
    pub port: u16,
    /// Sending half (cloneable per peer).
    pub tx: Sender,
    /// Receiving half.
    pub rx: Receiver,
}

/// A socket that stays whole (PUB, SUB).
pub struct Whole {
    /// The bound port.
    pub port: u16,
    /// The socket.
    pub socket: Socket,
}

/// Every socket of a running controller.
pub struct Bound {
    /// Registration and hub queries, for engines and clients alike.
    pub registration: Router,
    /// Engine-facing MUX.
    pub mux_engine: Router,
    /// Engine-facing task scheduler.
    pub task_engine: Router,
    /// Engine-facing control.
    pub control_engine: Router,
    /// Engines' IOPub (SUB).
    pub iopub_engine: Whole,
    /// Heartbeat pings (PUB).
    pub hb_ping: Whole,
    /// Heartbeat pongs (ROUTER).
    pub hb_pong: Router,
    /// Engine-facing broadcast leaves.
    pub broadcast_leaves: Vec<Router>,
    /// Client-facing MUX.
    pub mux_client: Router,
    /// Client-facing task scheduler.
    pub task_client: Router,
    /// Client-facing control.
    pub control_client: Router,
    /// Clients' IOPub (PUB).
    pub iopub_client: Whole,
    /// Engine (un)registration notifications (PUB).
    pub notification: Whole,
    /// Client-facing broadcast.
    pub broadcast_client: Router,
}

/// Where to bind: interfaces and the ports to try first.
pub struct BindPlan<'a> {
    /// `tcp://<ip>` for engine-facing sockets.
    pub engine_interface: &'a str,
    /// `tcp://<ip>` for client-facing sockets.
    pub client_interface: &'a str,
    /// Ports handed out in order before free ones are picked.
    pub ports: &'a [u16],
    /// Number of engine-facing broadcast leaves.
    pub leaves: usize,
    /// Previous ports to bind again (`--reuse`), in the same order as `ports`.
    pub reuse: Option<&'a [u16]>,
}

struct PortPool<'a> {
    ports: std::slice::Iter<'a, u16>,
}

impl PortPool<'_> {
    fn next(&mut self) -> u16 {
        self.ports.next().copied().unwrap_or(0)
    }
}

async fn bind(
    kind: SocketKind,
    identity: Option<&[u8]>,
    interface: &str,
    port: u16,
) -> Result<(u16, Socket), WireError> {
    let mut socket = Socket::new(kind, identity)?;
    let endpoint = socket.bind(&format!("{interface}:{port}")).await?;
    let port = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| WireError::Socket {
            endpoint: endpoint.clone(),
            reason: "bound endpoint has no port".to_owned(),
        })?;
    if kind == SocketKind::Sub {
        socket.subscribe_all().await?;
    }
    Ok((port, socket))
}

async fn router(identity: Option<&[u8]>, interface: &str, port: u16) -> Result<Router, WireError> {
    let (port, socket) = bind(SocketKind::Router, identity, interface, port).await?;
    let (tx, rx) = socket.split()?;
    Ok(Router { port, tx, rx })
}

async fn whole(kind: SocketKind, interface: &str, port: u16) -> Result<Whole, WireError> {
    let (port, socket) = bind(kind, None, interface, port).await?;
    Ok(Whole { port, socket })
}

/// Binds everything. The registration socket serves engines and clients; when they use
/// different interfaces it is bound on the engine one (clients then reach it there).
pub async fn bind_all(plan: &BindPlan<'_>) -> Result<Bound, WireError> {
    let ports = plan.reuse.unwrap_or(plan.ports);
    let mut pool = PortPool {
        ports: ports.iter(),
    };
    let engine = plan.engine_interface;
    let client = plan.client_interface;
    use identity::*;
    let registration = router(None, engine, pool.next()).await?;
    let control_engine = router(Some(CONTROL_OUT), engine, pool.next()).await?;
    let mux_engine = router(Some(MUX_OUT), engine, pool.next()).await?;
    let task_engine = router(Some(TASK_OUT), engine, pool.next()).await?;
    let iopub_engine = whole(SocketKind::Sub, engine, pool.next()).await?;
    let hb_ping = whole(SocketKind::Pub, engine, pool.next()).await?;
    let hb_pong = router(None, engine, pool.next()).await?;
    let mut broadcast_leaves = Vec::with_capacity(plan.leaves);
    for leaf in 0..plan.leaves {
        let id = leaf_identity(leaf, plan.leaves);
        broadcast_leaves.push(router(Some(id.as_bytes()), engine, pool.next()).await?);
    }
    let control_client = router(Some(CONTROL_IN), client, pool.next()).await?;
    let mux_client = router(Some(MUX_IN), client, pool.next()).await?;
    let task_client = router(Some(TASK_IN), client, pool.next()).await?;
    let iopub_client = whole(SocketKind::Pub, client, pool.next()).await?;
    let notification = whole(SocketKind::Pub, client, pool.next()).await?;
    let broadcast_client = router(Some(BROADCAST_ROOT), client, pool.next()).await?;
    Ok(Bound {
        registration,
        mux_engine,
        task_engine,
        control_engine,
        iopub_engine,
        hb_ping,
        hb_pong,
        broadcast_leaves,
        mux_client,
        task_client,
        control_client,
        iopub_client,
        notification,
        broadcast_client,
    })
}

/// Stock's name for leaf `leaf` of `leaves` (`sub_scheduler_00`, `sub_scheduler_01`, ...):
/// the binary path from the root, root included.
pub fn leaf_identity(leaf: usize, leaves: usize) -> String {
    let depth = leaves.max(1).trailing_zeros() as usize;
    if depth == 0 {
        return "sub_scheduler_0".to_owned();
    }
    format!("sub_scheduler_0{leaf:0depth$b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_names_follow_the_tree_paths() {
        assert_eq!(leaf_identity(0, 2), "sub_scheduler_00");
        assert_eq!(leaf_identity(1, 2), "sub_scheduler_01");
        assert_eq!(leaf_identity(2, 4), "sub_scheduler_010");
        assert_eq!(leaf_identity(0, 1), "sub_scheduler_0");
    }
}
