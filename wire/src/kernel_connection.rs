//! The connection file a Jupyter frontend hands a kernel (`kernel-<id>.json`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, WireError};
use crate::files::{read_json, write_json};
use crate::session::Session;
use crate::signer::{default_scheme, Signer};

fn default_transport() -> String {
    "tcp".to_owned()
}

fn default_ip() -> String {
    "127.0.0.1".to_owned()
}

/// Ports, key and transport of one kernel, as jupyter_client writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelConnectionInfo {
    /// Requests that run code (ROUTER).
    pub shell_port: u16,
    /// Outputs and status (PUB/XPUB).
    pub iopub_port: u16,
    /// `input()` requests to the frontend (ROUTER).
    pub stdin_port: u16,
    /// Interrupt, shutdown, kernel_info while busy (ROUTER).
    pub control_port: u16,
    /// Liveness echo (REP).
    pub hb_port: u16,
    /// Address to bind.
    #[serde(default = "default_ip")]
    pub ip: String,
    /// HMAC key as text; empty turns signing off.
    #[serde(default)]
    pub key: String,
    /// `tcp` (`ipc` is not supported).
    #[serde(default = "default_transport")]
    pub transport: String,
    /// `hmac-sha256`.
    #[serde(default = "default_scheme")]
    pub signature_scheme: String,
    /// The kernelspec name, informational.
    #[serde(default)]
    pub kernel_name: String,
}

impl KernelConnectionInfo {
    /// Reads a kernel connection file.
    pub fn load(path: &Path) -> Result<Self> {
        let info: Self = read_json(path, "Jupyter kernel connection file")?;
        if info.transport != "tcp" {
            return Err(WireError::BadFile {
                path: path.to_owned(),
                what: "Jupyter kernel connection file",
                reason: format!("transport {:?} is not supported (only tcp)", info.transport),
            });
        }
        Ok(info)
    }

    /// Writes the file (0600, atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }

    /// The endpoint for `port`.
    pub fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{}", self.transport, self.ip, port)
    }

    /// A session signing with this file's key.
    pub fn session(&self) -> Result<Session> {
        Ok(Session::new(Signer::new(
            self.key.as_bytes(),
            &self.signature_scheme,
        )?))
    }
}
