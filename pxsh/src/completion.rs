//! Tab completion: the parallel magics' names and flags (which the local IPython does not
//! know), and everything else from the local Python's completer (local names,
//! attributes, IPython's own magics, paths).

use px_magics::{CellPxFlags, ExecFlags, OutputFlags};

/// The magics pxsh adds to the local shell's, as typed at the start of a line.
const MAGICS: &[&str] = &[
    "%%px",
    "%px",
    "%autopx",
    "%pxconfig",
    "%pxresult",
    "%result",
];

/// What to complete at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completing {
    /// A magic's name starting at byte `start` (the `%`): these candidates, to merge
    /// with the local shell's (which knows `%time`, `%pwd` …).
    Magic {
        /// Byte offset of the word.
        start: usize,
        /// Our magics with that prefix.
        candidates: Vec<String>,
    },
    /// A flag of one of our magics, starting at byte `start`: only these.
    Flag {
        /// Byte offset of the word.
        start: usize,
        /// The flags with that prefix.
        candidates: Vec<String>,
    },
    /// Anything else: ask the local Python.
    Python,
}

fn with_prefix(names: &[&str], prefix: &str) -> Vec<String> {
    names
        .iter()
        .filter(|n| n.starts_with(prefix))
        .map(|n| (*n).to_owned())
        .collect()
}

/// The flags of the magic that `line` (after its leading whitespace) starts with, if it
/// is one of ours and takes flags.
fn flags_of(line: &str) -> Option<Vec<&'static str>> {
    let (name, _) = line.trim_start().split_once(' ')?;
    match name {
        "%%px" => Some(CellPxFlags::option_strings()),
        "%pxconfig" => Some(ExecFlags::option_strings()),
        "%pxresult" | "%result" => Some(OutputFlags::option_strings()),
        _ => None,
    }
}

/// What the word before `pos` (a byte offset in `line`) is.
pub fn completing(line: &str, pos: usize) -> Completing {
    let before = line.get(..pos).unwrap_or(line);
    let start = before.rfind(|c: char| c.is_whitespace()).map_or(0, |i| {
        i + before[i..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[start..];
    if word.starts_with('%') && before[..start].trim().is_empty() {
        return Completing::Magic {
            start,
            candidates: with_prefix(MAGICS, word),
        };
    }
    if word.starts_with('-') {
        if let Some(flags) = flags_of(before) {
            let mut candidates = with_prefix(&flags, word);
            candidates.sort();
            return Completing::Flag { start, candidates };
        }
    }
    Completing::Python
}

/// The byte offset of code point `cp` in `text` (Jupyter counts cursor positions in code
/// points); the end if past it.
pub fn byte_offset(text: &str, cp: usize) -> usize {
    text.char_indices().nth(cp).map_or(text.len(), |(i, _)| i)
}

/// The number of code points before byte offset `byte` of `text`.
pub fn code_points(text: &str, byte: usize) -> usize {
    text.get(..byte).unwrap_or(text).chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_names_complete_at_the_start_of_a_line() {
        assert_eq!(
            completing("%px", 3),
            Completing::Magic {
                start: 0,
                candidates: vec!["%px".into(), "%pxconfig".into(), "%pxresult".into()]
            }
        );
        assert_eq!(
            completing("  %%p", 5),
            Completing::Magic {
                start: 2,
                candidates: vec!["%%px".into()]
            }
        );
        assert_eq!(completing("x = %px", 7), Completing::Python);
    }

    #[test]
    fn flags_complete_after_our_magics_only() {
        assert_eq!(
            completing("%%px --group", 12),
            Completing::Flag {
                start: 5,
                candidates: vec!["--group-outputs".into()]
            }
        );
        let Completing::Flag { candidates, .. } = completing("%pxconfig --no", 14) else {
            panic!("flags of %pxconfig");
        };
        assert_eq!(candidates, ["--no-stream", "--no-verbose", "--noblock"]);
        assert_eq!(completing("%time --no", 10), Completing::Python);
        assert_eq!(completing("x = -1", 6), Completing::Python);
    }

    #[test]
    fn offsets_convert_between_bytes_and_code_points() {
        let text = "é = 'ü'; é";
        assert_eq!(byte_offset(text, 1), 2);
        assert_eq!(code_points(text, 2), 1);
        assert_eq!(byte_offset(text, 100), text.len());
    }
}
