//! The editor's helper: what rustyline asks while a line is typed — completions (and, with
//! colour, the highlighting of the Python being typed).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use px_magics::LocalPython;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use crate::completion::{byte_offset, code_points, completing, Completing};
use crate::highlight::PythonHighlighter;

/// How long Tab may wait for the local Python's completer: a stuck completer must not
/// freeze the editor, but the first completion loads jedi, which takes seconds on a busy
/// machine.
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(5);

/// rustyline's helper for pxsh.
pub(crate) struct PxHelper {
    python: Arc<LocalPython>,
    runtime: tokio::runtime::Handle,
    highlighter: Option<PythonHighlighter>,
}

impl PxHelper {
    /// Completes with `python`'s completer (run on `runtime`); highlights if `color`.
    pub(crate) fn new(
        python: Arc<LocalPython>,
        runtime: tokio::runtime::Handle,
        color: bool,
    ) -> Self {
        PxHelper {
            python,
            runtime,
            highlighter: color.then(PythonHighlighter::new),
        }
    }

    /// The local Python's completions at byte `pos` of `line`: the start of the replaced
    /// text (bytes) and the candidates. Called from the editor, on a thread where
    /// blocking is allowed.
    fn python_completions(&self, line: &str, pos: usize) -> Option<(usize, Vec<String>)> {
        let cursor = code_points(line, pos);
        let completion = tokio::task::block_in_place(|| {
            self.runtime.block_on(tokio::time::timeout(
                COMPLETE_TIMEOUT,
                self.python.complete(line, cursor),
            ))
        })
        .ok()??;
        Some((
            byte_offset(line, completion.cursor_start),
            completion.matches,
        ))
    }
}

fn pairs(names: Vec<String>) -> Vec<Pair> {
    names
        .into_iter()
        .map(|n| Pair {
            display: n.clone(),
            replacement: n,
        })
        .collect()
}

impl Completer for PxHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(match completing(line, pos) {
            Completing::Flag { start, candidates } => (start, pairs(candidates)),
            Completing::Magic {
                start,
                mut candidates,
            } => {
                if let Some((py_start, more)) = self.python_completions(line, pos) {
                    if py_start == start {
                        candidates.extend(more);
                    }
                }
                candidates.sort();
                candidates.dedup();
                (start, pairs(candidates))
            }
            Completing::Python => match self.python_completions(line, pos) {
                Some((start, matches)) => (start, pairs(matches)),
                None => (pos, Vec::new()),
            },
        })
    }
}

impl Hinter for PxHelper {
    type Hint = String;
}

impl Highlighter for PxHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        match &self.highlighter {
            Some(h) => Cow::Owned(h.highlight(line)),
            None => Cow::Borrowed(line),
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        // Any edit can change the colour of what follows (an opening quote), so redraw on
        // every change; moving the cursor changes nothing.
        self.highlighter.is_some() && kind != CmdKind::MoveCursor
    }
}

impl Validator for PxHelper {}

impl Helper for PxHelper {}
