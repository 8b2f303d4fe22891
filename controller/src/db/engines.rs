//! What the result store needs to know of the hub's engine table to answer `queue_request`
//! and `purge_request`: the store keys records by engine uuid, clients name engines by id.

use crate::ids::{EngineId, EngineUuid};

/// A view of the hub's engines, live and dead.
///
/// Dead engines matter because stock's `queue_reply` keeps listing every id ever registered,
/// while only live engines can be named by uuid or purged by id.
pub trait EngineDirectory {
    /// Every engine id registered since the hub started, dead ones included.
    fn all_ids(&self) -> Vec<EngineId>;
    /// The uuid an engine id had, whether or not it is still registered.
    fn uuid_of(&self, id: EngineId) -> Option<EngineUuid>;
    /// The id of the registered engine with this uuid.
    fn live_id(&self, uuid: &str) -> Option<EngineId>;
    /// Whether the engine with this id is registered now.
    fn is_live(&self, id: EngineId) -> bool;
}

/// One engine, for a hub (or a test) that keeps its table as a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEntry {
    /// The engine's id.
    pub id: EngineId,
    /// The engine's uuid.
    pub uuid: EngineUuid,
    /// Whether it is registered now (false once unregistered).
    pub live: bool,
}

impl EngineDirectory for [EngineEntry] {
    fn all_ids(&self) -> Vec<EngineId> {
        let mut ids: Vec<EngineId> = self.iter().map(|e| e.id).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn uuid_of(&self, id: EngineId) -> Option<EngineUuid> {
        self.iter().find(|e| e.id == id).map(|e| e.uuid.clone())
    }

    fn live_id(&self, uuid: &str) -> Option<EngineId> {
        self.iter()
            .find(|e| e.live && e.uuid.as_str() == uuid)
            .map(|e| e.id)
    }

    fn is_live(&self, id: EngineId) -> bool {
        self.iter().any(|e| e.live && e.id == id)
    }
}

impl EngineDirectory for Vec<EngineEntry> {
    fn all_ids(&self) -> Vec<EngineId> {
        self.as_slice().all_ids()
    }

    fn uuid_of(&self, id: EngineId) -> Option<EngineUuid> {
        self.as_slice().uuid_of(id)
    }

    fn live_id(&self, uuid: &str) -> Option<EngineId> {
        self.as_slice().live_id(uuid)
    }

    fn is_live(&self, id: EngineId) -> bool {
        self.as_slice().is_live(id)
    }
}
