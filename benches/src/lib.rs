//! What the side-by-side benchmarks share: finding the Python partner, running its half of a
//! benchmark, and summarising samples.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::de::DeserializeOwned;

/// The interpreter with the stock partners: `PX_PYTHON`, else the workspace venv.
pub fn python_path() -> PathBuf {
    match std::env::var_os("PX_PYTHON").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"),
    }
}

/// A script in `benches/python/`.
pub fn python_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
}

/// Runs the Python half of a benchmark and parses the JSON it prints. On any failure it
/// says why in one line, so a bench can still print its Rust figures.
pub fn run_python<T: DeserializeOwned>(script: &str, args: &[String]) -> Result<T, String> {
    let python = python_path();
    let script = python_script(script);
    let output = Command::new(&python)
        .arg(&script)
        .args(args)
        .output()
        .map_err(|e| {
            format!(
                "cannot run {}: {e} (run bash scripts/setup-venv.sh, or set PX_PYTHON)",
                python.display()
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("no error output");
        return Err(format!(
            "{} failed ({}): {last}",
            script.display(),
            output.status
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("unreadable output from {}: {e}", script.display()))
}

/// The median of `samples` (sorted in place); 0 for no samples.
pub fn median(samples: &mut [f64]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
