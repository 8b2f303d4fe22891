//! Recognising a cell as one of the parallel magics, as IPython's input transformers would.
//!
//! IPython first drops leading blank lines and a common leading indent, then:
//! - a cell starting with `%%NAME` is a cell magic: the rest of that line (after the first
//!   space, trailing whitespace removed) is the flag line, every later line is the body,
//!   and the body ends with `"\n"` because IPython appends one to every cell;
//! - a line `%NAME ARGS` is a line magic: `ARGS` is everything after the first space, with
//!   trailing whitespace removed but leading spaces kept (`%px  x` sends `" x"`).
//!
//! Only cells that are a single magic are ours; a cell mixing a line magic with other
//! Python lines is local code for IPython to run, and [`parse_cell`] says `None`.

use crate::error::MagicsError;
use crate::flags::{CellPxFlags, ExecFlags, OutputFlags};

/// A parsed magic.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `%px CODE`: no flags; the whole line is code.
    Px {
        /// The code, verbatim.
        code: String,
    },
    /// `%%px [flags]` and its body.
    CellPx {
        /// The parsed flag line.
        flags: CellPxFlags,
        /// The body, ending with `"\n"` (empty if the cell has only the magic line).
        code: String,
    },
    /// `%autopx`: toggle auto-parallel mode (any text after it is ignored, as in stock).
    AutoPx,
    /// `%pxresult` / `%result [flags]`.
    Result {
        /// The parsed flags.
        flags: OutputFlags,
    },
    /// `%pxconfig [flags]`.
    PxConfig {
        /// The parsed flags.
        flags: ExecFlags,
    },
}

/// A magic of one registered set, identified by the set's suffix (`""` for the default set
/// that `Client()` registers, `"_a"` for `activate(suffix="_a")`).
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The suffix of the set this magic belongs to.
    pub suffix: String,
    /// What to do.
    pub command: Command,
}

#[derive(Clone, Copy)]
enum Name {
    Px,
    Result,
    PxConfig,
    AutoPx,
}

/// Which set and which line magic a name designates. Later sets win, as IPython's
/// registration overwrites earlier names; only the unsuffixed set has `%result`.
fn line_magic(name: &str, suffixes: &[&str]) -> Option<(String, Name)> {
    let mut found = None;
    for &suffix in suffixes {
        let candidates = [
            (format!("px{suffix}"), Name::Px),
            (format!("pxresult{suffix}"), Name::Result),
            (format!("pxconfig{suffix}"), Name::PxConfig),
            (format!("autopx{suffix}"), Name::AutoPx),
        ];
        for (candidate, which) in candidates {
            if candidate == name {
                found = Some((suffix.to_owned(), which));
            }
        }
        if suffix.is_empty() && name == "result" {
            found = Some((String::new(), Name::Result));
        }
    }
    found
}

/// IPython's cleanup transforms: leading blank lines go, then a common leading indent.
fn clean_lines(cell: &str) -> Vec<String> {
    let mut cell = cell.to_owned();
    if !cell.ends_with('\n') {
        cell.push('\n');
    }
    let lines: Vec<&str> = cell.split_inclusive('\n').collect();
    let first = lines
        .iter()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(lines.len());
    let lines = &lines[first..];
    let Some(head) = lines.first() else {
        return Vec::new();
    };
    let indent: String = head
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    lines
        .iter()
        .map(|l| l.strip_prefix(indent.as_str()).unwrap_or(l).to_owned())
        .collect()
}

/// Parses `cell` if it is one of the parallel magics of the sets registered under
/// `suffixes` (`&[""]` for the default set). `None`: not ours (ordinary code, another
/// magic, or a line magic followed by more code). `Some(Err)`: ours, but its flags are
/// wrong; stock reports that without submitting anything.
pub fn parse_cell(cell: &str, suffixes: &[&str]) -> Option<Result<Invocation, MagicsError>> {
    let lines = clean_lines(cell);
    let first = lines.first()?;
    if let Some(rest) = first.strip_prefix("%%") {
        let (name, flag_line) = split_name(rest.trim_end());
        let suffix = suffixes.iter().rev().find(|s| name == format!("px{s}"))?;
        let code: String = lines[1..].concat();
        return Some(CellPxFlags::parse(flag_line).map(|flags| Invocation {
            suffix: (*suffix).to_owned(),
            command: Command::CellPx { flags, code },
        }));
    }
    let rest = first.trim_start_matches([' ', '\t']).strip_prefix('%')?;
    if lines[1..].iter().any(|l| !l.trim().is_empty()) {
        return None;
    }
    let (name, args) = split_name(rest.trim_end());
    let (suffix, which) = line_magic(name, suffixes)?;
    let command = match which {
        Name::Px => Ok(Command::Px {
            code: args.to_owned(),
        }),
        Name::AutoPx => Ok(Command::AutoPx),
        Name::Result => OutputFlags::parse(args).map(|flags| Command::Result { flags }),
        Name::PxConfig => ExecFlags::parse(args).map(|flags| Command::PxConfig { flags }),
    };
    Some(command.map(|command| Invocation { suffix, command }))
}

/// `name rest`: split at the first space (not any whitespace, as IPython's `partition`).
fn split_name(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or((s, ""))
}

/// Whether a cell typed while autopx is on switches it off: optional whitespace, then
/// `%autopx` not followed by a word character. So `%autopx_a` and `%autopx2` do not match,
/// and a suffixed set cannot switch itself off (stock quirk, spec §16).
pub fn ends_autopx(cell: &str) -> bool {
    // Python's `re.search(r'^\s*%autopx\b', cell)`: `\s*` may cross blank lines.
    cell.trim_start()
        .strip_prefix("%autopx")
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::GroupBy;

    fn parse(cell: &str) -> Option<Invocation> {
        parse_cell(cell, &[""]).map(|r| r.expect("parses"))
    }

    #[test]
    fn line_px_takes_the_whole_line_as_code() {
        let cmd = parse("%px --targets ::2 print('x')").unwrap().command;
        assert_eq!(
            cmd,
            Command::Px {
                code: "--targets ::2 print('x')".into()
            }
        );
        assert_eq!(
            parse("%px").unwrap().command,
            Command::Px { code: "".into() }
        );
        assert_eq!(
            parse("\n  %px y=f\"{x}\"  \n\n").unwrap().command,
            Command::Px {
                code: "y=f\"{x}\"".into()
            }
        );
    }

    #[test]
    fn cell_px_body_ends_with_newline() {
        let inv = parse("%%px --targets foo\n1").unwrap();
        match inv.command {
            Command::CellPx { flags, code } => {
                assert_eq!(code, "1\n");
                assert_eq!(flags.exec.targets.as_deref(), Some("foo"));
            }
            other => panic!("{other:?}"),
        }
        match parse("%%px -e --no-stream\nprint('e')\n1").unwrap().command {
            Command::CellPx { flags, code } => {
                assert_eq!(code, "print('e')\n1\n");
                assert_eq!(flags.output.group_outputs, GroupBy::Engine);
                assert_eq!(flags.exec.stream, Some(false));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_cells_are_not_ours() {
        assert_eq!(parse("print(1)"), None);
        assert_eq!(parse("%timeit 1"), None);
        assert_eq!(parse("%px a=1\nb=2"), None);
        assert_eq!(parse("%%timeit\n1"), None);
        // `%result` belongs to the unsuffixed set only.
        assert!(parse_cell("%result", &["_a"]).is_none());
    }

    #[test]
    fn suffixes_select_their_set() {
        let sets = ["", "_a"];
        let inv = parse_cell("%px_a 1", &sets).unwrap().unwrap();
        assert_eq!(inv.suffix, "_a");
        let inv = parse_cell("%pxresult_a", &sets).unwrap().unwrap();
        assert_eq!(inv.suffix, "_a");
        assert!(matches!(inv.command, Command::Result { .. }));
        let inv = parse_cell("%%px_a -a\n1", &sets).unwrap().unwrap();
        assert_eq!(inv.suffix, "_a");
        let inv = parse_cell("%autopx_a", &sets).unwrap().unwrap();
        assert_eq!((inv.suffix.as_str(), inv.command), ("_a", Command::AutoPx));
        let inv = parse_cell("%result", &sets).unwrap().unwrap();
        assert_eq!(inv.suffix, "");
    }

    #[test]
    fn autopx_switch_off_needs_a_word_boundary() {
        assert!(ends_autopx("%autopx"));
        assert!(ends_autopx("  %autopx"));
        assert!(ends_autopx("%autopx x"));
        assert!(!ends_autopx("%autopx_a"));
        assert!(!ends_autopx("%autopx2"));
        assert!(!ends_autopx("a = 1"));
    }
}
