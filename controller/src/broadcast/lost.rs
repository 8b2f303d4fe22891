//! The engines lost lately, so a request that crossed their unregistration is not sent to a
//! dead socket nor waits for them.

use std::collections::{HashSet, VecDeque};

use crate::ids::EngineUuid;

/// How many lost engines are remembered. A request can only name a lost engine if its client
/// sent it before hearing of the loss, so only the latest few matter; uuids are never reused.
pub(super) const LOST_MEMORY: usize = 1024;

/// A bounded set of lost engines; the oldest is forgotten first.
#[derive(Debug, Default)]
pub(super) struct LostEngines {
    set: HashSet<EngineUuid>,
    order: VecDeque<EngineUuid>,
}

impl LostEngines {
    /// Remembers `engine` as lost.
    pub fn insert(&mut self, engine: &EngineUuid) {
        if !self.set.insert(engine.clone()) {
            return;
        }
        self.order.push_back(engine.clone());
        if self.order.len() > LOST_MEMORY {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    /// Whether `engine` was lost lately.
    pub fn contains(&self, engine: &EngineUuid) -> bool {
        self.set.contains(engine)
    }
}
