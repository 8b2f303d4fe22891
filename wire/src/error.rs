//! Every way a message or a file can be refused, as one enum.
//!
//! Callers (controller loops, clients) log and count these per variant, so each failure mode
//! is its own variant rather than a string: a relay that sees `BadSignature` from one peer
//! keeps serving the others.

use std::path::PathBuf;

/// Why the wire layer refused a message, a file or a socket operation.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// No frame equal to `<IDS|MSG>`: not a Jupyter message at all.
    #[error("malformed message: no <IDS|MSG> delimiter among {frames} frames")]
    MissingDelimiter {
        /// How many frames arrived.
        frames: usize,
    },
    /// The delimiter was found but fewer than signature + 4 JSON frames follow it.
    #[error("malformed message: {got} frames after <IDS|MSG>, at least 5 needed")]
    TooFewFrames {
        /// Frames after the delimiter.
        got: usize,
    },
    /// One of the four JSON frames does not parse, or has the wrong shape.
    #[error("malformed message: {frame} is not valid: {reason}")]
    InvalidJson {
        /// Which frame: `header`, `parent_header`, `metadata` or `content`.
        frame: &'static str,
        /// What the parser said.
        reason: String,
    },
    /// A key is set but the message carries no signature.
    #[error("message is not signed, but signatures are required")]
    MissingSignature,
    /// The HMAC does not match: wrong key, or the message was altered.
    #[error("signature does not match (wrong key, or the message was altered)")]
    BadSignature,
    /// The exact signature was already accepted once: a replayed message.
    #[error("duplicate signature: the message was replayed")]
    DuplicateSignature,
    /// The header names a message type this project does not know.
    #[error("unknown message type {0:?}")]
    UnknownMsgType(String),
    /// The header's `version` is not a 5.x protocol version.
    #[error("unsupported protocol version {0:?} (expected 5.x)")]
    UnsupportedVersion(String),
    /// A `date` field is not an ISO-8601 date with at most 6 fractional digits.
    #[error("invalid date {0:?}")]
    InvalidDate(String),
    /// `signature_scheme` names a hash other than sha256.
    #[error("unsupported signature scheme {0:?} (only hmac-sha256 is supported)")]
    UnsupportedScheme(String),
    /// `pack`/`unpack` names something other than json/orjson.
    #[error("unsupported packer {0:?} (only json and orjson are supported)")]
    UnsupportedPacker(String),
    /// A connection or cluster file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A connection or cluster file is not in ipyparallel's format.
    #[error("{path}: not a valid {what}: {reason}")]
    BadFile {
        /// The file concerned.
        path: PathBuf,
        /// What kind of file was expected.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The socket layer failed (bind, connect, send, receive).
    #[error("socket error on {endpoint}: {reason}")]
    Socket {
        /// The endpoint or socket concerned.
        endpoint: String,
        /// What the socket layer said.
        reason: String,
    },
    /// A connect or a receive did not complete in time.
    #[error("timed out after {seconds:.1} s {what}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// How long we waited.
        seconds: f64,
    },
}

/// Results of the wire layer.
pub type Result<T, E = WireError> = std::result::Result<T, E>;
