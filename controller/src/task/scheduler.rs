//! The scheduler's state machine: where each task is, and what happens when something
//! arrives.

mod updates;

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::dependency::{Dependency, EngineSlot, Finished, Outcomes};
use super::engines::EnginePool;
use super::failure::{DependencyKind, Failure, ImpossibleReason, InvalidReason};
use super::scheme::Scheme;
use super::waiting::{Seat, WaitingRoom};
use super::{Action, ReplyOutcome, Task, TaskConfig};
use crate::ids::{EngineUuid, MsgId};

/// The load-balanced task scheduler (stock's `TaskScheduler`), as a state machine.
///
/// It holds the tasks not yet answered and, for dependencies, the outcome of every task
/// that finished. Each call returns the actions to carry out; none blocks or reads a clock.
///
/// ```
/// use std::time::Instant;
/// use px_controller::{Action, EngineUuid, ReplyOutcome, Task, TaskConfig, TaskMetadata, TaskScheduler};
///
/// let mut scheduler = TaskScheduler::new(TaskConfig::default());
/// let engine = EngineUuid("e0".into());
/// let now = Instant::now();
/// scheduler.add_engine(engine.clone());
///
/// let task = Task { msg_id: "m1".into(), payload: "frames", metadata: TaskMetadata::default() };
/// let actions = scheduler.submit(task, now);
/// assert_eq!(
///     actions,
///     vec![Action::Run { engine: engine.clone(), msg_id: "m1".into(), payload: "frames" }]
/// );
///
/// let actions = scheduler.reply(&engine, "m1", ReplyOutcome::Ok, now);
/// assert_eq!(actions, vec![Action::Deliver { msg_id: "m1".into() }]);
/// ```
///
/// Decisions follow stock's, with these corrections of its accidents:
/// - tasks passed over by a scan keep their queue order (stock re-inserts them reversed);
/// - a task that ran after a dependency woke it leaves the queue (stock could send it again
///   on a later scan);
/// - a waiting task made impossible by a finished dependency fails at once, even when the
///   scan that would have found it stopped early for lack of engines;
/// - removing an engine looks at the queue at once, so tasks that can only run on it fail
///   then rather than at the next scan;
/// - a `follow` whose dependencies the scheduler itself failed does not crash the check for
///   tasks spread over several engines.
#[derive(Debug)]
pub struct TaskScheduler<P> {
    scheme: Scheme,
    grace: Duration,
    rng: fastrand::Rng,
    engines: EnginePool,
    /// Tasks submitted and not answered: waiting, or running on an engine.
    jobs: HashMap<MsgId, Job<P>>,
    /// Every task that finished, kept for the dependencies still to come.
    done: Outcomes,
    waiting: WaitingRoom,
    /// Dead engines still holding tasks, by when those tasks fail.
    deaths: BTreeSet<(Instant, EngineSlot)>,
    /// Finished tasks and engine changes whose effect on the queue is still to be seen.
    updates: VecDeque<Update>,
    next_seq: u64,
}

#[derive(Debug)]
struct Job<P> {
    payload: P,
    /// Submission order: jobs woken by a finished dependency are looked at in this order.
    seq: u64,
    after: Dependency,
    follow: Dependency,
    targets: HashSet<EngineUuid>,
    /// Engines that refused or failed it; it never goes back to them.
    blacklist: HashSet<EngineUuid>,
    timeout: Option<Duration>,
    retries: u32,
    state: State,
}

impl<P> Job<P> {
    fn deps(&self) -> impl Iterator<Item = &MsgId> {
        self.after.ids().iter().chain(self.follow.ids())
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Waiting(Seat),
    /// `assigned` orders the tasks of an engine that died, as stock fails them.
    Running {
        slot: EngineSlot,
        assigned: u64,
    },
    /// Between two states, within one call.
    Loose,
}

#[derive(Debug)]
pub(super) enum Update {
    Finished(MsgId),
    /// An engine came or went: every ready task deserves a look.
    Everything,
}

pub(super) enum Placement {
    Ran,
    NotNow,
    Impossible(ImpossibleReason),
}

impl<P: Clone> TaskScheduler<P> {
    /// A scheduler with no engines yet.
    pub fn new(config: TaskConfig) -> Self {
        TaskScheduler {
            scheme: config.scheme,
            grace: config.engine_death_grace,
            rng: fastrand::Rng::with_seed(config.seed),
            engines: EnginePool::new(config.hwm),
            jobs: HashMap::new(),
            done: Outcomes::new(),
            waiting: WaitingRoom::default(),
            deaths: BTreeSet::new(),
            updates: VecDeque::new(),
            next_seq: 0,
        }
    }

    /// A new engine joins at the front of the LRU order with no load; queued tasks may now
    /// run on it. Adding an engine that is already live changes nothing.
    pub fn add_engine(&mut self, engine: EngineUuid) -> Vec<Action<P>> {
        let mut out = Vec::new();
        if self.engines.add(engine.clone()).is_none() {
            tracing::warn!(%engine, "task scheduler: engine registered twice; ignored");
            return out;
        }
        tracing::debug!(%engine, "task scheduler: engine added");
        self.updates.push_back(Update::Everything);
        self.settle(&mut out);
        out
    }

    /// The engine leaves the rotation at once. Its running tasks fail with EngineError
    /// once the grace period has passed (in [`TaskScheduler::tick`]), unless their replies
    /// arrive first; retries apply to that failure as to any other. Queued tasks that could
    /// only have run on it fail with ImpossibleDependency (once some other engine is free,
    /// as stock judges targets only then).
    pub fn remove_engine(&mut self, engine: &EngineUuid, now: Instant) -> Vec<Action<P>> {
        let mut out = Vec::new();
        let deadline = now.checked_add(self.grace);
        let Some((slot, holds_tasks)) = self.engines.remove(engine, deadline) else {
            tracing::debug!(%engine, "task scheduler: unknown engine unregistered; ignored");
            return out;
        };
        if let (true, Some(at)) = (holds_tasks, deadline) {
            self.deaths.insert((at, slot));
        }
        tracing::debug!(%engine, holds_tasks, "task scheduler: engine removed");
        self.updates.push_back(Update::Everything);
        self.settle(&mut out);
        out
    }

    /// A new task. It runs now if its `after` dependency is met and an engine fits;
    /// otherwise it waits. Invalid or impossible dependencies fail it at once. A msg_id
    /// that is already waiting or running is ignored: its one answer serves both.
    pub fn submit(&mut self, task: Task<P>, now: Instant) -> Vec<Action<P>> {
        let mut out = Vec::new();
        let Task {
            msg_id,
            payload,
            metadata,
        } = task;
        if self.jobs.contains_key(&msg_id) {
            tracing::warn!(%msg_id, "task scheduler: msg_id submitted twice; ignored");
            return out;
        }
        let after = metadata.after.reduce(&self.done);
        let follow = metadata.follow;
        let problem = self
            .validate(&msg_id, &after, DependencyKind::After)
            .or_else(|| self.validate(&msg_id, &follow, DependencyKind::Follow));
        let seq = self.next_seq;
        self.next_seq += 1;
        let after_met = after.is_met(&self.done);
        self.jobs.insert(
            msg_id.clone(),
            Job {
                payload,
                seq,
                after,
                follow,
                targets: metadata.targets.into_iter().collect(),
                blacklist: HashSet::new(),
                timeout: metadata.timeout,
                retries: metadata.retries,
                state: State::Loose,
            },
        );
        if let Some(failure) = problem {
            self.fail(&msg_id, failure, None, &mut out);
        } else if after_met {
            self.dispatch(&msg_id, now, &mut out);
        } else {
            self.enqueue(&msg_id, now);
        }
        self.settle(&mut out);
        out
    }

    /// An engine answered `msg_id`. A success, or a failure with no retries left, is
    /// delivered and wakes the tasks depending on it. A failure with retries left, or a
    /// refusal (unmet dependency), sends the task to another engine, never to one that
    /// already failed or refused it. A reply for a task that engine is not running (unknown
    /// msg_id or engine, already answered) returns no action.
    pub fn reply(
        &mut self,
        engine: &EngineUuid,
        msg_id: &str,
        outcome: ReplyOutcome,
        now: Instant,
    ) -> Vec<Action<P>> {
        let mut out = Vec::new();
        let Some(slot) = self.running_on(engine, msg_id) else {
            tracing::debug!(%engine, msg_id, "task scheduler: reply for no running task; ignored");
            return out;
        };
        let Some((msg_id, _)) = self.jobs.get_key_value(msg_id) else {
            return out;
        };
        let msg_id = msg_id.clone();
        self.release(&msg_id, slot);
        let retry = match outcome {
            ReplyOutcome::Ok => false,
            ReplyOutcome::UnmetDependency => true,
            ReplyOutcome::Error => self.spend_retry(&msg_id),
        };
        if retry {
            self.retry_elsewhere(&msg_id, engine, now, &mut out);
            // The engine just got room: stock looks at the whole queue again.
            if self.engines.is_one_below_hwm(slot) {
                self.updates.push_back(Update::Everything);
            }
        } else {
            self.finish(&msg_id, slot, outcome == ReplyOutcome::Ok, &mut out);
        }
        self.settle(&mut out);
        out
    }

    /// Fails what is due at `now`: queued tasks past their timeout (TaskTimeout) and the
    /// tasks of engines dead for longer than the grace period (EngineError, or a retry).
    pub fn tick(&mut self, now: Instant) -> Vec<Action<P>> {
        let mut out = Vec::new();
        loop {
            let death = self.deaths.first().copied().filter(|(at, _)| *at <= now);
            let timer = self.waiting.next_deadline().filter(|at| *at <= now);
            match (death, timer) {
                (Some((at, slot)), timer) if timer.is_none_or(|t| at <= t) => {
                    self.deaths.remove(&(at, slot));
                    self.strand(slot, now, &mut out);
                }
                (_, Some(_)) => {
                    if let Some(msg_id) = self.waiting.pop_expired(now) {
                        let timeout = self.jobs.get(&msg_id).and_then(|j| j.timeout);
                        let failure = Failure::TaskTimeout {
                            timeout: timeout.unwrap_or_default(),
                        };
                        tracing::debug!(%msg_id, "task scheduler: task timed out in the queue");
                        self.fail(&msg_id, failure, None, &mut out);
                    }
                }
                _ => break,
            }
            self.settle(&mut out);
        }
        out
    }

    /// When [`TaskScheduler::tick`] next has something to do, if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        let death = self.deaths.first().map(|&(at, _)| at);
        match (death, self.waiting.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The tasks waiting for an engine, in queue order (the hub's `unassigned`).
    pub fn unassigned(&self) -> impl Iterator<Item = &MsgId> {
        self.waiting.queued()
    }

    /// The tasks sent to `engine` and not answered, in no particular order. A dead engine
    /// still in its grace period is included; an unknown one has none.
    pub fn pending_on(&self, engine: &EngineUuid) -> impl Iterator<Item = &MsgId> {
        self.engines
            .record_by_uuid(engine)
            .into_iter()
            .flat_map(|record| record.pending.iter())
    }

    /// The number of tasks outstanding on a live engine.
    pub fn load(&self, engine: &EngineUuid) -> Option<usize> {
        self.engines.load(engine)
    }

    /// The scheme this scheduler picks engines with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    fn running_on(&self, engine: &EngineUuid, msg_id: &str) -> Option<EngineSlot> {
        let State::Running { slot, .. } = self.jobs.get(msg_id)?.state else {
            return None;
        };
        let record = self.engines.record(slot)?;
        (&record.uuid == engine).then_some(slot)
    }

    fn spend_retry(&mut self, msg_id: &str) -> bool {
        match self.jobs.get_mut(msg_id) {
            Some(job) if job.retries > 0 => {
                job.retries -= 1;
                true
            }
            _ => false,
        }
    }

    /// The InvalidDependency or ImpossibleDependency a dependency earns at submission.
    fn validate(&self, msg_id: &str, dep: &Dependency, kind: DependencyKind) -> Option<Failure> {
        if dep.is_empty() {
            return None;
        }
        let invalid = |reason| Failure::InvalidDependency {
            dependency: kind,
            reason,
        };
        if dep.contains(msg_id) {
            return Some(invalid(InvalidReason::OwnId));
        }
        if let Some(unknown) = dep
            .ids()
            .iter()
            .find(|id| !self.done.contains_key(*id) && !self.jobs.contains_key(*id))
        {
            return Some(invalid(InvalidReason::NeverSubmitted(unknown.clone())));
        }
        if dep.is_unreachable(&self.done) {
            return Some(Failure::ImpossibleDependency {
                reason: ImpossibleReason::Unreachable(kind),
            });
        }
        None
    }

    /// Runs a loose job now, or queues it, or fails it as impossible.
    fn dispatch(&mut self, msg_id: &MsgId, now: Instant, out: &mut Vec<Action<P>>) {
        match self.place(msg_id, out) {
            Placement::Ran => {}
            Placement::NotNow => self.enqueue(msg_id, now),
            Placement::Impossible(reason) => {
                self.fail(msg_id, Failure::ImpossibleDependency { reason }, None, out)
            }
        }
    }

    fn enqueue(&mut self, msg_id: &MsgId, now: Instant) {
        let Some(job) = self.jobs.get_mut(msg_id) else {
            return;
        };
        let deadline = job.timeout.and_then(|t| now.checked_add(t));
        let done = &self.done;
        let ready = job.after.is_met(done) && job.follow.is_met(done);
        let unfinished = job.deps().filter(|id| !done.contains_key(*id));
        let seat = self.waiting.enter(msg_id, unfinished, deadline, ready);
        job.state = State::Waiting(seat);
    }

    /// Sends the job to an engine if one fits (stock's `maybe_run`).
    fn place(&mut self, msg_id: &MsgId, out: &mut Vec<Action<P>>) -> Placement {
        if !self.engines.any_available() {
            return Placement::NotNow;
        }
        let Some(job) = self.jobs.get(msg_id) else {
            return Placement::NotNow;
        };
        let done = &self.done;
        let picked = self.engines.pick(self.scheme, &mut self.rng, |engine| {
            (job.blacklist.is_empty() || !job.blacklist.contains(&engine.uuid))
                && (job.targets.is_empty() || job.targets.contains(&engine.uuid))
                && job.follow.is_met_on(done, engine.slot)
        });
        let Some(position) = picked else {
            return self.why_not(job);
        };
        let (slot, engine) = self.engines.assign(position, msg_id.clone());
        let assigned = self.next_seq;
        self.next_seq += 1;
        let Some(job) = self.jobs.get_mut(msg_id) else {
            return Placement::NotNow;
        };
        if let State::Waiting(seat) = job.state {
            let deps = job.after.ids().iter().chain(job.follow.ids());
            self.waiting.leave(msg_id, seat, deps);
        }
        job.state = State::Running { slot, assigned };
        out.push(Action::Run {
            engine,
            msg_id: msg_id.clone(),
            payload: job.payload.clone(),
        });
        Placement::Ran
    }

    /// No engine fits the job: is that for now, or for good?
    fn why_not(&self, job: &Job<P>) -> Placement {
        if job.follow.all() && job.follow.engines_of_accepted(&self.done).len() > 1 {
            return Placement::Impossible(ImpossibleReason::FollowAcrossEngines);
        }
        if !job.targets.is_empty()
            && !job
                .targets
                .iter()
                .any(|t| !job.blacklist.contains(t) && self.engines.is_live(t))
        {
            return Placement::Impossible(ImpossibleReason::NoTargetLeft);
        }
        Placement::NotNow
    }

    /// The job is no longer on its engine (answered, refused, or the engine died).
    fn release(&mut self, msg_id: &str, slot: EngineSlot) {
        if let Some(deadline) = self.engines.release(slot, msg_id) {
            self.deaths.remove(&(deadline, slot));
        }
        if let Some(job) = self.jobs.get_mut(msg_id) {
            job.state = State::Loose;
        }
    }

    /// A loose job failed or was refused on `engine`: try it elsewhere.
    fn retry_elsewhere(
        &mut self,
        msg_id: &MsgId,
        engine: &EngineUuid,
        now: Instant,
        out: &mut Vec<Action<P>>,
    ) {
        let Some(job) = self.jobs.get_mut(msg_id) else {
            return;
        };
        job.blacklist.insert(engine.clone());
        let exhausted =
            !job.targets.is_empty() && job.targets.iter().all(|t| job.blacklist.contains(t));
        if exhausted {
            let failure = Failure::ImpossibleDependency {
                reason: ImpossibleReason::NoTargetLeft,
            };
            self.fail(msg_id, failure, None, out);
        } else {
            self.dispatch(msg_id, now, out);
        }
    }

    /// The engine's reply is final: the client gets it, and dependents may now run.
    fn finish(
        &mut self,
        msg_id: &MsgId,
        slot: EngineSlot,
        success: bool,
        out: &mut Vec<Action<P>>,
    ) {
        let Some((msg_id, _job)) = self.jobs.remove_entry(msg_id) else {
            return;
        };
        let finished = Finished {
            success,
            engine: Some(slot),
        };
        self.done.insert(msg_id.clone(), finished);
        out.push(Action::Deliver {
            msg_id: msg_id.clone(),
        });
        self.updates.push_back(Update::Finished(msg_id));
    }

    /// The scheduler answers for the job; it counts as failed for its dependents.
    fn fail(
        &mut self,
        msg_id: &MsgId,
        failure: Failure,
        engine: Option<EngineSlot>,
        out: &mut Vec<Action<P>>,
    ) {
        let Some((msg_id, job)) = self.jobs.remove_entry(msg_id) else {
            return;
        };
        match job.state {
            State::Waiting(seat) => self.waiting.leave(&msg_id, seat, job.deps()),
            State::Running { slot, .. } => {
                if let Some(deadline) = self.engines.release(slot, &msg_id) {
                    self.deaths.remove(&(deadline, slot));
                }
            }
            State::Loose => {}
        }
        tracing::debug!(%msg_id, ename = failure.ename(), ?failure, "task scheduler: task failed");
        let finished = Finished {
            success: false,
            engine,
        };
        self.done.insert(msg_id.clone(), finished);
        out.push(Action::Fail {
            msg_id: msg_id.clone(),
            payload: job.payload,
            failure,
        });
        self.updates.push_back(Update::Finished(msg_id));
    }

    /// The grace period of a dead engine is over: each task it still holds fails, in the
    /// order it was sent, as if the engine had replied with an error.
    fn strand(&mut self, slot: EngineSlot, now: Instant, out: &mut Vec<Action<P>>) {
        let Some(record) = self.engines.record(slot) else {
            return;
        };
        let engine = record.uuid.clone();
        let mut held: Vec<(u64, MsgId)> = record
            .pending
            .iter()
            .filter_map(|id| match self.jobs.get(id)?.state {
                State::Running { assigned, .. } => Some((assigned, id.clone())),
                _ => None,
            })
            .collect();
        held.sort_unstable();
        for (_, msg_id) in held {
            self.release(&msg_id, slot);
            if self.spend_retry(&msg_id) {
                self.retry_elsewhere(&msg_id, &engine, now, out);
            } else {
                let failure = Failure::EngineDied {
                    engine: engine.clone(),
                    msg_id: msg_id.clone(),
                };
                self.fail(&msg_id, failure, Some(slot), out);
            }
        }
        self.engines.drop_dead(slot);
    }

    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.jobs.is_empty()
            && self.waiting.is_empty()
            && self.deaths.is_empty()
            && self.updates.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn engine_records(&self) -> usize {
        self.engines.record_count()
    }

    #[cfg(test)]
    pub(crate) fn lru_order(&self) -> Vec<EngineUuid> {
        self.engines.lru_order()
    }

    #[cfg(test)]
    pub(crate) fn finished_count(&self) -> usize {
        self.done.len()
    }
}
