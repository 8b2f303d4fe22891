//! The answers: how an execution ended, and the replies of the kernel's helper requests.

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::event::{ErrorInfo, MimeBundle};

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyStatus {
    /// The code ran to the end.
    Ok,
    /// The code raised, or the worker died while running it.
    Error,
    /// The code did not run to an end of its own: the worker was shut down or restarted.
    Aborted,
}

/// The end of an execution, as Jupyter's `execute_reply` carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteReply {
    /// How it ended.
    pub status: ReplyStatus,
    /// The count of the last stored execution (this one, unless silent): IPython's
    /// `execution_count - 1` after the run, which is what `execute_reply` reports.
    pub execution_count: u32,
    /// The exception, when `status` is `Error`.
    pub error: Option<ErrorInfo>,
    /// The values of the request's `user_expressions`, by name (each a Jupyter
    /// `{status, data, metadata}` or error dict).
    pub user_expressions: Map<String, Value>,
    /// IPython payloads (`page` for `obj?`, `ask_exit` for `exit`, `set_next_input`).
    pub payload: Vec<Value>,
    /// True when the Python child died during this execution and was replaced: the
    /// namespace is new and counting starts again.
    pub worker_restarted: bool,
}

/// The end of an apply, as an engine's `apply_reply` carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyReply {
    /// How it ended.
    pub status: ReplyStatus,
    /// The exception, when `status` is `Error` (the function raised, the payload could not
    /// be unpacked, or `ipyparallel` is not importable).
    pub error: Option<ErrorInfo>,
    /// `ipyparallel.serialize.serialize_object(result)`: the pickled result and any large
    /// buffers taken out of it, as the engine sends them back. Empty unless `Ok`.
    pub buffers: Vec<Bytes>,
    /// True when the Python child died during this call and was replaced.
    pub worker_restarted: bool,
}

/// Whether a cell is ready to run, as Jupyter's `is_complete_reply` says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsComplete {
    /// Run it.
    Complete,
    /// Wait for more lines; the next one should start with `indent`.
    Incomplete {
        /// Suggested indentation of the next line.
        indent: String,
    },
    /// It will never compile: run it to show the error.
    Invalid,
    /// The shell could not tell.
    Unknown,
}

/// Completions at a cursor position, as Jupyter's `complete_reply` carries them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Completion {
    /// Candidate texts that replace `cursor_start..cursor_end`.
    pub matches: Vec<String>,
    /// Start of the replaced range, in Unicode code points from the start of the code.
    pub cursor_start: usize,
    /// End of the replaced range, in code points.
    pub cursor_end: usize,
    /// Extra data (IPython's experimental typed completions go here).
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// Help for the name at a cursor position, as Jupyter's `inspect_reply` carries it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Inspection {
    /// Whether a name was found there.
    pub found: bool,
    /// The help text (`text/plain`, with ANSI colours from IPython).
    #[serde(default)]
    pub data: MimeBundle,
    /// Metadata for `data`.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

// The Jupyter reply contents, built here because both the kernel and the engine answer
// these requests from the same worker answers.

impl IsComplete {
    /// The `is_complete_reply` content (its `status` is the verdict itself).
    pub fn reply_content(&self) -> Value {
        match self {
            IsComplete::Complete => json!({"status": "complete"}),
            IsComplete::Incomplete { indent } => json!({"status": "incomplete", "indent": indent}),
            IsComplete::Invalid => json!({"status": "invalid"}),
            IsComplete::Unknown => json!({"status": "unknown"}),
        }
    }
}

impl Completion {
    /// No candidates: what a frontend is told when the Python cannot be asked.
    pub fn nothing_at(cursor_pos: usize) -> Completion {
        Completion {
            matches: Vec::new(),
            cursor_start: cursor_pos,
            cursor_end: cursor_pos,
            metadata: Map::new(),
        }
    }

    /// The `complete_reply` content.
    pub fn reply_content(&self) -> Value {
        json!({
            "status": "ok",
            "matches": self.matches,
            "cursor_start": self.cursor_start,
            "cursor_end": self.cursor_end,
            "metadata": self.metadata,
        })
    }
}

impl Inspection {
    /// Nothing found: what a frontend is told when the Python cannot be asked.
    pub fn not_found() -> Inspection {
        Inspection {
            found: false,
            data: MimeBundle::default(),
            metadata: Map::new(),
        }
    }

    /// The `inspect_reply` content.
    pub fn reply_content(&self) -> Value {
        json!({
            "status": "ok",
            "found": self.found,
            "data": self.data,
            "metadata": self.metadata,
        })
    }
}
