//! What running a cell tells the kernel: whether the cell was ours, how its
//! `execute_reply` should look, and which result objects `-o NAME` asked to keep.

use px_client::{ClientError, CompositeError};
use serde_json::{json, Value};

use super::result::PxResult;
use crate::error::MagicsError;
use crate::render::{render_error, render_usage_error, CellError, OutputSink};

/// The exception a failed cell reports: `ename`, `evalue` and `traceback` of the kernel's
/// `execute_reply` (`status: "error"`), and of the `error` message already shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// The exception class (`CompositeError`, `UsageError`, `SyntaxError`, …).
    pub ename: String,
    /// Its `str()`.
    pub evalue: String,
    /// The traceback lines (empty for a UsageError, as IPython sends it).
    pub traceback: Vec<String>,
}

impl ErrorReply {
    /// An error whose whole traceback is the line `Ename: evalue`: how local failures of
    /// the magics (bad targets, no cluster, a result not ready) are shown. Stock shows a
    /// local Python traceback there, through the magics' own source, which helps nobody.
    pub fn one_line(ename: impl Into<String>, evalue: impl Into<String>) -> Self {
        let (ename, evalue) = (ename.into(), evalue.into());
        ErrorReply {
            traceback: vec![format!("{ename}: {evalue}")],
            ename,
            evalue,
        }
    }

    /// The reply fields as JSON: `{"ename", "evalue", "traceback"}`.
    pub fn content(&self) -> Value {
        json!({"ename": self.ename, "evalue": self.evalue, "traceback": self.traceback})
    }

    pub(crate) fn from_content(content: &Value) -> Self {
        let text = |k: &str| {
            content
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let traceback = content
            .get("traceback")
            .and_then(Value::as_array)
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        ErrorReply {
            ename: text("ename"),
            evalue: text("evalue"),
            traceback,
        }
    }
}

/// A result object that `%%px -o NAME` or `%pxresult -o NAME` stores in the local
/// namespace. The kernel decides what to bind `NAME` to (its local namespace is Python);
/// [`PxResult`] gives what it needs: the state for the repr, the per-engine results.
#[derive(Debug, Clone)]
pub struct StoredResult {
    /// The local name.
    pub name: String,
    /// The submission.
    pub result: PxResult,
}

/// How a cell went, for the kernel's reply. Whatever the cell showed has already been
/// sent to the sink, errors included.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Not a parallel magic (and autopx is off): the kernel runs the cell locally.
    NotMagic,
    /// The magic ran: reply `status: "ok"`. Errors inside `%autopx` end here too (stock
    /// shows them but replies ok).
    Ok {
        /// A result to bind locally (`-o NAME`).
        stored: Option<StoredResult>,
    },
    /// The magic failed: reply `status: "error"` with these fields.
    Error {
        /// The exception, already shown.
        error: ErrorReply,
        /// A result to bind locally: `-o` stores before waiting, so even a failed cell
        /// may have one.
        stored: Option<StoredResult>,
    },
}

impl Outcome {
    /// Whether the cell was one of the magics (or went to the engines through autopx).
    pub fn is_magic(&self) -> bool {
        !matches!(self, Outcome::NotMagic)
    }

    /// The result `-o NAME` asked to store, if any.
    pub fn stored(&self) -> Option<&StoredResult> {
        match self {
            Outcome::NotMagic => None,
            Outcome::Ok { stored } | Outcome::Error { stored, .. } => stored.as_ref(),
        }
    }

    /// The reply's error fields, if the cell failed.
    pub fn error(&self) -> Option<&ErrorReply> {
        match self {
            Outcome::Error { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why a cell failed, before it is shown.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A magic's own failure (flags, targets, client, connection).
    Magics(MagicsError),
    /// The engines' errors, as `%px` raises them.
    Cell(CellError),
    /// An exception already formatted (a local SyntaxError, `result not ready`).
    Local(ErrorReply),
}

impl From<MagicsError> for Failure {
    fn from(e: MagicsError) -> Self {
        Failure::Magics(e)
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Magics(e.into())
    }
}

impl Failure {
    /// `TimeoutError: result not ready`: the grouped display after an interrupt found
    /// requests still without reply (stock quirk 12).
    pub(crate) fn not_ready() -> Self {
        Failure::Local(ErrorReply::one_line("TimeoutError", "result not ready"))
    }

    /// A wait for results ended by an interrupt outside the blocking sequence.
    pub(crate) fn keyboard_interrupt() -> Self {
        Failure::Local(ErrorReply::one_line("KeyboardInterrupt", ""))
    }
}

/// The error a finished submission raises: a composite error named after `%px`, or, for
/// an int target, the engine's own error; the short `N errors` when streaming has shown
/// every traceback already.
///
/// An int target raises its engine's error even when streaming showed it (stock shows it
/// twice): only composite errors are abbreviated.
pub(crate) fn engines_failed(composite: CompositeError, single: bool, shown: bool) -> CellError {
    match (single, composite.errors.as_slice()) {
        (true, [one]) => CellError::Remote(one.clone()),
        _ if shown => CellError::AlreadyDisplayed((&composite).into()),
        _ => CellError::Composite(CompositeError::new("%px", composite.errors)),
    }
}

/// Turns a client failure of a finished submission into what `%px` raises.
pub(crate) fn client_failure(e: ClientError, single: bool, shown: bool) -> Failure {
    match e {
        ClientError::Composite(c) => Failure::Cell(engines_failed(c, single, shown)),
        ClientError::Remote(r) => Failure::Cell(engines_failed(
            CompositeError::new("%px", vec![*r]),
            single,
            shown,
        )),
        other => Failure::Magics(other.into()),
    }
}

/// Shows `failure` on the sink as stock shows it and returns the reply's fields.
pub(crate) fn report(sink: &mut dyn OutputSink, failure: &Failure) -> ErrorReply {
    match failure {
        Failure::Magics(MagicsError::Usage(e)) => {
            render_usage_error(sink, e);
            ErrorReply {
                ename: "UsageError".into(),
                evalue: e.0.clone(),
                traceback: Vec::new(),
            }
        }
        Failure::Magics(e) => {
            let reply = ErrorReply::one_line(e.python_ename(), e.python_evalue());
            sink.error(&reply.ename, &reply.evalue, &reply.traceback);
            reply
        }
        Failure::Cell(e) => {
            render_error(sink, e);
            ErrorReply::from_content(&e.content())
        }
        Failure::Local(reply) => {
            sink.error(&reply.ename, &reply.evalue, &reply.traceback);
            reply.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::CaptureSink;
    use px_client::RemoteError;

    fn remote(id: i64) -> RemoteError {
        RemoteError {
            engine_id: Some(id),
            engine_uuid: None,
            method: Some("execute".into()),
            ename: "ZeroDivisionError".into(),
            evalue: "division by zero".into(),
            traceback: vec!["tb".into()],
        }
    }

    #[test]
    fn an_int_target_raises_the_engine_error_and_lists_raise_a_composite() {
        let c = CompositeError::new("execute", vec![remote(1)]);
        for shown in [false, true] {
            assert!(matches!(
                engines_failed(c.clone(), true, shown),
                CellError::Remote(_)
            ));
        }
        let CellError::Composite(composite) = engines_failed(c.clone(), false, false) else {
            panic!("a composite error");
        };
        assert_eq!(composite.raised_in, "%px");
        let CellError::AlreadyDisplayed(short) = engines_failed(c, false, true) else {
            panic!("the short error");
        };
        assert_eq!(short.to_string(), "1 errors");
    }

    #[test]
    fn bad_targets_read_as_stock_python_errors() {
        let err = "foo".parse::<px_client::Targets>().unwrap_err();
        let mut sink = CaptureSink::new();
        let reply = report(&mut sink, &Failure::Magics(err.into()));
        assert_eq!(reply.ename, "NameError");
        assert_eq!(reply.evalue, "name 'foo' is not defined");
        let err = px_client::Targets::One(99).resolve(&[0, 1]).unwrap_err();
        let reply = report(&mut sink, &Failure::Magics(err.into()));
        assert_eq!(
            (reply.ename.as_str(), reply.evalue.as_str()),
            ("IndexError", "No such engine: 99")
        );
    }

    #[test]
    fn usage_errors_show_one_stderr_line_and_reply_without_traceback() {
        let mut sink = CaptureSink::new();
        let reply = report(
            &mut sink,
            &Failure::Magics(crate::error::UsageError("bad".into()).into()),
        );
        assert_eq!(reply.ename, "UsageError");
        assert!(reply.traceback.is_empty());
        let messages = sink.finish();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0]["content"]["text"], "UsageError: bad\n");
    }
}
