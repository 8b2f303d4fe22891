//! Plain output for `--no-color`, `NO_COLOR` and pipes: a writer that drops ANSI escape
//! sequences. Colour comes from many places pxsh does not control (IPython tracebacks
//! made by the local Python and by every engine, `Out[N:k]` prompts, user code), so it
//! is removed on the way out rather than at each source.

use std::io::{self, Write};

/// Where the filter is inside an escape sequence; kept between writes, because a
/// sequence may be split across two chunks of engine output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After ESC.
    Escape,
    /// Inside `ESC [ …` up to its final byte.
    Csi,
    /// Inside `ESC ] …` up to BEL or `ESC \`.
    Osc,
    /// Inside an OSC, after ESC.
    OscEscape,
}

/// Passes text through to `inner`, without escape sequences unless `keep` is set.
#[derive(Debug)]
pub struct AnsiFilter<W> {
    inner: W,
    keep: bool,
    state: State,
}

impl<W: Write> AnsiFilter<W> {
    /// A filter over `inner`; `keep` passes everything through unchanged.
    pub fn new(inner: W, keep: bool) -> Self {
        AnsiFilter {
            inner,
            keep,
            state: State::Text,
        }
    }

    fn filter(&mut self, buf: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(buf.len());
        for &b in buf {
            self.state = match (self.state, b) {
                (State::Text, 0x1b) => State::Escape,
                (State::Text, _) => {
                    out.push(b);
                    State::Text
                }
                (State::Escape, b'[') => State::Csi,
                (State::Escape, b']') => State::Osc,
                // A two-byte sequence (`ESC 7`, `ESC =`, …).
                (State::Escape, _) => State::Text,
                (State::Csi, 0x40..=0x7e) => State::Text,
                (State::Csi, _) => State::Csi,
                (State::Osc, 0x07) => State::Text,
                (State::Osc, 0x1b) => State::OscEscape,
                (State::Osc, _) => State::Osc,
                (State::OscEscape, _) => State::Text,
            };
        }
        out
    }
}

impl<W: Write> Write for AnsiFilter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.keep {
            return self.inner.write(buf);
        }
        let plain = self.filter(buf);
        self.inner.write_all(&plain)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `text` without escape sequences.
pub fn strip(text: &str) -> String {
    let mut filter = AnsiFilter::new(Vec::new(), false);
    let _ = filter.write_all(text.as_bytes());
    String::from_utf8_lossy(&filter.inner).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_titles_go_text_stays() {
        let text = "\u{1b}[0;31mOut[0:1]: \u{1b}[0m5\n\u{1b}]0;title\u{7}é\u{1b}[1;32mok\u{1b}[39m";
        assert_eq!(strip(text), "Out[0:1]: 5\néok");
    }

    #[test]
    fn a_sequence_split_across_writes_is_still_removed() {
        let mut f = AnsiFilter::new(Vec::new(), false);
        f.write_all(b"a\x1b[3").unwrap();
        f.write_all(b"1mb").unwrap();
        assert_eq!(f.inner, b"ab");
    }

    #[test]
    fn keep_passes_everything() {
        let mut f = AnsiFilter::new(Vec::new(), true);
        f.write_all(b"\x1b[31mred").unwrap();
        assert_eq!(f.inner, b"\x1b[31mred");
    }
}
