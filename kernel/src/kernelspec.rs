//! `pxkernel install`: writes the `parallel-rust` kernelspec where Jupyter looks for it, with
//! the absolute path of this binary, so JupyterLab lists "Parallel (Rust)".

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The kernelspec directory name (Jupyter allows only `[A-Za-z0-9._-]` here).
pub const KERNEL_NAME: &str = "parallel-rust";

const TEMPLATE: &str = include_str!("../../kernelspec/kernel.json");
const LOGO_32: &[u8] = include_bytes!("../../kernelspec/logo-32x32.png");
const LOGO_64: &[u8] = include_bytes!("../../kernelspec/logo-64x64.png");

/// Where to install, as `jupyter kernelspec install` names the choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallTarget {
    /// `$JUPYTER_DATA_DIR`, else `~/.local/share/jupyter`.
    User,
    /// `PREFIX/share/jupyter` (a virtualenv or conda prefix).
    Prefix(PathBuf),
}

impl InstallTarget {
    /// The `kernels/` directory of this target.
    pub fn kernels_dir(&self) -> PathBuf {
        match self {
            InstallTarget::User => {
                let data = std::env::var_os("JUPYTER_DATA_DIR")
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| {
                        let home = std::env::var_os("HOME").unwrap_or_default();
                        Path::new(&home).join(".local/share/jupyter")
                    });
                data.join("kernels")
            }
            InstallTarget::Prefix(p) => p.join("share/jupyter/kernels"),
        }
    }
}

/// The `kernel.json` for a kernel started as `binary`, running local cells with `python`.
pub fn kernel_json(binary: &Path, python: Option<&Path>) -> Value {
    let mut spec: Value = serde_json::from_str(TEMPLATE).unwrap_or_else(|_| json!({}));
    let mut argv = vec![
        json!(binary.display().to_string()),
        json!("--connection-file"),
        json!("{connection_file}"),
    ];
    if let Some(py) = python {
        argv.push(json!("--python"));
        argv.push(json!(py.display().to_string()));
    }
    spec["argv"] = Value::Array(argv);
    spec
}

/// Writes the kernelspec (`kernel.json` and logos) under `target` and returns its directory.
pub fn install(
    target: &InstallTarget,
    name: &str,
    binary: &Path,
    python: Option<&Path>,
) -> std::io::Result<PathBuf> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid kernel name {name:?}: use letters, digits, '.', '_' and '-'"),
        ));
    }
    let dir = target.kernels_dir().join(name);
    std::fs::create_dir_all(&dir)?;
    let spec = serde_json::to_string_pretty(&kernel_json(binary, python))?;
    std::fs::write(dir.join("kernel.json"), spec + "\n")?;
    std::fs::write(dir.join("logo-32x32.png"), LOGO_32)?;
    std::fs::write(dir.join("logo-64x64.png"), LOGO_64)?;
    Ok(dir)
}
