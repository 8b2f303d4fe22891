//! What is running behind a worker right now.

/// Which shell the Python child uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    /// IPython's `InteractiveShell`: magics, rich display, IPython tracebacks.
    IPython,
    /// The stdlib-only shell.
    Basic,
}

/// Facts about the current Python child; a restart replaces them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The child's process id (also its process group id).
    pub pid: u32,
    /// `sys.version`'s first word, e.g. `3.11.7`.
    pub python_version: String,
    /// IPython's version when the IPython shell is in use.
    pub ipython_version: Option<String>,
    /// Which shell runs the cells.
    pub shell: ShellKind,
}
