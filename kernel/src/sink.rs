//! The magics' output sink for a kernel request: everything they show becomes this
//! request's IOPub messages.

use px_client::StreamName;
use px_magics::OutputSink;
use serde_json::Value;

use crate::publisher::Publisher;

/// Renders the magics' output as this request's IOPub messages.
pub(crate) struct KernelSink<'a> {
    pub out: &'a Publisher,
    pub execution_count: u64,
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
