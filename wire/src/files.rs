//! Writing and reading the small JSON files ipyparallel keeps on disk.
//!
//! Connection files are credentials (their key grants code execution on every engine), so
//! they are written 0600, and atomically: a launcher polling for them must never read half a
//! file.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Result, WireError};

fn file_err(path: &Path, source: std::io::Error) -> WireError {
    WireError::File {
        path: path.to_owned(),
        source,
    }
}

/// Writes `text` to `path` with mode 0600 through a temporary file renamed into place.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| file_err(path, e))
}

/// Serializes `value` as ipyparallel does (`indent=2`) and writes it privately.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| WireError::BadFile {
        path: path.to_owned(),
        what: "JSON document",
        reason: e.to_string(),
    })?;
    write_private(path, &text)
}

/// Reads and parses a JSON file, naming the file and the kind of file in any error.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T> {
    let text = std::fs::read(path).map_err(|e| file_err(path, e))?;
    serde_json::from_slice(&text).map_err(|e| WireError::BadFile {
        path: path.to_owned(),
        what,
        reason: e.to_string(),
    })
}
