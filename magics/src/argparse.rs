//! The small part of Python's `argparse` (3.11) the magics' flag lines go through, with its
//! exact error texts, because users see them verbatim as `UsageError: …`.
//!
//! What it reproduces: unambiguous prefixes of long options (`--targ`), `--opt=value`,
//! `-tVALUE` / `-t=VALUE`, bundled short flags (`-ba`), a negative number taken as a value
//! (`--progress-after -1`), "the last one wins" for repeated flags, words after `--` being
//! positional, and the order in which errors are found: an ambiguous prefix first (while
//! classifying words), then a flag's own error (missing, ignored or invalid value) left to
//! right, then every unrecognized word at once. The parsers of the magics have no
//! positional arguments and no `-h`, so every leftover word is unrecognized.

use crate::error::UsageError;

/// Where a flag stores its value (argparse's `dest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dest {
    Block,
    Stream,
    Targets,
    Verbose,
    ProgressAfter,
    Signal,
    GroupBy,
    Out,
    Local,
}

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Bool(bool),
    Str(String),
    Float(f64),
}

/// What a flag does with its words.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Action {
    /// `store_const`: takes no value.
    Const(ConstValue),
    /// Takes exactly one value of this kind.
    Store(Kind),
}

/// The constant a `store_const` flag stores.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ConstValue {
    Bool(bool),
    Str(&'static str),
}

/// The type of a stored value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Float,
    Choice(&'static [&'static str]),
}

/// One flag: its spellings (in argparse's order: the name in errors is them joined by `/`),
/// where it stores, and how.
#[derive(Debug, Clone)]
pub(crate) struct Flag {
    pub strings: &'static [&'static str],
    pub dest: Dest,
    pub action: Action,
}

/// A flag line's assignments, in the order argparse made them (later ones win).
pub(crate) type Assignments = Vec<(Dest, Value)>;

/// Parses `words` against `flags`, listed in the order the parser registered them (this
/// order shows in ambiguity messages).
pub(crate) fn parse(flags: &[Flag], words: &[String]) -> Result<Assignments, UsageError> {
    let parser = Parser { flags };
    parser.parse(words)
}

/// How argparse classified a word: a value (`A`), the `--` marker, or an option (known or
/// not) with its explicit `=` value.
#[derive(Debug, Clone)]
enum Word<'f> {
    Arg,
    DoubleDash,
    Opt(Option<(&'f Flag, &'static str)>, Option<String>),
}

/// A flag matched by a word, with the value attached to the word if any.
type Match<'f> = ((&'f Flag, &'static str), Option<String>);

struct Parser<'f> {
    flags: &'f [Flag],
}

impl<'f> Parser<'f> {
    fn all_strings(&self) -> impl Iterator<Item = (&'f Flag, &'static str)> + '_ {
        self.flags
            .iter()
            .flat_map(|f| f.strings.iter().map(move |s| (f, *s)))
    }

    fn exact(&self, s: &str) -> Option<(&'f Flag, &'static str)> {
        self.all_strings().find(|(_, name)| *name == s)
    }

    fn parse(&self, words: &[String]) -> Result<Assignments, UsageError> {
        let mut kinds = Vec::with_capacity(words.len());
        let mut after_dd = false;
        for w in words {
            if after_dd {
                kinds.push(Word::Arg);
            } else if w == "--" {
                after_dd = true;
                kinds.push(Word::DoubleDash);
            } else {
                kinds.push(self.classify(w)?);
            }
        }

        let mut out = Assignments::new();
        let mut extras: Vec<String> = Vec::new();
        let mut i = 0;
        while i < words.len() {
            match &kinds[i] {
                Word::Opt(found, explicit) => {
                    i = self.consume_optional(
                        words,
                        &kinds,
                        i,
                        *found,
                        explicit.clone(),
                        &mut out,
                        &mut extras,
                    )?;
                }
                _ => {
                    extras.push(words[i].clone());
                    i += 1;
                }
            }
        }
        if !extras.is_empty() {
            return Err(UsageError(format!(
                "unrecognized arguments: {}",
                extras.join(" ")
            )));
        }
        Ok(out)
    }

    /// argparse's `_parse_optional`.
    fn classify(&self, w: &str) -> Result<Word<'f>, UsageError> {
        if w.is_empty() || !w.starts_with('-') {
            return Ok(Word::Arg);
        }
        if let Some(found) = self.exact(w) {
            return Ok(Word::Opt(Some(found), None));
        }
        if w.len() == 1 {
            return Ok(Word::Arg);
        }
        if let Some((name, value)) = w.split_once('=') {
            if let Some(found) = self.exact(name) {
                return Ok(Word::Opt(Some(found), Some(value.to_owned())));
            }
        }
        let matches = self.prefix_matches(w);
        if matches.len() > 1 {
            let names: Vec<&str> = matches.iter().map(|((_, n), _)| *n).collect();
            return Err(UsageError(format!(
                "ambiguous option: {w} could match {}",
                names.join(", ")
            )));
        }
        if let Some((found, explicit)) = matches.into_iter().next() {
            return Ok(Word::Opt(Some(found), explicit));
        }
        if is_negative_number(w) || w.contains(' ') {
            return Ok(Word::Arg);
        }
        Ok(Word::Opt(None, None))
    }

    /// argparse's `_get_option_tuples`: long options match by prefix (split at `=`); a
    /// single-dash word matches its first two characters with the rest as value.
    fn prefix_matches(&self, w: &str) -> Vec<Match<'f>> {
        let mut result = Vec::new();
        if w.starts_with("--") {
            let (prefix, explicit) = match w.split_once('=') {
                Some((p, v)) => (p, Some(v.to_owned())),
                None => (w, None),
            };
            for (flag, name) in self.all_strings() {
                if name.starts_with(prefix) {
                    result.push(((flag, name), explicit.clone()));
                }
            }
        } else {
            let split = w.char_indices().nth(2).map_or(w.len(), |(i, _)| i);
            let (short, rest) = w.split_at(split);
            for (flag, name) in self.all_strings() {
                if name == short {
                    result.push(((flag, name), Some(rest.to_owned())));
                } else if name.starts_with(w) {
                    result.push(((flag, name), None));
                }
            }
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn consume_optional(
        &self,
        words: &[String],
        kinds: &[Word<'f>],
        start: usize,
        found: Option<(&'f Flag, &'static str)>,
        mut explicit: Option<String>,
        out: &mut Assignments,
        extras: &mut Vec<String>,
    ) -> Result<usize, UsageError> {
        let Some((mut flag, mut name)) = found else {
            extras.push(words[start].clone());
            return Ok(start + 1);
        };
        let mut pending: Vec<(&Flag, Option<String>)> = Vec::new();
        let stop;
        loop {
            match (explicit.take(), flag.action) {
                (Some(value), Action::Const(_)) => {
                    // A bundled short flag (`-ba`): the rest names more short flags.
                    let is_short = !name[1..].starts_with('-');
                    if is_short && !value.is_empty() {
                        pending.push((flag, None));
                        let mut rest = value.chars();
                        let next = format!("-{}", rest.next().unwrap_or_default());
                        let tail: String = rest.collect();
                        match self.exact(&next) {
                            Some((f, n)) => {
                                flag = f;
                                name = n;
                                explicit = (!tail.is_empty()).then_some(tail);
                            }
                            None => {
                                return Err(arg_error(
                                    flag,
                                    &format!("ignored explicit argument {}", py_repr(&value)),
                                ))
                            }
                        }
                    } else {
                        return Err(arg_error(
                            flag,
                            &format!("ignored explicit argument {}", py_repr(&value)),
                        ));
                    }
                }
                (Some(value), Action::Store(_)) => {
                    pending.push((flag, Some(value)));
                    stop = start + 1;
                    break;
                }
                (None, Action::Const(_)) => {
                    pending.push((flag, None));
                    stop = start + 1;
                    break;
                }
                (None, Action::Store(_)) => {
                    // Optionals never take `--` or an option-looking word as their value.
                    match kinds.get(start + 1) {
                        Some(Word::Arg) => {
                            pending.push((flag, Some(words[start + 1].clone())));
                            stop = start + 2;
                            break;
                        }
                        _ => return Err(arg_error(flag, "expected one argument")),
                    }
                }
            }
        }
        for (flag, value) in pending {
            out.push((flag.dest, convert(flag, value)?));
        }
        Ok(stop)
    }
}

/// argparse's `_negative_number_matcher`: `-12` or `-1.5` / `-.5` look like values.
fn is_negative_number(w: &str) -> bool {
    let Some(rest) = w.strip_prefix('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits(rest) {
        return true;
    }
    match rest.split_once('.') {
        Some((int, frac)) => (int.is_empty() || digits(int)) && digits(frac),
        None => false,
    }
}

fn arg_error(flag: &Flag, message: &str) -> UsageError {
    UsageError(format!("argument {}: {message}", flag.strings.join("/")))
}

fn convert(flag: &Flag, value: Option<String>) -> Result<Value, UsageError> {
    match (flag.action, value) {
        (Action::Const(ConstValue::Bool(b)), _) => Ok(Value::Bool(b)),
        (Action::Const(ConstValue::Str(s)), _) => Ok(Value::Str(s.to_owned())),
        (Action::Store(kind), Some(v)) => match kind {
            Kind::Str => Ok(Value::Str(v)),
            Kind::Float => python_float(&v)
                .map(Value::Float)
                .ok_or_else(|| arg_error(flag, &format!("invalid float value: {}", py_repr(&v)))),
            Kind::Choice(choices) => {
                if choices.contains(&v.as_str()) {
                    Ok(Value::Str(v))
                } else {
                    let list: Vec<String> = choices.iter().map(|c| py_repr(c)).collect();
                    Err(arg_error(
                        flag,
                        &format!(
                            "invalid choice: {} (choose from {})",
                            py_repr(&v),
                            list.join(", ")
                        ),
                    ))
                }
            }
        },
        (Action::Store(_), None) => Err(arg_error(flag, "expected one argument")),
    }
}

/// Python's `float(str)`: surrounding whitespace, a sign, `_` between digits, exponents,
/// `inf`/`infinity`/`nan` in any case. Hex and other forms are rejected, as Python does.
pub(crate) fn python_float(s: &str) -> Option<f64> {
    let s = s.trim_matches(|c: char| c.is_whitespace());
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    // Underscores only between two digits.
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let before = i.checked_sub(1).map(|j| bytes[j].is_ascii_digit());
            let after = bytes.get(i + 1).map(u8::is_ascii_digit);
            if before != Some(true) || after != Some(true) {
                return None;
            }
        }
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let (mantissa, exponent) = match clean.find(['e', 'E']) {
        Some(at) => (&clean[..at], Some(&clean[at + 1..])),
        None => (clean.as_str(), None),
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => all_digits(a) && all_digits(b) && !(a.is_empty() && b.is_empty()),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    clean.parse::<f64>().ok().map(|v| sign * v)
}

/// Python's `repr()` of a string, as argparse quotes values in its messages.
pub(crate) use px_client::python_str_repr as py_repr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_accepts_what_python_accepts() {
        assert_eq!(python_float("1_000"), Some(1000.0));
        assert_eq!(python_float("-.5"), Some(-0.5));
        assert_eq!(python_float("+2"), Some(2.0));
        assert_eq!(python_float("1e3"), Some(1000.0));
        assert_eq!(python_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(python_float("nan").unwrap().is_nan());
        for bad in ["0x10", "''", "abc", "1__0", "_1", ".", "1e", ""] {
            assert_eq!(python_float(bad), None, "{bad}");
        }
    }

    #[test]
    fn repr_picks_quotes_like_python() {
        assert_eq!(py_repr("abc"), "'abc'");
        assert_eq!(py_repr("''"), "\"''\"");
        assert_eq!(py_repr("a'\""), "'a\\'\"'");
    }
}
