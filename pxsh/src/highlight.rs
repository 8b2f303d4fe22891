//! Highlighting of the Python being typed, in IPython's terminal colours (its "neutral"
//! theme over Pygments' default style), with syntect's Python grammar.
//!
//! The 16 ANSI colours are used rather than a syntect theme's RGB values, so the result
//! follows the terminal's palette as IPython's does. Each line is highlighted alone (the
//! editor gives one line at a time); only escape sequences are added, so the line keeps
//! its width, as the editor requires.

use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

const RESET: &str = "\x1b[0m";

/// Scope prefixes and their colours, most specific first: the innermost scope of a token
/// that matches one of these decides its colour.
const STYLES: &[(&str, &str)] = &[
    ("comment", "\x1b[3;36m"),
    ("string", "\x1b[33m"),
    ("constant.numeric", "\x1b[32m"),
    ("constant.language", "\x1b[1;32m"),
    ("constant.character.escape", "\x1b[1;33m"),
    ("entity.name.function.decorator", "\x1b[35m"),
    ("entity.name.function", "\x1b[34m"),
    ("entity.name.class", "\x1b[1;34m"),
    ("storage.type", "\x1b[1;32m"),
    ("storage.modifier", "\x1b[1;32m"),
    ("keyword.operator.logical", "\x1b[1;35m"),
    ("keyword.operator.word", "\x1b[1;35m"),
    ("keyword.operator", ""),
    ("keyword", "\x1b[1;32m"),
    ("support.function.builtin", "\x1b[32m"),
    ("support.type", "\x1b[32m"),
    ("support.function.magic", "\x1b[34m"),
    ("variable.language", "\x1b[32m"),
];

/// The colour of the magic's name in `%px …` / `%%px …` lines (IPython's
/// `Name.Variable.Magic`).
const MAGIC: &str = "\x1b[34m";

/// Colours lines of Python for the terminal.
#[derive(Debug)]
pub(crate) struct PythonHighlighter {
    syntaxes: SyntaxSet,
    /// Scopes of [`STYLES`], parsed once.
    styles: Vec<(Scope, &'static str)>,
}

impl PythonHighlighter {
    /// Loads the grammars (a few milliseconds).
    pub(crate) fn new() -> Self {
        let styles = STYLES
            .iter()
            .filter_map(|(name, code)| Scope::new(name).ok().map(|s| (s, *code)))
            .collect();
        PythonHighlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            styles,
        }
    }

    fn python(&self) -> Option<&SyntaxReference> {
        self.syntaxes.find_syntax_by_extension("py")
    }

    /// `line` with ANSI colours; the same text, and width, without them.
    pub(crate) fn highlight(&self, line: &str) -> String {
        // A magic: its name in the magic colour; the code of `%px CODE` as Python, the
        // flags of a cell magic as they are.
        let trimmed = line.trim_start();
        if trimmed.starts_with('%') {
            let indent = &line[..line.len() - trimmed.len()];
            let (name, rest) = trimmed.split_at(trimmed.find(' ').unwrap_or(trimmed.len()));
            let rest = if name.starts_with("%%") || name == "%pxconfig" || name == "%result" {
                rest.to_owned()
            } else {
                self.python_line(rest)
            };
            return format!("{indent}{MAGIC}{name}{RESET}{rest}");
        }
        if trimmed.starts_with('!') {
            return line.to_owned();
        }
        self.python_line(line)
    }

    fn python_line(&self, line: &str) -> String {
        let Some(syntax) = self.python() else {
            return line.to_owned();
        };
        // The grammar matches line ends: give it one, and leave it out of the result.
        let text = format!("{line}\n");
        let Ok(ops) = ParseState::new(syntax).parse_line(&text, &self.syntaxes) else {
            return line.to_owned();
        };
        let mut out = String::with_capacity(line.len() * 2);
        let mut stack = ScopeStack::new();
        let mut at = 0;
        for (pos, op) in ops {
            let pos = pos.min(line.len());
            if pos > at {
                self.paint(&mut out, &line[at..pos], &stack);
                at = pos;
            }
            if stack.apply(&op).is_err() {
                return line.to_owned();
            }
        }
        if at < line.len() {
            self.paint(&mut out, &line[at..], &stack);
        }
        out
    }

    fn paint(&self, out: &mut String, text: &str, stack: &ScopeStack) {
        let style = stack.as_slice().iter().rev().find_map(|scope| {
            self.styles
                .iter()
                .find(|(prefix, _)| prefix.is_prefix_of(*scope))
                .map(|(_, code)| *code)
        });
        match style {
            Some(code) if !code.is_empty() => {
                out.push_str(code);
                out.push_str(text);
                out.push_str(RESET);
            }
            _ => out.push_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ansi::strip;

    #[test]
    fn highlighting_only_adds_colour() {
        let h = PythonHighlighter::new();
        for line in [
            "def f(x, *a):  # doc",
            "    return 'é' + str(x) if x is not None else 1.5e3",
            "%px import numpy; print(numpy.pi)",
            "%%px --targets ::2 --group-outputs=engine",
            "s = '''unterminated",
            "",
            "!ls -l",
        ] {
            assert_eq!(strip(&h.highlight(line)), line);
        }
    }

    #[test]
    fn keywords_strings_numbers_and_magics_get_ipython_colours() {
        let h = PythonHighlighter::new();
        let line = h.highlight("def f(): return 'a' + 42");
        assert!(line.contains("\x1b[1;32mdef"), "{line:?}");
        assert!(line.contains("\x1b[34mf"), "{line:?}");
        assert!(line.contains("\x1b[33m"), "{line:?}");
        assert!(line.contains("\x1b[32m42"), "{line:?}");
        let magic = h.highlight("%px x = 1");
        assert!(magic.starts_with("\x1b[34m%px\x1b[0m"), "{magic:?}");
    }
}
