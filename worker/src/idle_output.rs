//! Output that arrives while no execution is running.
//!
//! Background threads and subprocesses started by an earlier cell may keep writing after its
//! reply; so may IPython while starting. Nobody is listening then, so the events are kept
//! (up to a bound) and delivered at the start of the next execution, whose frontend shows
//! them where a Jupyter user would expect: in the next cell's output.

use crate::event::{Event, StreamName};

/// Beyond this much text, idle output is counted but not kept: a forgotten background
/// printer must not grow memory without limit.
const MAX_BYTES: usize = 1 << 20;

#[derive(Debug, Default)]
pub(crate) struct IdleOutput {
    events: Vec<Event>,
    bytes: usize,
    dropped: usize,
}

impl IdleOutput {
    pub(crate) fn push_stream(&mut self, name: StreamName, text: String) {
        if self.bytes + text.len() > MAX_BYTES {
            self.dropped += text.len();
            return;
        }
        self.bytes += text.len();
        if let Some(Event::Stream {
            name: last,
            text: kept,
        }) = self.events.last_mut()
        {
            if *last == name {
                kept.push_str(&text);
                return;
            }
        }
        self.events.push(Event::Stream { name, text });
    }

    pub(crate) fn push(&mut self, event: Event) {
        if self.bytes > MAX_BYTES {
            self.dropped += 1;
            return;
        }
        self.events.push(event);
    }

    /// Everything kept, plus a note on stderr if some of it had to be dropped.
    pub(crate) fn take(&mut self) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.events);
        if self.dropped > 0 {
            events.push(Event::Stream {
                name: StreamName::Stderr,
                text: format!(
                    "[px-worker: {} bytes of output written between executions were dropped]\n",
                    self.dropped
                ),
            });
        }
        self.bytes = 0;
        self.dropped = 0;
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_text_of_one_stream_is_merged() {
        let mut idle = IdleOutput::default();
        idle.push_stream(StreamName::Stdout, "a".into());
        idle.push_stream(StreamName::Stdout, "b".into());
        idle.push_stream(StreamName::Stderr, "c".into());
        let events = idle.take();
        assert_eq!(events.len(), 2);
        assert!(idle.take().is_empty());
    }

    #[test]
    fn overflow_is_reported_not_kept() {
        let mut idle = IdleOutput::default();
        idle.push_stream(StreamName::Stdout, "x".repeat(MAX_BYTES));
        idle.push_stream(StreamName::Stdout, "y".repeat(10));
        let events = idle.take();
        assert!(matches!(&events[1], Event::Stream { text, .. } if text.contains("10 bytes")));
    }
}
