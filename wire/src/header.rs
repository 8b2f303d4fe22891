//! The message header, kept tolerant so nothing a Python peer sent is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::date::parse_iso;
use crate::error::{Result, WireError};
use crate::msg_type::MsgType;

/// The protocol version written in headers we create. ipyparallel only checks the `5.` prefix;
/// 5.3 is what jupyter_kernel_test validates leniently (no strict key set).
pub const PROTOCOL_VERSION: &str = "5.3";

/// A message header.
///
/// `msg_type` and `date` stay as the text that was sent: a relay forwards types it does not
/// handle, and re-formatting a date could change bytes a Python peer signed. Keys we do not
/// know (ipykernel's `subshell_id`, say) are kept in `extra` and written back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Header {
    /// Unique per message; replies are matched to requests by it.
    #[serde(default)]
    pub msg_id: String,
    /// The message type as sent; see [`Header::kind`].
    #[serde(default)]
    pub msg_type: String,
    /// The sender's user name.
    #[serde(default)]
    pub username: String,
    /// The sender's session id (for an engine, its uuid).
    #[serde(default)]
    pub session: String,
    /// ISO-8601 creation time, at most 6 fractional digits.
    #[serde(default)]
    pub date: String,
    /// Protocol version, `5.x`.
    #[serde(default)]
    pub version: String,
    /// Any other keys, preserved.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Header {
    /// The message type as an enum, or [`WireError::UnknownMsgType`].
    pub fn kind(&self) -> Result<MsgType> {
        self.msg_type.parse()
    }

    /// The creation time; fails on a date Python peers would not parse either.
    pub fn parsed_date(&self) -> Result<chrono::DateTime<chrono::Utc>> {
        parse_iso(&self.date)
    }

    /// Refuses headers that are not protocol 5 (we implement no v4 adapter).
    pub fn check_version(&self) -> Result<()> {
        if self.version.starts_with("5.") {
            Ok(())
        } else {
            Err(WireError::UnsupportedVersion(self.version.clone()))
        }
    }
}
