//! Non-interactive runs: `pxsh -c CODE`, `pxsh FILE`, `… | pxsh`.

use crate::script::split_cells;
use crate::shell::{CellStatus, Shell};

/// How a script went, as the process's exit status says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptStatus {
    /// Every cell ran (status 0).
    Ok,
    /// Some cell raised; the others still ran, as they would have if typed (status 1).
    Failed,
    /// Ctrl-C stopped a cell, and the script there (status 130, the shells' convention).
    Interrupted,
}

impl ScriptStatus {
    /// The process exit status.
    pub fn exit_code(self) -> u8 {
        match self {
            ScriptStatus::Ok => 0,
            ScriptStatus::Failed => 1,
            ScriptStatus::Interrupted => 130,
        }
    }
}

/// Runs the cells of `script` (see [`split_cells`]) one after another.
pub async fn run_script(shell: &mut Shell, script: &str) -> ScriptStatus {
    let mut status = ScriptStatus::Ok;
    for cell in split_cells(script) {
        match shell.run_cell(&cell).await {
            CellStatus::Ok => {}
            CellStatus::Error => status = ScriptStatus::Failed,
            CellStatus::Interrupted => return ScriptStatus::Interrupted,
        }
    }
    status
}
