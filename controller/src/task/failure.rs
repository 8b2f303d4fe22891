//! The errors the scheduler answers a client with itself, and their texts as a stock client
//! expects to print them.

use std::fmt::Write as _;
use std::time::Duration;

use px_wire::python_str_repr;
use serde_json::Value;

use crate::ids::{EngineUuid, MsgId};

/// Which of a task's two dependencies a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    /// The time dependency, `after`.
    After,
    /// The location dependency, `follow`.
    Follow,
}

/// Why a dependency is not valid at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidReason {
    /// The task depends on itself.
    OwnId,
    /// The id was never submitted to this scheduler (direct-view msg_ids do not count).
    NeverSubmitted(MsgId),
}

/// Why a task can never run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpossibleReason {
    /// A dependency finished in a way the task does not accept.
    Unreachable(DependencyKind),
    /// `follow` (with `all`) needs tasks that finished on more than one engine.
    FollowAcrossEngines,
    /// None of the `targets` is a live engine the task has not been refused by.
    NoTargetLeft,
}

/// Why the scheduler answered a task itself instead of forwarding an engine's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A dependency names the task itself or a msg_id never submitted here.
    InvalidDependency {
        /// `after` or `follow`.
        dependency: DependencyKind,
        /// What is wrong.
        reason: InvalidReason,
    },
    /// The task can never run.
    ImpossibleDependency {
        /// What rules it out.
        reason: ImpossibleReason,
    },
    /// The task waited in the queue longer than its `timeout`.
    TaskTimeout {
        /// The timeout it asked for.
        timeout: Duration,
    },
    /// The engine running the task unregistered and no reply came within the grace period.
    /// Stock sends this one with the engine's prefix frame and the metadata
    /// `{status: "error", engine: uuid, date}`, as if the engine had replied.
    EngineDied {
        /// The engine that died.
        engine: EngineUuid,
        /// The task it was running.
        msg_id: MsgId,
    },
}

impl Failure {
    /// The exception class name the client raises (`content.ename`).
    pub fn ename(&self) -> &'static str {
        match self {
            Failure::InvalidDependency { .. } => "InvalidDependency",
            Failure::ImpossibleDependency { .. } => "ImpossibleDependency",
            Failure::TaskTimeout { .. } => "TaskTimeout",
            Failure::EngineDied { .. } => "EngineError",
        }
    }

    /// The exception message (`content.evalue`). Stock raises the dependency and timeout
    /// errors without a message; only the engine-death error has one, naming the engine as
    /// Python prints bytes and the task as it prints a str.
    pub fn evalue(&self) -> String {
        match self {
            Failure::EngineDied { engine, msg_id } => format!(
                "Engine {} died while running task {}",
                py_bytes_repr(engine.as_str().as_bytes()),
                python_str_repr(msg_id)
            ),
            _ => String::new(),
        }
    }

    /// The traceback lines (`content.traceback`), shaped as Python's
    /// `traceback.format_exception` shapes a controller-side error: the header, the frame
    /// that raised it, and `module.Class[: message]`.
    pub fn traceback(&self) -> Vec<String> {
        let raised_in = match self {
            Failure::EngineDied { .. } => "handle_stranded_tasks",
            _ => "fail_unreachable",
        };
        let evalue = self.evalue();
        let last = if evalue.is_empty() {
            format!("ipyparallel.error.{}\n", self.ename())
        } else {
            format!("ipyparallel.error.{}: {evalue}\n", self.ename())
        };
        vec![
            "Traceback (most recent call last):\n".to_owned(),
            format!("  File \"<pxcontroller>\", line 1, in {raised_in}\n"),
            last,
        ]
    }

    /// The reply content (§3.6) for an `apply_reply`: an error with an empty `engine_info`,
    /// which tells the client no engine output will follow.
    pub fn error_content(&self) -> Value {
        crate::errors::error_content(self.ename(), &self.evalue(), self.traceback())
    }
}

/// Python's `repr()` of bytes: `b'...'`, printable ASCII as is, the rest as `\xNN`.
pub(crate) fn py_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b == quote => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn impossible() -> Failure {
        Failure::ImpossibleDependency {
            reason: ImpossibleReason::NoTargetLeft,
        }
    }

    #[test]
    fn dependency_and_timeout_failures_have_stock_names_and_empty_values() {
        let cases = [
            (
                Failure::InvalidDependency {
                    dependency: DependencyKind::After,
                    reason: InvalidReason::OwnId,
                },
                "InvalidDependency",
            ),
            (impossible(), "ImpossibleDependency"),
            (
                Failure::TaskTimeout {
                    timeout: Duration::from_secs(1),
                },
                "TaskTimeout",
            ),
        ];
        for (failure, name) in cases {
            assert_eq!(failure.ename(), name);
            assert_eq!(failure.evalue(), "");
            let tb = failure.traceback();
            assert_eq!(tb[0], "Traceback (most recent call last):\n");
            assert_eq!(
                tb[1],
                "  File \"<pxcontroller>\", line 1, in fail_unreachable\n"
            );
            assert_eq!(tb[2], format!("ipyparallel.error.{name}\n"));
        }
    }

    #[test]
    fn engine_death_names_the_engine_as_bytes_and_the_task_as_str() {
        let failure = Failure::EngineDied {
            engine: EngineUuid("8d84289d-aa".into()),
            msg_id: "abc_1".into(),
        };
        assert_eq!(failure.ename(), "EngineError");
        assert_eq!(
            failure.evalue(),
            "Engine b'8d84289d-aa' died while running task 'abc_1'"
        );
        assert_eq!(
            failure.traceback().last().unwrap(),
            "ipyparallel.error.EngineError: Engine b'8d84289d-aa' died while running task 'abc_1'\n"
        );
    }

    #[test]
    fn error_content_has_an_empty_engine_info() {
        let content = impossible().error_content();
        assert_eq!(content["status"], "error");
        assert_eq!(content["ename"], "ImpossibleDependency");
        assert_eq!(content["evalue"], "");
        assert_eq!(content["engine_info"], json!({}));
        assert_eq!(content["traceback"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn python_reprs_pick_quotes_and_escape_as_python_does() {
        assert_eq!(python_str_repr("plain"), "'plain'");
        assert_eq!(python_str_repr("it's"), "\"it's\"");
        assert_eq!(python_str_repr("both ' and \""), "'both \\' and \"'");
        assert_eq!(python_str_repr("a\\b\n\u{1}"), "'a\\\\b\\n\\x01'");
        assert_eq!(python_str_repr("é"), "'é'");
        assert_eq!(py_bytes_repr(b"ab"), "b'ab'");
        assert_eq!(py_bytes_repr("é'".as_bytes()), "b\"\\xc3\\xa9'\"");
    }
}
