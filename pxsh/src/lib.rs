//! `pxsh`: IPython's terminal with the parallel magics — the standalone twin of the
//! "Parallel (Rust)" kernel, on the same [`px_magics`] and [`px_worker`].
//!
//! Ordinary input runs in a local Python (IPython's shell when IPython is importable);
//! `%px`, `%%px`, `%autopx`, `%result` and `%pxconfig` run on a cluster's engines, found or
//! started by [`px_cluster`]. The pieces:
//!
//! - [`Options`]: the command line; [`Options::cluster_finder`] turns it into a cluster
//!   policy.
//! - [`Shell`]: one session; [`Shell::run_cell`] runs a cell with Ctrl-C handling.
//! - [`Console`]: prints what cells show as IPython's terminal does (`Out[n]: `, the
//!   magics' `[stdout:N]` headers), with or without colour.
//! - [`interactive`]: the REPL (rustyline: IPython's prompts, multi-line cells, history
//!   in [`default_history_file`], completion of local names, magics and their flags).
//! - [`split_cells`] and [`run_script`]: non-interactive runs (`-c`, a file, stdin).
//!
//! ```
//! let cells = px_sh::split_cells("a = 1\n%px b = a\n%%px\nprint(b)\n");
//! assert_eq!(cells, ["a = 1\n", "%px b = a\n", "%%px\nprint(b)\n"]);
//! assert_eq!(px_sh::prompt::continuation_prompt("In [5]: ".len()), "   ...: ");
//! ```
#![deny(missing_docs)]

mod ansi;
mod batch;
mod completion;
mod console;
mod helper;
mod highlight;
mod history;
mod line_input;
mod options;
pub mod prompt;
mod repl;
mod script;
mod shell;

pub use ansi::{strip as strip_ansi, AnsiFilter};
pub use batch::{run_script, ScriptStatus};
pub use console::Console;
pub use history::default_history_file;
pub use options::Options;
pub use repl::{interactive, ReplError};
pub use script::split_cells;
pub use shell::{CellStatus, Shell, ShellError};
