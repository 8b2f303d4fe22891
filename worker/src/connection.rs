//! Length-prefixed frames over the Unix socket shared with the child, and nothing else.
//!
//! A frame is an 8-byte header — the JSON body's length and the number of binary buffers
//! that follow, both 4-byte big-endian — then the UTF-8 JSON body, then each buffer as an
//! 8-byte big-endian length and its bytes. Most frames carry no buffers; `apply` requests
//! and replies carry pickled arguments and results there, so large arrays travel as raw
//! bytes instead of inside JSON. The socket is private to the two processes (it is not the
//! child's stdout/stderr, which carry the user's output), so no escaping or sentinel is
//! needed and a frame can hold anything.

use std::io;

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// Larger JSON bodies are refused: a length that big means the stream is out of step (a
/// display of a gigabyte is not a display), and allocating it would be the real failure.
const MAX_BODY: usize = 1 << 30;

/// Larger buffers are refused for the same reason; arrays of tens of gigabytes are not sent
/// through an engine.
const MAX_BUFFER: u64 = 1 << 36;

/// More buffers than this in one frame means the stream is out of step.
const MAX_BUFFERS: usize = 1 << 20;

/// How much to make room for before each read: large frames (images) arrive in few reads,
/// small ones waste nothing because the buffer is reused.
const READ_CHUNK: usize = 64 * 1024;

/// One message from the child: its JSON body and the buffers that came with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Frame {
    /// The JSON body.
    pub body: Bytes,
    /// Binary buffers, in order.
    pub buffers: Vec<Bytes>,
}

/// The supervisor's end of the channel.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: UnixStream,
    buffer: BytesMut,
}

impl Connection {
    pub(crate) fn new(stream: UnixStream) -> Self {
        Connection {
            stream,
            buffer: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    /// The next frame, or `None` when the child closed the socket between frames.
    ///
    /// Cancel-safe: bytes already read stay in the buffer, so this can sit in a `select!`
    /// next to the output pipes and the child's exit.
    pub(crate) async fn read_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let wanted = match frame_size(&self.buffer)? {
                Size::Complete(len) => return Ok(Some(split_frame(self.buffer.split_to(len)))),
                Size::AtLeast(len) => len,
            };
            // Room for the whole frame when its size is known (one allocation for a large
            // array), else for the next chunk.
            let missing = wanted.saturating_sub(self.buffer.len());
            self.buffer.reserve(missing.max(READ_CHUNK));
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

    /// Sends one message with no buffers.
    pub(crate) async fn write_frame(&mut self, msg: &impl Serialize) -> io::Result<()> {
        self.write_frame_with(msg, &[]).await
    }

    /// Sends one message followed by `buffers`. Not cancel-safe (a half-written frame would
    /// desynchronise the channel), so callers await it to the end instead of racing it.
    pub(crate) async fn write_frame_with(
        &mut self,
        msg: &impl Serialize,
        buffers: &[Bytes],
    ) -> io::Result<()> {
        let body = serde_json::to_vec(msg)?;
        let too_large = || io::Error::new(io::ErrorKind::InvalidInput, "request too large");
        let len = u32::try_from(body.len())
            .ok()
            .filter(|&n| n as usize <= MAX_BODY)
            .ok_or_else(too_large)?;
        let count = u32::try_from(buffers.len())
            .ok()
            .filter(|&n| n as usize <= MAX_BUFFERS)
            .ok_or_else(too_large)?;
        let mut head = Vec::with_capacity(8 + body.len());
        head.extend_from_slice(&len.to_be_bytes());
        head.extend_from_slice(&count.to_be_bytes());
        head.extend_from_slice(&body);
        self.stream.write_all(&head).await?;
        for buffer in buffers {
            let size = buffer.len() as u64;
            if size > MAX_BUFFER {
                return Err(too_large());
            }
            // Written as it is: a large array is not copied into a frame first.
            self.stream.write_all(&size.to_be_bytes()).await?;
            self.stream.write_all(buffer).await?;
        }
        Ok(())
    }
}

/// How much of a frame the buffer holds.
enum Size {
    /// A whole frame of this many bytes is there.
    Complete(usize),
    /// The frame needs at least this many bytes (more once further lengths are read).
    AtLeast(usize),
}

fn be_u32(bytes: &[u8]) -> usize {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize
}

/// Walks the lengths at the front of `buf` without consuming anything.
fn frame_size(buf: &[u8]) -> io::Result<Size> {
    let Some(header) = buf.get(..8) else {
        return Ok(Size::AtLeast(8));
    };
    let (len, count) = (be_u32(&header[..4]), be_u32(&header[4..]));
    if len > MAX_BODY || count > MAX_BUFFERS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes and {count} buffers announced"),
        ));
    }
    let mut at = 8 + len;
    for _ in 0..count {
        let Some(size) = buf.get(at..at + 8) else {
            return Ok(Size::AtLeast(at + 8));
        };
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(size);
        let size = u64::from_be_bytes(bytes);
        if size > MAX_BUFFER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("buffer of {size} bytes announced (limit {MAX_BUFFER})"),
            ));
        }
        at += 8 + size as usize;
    }
    Ok(if buf.len() >= at {
        Size::Complete(at)
    } else {
        Size::AtLeast(at)
    })
}

/// Cuts a complete frame into its body and buffers, sharing the bytes read.
fn split_frame(mut frame: BytesMut) -> Frame {
    let len = be_u32(&frame[..4]);
    let count = be_u32(&frame[4..8]);
    let _ = frame.split_to(8);
    let body = frame.split_to(len).freeze();
    let mut buffers = Vec::with_capacity(count);
    for _ in 0..count {
        let size = frame.split_to(8);
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&size);
        buffers.push(frame.split_to(u64::from_be_bytes(bytes) as usize).freeze());
    }
    Frame { body, buffers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame_bytes(body: &[u8], buffers: &[&[u8]]) -> Vec<u8> {
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&(buffers.len() as u32).to_be_bytes());
        frame.extend_from_slice(body);
        for b in buffers {
            frame.extend_from_slice(&(b.len() as u64).to_be_bytes());
            frame.extend_from_slice(b);
        }
        frame
    }

    #[tokio::test]
    async fn frames_roundtrip_across_partial_reads() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut conn = Connection::new(a);
        let body = serde_json::to_vec(&json!({"type": "sync", "seq": 1})).unwrap();
        let frame = frame_bytes(&body, &[]);
        // Two frames, the second split in the middle of its header.
        b.write_all(&frame).await.unwrap();
        b.write_all(&frame[..2]).await.unwrap();
        assert_eq!(conn.read_frame().await.unwrap().unwrap().body, body);
        b.write_all(&frame[2..]).await.unwrap();
        assert_eq!(conn.read_frame().await.unwrap().unwrap().body, body);
        drop(b);
        assert!(conn.read_frame().await.unwrap().is_none());
    }

    #[tokio::test]
    async fn buffers_arrive_with_their_frame_even_when_split() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut conn = Connection::new(a);
        let big = vec![7u8; 300_000];
        let frame = frame_bytes(b"{}", &[b"one", &big, b""]);
        let (first, rest) = frame.split_at(20);
        b.write_all(first).await.unwrap();
        let reader = tokio::spawn(async move { conn.read_frame().await });
        b.write_all(rest).await.unwrap();
        let got = reader.await.unwrap().unwrap().unwrap();
        assert_eq!(got.body, &b"{}"[..]);
        assert_eq!(got.buffers.len(), 3);
        assert_eq!(got.buffers[0], &b"one"[..]);
        assert_eq!(got.buffers[1].len(), 300_000);
        assert!(got.buffers[2].is_empty());
    }

    #[tokio::test]
    async fn written_buffers_read_back_in_order() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut writer = Connection::new(a);
        let mut reader = Connection::new(b);
        let buffers = [Bytes::from_static(b"x"), Bytes::from(vec![1u8; 100_000])];
        let send = tokio::spawn(async move {
            writer
                .write_frame_with(&json!({"type": "apply"}), &buffers)
                .await
        });
        let got = reader.read_frame().await.unwrap().unwrap();
        send.await.unwrap().unwrap();
        assert_eq!(got.buffers[0], &b"x"[..]);
        assert_eq!(got.buffers[1], vec![1u8; 100_000]);
    }

    #[tokio::test]
    async fn oversized_frame_is_an_error() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut conn = Connection::new(a);
        b.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        b.write_all(&0u32.to_be_bytes()).await.unwrap();
        assert!(conn.read_frame().await.is_err());
    }
}
