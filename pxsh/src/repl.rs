//! The interactive shell: IPython's prompts, multi-line cells ended by the local Python's
//! completeness check, a history file, Ctrl-C and Ctrl-D as in IPython.

use std::path::{Path, PathBuf};

use px_worker::IsComplete;
use rustyline::config::{ColorMode, CompletionType, Config, EditMode};
use rustyline::error::ReadlineError;
use rustyline::history::{FileHistory, History};
use rustyline::Editor;

use crate::helper::PxHelper;
use crate::prompt::{
    continuation_prompt, continuation_prompt_colored, in_prompt, in_prompt_colored,
};
use crate::shell::Shell;

/// How many cells the history file keeps.
const HISTORY_SIZE: usize = 10_000;

/// Why the interactive shell stopped other than by Ctrl-D.
#[derive(Debug, thiserror::Error)]
pub enum ReplError {
    /// The terminal could not be used.
    #[error("terminal error: {0}")]
    Terminal(#[from] ReadlineError),
}

/// What reading one cell gave.
enum Read {
    /// A cell to run.
    Cell(String),
    /// Ctrl-C: the cell typed so far is dropped.
    Cancelled,
    /// Ctrl-D on an empty prompt.
    Exit,
}

/// The editor with its history.
struct Input {
    editor: Editor<PxHelper, FileHistory>,
    history_file: Option<PathBuf>,
    color: bool,
}

impl Input {
    fn new(shell: &Shell, history_file: Option<PathBuf>, color: bool) -> Result<Self, ReplError> {
        let config = Config::builder()
            .edit_mode(EditMode::Emacs)
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .color_mode(if color {
                ColorMode::Enabled
            } else {
                ColorMode::Disabled
            })
            .max_history_size(HISTORY_SIZE)?
            .build();
        let mut editor = Editor::with_config(config)?;
        let helper = PxHelper::new(shell.python(), tokio::runtime::Handle::current(), color);
        editor.set_helper(Some(helper));
        if let Some(path) = &history_file {
            load_history(&mut editor, path);
        }
        Ok(Input {
            editor,
            history_file,
            color,
        })
    }

    /// One line; blocking the calling worker thread is fine, nothing else runs meanwhile.
    fn line(&mut self, raw: &str, styled: &str, initial: &str) -> rustyline::Result<String> {
        let prompt = (raw, if self.color { styled } else { raw });
        tokio::task::block_in_place(|| {
            crate::line_input::no_reader_left();
            self.editor.readline_with_initial(&prompt, (initial, ""))
        })
    }

    /// Reads lines until they make a complete cell.
    async fn cell(&mut self, shell: &Shell) -> Result<Read, ReplError> {
        let n = shell.execution_count();
        let autopx = shell.autopx();
        let raw = in_prompt(n, autopx);
        let styled = in_prompt_colored(n, autopx);
        let mut cell = match self.line(&raw, &styled, "") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => return Ok(Read::Cancelled),
            Err(ReadlineError::Eof) => return Ok(Read::Exit),
            Err(e) => return Err(e.into()),
        };
        if cell.trim().is_empty() {
            return Ok(Read::Cell(cell));
        }
        let width = raw.chars().count();
        let (cont_raw, cont_styled) = (
            continuation_prompt(width),
            continuation_prompt_colored(width),
        );
        loop {
            let indent = match shell.is_complete(&cell).await {
                IsComplete::Incomplete { indent } => indent,
                _ => return Ok(Read::Cell(cell)),
            };
            match self.line(&cont_raw, &cont_styled, &indent) {
                Ok(line) => {
                    cell.push('\n');
                    cell.push_str(&line);
                }
                Err(ReadlineError::Interrupted) => return Ok(Read::Cancelled),
                // Ctrl-D on an empty continuation line runs what was typed.
                Err(ReadlineError::Eof) => return Ok(Read::Cell(cell)),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Remembers `cell`, in the file too so that it survives a crash.
    fn remember(&mut self, cell: &str) {
        let entry = cell.trim_end_matches(char::is_whitespace);
        if entry.is_empty() {
            return;
        }
        // A cell magic is kept with the blank line that ended it: recalled, it runs at once.
        let entry = if entry.trim_start().starts_with("%%") {
            format!("{entry}\n")
        } else {
            entry.to_owned()
        };
        let _ = self.editor.add_history_entry(entry);
        if let Some(path) = &self.history_file {
            if let Err(e) = self.editor.append_history(path) {
                tracing::warn!("could not save the history to {}: {e}", path.display());
            }
        }
    }
}

fn load_history(editor: &mut Editor<PxHelper, FileHistory>, path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match editor.load_history(path) {
        Ok(()) => {}
        Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("could not read the history {}: {e}", path.display()),
    }
    tracing::debug!("{} history entries", editor.history().len());
}

/// Runs the interactive shell until Ctrl-D. `history_file` keeps the cells across
/// sessions (`None`: no history file).
pub async fn interactive(
    shell: &mut Shell,
    history_file: Option<PathBuf>,
    color: bool,
) -> Result<(), ReplError> {
    let mut input = Input::new(shell, history_file, color)?;
    let banner = format!(
        "pxsh {} — {}\nPython runs here; %px, %%px, %autopx, %result and %pxconfig run on the engines. Ctrl-D exits.\n",
        env!("CARGO_PKG_VERSION"),
        shell.describe().await
    );
    shell.console().print(&banner);
    loop {
        shell.console().print("\n");
        match input.cell(shell).await? {
            Read::Exit => return Ok(()),
            Read::Cancelled => continue,
            Read::Cell(cell) => {
                input.remember(&cell);
                shell.run_cell(&cell).await;
            }
        }
    }
}
