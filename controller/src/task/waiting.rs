//! Tasks that have not reached an engine: the queue, their timeouts, and which of them wait
//! for which msg_id.
//!
//! The queue has a ready part: tasks whose `after` and `follow` are met (anywhere), which
//! only need a suitable engine. The others can only move when one of their dependencies
//! finishes, and the graph brings them back then, so a look at the whole queue when an
//! engine frees up walks the ready part alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use crate::ids::MsgId;

/// Where a waiting task sits: its place in the queue and, if it has a timeout, when it
/// expires. Both are keys into [`WaitingRoom`], so leaving costs a lookup, not a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seat {
    pub position: u64,
    pub deadline: Option<Instant>,
    /// Its dependencies are met; it waits for an engine only.
    pub ready: bool,
}

/// The queue of waiting tasks in the order they were (re)queued, their timers, and the
/// graph from an unfinished msg_id to the waiting tasks that name it.
#[derive(Debug, Default)]
pub(crate) struct WaitingRoom {
    queue: BTreeMap<u64, MsgId>,
    ready: BTreeMap<u64, MsgId>,
    next_position: u64,
    timers: BTreeMap<(Instant, u64), MsgId>,
    dependents: HashMap<MsgId, HashSet<MsgId>>,
}

impl WaitingRoom {
    /// Queues `msg_id` at the back. `unfinished` are the ids it waits for that have not
    /// finished yet; each one's completion will bring it back for a look.
    pub fn enter<'a>(
        &mut self,
        msg_id: &MsgId,
        unfinished: impl Iterator<Item = &'a MsgId>,
        deadline: Option<Instant>,
        ready: bool,
    ) -> Seat {
        let position = self.next_position;
        self.next_position += 1;
        self.queue.insert(position, msg_id.clone());
        if ready {
            self.ready.insert(position, msg_id.clone());
        }
        if let Some(at) = deadline {
            self.timers.insert((at, position), msg_id.clone());
        }
        for dep in unfinished {
            self.dependents
                .entry(dep.clone())
                .or_default()
                .insert(msg_id.clone());
        }
        Seat {
            position,
            deadline,
            ready,
        }
    }

    /// Its dependencies are now met: it joins the ready part at its place in the queue.
    pub fn make_ready(&mut self, msg_id: &MsgId, seat: &mut Seat) {
        if !seat.ready {
            seat.ready = true;
            self.ready.insert(seat.position, msg_id.clone());
        }
    }

    /// Takes `msg_id` out of the queue, its timer and the graph. `deps` are every id it
    /// named, finished or not.
    pub fn leave<'a>(&mut self, msg_id: &str, seat: Seat, deps: impl Iterator<Item = &'a MsgId>) {
        self.queue.remove(&seat.position);
        if seat.ready {
            self.ready.remove(&seat.position);
        }
        if let Some(at) = seat.deadline {
            self.timers.remove(&(at, seat.position));
        }
        for dep in deps {
            if let Some(waiters) = self.dependents.get_mut(dep) {
                waiters.remove(msg_id);
                if waiters.is_empty() {
                    self.dependents.remove(dep);
                }
            }
        }
    }

    /// The waiting tasks that named `finished`, now that it has finished.
    pub fn take_dependents(&mut self, finished: &str) -> Option<HashSet<MsgId>> {
        self.dependents.remove(finished)
    }

    /// The first ready task at or after `position`, for walking the queue while it
    /// changes underneath.
    pub fn next_ready_from(&self, position: u64) -> Option<(u64, MsgId)> {
        self.ready
            .range(position..)
            .next()
            .map(|(&pos, id)| (pos, id.clone()))
    }

    pub fn queued(&self) -> impl Iterator<Item = &MsgId> {
        self.queue.values()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.keys().next().map(|&(at, _)| at)
    }

    /// The earliest timer if it is due at `now`, removed.
    pub fn pop_expired(&mut self, now: Instant) -> Option<MsgId> {
        let (&key, _) = self.timers.iter().next()?;
        if key.0 > now {
            return None;
        }
        self.timers.remove(&key)
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
            && self.ready.is_empty()
            && self.timers.is_empty()
            && self.dependents.is_empty()
    }
}
