//! What a finished task or an engine change does to the queue (stock's `update_graph`).

use super::{Placement, State, TaskScheduler, Update};
use crate::ids::MsgId;
use crate::task::failure::{DependencyKind, Failure, ImpossibleReason};
use crate::task::Action;

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    /// No engine can take anything more.
    Stop,
}

impl<P: Clone> TaskScheduler<P> {
    /// Works through the pending updates. A finished task wakes the tasks that named it, in
    /// submission order: those it made impossible fail, those it made runnable join the
    /// ready part of the queue. Then, as stock does, the whole ready queue is looked at if
    /// some engine sits one below the high-water mark, else only the woken tasks.
    pub(super) fn settle(&mut self, out: &mut Vec<Action<P>>) {
        while let Some(update) = self.updates.pop_front() {
            match update {
                Update::Everything => self.scan_ready(out),
                Update::Finished(msg_id) => {
                    let woken = self.woken_in_order(&msg_id);
                    for id in &woken {
                        self.recheck(id, out);
                    }
                    if self.engines.any_one_below_hwm() {
                        self.scan_ready(out);
                    } else {
                        for id in &woken {
                            if self.look_at(id, out) == Flow::Stop {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }

    fn woken_in_order(&mut self, finished: &str) -> Vec<MsgId> {
        let Some(woken) = self.waiting.take_dependents(finished) else {
            return Vec::new();
        };
        let mut woken: Vec<(u64, MsgId)> = woken
            .into_iter()
            .filter_map(|id| Some((self.jobs.get(&id)?.seq, id)))
            .collect();
        woken.sort_unstable();
        woken.into_iter().map(|(_, id)| id).collect()
    }

    /// A dependency of this waiting task finished: fail it if that made it impossible, move
    /// it to the ready part if its dependencies are now met.
    fn recheck(&mut self, msg_id: &MsgId, out: &mut Vec<Action<P>>) {
        let Some(job) = self.jobs.get_mut(msg_id) else {
            return;
        };
        let State::Waiting(mut seat) = job.state else {
            return;
        };
        let unreachable = if job.after.is_unreachable(&self.done) {
            Some(DependencyKind::After)
        } else if job.follow.is_unreachable(&self.done) {
            Some(DependencyKind::Follow)
        } else {
            None
        };
        if let Some(kind) = unreachable {
            let reason = ImpossibleReason::Unreachable(kind);
            self.fail(msg_id, Failure::ImpossibleDependency { reason }, None, out);
        } else if !seat.ready && job.after.is_met(&self.done) && job.follow.is_met(&self.done) {
            self.waiting.make_ready(msg_id, &mut seat);
            job.state = State::Waiting(seat);
        }
    }

    /// Offers each ready task, in queue order, an engine, until no engine can take more.
    fn scan_ready(&mut self, out: &mut Vec<Action<P>>) {
        let mut from = 0;
        while let Some((position, msg_id)) = self.waiting.next_ready_from(from) {
            from = position + 1;
            if self.look_at(&msg_id, out) == Flow::Stop {
                return;
            }
        }
    }

    /// Runs one ready task if an engine fits it.
    fn look_at(&mut self, msg_id: &MsgId, out: &mut Vec<Action<P>>) -> Flow {
        let ready = self
            .jobs
            .get(msg_id)
            .is_some_and(|job| matches!(job.state, State::Waiting(seat) if seat.ready));
        if !ready {
            return Flow::Continue;
        }
        match self.place(msg_id, out) {
            Placement::Ran if !self.engines.any_available() => Flow::Stop,
            Placement::Ran | Placement::NotNow => Flow::Continue,
            Placement::Impossible(reason) => {
                self.fail(msg_id, Failure::ImpossibleDependency { reason }, None, out);
                Flow::Continue
            }
        }
    }
}
