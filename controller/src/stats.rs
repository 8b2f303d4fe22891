//! Counts of messages the controller refused, by socket and reason, with log lines that stay
//! readable under a flood (the first few of each kind, then one in a thousand).

use std::collections::HashMap;

use px_wire::WireError;

use crate::core::Source;

/// How many refusals of one kind are logged one by one before logging thins out.
const LOG_FIRST: u64 = 10;

/// Refused-message counters.
#[derive(Debug, Default)]
pub struct Stats {
    counts: HashMap<(Source, &'static str), u64>,
}

impl Stats {
    /// Frames that are not a message (no delimiter, missing parts, bad JSON).
    pub fn malformed(&mut self, source: Source, error: &WireError) {
        self.count(source, "malformed", error);
    }

    /// A message whose signature is missing, wrong or replayed.
    pub fn rejected(&mut self, source: Source, error: &WireError) {
        let kind = match error {
            WireError::DuplicateSignature => "replayed",
            _ => "badly signed",
        };
        self.count(source, kind, error);
    }

    /// A verified message the controller cannot act on (unknown type, unknown engine).
    pub fn unusable(&mut self, source: Source, what: &str) {
        let n = self.bump(source, "unusable");
        if n <= LOG_FIRST || n.is_multiple_of(1000) {
            tracing::warn!(?source, "dropped a message ({n} so far): {what}");
        }
    }

    /// Every count, for the line logged at exit.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .counts
            .iter()
            .map(|((s, k), n)| format!("{n} {k} on {s:?}"))
            .collect();
        parts.sort();
        parts.join(", ")
    }

    fn count(&mut self, source: Source, kind: &'static str, error: &WireError) {
        let n = self.bump(source, kind);
        if n <= LOG_FIRST || n.is_multiple_of(1000) {
            tracing::warn!(?source, "dropped a {kind} message ({n} so far): {error}");
        }
    }

    fn bump(&mut self, source: Source, kind: &'static str) -> u64 {
        let n = self.counts.entry((source, kind)).or_insert(0);
        *n += 1;
        *n
    }
}
