//! The ipyparallel / Jupyter wire format, for every other crate of Parallel (Rust).
//!
//! A message on the wire is a list of frames:
//! `[ident.., <IDS|MSG>, signature, header, parent_header, metadata, content, buffer..]`.
//! This crate owns every step between those frames and typed messages, and nothing else
//! builds or parses frames:
//!
//! - [`RawMessage`]: frames split at the delimiter, JSON still as the bytes sent, so relays
//!   forward exactly what was signed; no socket, no JSON, so it can be fuzzed.
//! - [`Signer`] and [`Session`]: HMAC-SHA256 over the four JSON frames, constant-time
//!   verification, a bounded replay memory, msg ids and ISO-8601 dates as Python peers expect.
//! - [`Message`], [`Header`], [`MsgType`]: the parsed form; unknown types are a typed error.
//! - [`ClientConnectionInfo`], [`EngineConnectionInfo`], [`ClusterFile`], [`ProfileDir`]:
//!   ipyparallel's files and where they live.
//! - [`Socket`]: the only place the `zeromq` crate is used.
//!
//! ```
//! use px_wire::{MsgType, Session, Signer};
//! use serde_json::json;
//!
//! let session = Session::new(Signer::new(b"secret", "hmac-sha256")?);
//! let request = session.msg(MsgType::ExecuteRequest, json!({"code": "a = 5", "silent": false}));
//! let frames = session.serialize(&request);
//!
//! // The receiving side checks the signature before parsing.
//! let peer = Session::new(Signer::new(b"secret", "hmac-sha256")?);
//! let received = peer.deserialize(frames)?;
//! assert_eq!(received.kind()?, MsgType::ExecuteRequest);
//! assert_eq!(received.content["code"], "a = 5");
//! # Ok::<(), px_wire::WireError>(())
//! ```
#![deny(missing_docs)]

mod cluster_file;
mod connection;
mod date;
mod engine_ids;
mod error;
mod files;
mod frames;
mod header;
mod history;
mod kernel_connection;
mod message;
mod msg_type;
mod profile;
mod python_text;
mod session;
mod signer;
mod transport;

pub use cluster_file::{
    ClusterFile, ClusterInfo, EngineSetState, EngineSets, LauncherRecord, LauncherState,
};
pub use connection::{ClientConnectionInfo, EngineConnectionInfo, Security};
pub use date::{format_iso, now_iso, parse_iso};
pub use engine_ids::{EngineId, EngineUuid};
pub use error::{Result, WireError};
pub use files::write_private;
pub use frames::{RawMessage, DELIMITER};
pub use header::{Header, PROTOCOL_VERSION};
pub use history::{History, HISTORY_SESSION};
pub use kernel_connection::KernelConnectionInfo;
pub use message::Message;
pub use msg_type::MsgType;
pub use profile::{cluster_id_from_env, ipython_dir, ProfileDir, DEFAULT_PROFILE};
pub use python_text::{python_str_repr, python_truthy};
pub use session::{new_id, Session};
pub use signer::{ReplayGuard, Signer, DEFAULT_SCHEME, REPLAY_MEMORY};
pub use transport::{Receiver, Sender, Socket, SocketKind};
