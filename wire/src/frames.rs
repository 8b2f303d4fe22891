//! The multipart layout of a Jupyter message, as bytes, with no socket and no JSON parsing.
//!
//! `[ident.., <IDS|MSG>, signature, header, parent_header, metadata, content, buffer..]`
//!
//! Keeping this step free of both the socket crate and serde means relays can forward the four
//! JSON frames verbatim (their signature covers the exact bytes), the decoder can be fuzzed
//! without sockets, and the socket crate can be swapped in one module.

use bytes::Bytes;

use crate::error::{Result, WireError};

/// The frame that separates routing identities from the message proper.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";

/// A message split into its frames, with the JSON parts still as the bytes that were sent.
///
/// Cloning is cheap: every frame is a reference-counted [`Bytes`], so large buffers are never
/// copied when a message is forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawMessage {
    /// Routing frames before the delimiter (ROUTER identities, or an IOPub topic).
    pub idents: Vec<Bytes>,
    /// Lowercase hex HMAC, or empty when signing is off.
    pub signature: Bytes,
    /// The header JSON, as sent.
    pub header: Bytes,
    /// The parent header JSON, as sent (`{}` when there is no parent).
    pub parent_header: Bytes,
    /// The metadata JSON, as sent.
    pub metadata: Bytes,
    /// The content JSON, as sent.
    pub content: Bytes,
    /// Extra binary frames: not signed, never parsed here.
    pub buffers: Vec<Bytes>,
}

impl RawMessage {
    /// Splits received frames at the first delimiter.
    ///
    /// Fails on a missing delimiter or fewer than five frames after it; never panics,
    /// whatever the bytes.
    pub fn from_frames(frames: Vec<Bytes>) -> Result<Self> {
        let total = frames.len();
        let Some(at) = frames.iter().position(|f| f.as_ref() == DELIMITER) else {
            return Err(WireError::MissingDelimiter { frames: total });
        };
        let after = total - at - 1;
        if after < 5 {
            return Err(WireError::TooFewFrames { got: after });
        }
        let mut iter = frames.into_iter();
        let idents: Vec<Bytes> = iter.by_ref().take(at).collect();
        iter.next(); // the delimiter
        let mut next = || iter.next().unwrap_or_default();
        let signature = next();
        let header = next();
        let parent_header = next();
        let metadata = next();
        let content = next();
        Ok(RawMessage {
            idents,
            signature,
            header,
            parent_header,
            metadata,
            content,
            buffers: iter.collect(),
        })
    }

    /// Lays the message out as frames again, in wire order.
    pub fn into_frames(self) -> Vec<Bytes> {
        let mut frames = Vec::with_capacity(self.idents.len() + 6 + self.buffers.len());
        frames.extend(self.idents);
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(self.signature);
        frames.push(self.header);
        frames.push(self.parent_header);
        frames.push(self.metadata);
        frames.push(self.content);
        frames.extend(self.buffers);
        frames
    }

    /// The four signed parts, in the order the HMAC is fed.
    pub fn signed_parts(&self) -> [&[u8]; 4] {
        [
            &self.header,
            &self.parent_header,
            &self.metadata,
            &self.content,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn splits_at_first_delimiter_and_keeps_later_ones_as_buffers() {
        let frames = vec![
            b("engine"),
            b("<IDS|MSG>"),
            b("sig"),
            b("{}"),
            b("{}"),
            b("{}"),
            b("{}"),
            b("<IDS|MSG>"),
        ];
        let raw = RawMessage::from_frames(frames.clone()).unwrap();
        assert_eq!(raw.idents, vec![b("engine")]);
        assert_eq!(raw.buffers, vec![b("<IDS|MSG>")]);
        assert_eq!(raw.into_frames(), frames);
    }

    #[test]
    fn missing_delimiter_is_its_own_error() {
        let err = RawMessage::from_frames(vec![b("a"), b("b")]).unwrap_err();
        assert!(matches!(err, WireError::MissingDelimiter { frames: 2 }));
    }

    #[test]
    fn short_message_is_its_own_error() {
        let err = RawMessage::from_frames(vec![b("<IDS|MSG>"), b("sig"), b("{}")]).unwrap_err();
        assert!(matches!(err, WireError::TooFewFrames { got: 2 }));
    }
}
