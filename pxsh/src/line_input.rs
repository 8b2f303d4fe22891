//! Lines for the local code's `input()` and `getpass()`, read straight from stdin.
//!
//! The read runs on a blocking thread that polls, so a cell interrupted while it waits
//! (Ctrl-C) leaves no reader behind to steal the next keystrokes from the editor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// How often the reading thread looks whether it is still wanted.
const POLL_MS: libc::c_int = 100;

/// The standard input's descriptor.
const STDIN: libc::c_int = 0;

/// Held by the reading thread while it may read: the editor takes it before reading the
/// next cell, so that it never shares the terminal with a reader still stopping.
static READING: Mutex<()> = Mutex::new(());

/// Waits until no abandoned `input()` reader is left (at most one poll interval after it
/// was abandoned).
pub(crate) fn no_reader_left() {
    drop(READING.lock().unwrap_or_else(PoisonError::into_inner));
}

/// One line from stdin without its end of line; `None` at end of input or when stdin
/// cannot be read.
pub(crate) async fn read_line() -> Option<String> {
    let wanted = Arc::new(AtomicBool::new(true));
    let _unwanted_on_drop = Unwanted(wanted.clone());
    tokio::task::spawn_blocking(move || {
        let _reading = READING.lock().unwrap_or_else(PoisonError::into_inner);
        read_until_newline(&wanted)
    })
    .await
    .ok()
    .flatten()
}

/// Tells the reading thread to stop when the read is abandoned.
struct Unwanted(Arc<AtomicBool>);

impl Drop for Unwanted {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Byte by byte, so that nothing after the line is taken from the next reader (a pipe
/// may hold several lines).
fn read_until_newline(wanted: &AtomicBool) -> Option<String> {
    let mut bytes = Vec::new();
    while wanted.load(Ordering::Relaxed) {
        let mut poll = libc::pollfd {
            fd: STDIN,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, its count 1.
        let ready = unsafe { libc::poll(&mut poll, 1, POLL_MS) };
        if ready < 0 && !interrupted() {
            return None;
        }
        if ready <= 0 || !wanted.load(Ordering::Relaxed) {
            continue;
        }
        let mut byte = 0u8;
        // SAFETY: reads at most one byte into a live local.
        match unsafe { libc::read(STDIN, (&mut byte as *mut u8).cast(), 1) } {
            1 if byte == b'\n' => return Some(line_text(&bytes)),
            1 => bytes.push(byte),
            // End of input: a last line without its newline is still a line.
            0 if bytes.is_empty() => return None,
            0 => return Some(line_text(&bytes)),
            _ if interrupted() => {}
            _ => return None,
        }
    }
    None
}

fn line_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches('\r')
        .to_owned()
}

fn interrupted() -> bool {
    std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
}

/// The terminal's echo, off until dropped (as `getpass` turns it off: before its prompt,
/// since turning it off drops what was typed ahead).
pub(crate) struct EchoOff(libc::termios);

impl EchoOff {
    /// `None` when stdin is not a terminal: there is no echo to turn off.
    pub(crate) fn new() -> Option<Self> {
        // SAFETY: termios is plain data, filled by tcgetattr before it is read.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a termios.
        if unsafe { libc::tcgetattr(STDIN, &mut saved) } != 0 {
            return None;
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: a valid pointer to a termios.
        if unsafe { libc::tcsetattr(STDIN, libc::TCSAFLUSH, &quiet) } != 0 {
            return None;
        }
        Some(EchoOff(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`. At once: what is typed after the
        // Enter belongs to the next reader.
        unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, &self.0) };
    }
}
