//! Length-prefixed frames over the Unix socket shared with the child, and nothing else.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON. The
//! socket is private to the two processes (it is not the child's stdout/stderr, which carry
//! the user's output), so no escaping or sentinel is needed and a frame can hold anything.

use std::io;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// Larger frames are refused: a length that big means the stream is out of step (a display
/// of a gigabyte is not a display), and allocating it would be the real failure.
const MAX_FRAME: usize = 1 << 30;

/// How much to make room for before each read: large frames (images) arrive in few reads,
/// small ones waste nothing because the buffer is reused.
const READ_CHUNK: usize = 64 * 1024;

/// The supervisor's end of the channel.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: UnixStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub(crate) fn new(stream: UnixStream) -> Self {
        Connection {
            stream,
            buffer: Vec::with_capacity(READ_CHUNK),
        }
    }

    /// The next frame's body, or `None` when the child closed the socket between frames.
    ///
    /// Cancel-safe: bytes already read stay in the buffer, so this can sit in a `select!`
    /// next to the output pipes and the child's exit.
    pub(crate) async fn read_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(body) = self.parse_frame()? {
                return Ok(Some(body));
            }
            self.buffer.reserve(READ_CHUNK);
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return if self.buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the channel closed in the middle of a frame",
                    ))
                };
            }
        }
    }

    fn parse_frame(&mut self) -> io::Result<Option<Vec<u8>>> {
        let Some(header) = self.buffer.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("frame of {len} bytes announced (limit {MAX_FRAME})"),
            ));
        }
        if self.buffer.len() < 4 + len {
            return Ok(None);
        }
        let body = self.buffer[4..4 + len].to_vec();
        self.buffer.drain(..4 + len);
        Ok(Some(body))
    }

    /// Sends one message. Not cancel-safe (a half-written frame would desynchronise the
    /// channel), so callers await it to the end instead of racing it.
    pub(crate) async fn write_frame(&mut self, msg: &impl Serialize) -> io::Result<()> {
        let body = serde_json::to_vec(msg)?;
        let len = u32::try_from(body.len())
            .ok()
            .filter(|&n| n as usize <= MAX_FRAME)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "request too large"))?;
        let mut frame = Vec::with_capacity(4 + body.len());
        frame.extend_from_slice(&len.to_be_bytes());
        frame.extend_from_slice(&body);
        self.stream.write_all(&frame).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn frames_roundtrip_across_partial_reads() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut conn = Connection::new(a);
        let body = serde_json::to_vec(&json!({"type": "sync", "seq": 1})).unwrap();
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        // Two frames, the second split in the middle of its header.
        b.write_all(&frame).await.unwrap();
        b.write_all(&frame[..2]).await.unwrap();
        assert_eq!(conn.read_frame().await.unwrap().unwrap(), body);
        b.write_all(&frame[2..]).await.unwrap();
        assert_eq!(conn.read_frame().await.unwrap().unwrap(), body);
        drop(b);
        assert!(conn.read_frame().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn oversized_frame_is_an_error() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut conn = Connection::new(a);
        b.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        assert!(conn.read_frame().await.is_err());
    }
}
