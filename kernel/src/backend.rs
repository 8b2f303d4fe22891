//! What the protocol server asks of whatever runs the code: the kernel's language side.
//!
//! The server owns sockets, message ordering (busy, outputs, reply, idle) and execution
//! counts; a backend only runs code and publishes outputs through the [`Publisher`] it is
//! handed, so the same server can front a local Python worker, the parallel magics, or a test
//! double.

use std::future::Future;

use serde_json::Value;

use crate::publisher::Publisher;

/// An `execute_request`, with what the server decided about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteRequest {
    /// The cell.
    pub code: String,
    /// Silent requests publish nothing and do not count.
    pub silent: bool,
    /// Whether the cell enters history (and counts).
    pub store_history: bool,
    /// Whether `input()` may ask the frontend.
    pub allow_stdin: bool,
    /// `user_expressions` as sent.
    pub user_expressions: Value,
    /// The execution count this cell runs as (already incremented when it counts).
    pub execution_count: u64,
}

/// How an execution ended. On error the backend has already published the `error` output
/// (its rendering is the backend's business: `%px` errors look different from local ones).
#[derive(Debug, Clone, PartialEq)]
pub enum ExecuteOutcome {
    /// The code ran.
    Ok {
        /// Evaluated `user_expressions`, as the reply carries them.
        user_expressions: Value,
    },
    /// The code raised.
    Error {
        /// Exception name.
        ename: String,
        /// Exception value.
        evalue: String,
        /// Traceback lines.
        traceback: Vec<String>,
    },
}

/// The language side of a kernel.
///
/// Methods take `&self` because control requests (interrupt) arrive while an execute runs.
pub trait Backend: Send + Sync + 'static {
    /// `language_info` for `kernel_info_reply`.
    fn language_info(&self) -> Value;

    /// The banner shown by consoles.
    fn banner(&self) -> String;

    /// Runs a cell, publishing its outputs through `out`.
    fn execute(
        &self,
        request: ExecuteRequest,
        out: Publisher,
    ) -> impl Future<Output = ExecuteOutcome> + Send;

    /// `is_complete_reply` content (`status`, and `indent` when incomplete).
    fn is_complete(&self, code: &str) -> impl Future<Output = Value> + Send;

    /// `complete_reply` content (`matches`, `cursor_start`, `cursor_end`, `metadata`).
    fn complete(&self, code: &str, cursor_pos: usize) -> impl Future<Output = Value> + Send;

    /// `inspect_reply` content (`found`, `data`, `metadata`).
    fn inspect(
        &self,
        code: &str,
        cursor_pos: usize,
        detail_level: u8,
    ) -> impl Future<Output = Value> + Send;

    /// Interrupts the running cell, if any.
    fn interrupt(&self) -> impl Future<Output = ()> + Send;

    /// Stops everything the backend started.
    fn shutdown(&self) -> impl Future<Output = ()> + Send;
}

/// `language_info` of a Python kernel, so notebooks get Python highlighting and `.py`
/// exports; `version` is the local Python's (`3.11.7`, as ipykernel reports it), or `3`
/// when it is not known.
pub fn python_language_info(version: Option<&str>) -> Value {
    serde_json::json!({
        "name": "python",
        "version": version.unwrap_or("3"),
        "mimetype": "text/x-python",
        "file_extension": ".py",
        "pygments_lexer": "ipython3",
        "codemirror_mode": {"name": "ipython", "version": 3},
        "nbconvert_exporter": "python",
    })
}
