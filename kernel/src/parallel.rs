//! The kernel's real backend: parallel magics go to the engines through `px-magics`,
//! everything else runs in the local Python.

use std::sync::Arc;

use px_cluster::ClusterFinder;
use px_magics::{parse_cell, BoundResults, InterruptHandle, Outcome, PxMagics};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::backend::{Backend, ExecuteOutcome, ExecuteRequest};
use crate::publisher::Publisher;
use crate::python::LocalPython;
use crate::sink::KernelSink;

/// `Out[N:k]: ` is red, as in IPython's default colour scheme.
const COLOR: bool = true;

/// Local Python plus the parallel magics.
pub struct ParallelBackend {
    local: Arc<LocalPython>,
    magics: Mutex<PxMagics>,
    interrupt: InterruptHandle,
    finder: Arc<Mutex<ClusterFinder>>,
    /// Results bound by `-o NAME`, which the local Python's handles ask about.
    bound: BoundResults,
}

impl ParallelBackend {
    /// A backend running local cells in `local` and finding clusters with `finder`.
    pub fn new(local: LocalPython, finder: ClusterFinder) -> Self {
        let local = Arc::new(local);
        let finder = Arc::new(Mutex::new(finder));
        let connector_finder = finder.clone();
        let magics = PxMagics::new(move || {
            let finder = connector_finder.clone();
            async move { finder.lock().await.connect().await.map(|f| f.client) }
        })
        .with_local_executor(local.shared())
        .with_color(COLOR);
        let interrupt = magics.interrupt_handle();
        ParallelBackend {
            local,
            magics: Mutex::new(magics),
            interrupt,
            finder,
            bound: BoundResults::default(),
        }
    }

    /// Connects before a magic's first use, so the one-line notice of a started cluster
    /// comes before the magic's own output.
    async fn ensure_client(&self, magics: &mut PxMagics, out: &Publisher) {
        if magics.client().is_some() {
            return;
        }
        if let Ok(found) = self.finder.lock().await.connect().await {
            if let Some(notice) = found.notice {
                out.stream("stdout", &notice);
            }
            magics.set_client(found.client);
        }
        // On failure the magics ask the connector again and show its error.
    }
}

impl Backend for ParallelBackend {
    fn language_info(&self) -> Value {
        crate::backend::python_language_info(self.local.python_version().as_deref())
    }

    fn banner(&self) -> String {
        "Parallel (Rust): Python locally, %px / %%px / %autopx / %result on the engines".into()
    }

    async fn execute(&self, request: ExecuteRequest, out: Publisher) -> ExecuteOutcome {
        self.local.begin_cell(request.execution_count);
        let mut magics = self.magics.lock().await;
        let suffixes: Vec<String> = magics.suffixes().iter().map(|s| s.to_string()).collect();
        let suffix_refs: Vec<&str> = suffixes.iter().map(String::as_str).collect();
        let is_magic =
            magics.autopx().is_some() || parse_cell(&request.code, &suffix_refs).is_some();
        if is_magic {
            self.ensure_client(&mut magics, &out).await;
        }
        let mut sink = KernelSink {
            out: &out,
            execution_count: request.execution_count,
        };
        let outcome = magics.run(&request.code, &mut sink).await;
        drop(magics);
        if let Some(stored) = outcome.stored() {
            self.local.run_hidden(&self.bound.bind(stored)).await;
        }
        match outcome {
            Outcome::NotMagic => self.local.execute(&request, &out, Some(&self.bound)).await,
            Outcome::Ok { .. } => ExecuteOutcome::Ok {
                user_expressions: serde_json::json!({}),
            },
            Outcome::Error { error, .. } => ExecuteOutcome::Error {
                ename: error.ename,
                evalue: error.evalue,
                traceback: error.traceback,
            },
        }
    }

    async fn is_complete(&self, code: &str) -> Value {
        // Cell magics take the whole cell, whatever Python would make of it.
        if code.trim_start().starts_with("%%") {
            return serde_json::json!({"status": "complete"});
        }
        self.local.is_complete(code).await
    }

    async fn complete(&self, code: &str, cursor_pos: usize) -> Value {
        self.local.complete(code, cursor_pos).await
    }

    async fn inspect(&self, code: &str, cursor_pos: usize, detail_level: u8) -> Value {
        self.local.inspect(code, cursor_pos, detail_level).await
    }

    async fn interrupt(&self) {
        // A %px cell waiting on engines takes the interrupt; otherwise the local Python,
        // and a result handle of its waiting for engines.
        if !self.interrupt.interrupt() {
            self.bound.interrupt_waits();
            self.local.interrupt().await;
        }
    }

    async fn shutdown(&self) {
        self.local.shutdown().await;
        self.finder.lock().await.stop().await;
    }
}
