//! `ipcontroller-client.json` and `ipcontroller-engine.json`, field for field as the stock
//! controller writes them (same key order, so files can be diffed against stock ones).

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Result, WireError};
use crate::files::{read_json, write_json};
use crate::session::Session;
use crate::signer::{default_scheme, Signer};

fn none_as_empty<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_deref().unwrap_or(""))
}

fn default_packer() -> String {
    "json".to_owned()
}

/// Fields both files share: how to sign, how to pack, where the controller is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Security {
    /// HMAC key as text; its UTF-8 bytes are the key. Empty means signing is off.
    #[serde(default)]
    pub key: String,
    /// Z85 CURVE public key of the controller, or null (CURVE is unsupported here).
    #[serde(default)]
    pub curve_serverkey: Option<String>,
    /// Controller host name; used only to resolve `0.0.0.0` / `*` interfaces. Always
    /// written as a string (`""` when unknown): stock `ipengine` refuses a file without it,
    /// and refuses `null`.
    #[serde(default, serialize_with = "none_as_empty")]
    pub location: Option<String>,
    /// Packer name: `json` or `orjson` (both UTF-8 JSON on the wire).
    #[serde(default = "default_packer")]
    pub pack: String,
    /// Unpacker name, as `pack`.
    #[serde(default = "default_packer")]
    pub unpack: String,
    /// `hmac-sha256`.
    #[serde(default = "default_scheme")]
    pub signature_scheme: String,
}

impl Security {
    /// Fresh security settings with a new random key.
    pub fn generate(location: Option<String>) -> Self {
        Security {
            key: crate::session::new_id(),
            curve_serverkey: None,
            location,
            pack: default_packer(),
            unpack: default_packer(),
            signature_scheme: default_scheme(),
        }
    }

    /// Refuses settings this implementation cannot honour (pickle/msgpack packers, CURVE,
    /// hashes other than sha256), with a message naming the setting.
    pub fn check(&self) -> Result<()> {
        for packer in [&self.pack, &self.unpack] {
            if packer != "json" && packer != "orjson" {
                return Err(WireError::UnsupportedPacker(packer.clone()));
            }
        }
        if self
            .curve_serverkey
            .as_deref()
            .is_some_and(|k| !k.is_empty())
        {
            return Err(WireError::UnsupportedScheme(
                "CURVE encryption (curve_serverkey is set)".to_owned(),
            ));
        }
        Signer::new(self.key.as_bytes(), &self.signature_scheme)?;
        Ok(())
    }

    /// A session signing with this key.
    pub fn session(&self) -> Result<Session> {
        self.check()?;
        Ok(Session::new(Signer::new(
            self.key.as_bytes(),
            &self.signature_scheme,
        )?))
    }
}

/// What a client needs to reach a controller (`ipcontroller[-<id>]-client.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConnectionInfo {
    /// ssh server to tunnel through, `""` for none.
    #[serde(default)]
    pub ssh: String,
    /// `tcp://<ip>` the client-facing sockets are bound on.
    pub interface: String,
    /// Hub queries and registration (ROUTER).
    pub registration: u16,
    /// Control relay.
    pub control: u16,
    /// Direct (MUX) relay.
    pub mux: u16,
    /// Load-balanced task scheduler.
    pub task: u16,
    /// Task scheduler scheme (`leastload`, `lru`, ..., `pure`).
    pub task_scheme: String,
    /// IOPub relay (PUB).
    pub iopub: u16,
    /// Engine (un)registration notifications (PUB).
    pub notification: u16,
    /// Broadcast scheduler.
    pub broadcast: u16,
    /// Key, packer and location.
    #[serde(flatten)]
    pub security: Security,
    /// Keys we do not know, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What an engine needs to join a controller (`ipcontroller[-<id>]-engine.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConnectionInfo {
    /// ssh server for engines, `""` for none.
    #[serde(default)]
    pub ssh: String,
    /// `tcp://<ip>` the engine-facing sockets are bound on.
    pub interface: String,
    /// Registration (same port as the client file's).
    pub registration: u16,
    /// Control relay, engine side.
    pub control: u16,
    /// MUX relay, engine side.
    pub mux: u16,
    /// Task scheduler, engine side.
    pub task: u16,
    /// IOPub relay, engine side (SUB).
    pub iopub: u16,
    /// Heartbeat pings (PUB).
    pub hb_ping: u16,
    /// Heartbeat pongs (ROUTER).
    pub hb_pong: u16,
    /// One port per broadcast-tree leaf; engine `id` uses `broadcast[id % len]`.
    pub broadcast: Vec<u16>,
    /// Key, packer and location.
    #[serde(flatten)]
    pub security: Security,
    /// Keys we do not know, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn endpoint(interface: &str, location: Option<&str>, port: u16) -> String {
    let iface = interface.trim_end_matches('/');
    let (scheme, ip) = iface.split_once("://").unwrap_or(("tcp", iface));
    let ip = if ip == "0.0.0.0" || ip == "*" {
        // A wildcard bind is reachable on loopback from this machine, and at `location`
        // from elsewhere; with no location, loopback is all we can assume.
        match location {
            Some(loc) if !loc.is_empty() && !is_local_name(loc) => loc,
            _ => "127.0.0.1",
        }
    } else {
        ip
    };
    format!("{scheme}://{ip}:{port}")
}

fn is_local_name(name: &str) -> bool {
    if name == "localhost" || name.starts_with("127.") || name == "::1" {
        return true;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim() == name)
        .unwrap_or(false)
}

/// Reads a connection file and refuses settings we cannot honour, naming the file.
fn load_checked<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    security: impl FnOnce(&T) -> &Security,
) -> Result<T> {
    let info: T = read_json(path, what)?;
    security(&info).check().map_err(|e| WireError::BadFile {
        path: path.to_owned(),
        what,
        reason: e.to_string(),
    })?;
    Ok(info)
}

/// `load`, `save` and `url`, identical for both connection files.
macro_rules! connection_file {
    ($ty:ty, $what:literal) => {
        impl $ty {
            #[doc = concat!("Loads and checks an ", $what, ".")]
            pub fn load(path: &Path) -> Result<Self> {
                load_checked(path, $what, |i: &Self| &i.security)
            }

            /// Writes the file (0600, atomically).
            pub fn save(&self, path: &Path) -> Result<()> {
                write_json(path, self)
            }

            /// The endpoint to connect to for `port`, resolving wildcard interfaces.
            pub fn url(&self, port: u16) -> String {
                endpoint(&self.interface, self.security.location.as_deref(), port)
            }
        }
    };
}

connection_file!(ClientConnectionInfo, "ipyparallel client connection file");
connection_file!(EngineConnectionInfo, "ipyparallel engine connection file");

#[cfg(test)]
mod tests {
    use super::*;

    const STOCK_CLIENT: &str = r#"{"ssh": "", "interface": "tcp://127.0.0.1", "registration": 43533,
        "control": 55039, "mux": 34267, "task": 35107, "task_scheme": "leastload", "iopub": 43883,
        "notification": 41111, "broadcast": 34135, "key": "9249ffff-2a4343bbe89f51fc0013c760",
        "curve_serverkey": null, "location": "vm", "pack": "json", "unpack": "json",
        "signature_scheme": "hmac-sha256"}"#;

    #[test]
    fn parses_the_stock_client_file_and_writes_the_same_keys_in_the_same_order() {
        let info: ClientConnectionInfo = serde_json::from_str(STOCK_CLIENT).unwrap();
        assert_eq!(info.url(info.mux), "tcp://127.0.0.1:34267");
        let written = serde_json::to_string(&info).unwrap();
        // The stock controller's order (serde_json::Value would sort keys, so spell it out).
        let keys = [
            "ssh",
            "interface",
            "registration",
            "control",
            "mux",
            "task",
            "task_scheme",
            "iopub",
            "notification",
            "broadcast",
            "key",
            "curve_serverkey",
            "location",
            "pack",
            "unpack",
            "signature_scheme",
        ];
        let mut at = 0;
        for k in keys {
            let pos = written.find(&format!("\"{k}\"")).unwrap();
            assert!(pos >= at, "{k} out of order in {written}");
            at = pos;
        }
    }

    #[test]
    fn wildcard_interface_resolves_to_loopback_or_location() {
        assert_eq!(
            endpoint("tcp://0.0.0.0", Some("localhost"), 5),
            "tcp://127.0.0.1:5"
        );
        assert_eq!(endpoint("tcp://*", Some("10.1.2.3"), 5), "tcp://10.1.2.3:5");
    }

    #[test]
    fn pickle_packer_is_refused_with_its_name() {
        let mut info: ClientConnectionInfo = serde_json::from_str(STOCK_CLIENT).unwrap();
        info.security.pack = "pickle".into();
        let err = info.security.check().unwrap_err().to_string();
        assert!(err.contains("pickle"), "{err}");
    }
}
