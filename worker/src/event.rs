//! What an execution produces while it runs, in the order the code produced it.
//!
//! The names and fields follow the Jupyter messages they become (`stream`, `display_data`,
//! `update_display_data`, `clear_output`, `execute_result`, `error`, `input_request`), so
//! the kernel and the engine forward them with no translation beyond the envelope.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A MIME bundle: MIME type → data (`text/plain` is a string, `image/png` base64, …).
pub type MimeBundle = Map<String, Value>;

/// Which captured file descriptor a [`Event::Stream`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamName {
    /// File descriptor 1 (`print`, `os.system('echo')`, C `printf`).
    Stdout,
    /// File descriptor 2.
    Stderr,
}

impl StreamName {
    /// The Jupyter spelling, `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamName::Stdout => "stdout",
            StreamName::Stderr => "stderr",
        }
    }
}

/// A rich output: what `display()` sent, or the new content of an updated display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisplayData {
    /// The representations of the object.
    #[serde(default)]
    pub data: MimeBundle,
    /// Per-MIME metadata (image sizes, `isolated`, …).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Data not to be saved with the notebook; holds `display_id` for updatable displays.
    #[serde(default)]
    pub transient: Map<String, Value>,
}

impl DisplayData {
    /// The `display_id` this output can later be updated through, if any.
    pub fn display_id(&self) -> Option<&str> {
        self.transient.get("display_id").and_then(Value::as_str)
    }
}

/// An exception that ended the code, as Jupyter's `error` message carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The exception's class name (`ZeroDivisionError`).
    pub ename: String,
    /// `str()` of the exception.
    pub evalue: String,
    /// The traceback, one entry per frame or line, with ANSI colours when IPython made it.
    #[serde(default)]
    pub traceback: Vec<String>,
}

/// One thing an execution produced, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Text written to file descriptor 1 or 2, by Python or by anything the code ran.
    Stream {
        /// Which descriptor.
        name: StreamName,
        /// The text, decoded as UTF-8 (invalid bytes become U+FFFD).
        text: String,
    },
    /// `display(obj)`.
    DisplayData(DisplayData),
    /// `display(obj, display_id=…, update=True)` / `handle.update(obj)`.
    UpdateDisplayData(DisplayData),
    /// `clear_output(wait)`.
    ClearOutput {
        /// Clear only when the next output arrives (avoids flicker in loops).
        wait: bool,
    },
    /// The value of the cell's last expression.
    ExecuteResult {
        /// The prompt number (`Out[n]`).
        execution_count: u32,
        /// The representations of the value.
        data: MimeBundle,
        /// Per-MIME metadata.
        metadata: Map<String, Value>,
    },
    /// The code raised (or the worker died: `ename` is then `WorkerDied`).
    Error(ErrorInfo),
    /// The code called `input()` or `getpass()`; answer with
    /// [`Execution::answer_input`](crate::Execution::answer_input).
    InputRequest {
        /// The prompt passed to `input()`.
        prompt: String,
        /// True for `getpass()`: the frontend should not echo.
        password: bool,
    },
    /// `ipyparallel.datapub.publish_data(dict)`: the dict, serialized by
    /// `ipyparallel.serialize`, which an engine publishes as `data_message`.
    Data {
        /// The dict's keys.
        keys: Vec<String>,
        /// `serialize_object(dict)`.
        buffers: Vec<Bytes>,
    },
    /// The code asked its host for something only the host has (the kernel's results of
    /// earlier `%px` cells, for example); answer with
    /// [`Execution::answer_host`](crate::Execution::answer_host). The code waits until then.
    HostCall {
        /// What is asked for; the host decides which names it serves.
        name: String,
        /// The call's arguments, as the Python side sent them.
        args: Value,
    },
}
