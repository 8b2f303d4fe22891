//! `Publisher`: how a backend sends outputs of the request it serves.

use std::sync::Arc;

use bytes::Bytes;
use px_wire::{Header, Message, MsgType, Session};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::stdin::{InputAsk, InputError};

/// Publishes IOPub messages parented to one request, and asks the frontend for input on its
/// behalf. Cheap to clone; a backend may hand clones to tasks that stream output.
#[derive(Clone)]
pub struct Publisher {
    pub(crate) session: Arc<Session>,
    pub(crate) iopub: mpsc::UnboundedSender<Message>,
    pub(crate) stdin: mpsc::UnboundedSender<InputAsk>,
    pub(crate) parent: Header,
    /// Routing frames of the shell request: input requests go to the same frontend.
    pub(crate) idents: Vec<Bytes>,
    pub(crate) allow_stdin: bool,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("parent", &self.parent.msg_id)
            .finish()
    }
}

impl Publisher {
    /// The header of the request being served.
    pub fn parent(&self) -> &Header {
        &self.parent
    }

    /// Publishes any IOPub message with this request as parent.
    pub fn send(&self, msg_type: MsgType, content: Value, metadata: Map<String, Value>) {
        let msg = self
            .session
            .msg(msg_type, content)
            .with_parent(&self.parent)
            .with_metadata(metadata);
        // The writer only goes away at shutdown, when outputs no longer matter.
        let _ = self.iopub.send(msg);
    }

    /// `stream` on `stdout` or `stderr`.
    pub fn stream(&self, name: &str, text: &str) {
        self.send(
            MsgType::Stream,
            json!({"name": name, "text": text}),
            Map::new(),
        );
    }

    /// `display_data` with a MIME bundle; `transient` carries a `display_id` for updates.
    pub fn display_data(&self, data: Value, metadata: Value, transient: Option<Value>) {
        let mut content = json!({"data": data, "metadata": metadata});
        if let Some(t) = transient {
            content["transient"] = t;
        }
        self.send(MsgType::DisplayData, content, Map::new());
    }

    /// `update_display_data` for an earlier display with `transient.display_id`.
    pub fn update_display_data(&self, data: Value, metadata: Value, transient: Value) {
        self.send(
            MsgType::UpdateDisplayData,
            json!({"data": data, "metadata": metadata, "transient": transient}),
            Map::new(),
        );
    }

    /// `execute_result` for the cell's value.
    pub fn execute_result(&self, execution_count: u64, data: Value, metadata: Value) {
        self.send(
            MsgType::ExecuteResult,
            json!({"execution_count": execution_count, "data": data, "metadata": metadata}),
            Map::new(),
        );
    }

    /// `error` output.
    pub fn error(&self, ename: &str, evalue: &str, traceback: &[String]) {
        self.send(
            MsgType::Error,
            json!({"ename": ename, "evalue": evalue, "traceback": traceback}),
            Map::new(),
        );
    }

    /// `clear_output`.
    pub fn clear_output(&self, wait: bool) {
        self.send(MsgType::ClearOutput, json!({"wait": wait}), Map::new());
    }

    /// Asks the frontend for a line of input (`input()` in user code).
    pub async fn input(&self, prompt: &str, password: bool) -> Result<String, InputError> {
        if !self.allow_stdin {
            return Err(InputError::NotAllowed);
        }
        let (tx, rx) = oneshot::channel();
        self.stdin
            .send(InputAsk {
                idents: self.idents.clone(),
                parent: self.parent.clone(),
                prompt: prompt.to_owned(),
                password,
                reply: tx,
            })
            .map_err(|_| InputError::Closed)?;
        rx.await.map_err(|_| InputError::Closed)
    }
}
