//! The parallel magics of IPython Parallel — `%px`, `%%px`, `%autopx`, `%pxresult` /
//! `%result`, `%pxconfig` — as a library shared by the Jupyter kernel and `pxsh`.
//!
//! - Parsing: [`parse_cell`] recognises a cell as one of the magics ([`Command`]), with
//!   flags parsed exactly as stock's argparse parsers do ([`CellPxFlags`], [`ExecFlags`],
//!   [`OutputFlags`]); wrong flags give stock's [`UsageError`] text.
//! - State: [`ViewState`] holds a set's settings (targets, block, verbose, stream,
//!   progress delay, interrupt signal); `%pxconfig` changes it, `%%px` overrides it for one
//!   cell ([`CellSettings`]).
//! - Rendering: everything is shown through an [`OutputSink`] — [`CaptureSink`] records
//!   IOPub-like JSON (tests, and a model for the kernel), [`TerminalSink`] prints.
//!   [`display_outputs`] is the grouped display of finished results (`--no-stream`,
//!   `%result`), [`LiveDisplay`] the streamed one, [`render_error`] /
//!   [`render_usage_error`] end a failed cell, [`verbose_line`] the verbose line.
//! - Running: [`PxMagics`] takes every cell of a session and runs the magics against a
//!   cluster: the blocking sequence with live output, progress bar and interrupts
//!   ([`InterruptHandle`]), non-blocking submissions, `%pxresult`, `%autopx`, `--local`.
//!   The host supplies a [`Connector`] (how to reach a cluster) and optionally a
//!   [`LocalExecutor`] (its local namespace), and turns each [`Outcome`] into its reply.
//! - The local namespace: [`LocalPython`] is both hosts' local Python (a `px-worker`
//!   child) and the magics' [`LocalExecutor`]; a host shows its cells' output through a
//!   [`LocalOutput`].
//!
//! ```
//! use px_magics::{parse_cell, Command, GroupBy};
//!
//! let inv = parse_cell("%%px -t ::2 --group-outputs=engine\nprint('hi')", &[""])
//!     .expect("a px magic")
//!     .expect("valid flags");
//! let Command::CellPx { flags, code } = inv.command else { unreachable!() };
//! assert_eq!(flags.exec.targets.as_deref(), Some("::2"));
//! assert_eq!(flags.output.group_outputs, GroupBy::Engine);
//! assert_eq!(code, "print('hi')\n");
//!
//! let err = parse_cell("%%px --no\n1", &[""]).unwrap().unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "ambiguous option: --no could match --no-verbose, --no-stream, --noblock"
//! );
//!
//! // Show two engines' finished output as `%%px --no-stream` would.
//! use px_client::EngineResult;
//! use px_magics::{display_outputs, CaptureSink, DisplayOptions, StreamPrefixState};
//!
//! let results: Vec<EngineResult> = (0..2)
//!     .map(|id| EngineResult { engine_id: Some(id), stdout: "hi\n".into(), ..Default::default() })
//!     .collect();
//! let mut sink = CaptureSink::new();
//! display_outputs(&mut sink, &results, DisplayOptions::default(), &mut StreamPrefixState::default());
//! let messages = sink.finish();
//! assert_eq!(messages[0]["content"]["text"], "[stdout:0] \nhi\n[stdout:1] \nhi\n");
//! ```
#![deny(missing_docs)]

mod argparse;
mod error;
mod flags;
mod local;
mod parse;
mod render;
mod session;
mod split;
mod state;

pub use error::{MagicsError, UsageError, NO_LAST_RESULT};
pub use flags::{CellPxFlags, ExecFlags, GroupBy, OutputFlags, Signal};
pub use local::{LocalOutput, LocalPython};
pub use parse::{ends_autopx, parse_cell, Command, Invocation};
pub use render::{
    async_result_repr, display_outputs, out_bundle, out_metadata, render_error, render_usage_error,
    verbose_line, CaptureSink, CellError, DisplayOptions, LiveDisplay, OutputSink, ResultState,
    StreamPrefixState, TerminalSink,
};
pub use session::{
    BoundResults, BoxFuture, ConnectError, Connector, ErrorReply, InterruptHandle, LocalExecutor,
    Outcome, PxMagics, PxResult, StoredResult, DISPLAY_CALL, RESULT_CALL,
};
pub use split::{arg_split, UnclosedQuote};
pub use state::{CellSettings, ViewState};
