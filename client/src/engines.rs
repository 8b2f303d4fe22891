//! The engine table: ids and uuids, kept current by hub notifications.

use std::collections::BTreeMap;

/// Registered engines, by id. Ids are never reused by the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineTable {
    by_id: BTreeMap<i64, String>,
    /// Engines that left since the client connected, in order.
    departed: Vec<(i64, String)>,
}

impl EngineTable {
    /// Registered ids, ascending (what `Client.ids` returns).
    pub fn ids(&self) -> Vec<i64> {
        self.by_id.keys().copied().collect()
    }

    /// The uuid of engine `id`.
    pub fn uuid(&self, id: i64) -> Option<&str> {
        self.by_id.get(&id).map(String::as_str)
    }

    /// The id of the engine with `uuid`, also for engines that have left (their late
    /// replies and output still name them).
    pub fn id_of(&self, uuid: &str) -> Option<i64> {
        self.by_id
            .iter()
            .chain(self.departed.iter().map(|(i, u)| (i, u)))
            .find(|(_, u)| u.as_str() == uuid)
            .map(|(i, _)| *i)
    }

    /// Records a registration.
    pub fn register(&mut self, id: i64, uuid: String) {
        self.by_id.insert(id, uuid);
    }

    /// Records an unregistration; returns the uuid if the engine was known.
    pub fn unregister(&mut self, id: i64) -> Option<String> {
        let uuid = self.by_id.remove(&id)?;
        self.departed.push((id, uuid.clone()));
        Some(uuid)
    }

    /// Engines that left since the client connected.
    pub fn departed(&self) -> &[(i64, String)] {
        &self.departed
    }
}
