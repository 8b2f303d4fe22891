//! What to execute and how.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Serialize;

/// One cell to run, with Jupyter's `execute_request` options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecuteRequest {
    /// The source.
    pub code: String,
    /// Run quietly: no `execute_result`, no history, the execution count does not move.
    pub silent: bool,
    /// Count this cell and keep it in `In`/`Out`; ignored (false) when `silent`.
    pub store_history: bool,
    /// Whether `input()` may ask the caller; if false it raises `StdinNotImplementedError`.
    pub allow_stdin: bool,
    /// Expressions evaluated after a successful run, returned in the reply by name.
    pub user_expressions: BTreeMap<String, String>,
    /// The number this cell runs as (`In[n]`, `Cell In[n]` in tracebacks), for a caller
    /// that counts cells itself: a kernel counts cells that never reach this Python. The
    /// shell's own count otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_count: Option<u64>,
    /// Only the front half of running a cell: input transformation, history and count,
    /// and the syntax check, whose error is reported as running the cell would; the code
    /// itself does not run (what `%autopx` does before sending a cell to the engines).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub syntax_only: bool,
}

impl ExecuteRequest {
    /// A normal cell: counted, stored in history, no stdin.
    pub fn new(code: impl Into<String>) -> Self {
        ExecuteRequest {
            code: code.into(),
            silent: false,
            store_history: true,
            allow_stdin: false,
            user_expressions: BTreeMap::new(),
            execution_count: None,
            syntax_only: false,
        }
    }

    /// The same request, run as cell number `n`.
    pub fn execution_count(mut self, n: u64) -> Self {
        self.execution_count = Some(n);
        self
    }

    /// The same request, only checked (see [`ExecuteRequest::syntax_only`]).
    pub fn syntax_only(mut self, only: bool) -> Self {
        self.syntax_only = only;
        self
    }

    /// The same request, silent or not.
    pub fn silent(mut self, silent: bool) -> Self {
        self.silent = silent;
        self
    }

    /// The same request, stored in history or not.
    pub fn store_history(mut self, store: bool) -> Self {
        self.store_history = store;
        self
    }

    /// The same request, with `input()` allowed or not.
    pub fn allow_stdin(mut self, allow: bool) -> Self {
        self.allow_stdin = allow;
        self
    }
}

/// A function call sent by an ipyparallel client (`apply_request`): the buffers of
/// `ipyparallel.serialize.pack_apply_message(f, args, kwargs)`, opaque here.
///
/// The Python side unpacks them with `ipyparallel.serialize` in the user namespace, calls
/// the function there and serializes the result the same way, so it needs ipyparallel
/// importable in the worker's Python (a clear error says so otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplyRequest {
    /// The packed function, arguments and keyword arguments, in order.
    pub buffers: Vec<Bytes>,
}

impl ApplyRequest {
    /// A call from the buffers of an `apply_request`.
    pub fn new(buffers: Vec<Bytes>) -> Self {
        ApplyRequest { buffers }
    }
}
