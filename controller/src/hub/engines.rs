//! The engine table: which engines are registered, under which id and uuid, and which
//! registrations wait for their first heartbeat.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::ids::{EngineId, EngineUuid};

/// Why a registration was refused; sent back as a `KeyError`, as stock does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// The uuid is registered or registering already.
    #[error("uuid '{0}' in use")]
    UuidInUse(String),
}

/// A registration waiting for its heart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The id it was given.
    pub id: EngineId,
    /// When the request came.
    pub since: Instant,
}

/// Registered and registering engines.
#[derive(Debug, Default)]
pub struct Engines {
    by_id: BTreeMap<EngineId, EngineUuid>,
    by_uuid: HashMap<EngineUuid, EngineId>,
    pending: HashMap<EngineUuid, Pending>,
    /// The next id to give; ids are never reused.
    next_id: u32,
}

impl Engines {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a registration; the id is `requested` when no engine, registered or
    /// registering, holds it, else the next unused one.
    pub fn register(
        &mut self,
        uuid: EngineUuid,
        requested: Option<u32>,
        now: Instant,
    ) -> Result<EngineId, RegistrationError> {
        if self.by_uuid.contains_key(&uuid) || self.pending.contains_key(&uuid) {
            return Err(RegistrationError::UuidInUse(uuid.0));
        }
        let taken = |id: EngineId| {
            self.by_id.contains_key(&id) || self.pending.values().any(|p| p.id == id)
        };
        let id = match requested.map(EngineId) {
            Some(id) if !taken(id) => {
                self.next_id = self.next_id.max(id.0.saturating_add(1));
                id
            }
            other => {
                if let Some(id) = other {
                    tracing::warn!("engine {uuid} asked for id {id}, which is taken");
                }
                let mut id = EngineId(self.next_id);
                while taken(id) {
                    id = EngineId(id.0.saturating_add(1));
                }
                self.next_id = id.0.saturating_add(1);
                id
            }
        };
        self.pending.insert(uuid, Pending { id, since: now });
        Ok(id)
    }

    /// Completes a pending registration (its first heartbeat came); `None` if `uuid` was
    /// not registering.
    pub fn complete(&mut self, uuid: &EngineUuid) -> Option<EngineId> {
        let pending = self.pending.remove(uuid)?;
        self.by_id.insert(pending.id, uuid.clone());
        self.by_uuid.insert(uuid.clone(), pending.id);
        Some(pending.id)
    }

    /// Removes a registered engine, or cancels a pending registration; gives the id and
    /// uuid if there was one.
    pub fn remove(&mut self, uuid: &EngineUuid) -> Option<(EngineId, bool)> {
        if let Some(id) = self.by_uuid.remove(uuid) {
            self.by_id.remove(&id);
            return Some((id, true));
        }
        self.pending.remove(uuid).map(|p| (p.id, false))
    }

    /// Registrations older than `cutoff`, removed.
    pub fn expire_pending(&mut self, cutoff: Instant) -> Vec<(EngineUuid, EngineId)> {
        let old: Vec<EngineUuid> = self
            .pending
            .iter()
            .filter(|(_, p)| p.since < cutoff)
            .map(|(u, _)| u.clone())
            .collect();
        old.into_iter()
            .filter_map(|u| self.pending.remove(&u).map(|p| (u, p.id)))
            .collect()
    }

    /// Whether any registration waits for its heart.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The uuid of registered engine `id`.
    pub fn uuid(&self, id: EngineId) -> Option<&EngineUuid> {
        self.by_id.get(&id)
    }

    /// The id of registered engine `uuid`.
    pub fn id(&self, uuid: &EngineUuid) -> Option<EngineId> {
        self.by_uuid.get(uuid).copied()
    }

    /// Registered engines in id order.
    pub fn iter(&self) -> impl Iterator<Item = (EngineId, &EngineUuid)> {
        self.by_id.iter().map(|(id, u)| (*id, u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(s: &str) -> EngineUuid {
        EngineUuid(s.to_owned())
    }

    #[test]
    fn ids_count_up_are_never_reused_and_requests_are_honoured_when_free() {
        let now = Instant::now();
        let mut e = Engines::new();
        assert_eq!(e.register(uuid("a"), None, now), Ok(EngineId(0)));
        assert_eq!(e.register(uuid("b"), Some(5), now), Ok(EngineId(5)));
        // Taken (pending): the next free id instead.
        assert_eq!(e.register(uuid("c"), Some(5), now), Ok(EngineId(6)));
        assert_eq!(e.complete(&uuid("a")), Some(EngineId(0)));
        e.remove(&uuid("a"));
        assert_eq!(e.register(uuid("d"), None, now), Ok(EngineId(7)));
        // A freed id may be asked for explicitly, as stock allows.
        assert_eq!(e.register(uuid("f"), Some(0), now), Ok(EngineId(0)));
    }

    #[test]
    fn a_uuid_in_use_is_refused() {
        let now = Instant::now();
        let mut e = Engines::new();
        e.register(uuid("a"), None, now).unwrap();
        assert_eq!(
            e.register(uuid("a"), None, now).unwrap_err().to_string(),
            "uuid 'a' in use"
        );
        e.complete(&uuid("a"));
        assert!(e.register(uuid("a"), None, now).is_err());
    }

    #[test]
    fn stalled_registrations_expire() {
        let t0 = Instant::now();
        let mut e = Engines::new();
        e.register(uuid("a"), None, t0).unwrap();
        assert!(e.expire_pending(t0).is_empty());
        let later = t0 + std::time::Duration::from_secs(31);
        assert_eq!(e.expire_pending(later), [(uuid("a"), EngineId(0))]);
        assert!(!e.has_pending());
    }
}
