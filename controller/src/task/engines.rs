//! The engines the scheduler may send to: their least-recently-used order, their loads and
//! the tasks each one holds.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::dependency::EngineSlot;
use super::scheme::Scheme;
use crate::ids::{EngineUuid, MsgId};

/// A live engine as the schemes see it.
#[derive(Debug)]
pub(crate) struct LiveEngine {
    pub slot: EngineSlot,
    pub uuid: EngineUuid,
    /// Tasks sent to it and not answered yet.
    pub load: usize,
}

/// What the scheduler remembers of one registration of an engine, live or dead: its uuid
/// and the tasks it holds. A dead engine keeps its record until its tasks are answered or
/// failed.
#[derive(Debug)]
pub(crate) struct EngineRecord {
    pub uuid: EngineUuid,
    pub pending: HashSet<MsgId>,
    /// When its remaining tasks fail, once it has died.
    pub death_deadline: Option<Instant>,
    pub live: bool,
}

/// Live engines in LRU order plus the records of every engine still holding tasks.
///
/// Counts of full engines and of engines one below the high-water mark are kept as loads
/// change, so the questions asked on every submission and reply ("can anything run?",
/// "should the whole queue be looked at?") cost nothing.
#[derive(Debug)]
pub(crate) struct EnginePool {
    /// Index 0 was assigned a task longest ago; a new engine goes to the front.
    order: Vec<LiveEngine>,
    records: HashMap<EngineSlot, EngineRecord>,
    live_by_uuid: HashMap<EngineUuid, EngineSlot>,
    next_slot: EngineSlot,
    hwm: usize,
    /// Live engines with `load >= hwm` (only counted when `hwm > 0`).
    full: usize,
    /// Live engines with `load == hwm - 1` (only counted when `hwm > 0`).
    one_below: usize,
    scratch_positions: Vec<usize>,
    scratch_loads: Vec<usize>,
}

impl EnginePool {
    pub fn new(hwm: usize) -> Self {
        EnginePool {
            order: Vec::new(),
            records: HashMap::new(),
            live_by_uuid: HashMap::new(),
            next_slot: 0,
            hwm,
            full: 0,
            one_below: 0,
            scratch_positions: Vec::new(),
            scratch_loads: Vec::new(),
        }
    }

    fn count(&mut self, load: usize, delta: isize) {
        if self.hwm == 0 {
            return;
        }
        if load >= self.hwm {
            self.full = self.full.wrapping_add_signed(delta);
        } else if load == self.hwm - 1 {
            self.one_below = self.one_below.wrapping_add_signed(delta);
        }
    }

    fn set_load(&mut self, pos: usize, load: usize) {
        let old = self.order[pos].load;
        self.count(old, -1);
        self.count(load, 1);
        self.order[pos].load = load;
    }

    /// Registers `uuid` at the front with load 0; `None` if it is already live.
    pub fn add(&mut self, uuid: EngineUuid) -> Option<EngineSlot> {
        if self.live_by_uuid.contains_key(&uuid) {
            return None;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.live_by_uuid.insert(uuid.clone(), slot);
        self.records.insert(
            slot,
            EngineRecord {
                uuid: uuid.clone(),
                pending: HashSet::new(),
                death_deadline: None,
                live: true,
            },
        );
        self.order.insert(
            0,
            LiveEngine {
                slot,
                uuid,
                load: 0,
            },
        );
        self.count(0, 1);
        Some(slot)
    }

    /// Takes `uuid` out of the rotation. Its record stays while it holds tasks, and then
    /// `deadline` is when they fail. Returns the slot and whether tasks remain.
    pub fn remove(
        &mut self,
        uuid: &EngineUuid,
        deadline: Option<Instant>,
    ) -> Option<(EngineSlot, bool)> {
        let slot = self.live_by_uuid.remove(uuid)?;
        if let Some(pos) = self.position(slot) {
            let engine = self.order.remove(pos);
            self.count(engine.load, -1);
        }
        let holds_tasks = match self.records.get_mut(&slot) {
            Some(record) if !record.pending.is_empty() => {
                record.live = false;
                record.death_deadline = deadline;
                true
            }
            _ => {
                self.records.remove(&slot);
                false
            }
        };
        Some((slot, holds_tasks))
    }

    fn position(&self, slot: EngineSlot) -> Option<usize> {
        self.order.iter().position(|e| e.slot == slot)
    }

    pub fn live_slot(&self, uuid: &EngineUuid) -> Option<EngineSlot> {
        self.live_by_uuid.get(uuid).copied()
    }

    pub fn is_live(&self, uuid: &EngineUuid) -> bool {
        self.live_by_uuid.contains_key(uuid)
    }

    pub fn record(&self, slot: EngineSlot) -> Option<&EngineRecord> {
        self.records.get(&slot)
    }

    /// The record for `uuid`: its live registration, else a dead one still holding tasks.
    pub fn record_by_uuid(&self, uuid: &EngineUuid) -> Option<&EngineRecord> {
        match self.live_slot(uuid) {
            Some(slot) => self.records.get(&slot),
            None => self.records.values().find(|r| &r.uuid == uuid),
        }
    }

    pub fn load(&self, uuid: &EngineUuid) -> Option<usize> {
        let slot = self.live_slot(uuid)?;
        self.order.iter().find(|e| e.slot == slot).map(|e| e.load)
    }

    /// Whether some engine could take a task now (below the high-water mark).
    pub fn any_available(&self) -> bool {
        if self.hwm == 0 {
            !self.order.is_empty()
        } else {
            self.order.len() > self.full
        }
    }

    /// Whether some engine sits one below the high-water mark: stock's signal that the
    /// whole queue is worth another look.
    pub fn any_one_below_hwm(&self) -> bool {
        self.hwm > 0 && self.one_below > 0
    }

    /// Whether live engine `slot` has exactly one task fewer than the high-water mark.
    pub fn is_one_below_hwm(&self, slot: EngineSlot) -> bool {
        self.hwm > 0
            && self
                .position(slot)
                .is_some_and(|pos| self.order[pos].load == self.hwm - 1)
    }

    /// Picks, by `scheme`, one of the engines below the high-water mark that `accept`s,
    /// and returns its position in the LRU order.
    pub fn pick(
        &mut self,
        scheme: Scheme,
        rng: &mut fastrand::Rng,
        mut accept: impl FnMut(&LiveEngine) -> bool,
    ) -> Option<usize> {
        let hwm = self.hwm;
        let positions = &mut self.scratch_positions;
        let loads = &mut self.scratch_loads;
        positions.clear();
        loads.clear();
        for (pos, engine) in self.order.iter().enumerate() {
            if (hwm == 0 || engine.load < hwm) && accept(engine) {
                positions.push(pos);
                loads.push(engine.load);
            }
        }
        if positions.is_empty() {
            return None;
        }
        positions.get(scheme.choose(loads, rng)).copied()
    }

    /// Gives the engine at `pos` the task `msg_id`: its load goes up and it moves to the
    /// back of the LRU order.
    pub fn assign(&mut self, pos: usize, msg_id: MsgId) -> (EngineSlot, EngineUuid) {
        let load = self.order[pos].load + 1;
        self.set_load(pos, load);
        let engine = self.order.remove(pos);
        let (slot, uuid) = (engine.slot, engine.uuid.clone());
        self.order.push(engine);
        if let Some(record) = self.records.get_mut(&slot) {
            record.pending.insert(msg_id);
        }
        (slot, uuid)
    }

    /// `msg_id` no longer runs on `slot`: the engine's load goes down if it is live, and a
    /// dead engine's record goes once it holds nothing. Returns the record's death deadline
    /// when that record has just been dropped.
    pub fn release(&mut self, slot: EngineSlot, msg_id: &str) -> Option<Instant> {
        if let Some(pos) = self.position(slot) {
            let load = self.order[pos].load.saturating_sub(1);
            self.set_load(pos, load);
        }
        let record = self.records.get_mut(&slot)?;
        record.pending.remove(msg_id);
        if !record.live && record.pending.is_empty() {
            let deadline = record.death_deadline;
            self.records.remove(&slot);
            return deadline;
        }
        None
    }

    /// Forgets a dead engine whose remaining tasks have all been dealt with.
    pub fn drop_dead(&mut self, slot: EngineSlot) {
        if self.records.get(&slot).is_some_and(|r| !r.live) {
            self.records.remove(&slot);
        }
    }

    #[cfg(test)]
    pub fn record_count(&self) -> usize {
        self.records.len()
    }

    #[cfg(test)]
    pub fn lru_order(&self) -> Vec<EngineUuid> {
        self.order.iter().map(|e| e.uuid.clone()).collect()
    }
}
