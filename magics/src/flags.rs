//! The flags of `%%px`, `%pxconfig` and `%pxresult`, as typed values.
//!
//! Stock builds three argparse parsers from two shared groups: the *execution* flags
//! (`-b/-a`, `--stream/--no-stream`, `-t`, `--verbose/--no-verbose`, `--progress-after`,
//! `--signal-on-interrupt`), used by `%%px` and `%pxconfig`, and the *output* flags
//! (`-r`, `-e`, `--group-outputs`, `-o/--out`), used by `%%px` and `%pxresult`; `%%px` alone
//! adds `--local`. Each flag that is absent stays `None`, so the magic falls back to its
//! view's setting.

use std::fmt;
use std::str::FromStr;

use crate::argparse::{self, Action, ConstValue, Dest, Flag, Kind, Value};
use crate::error::{MagicsError, UsageError};
use crate::split::arg_split;

/// How the non-streamed display orders per-engine outputs (spec §9.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// All stdout, then all stderr, then each engine's displays, then the values.
    #[default]
    Type,
    /// Everything of one engine before the next.
    Engine,
    /// Like `Type`, but the i-th display of every engine together.
    Order,
}

impl FromStr for GroupBy {
    type Err = UsageError;

    fn from_str(s: &str) -> Result<Self, UsageError> {
        match s {
            "type" => Ok(GroupBy::Type),
            "engine" => Ok(GroupBy::Engine),
            "order" => Ok(GroupBy::Order),
            other => Err(UsageError(format!("invalid grouping {other:?}"))),
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GroupBy::Type => "type",
            GroupBy::Engine => "engine",
            GroupBy::Order => "order",
        })
    }
}

/// The signal sent to engines on interrupt, kept as the user wrote it: the interrupt
/// message prints it verbatim (`Sending signal SIGINT …`, `… signal 2 …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A name (`SIGINT`, `SIGKILL`), or any other text that is not all digits (`-2`).
    Name(String),
    /// All digits (`2`, `9`, `0`): stock turns these into ints.
    Number(i64),
}

impl Signal {
    /// Stock's `_eval_signal_str`: digits become a number, anything else stays text.
    pub fn parse(s: &str) -> Signal {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = s.parse() {
                return Signal::Number(n);
            }
        }
        Signal::Name(s.to_owned())
    }

    /// The signal number to send. Names are the Linux/macOS-common POSIX ones, with or
    /// without the `SIG` prefix; `None` for a name we do not know.
    pub fn number(&self) -> Option<i32> {
        match self {
            Signal::Number(n) => i32::try_from(*n).ok(),
            Signal::Name(name) => {
                let bare = name.strip_prefix("SIG").unwrap_or(name);
                Some(match bare {
                    "HUP" => 1,
                    "INT" => 2,
                    "QUIT" => 3,
                    "ABRT" => 6,
                    "KILL" => 9,
                    "USR1" => 10,
                    "USR2" => 12,
                    "ALRM" => 14,
                    "TERM" => 15,
                    "CONT" => 18,
                    "STOP" => 19,
                    _ => return None,
                })
            }
        }
    }
}

impl Default for Signal {
    fn default() -> Self {
        Signal::Name("SIGINT".to_owned())
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signal::Name(s) => f.write_str(s),
            Signal::Number(n) => write!(f, "{n}"),
        }
    }
}

/// The execution flags shared by `%%px` and `%pxconfig`. `None` means "not given".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecFlags {
    /// `-b/--block` (true) or `-a/--noblock` (false).
    pub block: Option<bool>,
    /// `--stream` (true) or `--no-stream` (false).
    pub stream: Option<bool>,
    /// `-t/--targets`, unevaluated. An empty value (`-t=`) counts as not given, as in stock.
    pub targets: Option<String>,
    /// `--verbose` / `--no-verbose`; only `%pxconfig` acts on it.
    pub verbose: Option<bool>,
    /// `--progress-after SECONDS`.
    pub progress_after: Option<f64>,
    /// `--signal-on-interrupt SIG`, unevaluated (see [`Signal::parse`]).
    pub signal_on_interrupt: Option<String>,
}

/// The output flags shared by `%%px` and `%pxresult`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutputFlags {
    /// `--group-outputs`, `-e`, `-r`; `type` when absent.
    pub group_outputs: GroupBy,
    /// `-o/--out NAME`: store the result object locally under this name.
    pub out: Option<String>,
}

/// Everything `%%px` accepts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellPxFlags {
    /// Execution flags.
    pub exec: ExecFlags,
    /// Output flags.
    pub output: OutputFlags,
    /// `--local`: also run the cell in the local namespace.
    pub local: bool,
}

const BOOL_TRUE: Action = Action::Const(ConstValue::Bool(true));
const BOOL_FALSE: Action = Action::Const(ConstValue::Bool(false));

/// Execution flags, in the order stock's parser registers them (which shows in
/// `ambiguous option` messages).
const EXEC: &[Flag] = &[
    Flag {
        strings: &["--signal-on-interrupt"],
        dest: Dest::Signal,
        action: Action::Store(Kind::Str),
    },
    Flag {
        strings: &["--progress-after"],
        dest: Dest::ProgressAfter,
        action: Action::Store(Kind::Float),
    },
    Flag {
        strings: &["--no-verbose"],
        dest: Dest::Verbose,
        action: BOOL_FALSE,
    },
    Flag {
        strings: &["--verbose"],
        dest: Dest::Verbose,
        action: BOOL_TRUE,
    },
    Flag {
        strings: &["-t", "--targets"],
        dest: Dest::Targets,
        action: Action::Store(Kind::Str),
    },
    Flag {
        strings: &["--no-stream"],
        dest: Dest::Stream,
        action: BOOL_FALSE,
    },
    Flag {
        strings: &["--stream"],
        dest: Dest::Stream,
        action: BOOL_TRUE,
    },
    Flag {
        strings: &["-a", "--noblock"],
        dest: Dest::Block,
        action: BOOL_FALSE,
    },
    Flag {
        strings: &["-b", "--block"],
        dest: Dest::Block,
        action: BOOL_TRUE,
    },
];

/// Output flags, in stock's registration order.
const OUTPUT: &[Flag] = &[
    Flag {
        strings: &["-o", "--out"],
        dest: Dest::Out,
        action: Action::Store(Kind::Str),
    },
    Flag {
        strings: &["--group-outputs"],
        dest: Dest::GroupBy,
        action: Action::Store(Kind::Choice(&["engine", "order", "type"])),
    },
    Flag {
        strings: &["-e"],
        dest: Dest::GroupBy,
        action: Action::Const(ConstValue::Str("engine")),
    },
    Flag {
        strings: &["-r"],
        dest: Dest::GroupBy,
        action: Action::Const(ConstValue::Str("order")),
    },
];

const LOCAL: Flag = Flag {
    strings: &["--local"],
    dest: Dest::Local,
    action: BOOL_TRUE,
};

/// Every option string of `tables`, for completion.
fn option_strings<'a>(tables: impl IntoIterator<Item = &'a Flag>) -> Vec<&'static str> {
    tables
        .into_iter()
        .flat_map(|f| f.strings.iter().copied())
        .collect()
}

fn parse_with(flags: &[Flag], line: &str) -> Result<argparse::Assignments, MagicsError> {
    let words = arg_split(line)?;
    Ok(argparse::parse(flags, &words)?)
}

fn apply_exec(exec: &mut ExecFlags, dest: Dest, value: &Value) {
    match (dest, value) {
        (Dest::Block, Value::Bool(b)) => exec.block = Some(*b),
        (Dest::Stream, Value::Bool(b)) => exec.stream = Some(*b),
        (Dest::Verbose, Value::Bool(b)) => exec.verbose = Some(*b),
        (Dest::Targets, Value::Str(s)) => exec.targets = (!s.is_empty()).then(|| s.clone()),
        (Dest::ProgressAfter, Value::Float(f)) => exec.progress_after = Some(*f),
        (Dest::Signal, Value::Str(s)) => exec.signal_on_interrupt = Some(s.clone()),
        _ => {}
    }
}

fn apply_output(output: &mut OutputFlags, dest: Dest, value: &Value) {
    match (dest, value) {
        (Dest::GroupBy, Value::Str(s)) => output.group_outputs = s.parse().unwrap_or_default(),
        (Dest::Out, Value::Str(s)) => output.out = Some(s.clone()),
        _ => {}
    }
}

impl CellPxFlags {
    /// The option strings `%%px` accepts (`-t`, `--targets`, …), in stock's order: what a
    /// shell offers when completing the magic's flags.
    pub fn option_strings() -> Vec<&'static str> {
        option_strings(EXEC.iter().chain(OUTPUT).chain([&LOCAL]))
    }

    /// Parses the flag line of `%%px` (the first line, after the magic's name).
    pub fn parse(line: &str) -> Result<Self, MagicsError> {
        let table: Vec<Flag> = EXEC.iter().chain(OUTPUT).chain([&LOCAL]).cloned().collect();
        let mut flags = CellPxFlags::default();
        for (dest, value) in parse_with(&table, line)? {
            apply_exec(&mut flags.exec, dest, &value);
            apply_output(&mut flags.output, dest, &value);
            if let (Dest::Local, Value::Bool(b)) = (dest, &value) {
                flags.local = *b;
            }
        }
        Ok(flags)
    }
}

impl ExecFlags {
    /// The option strings `%pxconfig` accepts, for completion.
    pub fn option_strings() -> Vec<&'static str> {
        option_strings(EXEC)
    }

    /// Parses the line of `%pxconfig`: execution flags only.
    pub fn parse(line: &str) -> Result<Self, MagicsError> {
        let mut flags = ExecFlags::default();
        for (dest, value) in parse_with(EXEC, line)? {
            apply_exec(&mut flags, dest, &value);
        }
        Ok(flags)
    }
}

impl OutputFlags {
    /// The option strings `%pxresult` accepts, for completion.
    pub fn option_strings() -> Vec<&'static str> {
        option_strings(OUTPUT)
    }

    /// Parses the line of `%pxresult` / `%result`: output flags only.
    pub fn parse(line: &str) -> Result<Self, MagicsError> {
        let mut flags = OutputFlags::default();
        for (dest, value) in parse_with(OUTPUT, line)? {
            apply_output(&mut flags, dest, &value);
        }
        Ok(flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_strings_are_each_magics_own() {
        let cell = CellPxFlags::option_strings();
        assert!(cell.contains(&"--local") && cell.contains(&"--group-outputs"));
        assert!(cell.contains(&"-t") && cell.contains(&"--targets"));
        assert!(!ExecFlags::option_strings().contains(&"--local"));
        assert!(!ExecFlags::option_strings().contains(&"--out"));
        assert_eq!(
            OutputFlags::option_strings(),
            ["-o", "--out", "--group-outputs", "-e", "-r"]
        );
    }
}
