//! What a load-balanced request asks of the scheduler, read from its `metadata`.

use std::time::Duration;

use serde_json::{Map, Value};

use super::dependency::Dependency;
use crate::ids::EngineUuid;

/// A request or configuration the task scheduler cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// A metadata field has the wrong shape. Stock drops such a request (it logs the error
    /// and never replies); the IO layer decides what to do with it.
    #[error("task metadata `{field}`: {problem}")]
    Metadata {
        /// The metadata key.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// A `--scheme` value this scheduler does not implement.
    #[error(
        "unknown task scheme {0:?}: expected one of leastload, lru, plainrandom, twobin, weighted"
    )]
    UnknownScheme(String),
}

impl TaskError {
    pub(crate) fn metadata(field: &'static str, problem: impl Into<String>) -> Self {
        TaskError::Metadata {
            field,
            problem: problem.into(),
        }
    }
}

/// The scheduling part of a task request's metadata (`after`, `follow`, `targets`,
/// `retries`, `timeout`); everything else in the request stays opaque to the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskMetadata {
    /// Time dependency: tasks that must have finished (anywhere) before this one starts.
    pub after: Dependency,
    /// Location dependency: this task runs where these tasks finished.
    pub follow: Dependency,
    /// The engines it may run on; empty means any.
    pub targets: Vec<EngineUuid>,
    /// How many more engines to try after a failed attempt.
    pub retries: u32,
    /// How long it may wait in the queue before failing with TaskTimeout; `None` waits
    /// forever. A task already running is never timed out.
    pub timeout: Option<Duration>,
}

impl TaskMetadata {
    /// Reads the request metadata as the stock `LoadBalancedView` writes it. Missing keys
    /// and `null` take the defaults; `timeout` of `0.0` means none, as stock treats any
    /// falsy timeout; a negative timeout expires at once, as it does in stock.
    pub fn from_json(metadata: &Map<String, Value>) -> Result<Self, TaskError> {
        let after = match metadata.get("after") {
            None => Dependency::default(),
            Some(value) => Dependency::from_json(value, "after")?,
        };
        let follow = match metadata.get("follow") {
            None => Dependency::default(),
            Some(value) => Dependency::from_json(value, "follow")?,
        };
        Ok(TaskMetadata {
            after,
            follow,
            targets: targets(metadata.get("targets"))?,
            retries: retries(metadata.get("retries"))?,
            timeout: timeout(metadata.get("timeout"))?,
        })
    }
}

fn targets(value: Option<&Value>) -> Result<Vec<EngineUuid>, TaskError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(uuid) => Ok(EngineUuid(uuid.clone())),
                other => Err(TaskError::metadata(
                    "targets",
                    format!("an engine uuid must be a string, not {other}"),
                )),
            })
            .collect(),
        Some(other) => Err(TaskError::metadata(
            "targets",
            format!("expected a list of engine uuids, not {other}"),
        )),
    }
}

fn retries(value: Option<&Value>) -> Result<u32, TaskError> {
    match value {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                // A negative count never retries, as in stock (`retries > 0` is false).
                Ok(u32::try_from(i.max(0)).unwrap_or(u32::MAX))
            } else if n.as_u64().is_some() {
                Ok(u32::MAX)
            } else {
                Err(TaskError::metadata(
                    "retries",
                    format!("expected an integer, not {n}"),
                ))
            }
        }
        Some(other) => Err(TaskError::metadata(
            "retries",
            format!("expected an integer, not {other}"),
        )),
    }
}

fn timeout(value: Option<&Value>) -> Result<Option<Duration>, TaskError> {
    let seconds = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(other) => {
            return Err(TaskError::metadata(
                "timeout",
                format!("expected a number of seconds, not {other}"),
            ))
        }
    };
    if seconds == 0.0 {
        return Ok(None);
    }
    if seconds < 0.0 {
        return Ok(Some(Duration::ZERO));
    }
    // Too large to represent is as good as no timeout at all.
    Ok(Duration::try_from_secs_f64(seconds).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<TaskMetadata, TaskError> {
        match value {
            Value::Object(map) => TaskMetadata::from_json(&map),
            _ => panic!("test metadata must be an object"),
        }
    }

    #[test]
    fn stock_load_balanced_view_defaults_parse_to_no_constraints() {
        let md = parse(json!({
            "after": [], "follow": [], "timeout": 0.0, "targets": [], "retries": 0, "label": null
        }))
        .unwrap();
        assert_eq!(md, TaskMetadata::default());
        assert_eq!(parse(json!({})).unwrap(), TaskMetadata::default());
    }

    #[test]
    fn every_field_is_read() {
        let md = parse(json!({
            "after": ["a"],
            "follow": {"dependencies": ["f"], "all": false, "success": true, "failure": true},
            "timeout": 1.5,
            "targets": ["u1", "u2"],
            "retries": 3,
        }))
        .unwrap();
        assert_eq!(md.after.ids(), &["a".to_string()]);
        assert_eq!(md.follow.ids(), &["f".to_string()]);
        assert!(!md.follow.all() && md.follow.failure());
        assert_eq!(md.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            md.targets,
            vec![EngineUuid("u1".into()), EngineUuid("u2".into())]
        );
        assert_eq!(md.retries, 3);
    }

    #[test]
    fn null_fields_take_defaults() {
        let md = parse(json!({
            "after": null, "follow": null, "timeout": null, "targets": null, "retries": null
        }))
        .unwrap();
        assert_eq!(md, TaskMetadata::default());
    }

    #[test]
    fn timeout_edge_values() {
        assert_eq!(parse(json!({"timeout": 0})).unwrap().timeout, None);
        assert_eq!(
            parse(json!({"timeout": 2})).unwrap().timeout,
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse(json!({"timeout": -1.0})).unwrap().timeout,
            Some(Duration::ZERO)
        );
        assert_eq!(parse(json!({"timeout": 1e300})).unwrap().timeout, None);
    }

    #[test]
    fn negative_retries_mean_none() {
        assert_eq!(parse(json!({"retries": -2})).unwrap().retries, 0);
    }

    #[test]
    fn malformed_fields_are_errors_naming_the_field() {
        let cases = [
            (json!({"targets": "u1"}), "targets"),
            (json!({"targets": [1]}), "targets"),
            (json!({"retries": 1.5}), "retries"),
            (json!({"retries": "2"}), "retries"),
            (json!({"timeout": "1"}), "timeout"),
            (json!({"timeout": true}), "timeout"),
            (json!({"after": 3}), "after"),
            (json!({"follow": [null]}), "follow"),
            (
                json!({"follow": {"dependencies": [], "success": false, "failure": false}}),
                "follow",
            ),
        ];
        for (md, field) in cases {
            match parse(md.clone()) {
                Err(TaskError::Metadata { field: got, .. }) => assert_eq!(got, field, "{md}"),
                other => panic!("{md} gave {other:?}"),
            }
        }
    }
}
