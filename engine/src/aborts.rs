//! Which queued requests must not run: those a client aborted by msg_id, and the
//! execute_requests that were waiting when an abort-all or a failed cell (`stop_on_error`)
//! cleared the queue, as ipykernel aborts them.
//!
//! Requests are numbered as they arrive, so "everything waiting now" is a number: requests
//! at or below it are aborted, later ones run.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Shared by the control handler (which adds aborts) and the executor (which consults them).
#[derive(Debug, Default)]
pub(crate) struct Aborts {
    /// The number given to the last request that arrived.
    arrived: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    ids: HashSet<String>,
    /// Execute requests numbered up to this one are aborted.
    executes_through: u64,
}

impl Aborts {
    /// Numbers a request as it arrives.
    pub(crate) fn arrive(&self) -> u64 {
        self.arrived.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Aborts these msg_ids whenever they come up.
    pub(crate) fn abort_ids(&self, ids: impl IntoIterator<Item = String>) {
        self.lock().ids.extend(ids);
    }

    /// Aborts every execute_request that has arrived and not started.
    pub(crate) fn abort_waiting_executes(&self) {
        let arrived = self.arrived.load(Ordering::SeqCst);
        let mut state = self.lock();
        state.executes_through = state.executes_through.max(arrived);
    }

    /// Whether the request numbered `seq` must be answered as aborted instead of run; an
    /// aborted msg_id is forgotten once used.
    pub(crate) fn take(&self, seq: u64, msg_id: &str, is_execute: bool) -> bool {
        let mut state = self.lock();
        let by_id = state.ids.remove(msg_id);
        by_id || (is_execute && seq <= state.executes_through)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aborted_id_is_aborted_once() {
        let aborts = Aborts::default();
        aborts.abort_ids(["a".to_owned()]);
        let seq = aborts.arrive();
        assert!(aborts.take(seq, "a", false));
        assert!(!aborts.take(seq, "a", false));
    }

    #[test]
    fn abort_all_reaches_waiting_executes_only() {
        let aborts = Aborts::default();
        let waiting = aborts.arrive();
        aborts.abort_waiting_executes();
        let later = aborts.arrive();
        assert!(aborts.take(waiting, "x", true));
        assert!(
            !aborts.take(waiting, "y", false),
            "applies are not aborted by it"
        );
        assert!(!aborts.take(later, "z", true), "requests after it run");
    }
}
