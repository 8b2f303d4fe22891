//! SSH tunnels to a controller that is only reachable through a gateway, as
//! `ipyparallel.Client(..., sshserver="user@host")`: every port is forwarded by the system
//! `ssh -L`, and the client connects to the local ends.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use px_wire::ClientConnectionInfo;

use crate::error::{ClientError, Result};

/// How to reach the controller through ssh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// `[user@]host[:port]` of the ssh server.
    pub server: String,
    /// A private key file (`ssh -i`).
    pub key: Option<PathBuf>,
    /// The ssh program; `ssh` on PATH unless set.
    pub program: PathBuf,
}

impl SshOptions {
    /// Tunnels through `server` with the system `ssh`.
    pub fn new(server: impl Into<String>) -> Self {
        SshOptions {
            server: server.into(),
            key: None,
            program: PathBuf::from("ssh"),
        }
    }
}

/// A running `ssh -N -L ...` process, stopped when dropped.
#[derive(Debug)]
pub(crate) struct SshTunnel {
    child: Child,
}

impl Drop for SshTunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_local_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| {
        ClientError::InvalidArgument(format!("no free local port for a tunnel: {e}"))
    })?;
    Ok(listener.local_addr().map(|a| a.port()).unwrap_or(0))
}

/// Splits `tcp://host:port` into the host and port the ssh server should forward to.
fn remote_end(url: &str) -> Result<(String, u16)> {
    let rest = url.strip_prefix("tcp://").ok_or_else(|| {
        ClientError::InvalidArgument(format!("ssh tunnels need tcp endpoints, not {url}"))
    })?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| ClientError::InvalidArgument(format!("no port in {url}")))?;
    let port = port
        .parse()
        .map_err(|_| ClientError::InvalidArgument(format!("bad port in {url}")))?;
    Ok((host.to_owned(), port))
}

/// Starts one ssh process forwarding every client port of `info`, and returns the tunnel
/// with the connection info rewritten to the local ends.
pub(crate) fn open(
    info: &ClientConnectionInfo,
    ssh: &SshOptions,
    timeout: Duration,
) -> Result<(SshTunnel, ClientConnectionInfo)> {
    let mut local = info.clone();
    let mut forwards = Vec::new();
    let mut local_ports = Vec::new();
    {
        let ports = [
            &mut local.registration,
            &mut local.control,
            &mut local.mux,
            &mut local.task,
            &mut local.iopub,
            &mut local.notification,
            &mut local.broadcast,
        ];
        for port in ports {
            let (host, remote_port) = remote_end(&info.url(*port))?;
            let lport = free_local_port()?;
            forwards.push(format!("127.0.0.1:{lport}:{host}:{remote_port}"));
            local_ports.push(lport);
            *port = lport;
        }
    }
    local.interface = "tcp://127.0.0.1".into();
    local.ssh = String::new();

    let mut cmd = Command::new(&ssh.program);
    cmd.args([
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-o",
        "BatchMode=yes",
    ]);
    if let Some(key) = &ssh.key {
        cmd.arg("-i").arg(key);
    }
    let (server, port) = match ssh.server.rsplit_once(':') {
        Some((s, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => (s, Some(p)),
        _ => (ssh.server.as_str(), None),
    };
    if let Some(p) = port {
        cmd.args(["-p", p]);
    }
    for f in &forwards {
        cmd.arg("-L").arg(f);
    }
    cmd.arg(server)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|e| {
        ClientError::InvalidArgument(format!(
            "could not run {} for the ssh tunnel: {e}",
            ssh.program.display()
        ))
    })?;
    let mut tunnel = SshTunnel { child };

    // ssh gives no readiness signal: wait until every local end accepts connections, and
    // give up with ssh's own words if it exits first.
    let deadline = Instant::now() + timeout;
    for lport in local_ports {
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, lport)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = tunnel.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = tunnel.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                return Err(ClientError::InvalidArgument(format!(
                    "ssh tunnel through {} failed ({status}): {}",
                    ssh.server,
                    err.trim()
                )));
            }
            if Instant::now() >= deadline {
                return Err(ClientError::ControllerSilent {
                    what: format!("the ssh tunnel through {}", ssh.server),
                    timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok((tunnel, local))
}
