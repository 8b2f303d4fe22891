//! What to execute and how.

use std::collections::BTreeMap;

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
        }
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
