//! Dependencies between tasks: a set of msg_ids and the outcomes that satisfy it.
//!
//! The same set is read two ways. `after` (a time dependency) is checked against every
//! finished task; `follow` (a location dependency) against the tasks one engine finished.

use std::collections::HashMap;

use serde_json::Value;

use super::metadata::TaskError;
use crate::ids::MsgId;

/// Which registration of an engine ran a task. A uuid can register again after it died;
/// what it finished before must not satisfy `follow` on the new registration, as stock forgets
/// an engine's completed tasks when it unregisters.
pub(crate) type EngineSlot = u64;

/// How a finished task ended, as far as its dependents care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finished {
    /// The task's reply had status `ok`.
    pub success: bool,
    /// The engine it finished on; `None` when the scheduler failed it without running it.
    pub engine: Option<EngineSlot>,
}

/// Every task this scheduler saw finish, by msg_id: what dependencies are checked against.
pub(crate) type Outcomes = HashMap<MsgId, Finished>;

/// A set of msg_ids a task waits for, with the three flags of stock's `Dependency`.
///
/// `all`: every id must be done (else one is enough). `success` / `failure`: which
/// outcomes count as done. At least one of the two is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    ids: Vec<MsgId>,
    all: bool,
    success: bool,
    failure: bool,
}

impl Default for Dependency {
    fn default() -> Self {
        Dependency {
            ids: Vec::new(),
            all: true,
            success: true,
            failure: false,
        }
    }
}

impl Dependency {
    /// A dependency on `ids`. Fails when neither successes nor failures would satisfy it,
    /// since such a dependency could never be met.
    pub fn new(
        ids: impl IntoIterator<Item = MsgId>,
        all: bool,
        success: bool,
        failure: bool,
    ) -> Result<Self, TaskError> {
        if !success && !failure {
            return Err(TaskError::metadata(
                "dependency",
                "must depend on at least one of successes or failures",
            ));
        }
        let mut ids: Vec<MsgId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(Dependency {
            ids,
            all,
            success,
            failure,
        })
    }

    /// The default flags (`all`, successes only) on `ids`.
    pub fn on(ids: impl IntoIterator<Item = MsgId>) -> Self {
        let mut ids: Vec<MsgId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Dependency {
            ids,
            ..Dependency::default()
        }
    }

    /// The msg_ids, sorted, without repeats.
    pub fn ids(&self) -> &[MsgId] {
        &self.ids
    }

    /// Whether every id must be done (else any one).
    pub fn all(&self) -> bool {
        self.all
    }

    /// Whether a successful task counts as done.
    pub fn success(&self) -> bool {
        self.success
    }

    /// Whether a failed task counts as done.
    pub fn failure(&self) -> bool {
        self.failure
    }

    /// An empty dependency is always met and never unreachable.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.ids
            .binary_search_by(|probe| probe.as_str().cmp(id))
            .is_ok()
    }

    fn accepts(&self, finished: &Finished) -> bool {
        if finished.success {
            self.success
        } else {
            self.failure
        }
    }

    fn accepted(&self, done: &Outcomes, id: &str) -> bool {
        done.get(id).is_some_and(|f| self.accepts(f))
    }

    fn rejected(&self, done: &Outcomes, id: &str) -> bool {
        done.get(id).is_some_and(|f| !self.accepts(f))
    }

    /// Met as a time dependency: against every finished task.
    pub(crate) fn is_met(&self, done: &Outcomes) -> bool {
        if self.ids.is_empty() {
            return true;
        }
        if self.all {
            self.ids.iter().all(|id| self.accepted(done, id))
        } else {
            self.ids.iter().any(|id| self.accepted(done, id))
        }
    }

    /// Met as a location dependency: against the tasks `engine` finished.
    pub(crate) fn is_met_on(&self, done: &Outcomes, engine: EngineSlot) -> bool {
        if self.ids.is_empty() {
            return true;
        }
        let on_engine = |id: &MsgId| {
            done.get(id)
                .is_some_and(|f| f.engine == Some(engine) && self.accepts(f))
        };
        if self.all {
            self.ids.iter().all(on_engine)
        } else {
            self.ids.iter().any(on_engine)
        }
    }

    /// No outcome still to come can meet it: an outcome it refuses rules out an `all`
    /// dependency, and refused outcomes on every id rule out an `any` one.
    pub(crate) fn is_unreachable(&self, done: &Outcomes) -> bool {
        if self.ids.is_empty() {
            return false;
        }
        if self.all {
            self.ids.iter().any(|id| self.rejected(done, id))
        } else {
            self.ids.iter().all(|id| self.rejected(done, id))
        }
    }

    /// For an `all` time dependency, the ids already satisfied no longer matter; dropping
    /// them keeps later checks short. A met dependency becomes the empty one.
    pub(crate) fn reduce(mut self, done: &Outcomes) -> Self {
        if self.all {
            let flags = self.clone_flags();
            self.ids.retain(|id| !flags.accepted(done, id));
        }
        if self.is_met(done) {
            Dependency::default()
        } else {
            self
        }
    }

    fn clone_flags(&self) -> Dependency {
        Dependency {
            ids: Vec::new(),
            ..*self
        }
    }

    /// The engines on which the accepted, finished ids ran. `follow` with `all` can only be
    /// met on one engine, so more than one means it never will be.
    pub(crate) fn engines_of_accepted(&self, done: &Outcomes) -> Vec<EngineSlot> {
        let mut engines: Vec<EngineSlot> = self
            .ids
            .iter()
            .filter_map(|id| done.get(id))
            .filter(|f| self.accepts(f))
            .filter_map(|f| f.engine)
            .collect();
        engines.sort_unstable();
        engines.dedup();
        engines
    }

    /// Reads `after` or `follow` as the stock client sends it: a list of msg_ids, one msg_id,
    /// or `{"dependencies": [...], "all": .., "success": .., "failure": ..}`; `null` and
    /// empty values are the empty dependency.
    pub(crate) fn from_json(value: &Value, field: &'static str) -> Result<Self, TaskError> {
        match value {
            Value::Null => Ok(Dependency::default()),
            Value::String(_) | Value::Array(_) => Ok(Dependency::on(ids_from_json(value, field)?)),
            Value::Object(map) => {
                let flag = |name: &str, default: bool| match map.get(name) {
                    None | Some(Value::Null) => Ok(default),
                    Some(Value::Bool(b)) => Ok(*b),
                    Some(other) => Err(TaskError::metadata(
                        field,
                        format!("`{name}` must be a boolean, not {other}"),
                    )),
                };
                let all = flag("all", true)?;
                let success = flag("success", true)?;
                let failure = flag("failure", false)?;
                let ids = match map.get("dependencies") {
                    None => Vec::new(),
                    Some(deps) => ids_from_json(deps, field)?,
                };
                Dependency::new(ids, all, success, failure).map_err(|_| {
                    TaskError::metadata(
                        field,
                        "must depend on at least one of successes or failures",
                    )
                })
            }
            other => Err(TaskError::metadata(
                field,
                format!("expected a list of msg_ids or a dependency dict, not {other}"),
            )),
        }
    }
}

fn ids_from_json(value: &Value, field: &'static str) -> Result<Vec<MsgId>, TaskError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(id) => Ok(vec![id.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(id) => Ok(id.clone()),
                other => Err(TaskError::metadata(
                    field,
                    format!("a msg_id must be a string, not {other}"),
                )),
            })
            .collect(),
        other => Err(TaskError::metadata(
            field,
            format!("expected a list of msg_ids, not {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Even ids succeeded, odd ids failed, as in stock's own dependency tests.
    fn outcomes() -> Outcomes {
        (0..25)
            .map(|i| {
                (
                    i.to_string(),
                    Finished {
                        success: i % 2 == 0,
                        engine: Some(i % 3),
                    },
                )
            })
            .collect()
    }

    fn ids(range: impl Iterator<Item = u64>) -> Vec<MsgId> {
        range.map(|i| i.to_string()).collect()
    }

    #[test]
    fn success_only_all_is_unmet_and_unreachable_on_mixed_outcomes() {
        let done = outcomes();
        let dep = Dependency::new(ids(0..10), true, true, false).unwrap();
        assert!(!dep.is_met(&done));
        assert!(dep.is_unreachable(&done));
        let any = Dependency::new(ids(0..10), false, true, false).unwrap();
        assert!(any.is_met(&done));
        assert!(!any.is_unreachable(&done));
    }

    #[test]
    fn success_only_on_successes_is_met() {
        let done = outcomes();
        for all in [true, false] {
            let dep = Dependency::new(ids((0..10).step_by(2)), all, true, false).unwrap();
            assert!(dep.is_met(&done));
            assert!(!dep.is_unreachable(&done));
        }
    }

    #[test]
    fn failure_only_on_successes_is_unreachable_both_ways() {
        let done = outcomes();
        let mixed = Dependency::new(ids(0..10), true, false, true).unwrap();
        assert!(!mixed.is_met(&done));
        assert!(mixed.is_unreachable(&done));
        let mixed_any = Dependency::new(ids(0..10), false, false, true).unwrap();
        assert!(mixed_any.is_met(&done));
        assert!(!mixed_any.is_unreachable(&done));
        for all in [true, false] {
            let dep = Dependency::new(ids((0..10).step_by(2)), all, false, true).unwrap();
            assert!(!dep.is_met(&done));
            assert!(dep.is_unreachable(&done));
        }
    }

    #[test]
    fn unfinished_ids_are_neither_met_nor_unreachable() {
        let done = outcomes();
        let dep = Dependency::on(ids(100..102));
        assert!(!dep.is_met(&done));
        assert!(!dep.is_unreachable(&done));
    }

    #[test]
    fn empty_dependency_is_met_and_reachable() {
        let done = outcomes();
        let dep = Dependency::default();
        assert!(dep.is_met(&done));
        assert!(dep.is_met_on(&done, 7));
        assert!(!dep.is_unreachable(&done));
    }

    #[test]
    fn met_on_counts_only_that_engines_tasks() {
        let done = outcomes();
        // 0 and 6 succeeded on engine 0; 2 succeeded on engine 2.
        let dep = Dependency::on(ids([0, 6].into_iter()));
        assert!(dep.is_met_on(&done, 0));
        assert!(!dep.is_met_on(&done, 1));
        let split = Dependency::on(ids([0, 2].into_iter()));
        assert!(!split.is_met_on(&done, 0));
        assert!(!split.is_met_on(&done, 2));
        assert_eq!(split.engines_of_accepted(&done), vec![0, 2]);
        let any = Dependency::new(ids([0, 2].into_iter()), false, true, false).unwrap();
        assert!(any.is_met_on(&done, 0));
        assert!(any.is_met_on(&done, 2));
        assert!(!any.is_met_on(&done, 1));
    }

    #[test]
    fn reduce_drops_satisfied_ids_and_empties_a_met_dependency() {
        let done = outcomes();
        let dep = Dependency::on(ids([0, 2, 100].into_iter())).reduce(&done);
        assert_eq!(dep.ids(), &["100".to_string()]);
        let met = Dependency::on(ids([0, 2].into_iter())).reduce(&done);
        assert!(met.is_empty());
        let any = Dependency::new(ids([0, 100].into_iter()), false, true, false)
            .unwrap()
            .reduce(&done);
        assert!(any.is_empty());
    }

    #[test]
    fn neither_success_nor_failure_is_refused() {
        assert!(Dependency::new(ids(0..1), true, false, false).is_err());
    }

    #[test]
    fn json_list_string_and_dict_forms_parse() {
        let list = Dependency::from_json(&json!(["b", "a", "b"]), "after").unwrap();
        assert_eq!(list.ids(), &["a".to_string(), "b".to_string()]);
        assert!(list.all() && list.success() && !list.failure());

        let one = Dependency::from_json(&json!("a"), "after").unwrap();
        assert_eq!(one.ids(), &["a".to_string()]);

        let dict = Dependency::from_json(
            &json!({"dependencies": ["x"], "all": false, "success": false, "failure": true}),
            "follow",
        )
        .unwrap();
        assert_eq!(dict.ids(), &["x".to_string()]);
        assert!(!dict.all() && !dict.success() && dict.failure());

        let defaults = Dependency::from_json(&json!({"dependencies": "x"}), "follow").unwrap();
        assert!(defaults.all() && defaults.success() && !defaults.failure());

        assert!(Dependency::from_json(&json!(null), "after")
            .unwrap()
            .is_empty());
        assert!(Dependency::from_json(&json!({}), "after")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn malformed_json_dependencies_are_errors() {
        for bad in [
            json!(5),
            json!(true),
            json!([1, 2]),
            json!(["a", null]),
            json!({"dependencies": 3}),
            json!({"dependencies": ["a"], "all": "yes"}),
            json!({"dependencies": ["a"], "success": false, "failure": false}),
        ] {
            assert!(
                Dependency::from_json(&bad, "after").is_err(),
                "accepted {bad}"
            );
        }
    }
}
