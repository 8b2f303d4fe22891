//! The child's file descriptors 1 and 2, read directly by the supervisor.
//!
//! The child is spawned with both descriptors on pipes, so whatever writes to them is
//! captured: Python's `print`, `os.system('echo hi')`, subprocesses, C extensions. Nothing
//! in the child has to cooperate, and output written just before a crash is still read.
//!
//! Reads are non-blocking and *drain* a pipe until it is empty: when a frame arrives on the
//! channel, everything the child wrote before sending it is already in the pipes, so a drain
//! at that moment puts all earlier output before the frame's event.

use std::io;
use std::os::fd::OwnedFd;

use tokio::net::unix::pipe;

use crate::event::StreamName;

/// Bytes taken per `read`; one drain loops until the pipe is empty.
const READ_CHUNK: usize = 64 * 1024;

/// One captured descriptor.
#[derive(Debug)]
pub(crate) struct OutputPipe {
    name: StreamName,
    pipe: pipe::Receiver,
    decoder: Utf8Decoder,
    /// Every writer is gone; `readable` must not report readiness forever after.
    eof: bool,
}

impl OutputPipe {
    pub(crate) fn new(name: StreamName, fd: OwnedFd) -> io::Result<Self> {
        Ok(OutputPipe {
            name,
            pipe: pipe::Receiver::from_owned_fd(fd)?,
            decoder: Utf8Decoder::default(),
            eof: false,
        })
    }

    pub(crate) fn name(&self) -> StreamName {
        self.name
    }

    /// Waits until there may be something to read. Cancel-safe; never resolves after EOF.
    pub(crate) async fn readable(&self) {
        if self.eof || self.pipe.readable().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Everything readable now, decoded; `None` when there was nothing.
    pub(crate) fn drain(&mut self) -> Option<String> {
        let mut text = String::new();
        let mut chunk = vec![0u8; READ_CHUNK];
        while !self.eof {
            match self.pipe.try_read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    text.push_str(&self.decoder.finish());
                }
                Ok(n) => text.push_str(&self.decoder.decode(&chunk[..n])),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!(stream = self.name.as_str(), "reading captured output: {e}");
                    self.eof = true;
                }
            }
        }
        (!text.is_empty()).then_some(text)
    }

    /// Whatever the decoder still holds (an incomplete character), as U+FFFD.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let rest = self.decoder.finish();
        (!rest.is_empty()).then_some(rest)
    }
}

/// UTF-8 decoding across read boundaries: a character split between two reads is held back
/// until its end arrives, instead of turning into two replacement characters.
#[derive(Debug, Default)]
pub(crate) struct Utf8Decoder {
    pending: Vec<u8>,
}

impl Utf8Decoder {
    pub(crate) fn decode(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let keep = incomplete_tail(&self.pending);
        let split = self.pending.len() - keep;
        let text = String::from_utf8_lossy(&self.pending[..split]).into_owned();
        self.pending.drain(..split);
        text
    }

    pub(crate) fn finish(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

/// How many bytes at the end of `bytes` start a character that is not complete yet.
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let byte = bytes[bytes.len() - back];
        if byte & 0b1100_0000 == 0b1000_0000 {
            continue; // continuation byte: the lead is further back
        }
        let needed = match byte {
            b if b & 0b1110_0000 == 0b1100_0000 => 2,
            b if b & 0b1111_0000 == 0b1110_0000 => 3,
            b if b & 0b1111_1000 == 0b1111_0000 => 4,
            _ => 1,
        };
        return if needed > back { back } else { 0 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_character_is_held_until_complete() {
        let snowman = "a☃b".as_bytes(); // ☃ is 3 bytes
        let mut d = Utf8Decoder::default();
        assert_eq!(d.decode(&snowman[..2]), "a");
        assert_eq!(d.decode(&snowman[2..3]), "");
        assert_eq!(d.decode(&snowman[3..]), "☃b");
        assert_eq!(d.finish(), "");
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut d = Utf8Decoder::default();
        assert_eq!(d.decode(b"x\xffy"), "x\u{fffd}y");
        assert_eq!(d.decode(b"\xe2\x98"), "");
        assert_eq!(d.finish(), "\u{fffd}");
    }
}
