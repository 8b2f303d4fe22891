//! The kernel's real backend: parallel magics go to the engines through `px-magics`,
//! everything else runs in the local Python.

use std::sync::Arc;

use px_client::StreamName;
use px_cluster::ClusterFinder;
use px_magics::{parse_cell, InterruptHandle, Outcome, OutputSink, PxMagics};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::backend::{Backend, ExecuteOutcome, ExecuteRequest};
use crate::publisher::Publisher;
use crate::python::LocalPython;

/// Renders the magics' output as this request's IOPub messages.
struct KernelSink<'a> {
    out: &'a Publisher,
    execution_count: u64,
}

impl OutputSink for KernelSink<'_> {
    fn stream(&mut self, name: StreamName, text: &str) {
        let name = match name {
            StreamName::Stdout => "stdout",
            StreamName::Stderr => "stderr",
        };
        self.out.stream(name, text);
    }

    fn display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        let transient = transient
            .as_object()
            .is_some_and(|t| !t.is_empty())
            .then(|| transient.clone());
        self.out
            .display_data(data.clone(), metadata.clone(), transient);
    }

    fn update_display_data(&mut self, data: &Value, metadata: &Value, transient: &Value) {
        self.out
            .update_display_data(data.clone(), metadata.clone(), transient.clone());
    }

    fn execute_result(&mut self, data: &Value, metadata: &Value) {
        self.out
            .execute_result(self.execution_count, data.clone(), metadata.clone());
    }

    fn error(&mut self, ename: &str, evalue: &str, traceback: &[String]) {
        self.out.error(ename, evalue, traceback);
    }
}

/// Local Python plus the parallel magics.
pub struct ParallelBackend {
    local: Arc<LocalPython>,
    magics: Mutex<PxMagics>,
    interrupt: InterruptHandle,
    finder: Arc<Mutex<ClusterFinder>>,
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
        .with_color(true);
        let interrupt = magics.interrupt_handle();
        ParallelBackend {
            local,
            magics: Mutex::new(magics),
            interrupt,
            finder,
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
        crate::backend::python_language_info()
    }

    fn banner(&self) -> String {
        "Parallel (Rust): Python locally, %px / %%px / %autopx / %result on the engines".into()
    }

    async fn execute(&self, request: ExecuteRequest, out: Publisher) -> ExecuteOutcome {
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
        match magics.run(&request.code, &mut sink).await {
            Outcome::NotMagic => {
                drop(magics);
                self.local.execute(&request, &out).await
            }
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
        // A %px cell waiting on engines takes the interrupt; otherwise the local Python.
        if !self.interrupt.interrupt() {
            self.local.interrupt().await;
        }
    }

    async fn shutdown(&self) {
        self.local.shutdown().await;
        self.finder.lock().await.stop().await;
    }
}
