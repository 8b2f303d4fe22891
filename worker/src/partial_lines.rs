//! Joining the pieces of a line before they become stream events.
//!
//! A pipe delivers whatever was written by the time it is read, and writers write in
//! pieces: `print('hi', name)` is four writes (`hi`, ` `, `Ada`, `\n`), C stdio flushes at
//! buffer boundaries. Emitting each piece as its own event makes frontends render torn
//! lines and makes every event stream timing-dependent. So text that does not end a line is
//! held for a moment ([`HOLD`]) in case the rest follows; a complete line, any other event,
//! output on the other stream, or the end of the execution releases it at once, so order
//! is never changed and a prompt without a newline still shows up promptly.

use std::time::Duration;

use tokio::time::Instant;

use crate::event::{Event, StreamName};

/// How long an unterminated piece of output may wait for the rest of its line. Short enough
/// to be invisible next to ipykernel's own 200 ms output batching.
pub(crate) const HOLD: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
pub(crate) struct PartialLines {
    held: Option<Held>,
}

#[derive(Debug)]
struct Held {
    name: StreamName,
    text: String,
    until: Instant,
}

impl PartialLines {
    /// Adds output; returns the events that are ready now, in order.
    pub(crate) fn push(&mut self, name: StreamName, text: String) -> Vec<Event> {
        let mut ready = Vec::new();
        let mut text = text;
        match self.held.take() {
            Some(held) if held.name == name => {
                let mut joined = held.text;
                joined.push_str(&text);
                text = joined;
                if !text.ends_with('\n') {
                    self.held = Some(Held {
                        name,
                        text,
                        until: held.until,
                    });
                    return ready;
                }
            }
            Some(held) => ready.push(Event::Stream {
                name: held.name,
                text: held.text,
            }),
            None => {}
        }
        if text.ends_with('\n') {
            ready.push(Event::Stream { name, text });
        } else {
            self.held = Some(Held {
                name,
                text,
                until: Instant::now() + HOLD,
            });
        }
        ready
    }

    /// When the held text must be released, if any is held.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.held.as_ref().map(|held| held.until)
    }

    /// Releases whatever is held.
    pub(crate) fn flush(&mut self) -> Option<Event> {
        self.held.take().map(|held| Event::Stream {
            name: held.name,
            text: held.text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(event: &Event) -> &str {
        match event {
            Event::Stream { text, .. } => text,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn pieces_of_a_line_become_one_event() {
        let mut lines = PartialLines::default();
        assert!(lines.push(StreamName::Stdout, "hi".into()).is_empty());
        assert!(lines.push(StreamName::Stdout, " Ada".into()).is_empty());
        let ready = lines.push(StreamName::Stdout, "\n".into());
        assert_eq!(text(&ready[0]), "hi Ada\n");
        assert!(lines.deadline().is_none());
    }

    #[tokio::test]
    async fn other_stream_releases_the_held_piece_first() {
        let mut lines = PartialLines::default();
        lines.push(StreamName::Stdout, "progress".into());
        let ready = lines.push(StreamName::Stderr, "warn\n".into());
        assert_eq!(ready.len(), 2);
        assert_eq!(text(&ready[0]), "progress");
        assert_eq!(text(&ready[1]), "warn\n");
    }

    #[tokio::test]
    async fn flush_releases_an_unterminated_prompt() {
        let mut lines = PartialLines::default();
        lines.push(StreamName::Stdout, "name? ".into());
        assert!(lines.deadline().is_some());
        assert_eq!(text(&lines.flush().unwrap()), "name? ");
        assert!(lines.flush().is_none());
    }
}
