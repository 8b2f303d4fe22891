//! Runs Python code in a supervised CPython child process, for the kernel's local cells and
//! for engines.
//!
//! - [`Worker`] starts `python3` (or [`WorkerConfig::python`]) with a small bundled module,
//!   serves one request at a time, interrupts with SIGINT, and restarts Python by itself
//!   when it crashes. Dropping it kills the child and its subprocesses.
//! - [`Worker::execute`] returns an [`Execution`]: the [`Event`]s the code produces while it
//!   runs (stdout/stderr captured at the file-descriptor level, displays, the result, the
//!   error, input requests), then an [`ExecuteReply`] with IPython's execution count.
//! - [`Worker::apply`] runs a function sent by an ipyparallel client (`apply_request`):
//!   the packed buffers go to Python as raw bytes, are unpacked with
//!   `ipyparallel.serialize` in the user namespace, and the result comes back serialized
//!   the same way in an [`ApplyReply`].
//! - [`Worker::is_complete`], [`Worker::complete`] and [`Worker::inspect`] answer the
//!   kernel's helper requests; [`Worker::reset`] empties the namespace.
//!
//! With IPython importable the child runs IPython's `InteractiveShell` (magics, rich
//! display, IPython tracebacks); otherwise, or with [`ShellChoice::Basic`], a stdlib-only
//! shell with plain Python semantics.
//!
//! ```no_run
//! use px_worker::{Event, ExecuteRequest, Worker, WorkerConfig};
//!
//! # async fn demo() -> px_worker::Result<()> {
//! let worker = Worker::start(WorkerConfig::default()).await?;
//! let mut run = worker.execute(ExecuteRequest::new("import os\nos.system('echo hi')\n6 * 7"))?;
//! while let Some(event) = run.next_event().await {
//!     match event {
//!         Event::Stream { name, text } => print!("[{}] {text}", name.as_str()),
//!         Event::ExecuteResult { execution_count, data, .. } => {
//!             println!("Out[{execution_count}]: {}", data["text/plain"])
//!         }
//!         other => println!("{other:?}"),
//!     }
//! }
//! assert_eq!(run.reply().await?.execution_count, 1);
//! worker.shutdown().await
//! # }
//! ```
#![deny(missing_docs)]

mod capture;
mod config;
mod connection;
mod error;
mod event;
mod execution;
mod idle_output;
mod info;
mod job;
mod partial_lines;
mod process;
mod protocol;
mod reply;
mod request;
mod supervisor;
mod worker;

pub use config::{ShellChoice, WorkerConfig};
pub use error::{Result, WorkerError};
pub use event::{DisplayData, ErrorInfo, Event, MimeBundle, StreamName};
pub use execution::{ExecuteOutput, Execution};
pub use info::{ShellKind, WorkerInfo};
pub use reply::{ApplyReply, Completion, ExecuteReply, Inspection, IsComplete, ReplyStatus};
pub use request::{ApplyRequest, ExecuteRequest};
pub use worker::Worker;
