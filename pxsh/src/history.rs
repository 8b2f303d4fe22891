//! Where the interactive history lives: `$XDG_DATA_HOME/pxsh/history`, else
//! `~/.local/share/pxsh/history` (the XDG base directory default).

use std::path::PathBuf;

/// The history file, or `None` when there is no home to keep it in.
pub fn default_history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("pxsh").join("history"))
}
