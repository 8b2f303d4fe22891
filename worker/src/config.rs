//! How to start the Python child.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Which shell the Python side runs cells with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShellChoice {
    /// IPython's `InteractiveShell` when `import IPython` works (magics, rich display,
    /// coloured tracebacks), otherwise the stdlib-only shell.
    #[default]
    Auto,
    /// The stdlib-only shell even if IPython is importable: plain Python semantics, and a
    /// way to test that path with any interpreter.
    Basic,
}

/// How to start the Python child; the defaults match `python3` on `PATH`.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The interpreter; a bare name is looked up on `PATH`.
    pub python: PathBuf,
    /// Interpreter options placed before `-c` (for example `-X dev`, or `-S` to hide
    /// site-packages).
    pub python_args: Vec<OsString>,
    /// Which shell runs the cells.
    pub shell: ShellChoice,
    /// Working directory of the child; `None` inherits ours.
    pub cwd: Option<PathBuf>,
    /// Extra environment variables for the child (and so for its subprocesses).
    pub env: Vec<(OsString, OsString)>,
    /// IPython's colour scheme (`nocolor`, `neutral`, `linux`, `lightbg`) for tracebacks
    /// and other coloured output; IPython's default when `None`.
    pub ipython_colors: Option<String>,
    /// How long the child may take to connect back and import its shell. Importing IPython
    /// takes about a second on a warm disk, much longer on a cold or loaded machine.
    pub start_timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            python: PathBuf::from("python3"),
            python_args: Vec::new(),
            shell: ShellChoice::Auto,
            cwd: None,
            env: Vec::new(),
            ipython_colors: None,
            start_timeout: Duration::from_secs(60),
        }
    }
}

impl WorkerConfig {
    /// The defaults, with another interpreter.
    pub fn new(python: impl Into<PathBuf>) -> Self {
        WorkerConfig {
            python: python.into(),
            ..WorkerConfig::default()
        }
    }
}
