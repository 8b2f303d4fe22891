//! Which engines a request goes to: the `--targets` strings of `%px`, `%%px -t` and
//! `%pxconfig -t`, and their resolution against the registered engine ids.
//!
//! Stock ipyparallel handles targets in two steps, and so do we:
//!
//! 1. **Parsing** (`ParallelMagics._eval_target_str`). A string containing `:` is a Python
//!    slice of `client.ids`; otherwise a string containing `all` *anywhere* means all engines;
//!    otherwise the string is evaluated as Python. We accept the Python literals that make
//!    sense as targets: an int (`1`, `-1`), a list (`[1,3]`), a tuple (`1,3`, `(0,2)`, `1,`)
//!    and `range(..)`. Anything else fails here, with one line naming the problem.
//! 2. **Resolution** (`Client._build_targets`, at submission time): `all` becomes every
//!    registered id; an int must be a registered id, or counts from the end if negative; a
//!    collection must hold registered ids only; a slice picks positions in the id list.
//!
//! Because parsing needs no engine table, `%pxconfig -t 99` succeeds and the error only
//! appears at the next submission, as in stock.

use std::fmt;
use std::str::FromStr;

/// A target specification, as the user wrote it, not yet checked against the registered
/// engines (they change between `%pxconfig -t` and the next `%px`).
///
/// Lists and tuples resolve alike; they are kept apart because stock prints the stored
/// specification in the verbose line (`Parallel execution on engine(s): (1, 2)`), where the
/// brackets show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Every registered engine (`all`, or any string containing `all` and no `:`).
    All,
    /// One engine (`1`, `-1`). A negative value counts from the end of the registered ids.
    /// This is stock's single-result mode: its result is not a list, its error is a plain
    /// remote error rather than a composite one, and its output carries no engine prefixes.
    One(i64),
    /// Engine ids in brackets (`[1,3]`), in this order, duplicates kept. Negative values are
    /// ids, not positions, so they never match.
    List(Vec<i64>),
    /// Engine ids without brackets or in parentheses (`1,3`, `(0,2)`, `1,`); resolves like
    /// [`Targets::List`].
    Tuple(Vec<i64>),
    /// `range(start, stop, step)`: the ids it yields, which must all be registered.
    Range {
        /// First id.
        start: i64,
        /// End, exclusive.
        stop: i64,
        /// Never zero when parsed.
        step: i64,
    },
    /// A Python slice of the registered ids, by position (`::2`, `1:3`, `-2:`, `::-1`).
    /// Missing bounds are `None`, as in Python.
    Slice {
        /// First position (Python `start`).
        start: Option<i64>,
        /// End position, exclusive (Python `stop`).
        stop: Option<i64>,
        /// Stride (Python `step`); `Some(0)` is rejected.
        step: Option<i64>,
    },
}

/// Why a targets string was rejected, or why targets name no usable engine.
///
/// Each variant's message is one line a user can act on. [`TargetsError::python_ename`]
/// gives the exception class stock ipyparallel raises in the same situation, for a kernel
/// that reports `ename`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetsError {
    /// The string is not a targets specification.
    #[error("invalid targets '{}': {reason}", one_line(input))]
    Invalid {
        /// The string as given.
        input: String,
        /// What is wrong with it.
        reason: String,
        /// The exception class stock raises for it (`SyntaxError`, `NameError`,
        /// `TypeError`, `ValueError`).
        python_ename: &'static str,
        /// Stock's message for it, where it is known exactly (`name 'foo' is not
        /// defined`); see [`TargetsError::python_evalue`].
        python_evalue: Option<String>,
    },
    /// No engine is registered at all; stock checks this before anything else.
    #[error("no engines registered: wait for engines to register before sending them work")]
    NoEngines,
    /// A negative int counts from the end, but there are fewer engines than that.
    #[error("engine index {index} is out of range: {registered} engines are registered")]
    IndexOutOfRange {
        /// The negative index given.
        index: i64,
        /// How many engines are registered.
        registered: usize,
    },
    /// An int target that is not a registered engine id.
    #[error("No such engine: {id}")]
    NoSuchEngine {
        /// The id given.
        id: i64,
    },
    /// An id in a list, tuple or range that is not a registered engine id.
    #[error("No such engine: {id} (in targets {targets})")]
    NotRegistered {
        /// The first unregistered id, in target order.
        id: i64,
        /// The targets, as [`Targets`] displays them.
        targets: String,
    },
    /// The targets select no engine (`[]`, `5:` with four engines). Stock accepts this in
    /// `_build_targets` and then fails building the result with an IndexError, so every
    /// submission fails; we fail here, with a clearer message.
    #[error("targets {targets} select none of the {registered} registered engines")]
    NoneSelected {
        /// The targets, as [`Targets`] displays them.
        targets: String,
        /// How many engines are registered.
        registered: usize,
    },
}

impl TargetsError {
    /// The exception class stock ipyparallel raises in the same situation: what a kernel
    /// reports as `ename` when it mirrors stock.
    pub fn python_ename(&self) -> &'static str {
        match self {
            TargetsError::Invalid { python_ename, .. } => python_ename,
            TargetsError::NoEngines => "NoEnginesRegistered",
            TargetsError::IndexOutOfRange { .. }
            | TargetsError::NoSuchEngine { .. }
            | TargetsError::NoneSelected { .. } => "IndexError",
            TargetsError::NotRegistered { .. } => "KeyError",
        }
    }

    /// Stock's message (`str()` of the exception it raises) where this client knows it
    /// exactly, for a kernel that reports `evalue` as stock does; `None` where stock's
    /// message depends on Python internals (syntax errors, type errors) or stock fails
    /// differently.
    pub fn python_evalue(&self) -> Option<String> {
        match self {
            TargetsError::Invalid { python_evalue, .. } => python_evalue.clone(),
            TargetsError::NoEngines => Some(
                "This operation requires engines. Try client.wait_for_engines(n) to wait \
                 for engines to register."
                    .into(),
            ),
            TargetsError::IndexOutOfRange { .. } => Some("list index out of range".into()),
            TargetsError::NoSuchEngine { id } => Some(format!("No such engine: {id}")),
            TargetsError::NotRegistered { id, .. } => Some(id.to_string()),
            TargetsError::NoneSelected { .. } => None,
        }
    }
}

impl Targets {
    /// The engine ids these targets designate now, in request order, following
    /// `Client._build_targets`: no engines at all is an error whatever the targets; an int
    /// must be registered (negative: counted from the end); every id of a list, tuple or
    /// range must be registered; a slice takes positions in `ids` with Python's clamping.
    ///
    /// `ids` are the registered ids in ascending order (as `Client.ids` keeps them).
    /// An empty selection is an error ([`TargetsError::NoneSelected`]), because stock fails
    /// every submission that has no engine.
    pub fn resolve(&self, ids: &[i64]) -> Result<Vec<i64>, TargetsError> {
        if ids.is_empty() {
            return Err(TargetsError::NoEngines);
        }
        let registered = |id: i64| ids.contains(&id);
        let not_registered = |id: i64| TargetsError::NotRegistered {
            id,
            targets: self.to_string(),
        };
        let selected = match self {
            Targets::All => ids.to_vec(),
            Targets::One(n) => {
                let id = if *n < 0 {
                    index_from_end(ids, *n).ok_or(TargetsError::IndexOutOfRange {
                        index: *n,
                        registered: ids.len(),
                    })?
                } else {
                    *n
                };
                if !registered(id) {
                    return Err(TargetsError::NoSuchEngine { id });
                }
                vec![id]
            }
            Targets::List(list) | Targets::Tuple(list) => {
                if let Some(&id) = list.iter().find(|&&id| !registered(id)) {
                    return Err(not_registered(id));
                }
                list.clone()
            }
            Targets::Range { start, stop, step } => {
                // Range values are distinct, so at most `ids.len()` of them can be
                // registered before one is not: the walk is bounded by the engine count.
                let mut out = Vec::new();
                for id in RangeIter::new(*start, *stop, *step).map_err(|e| self.invalid(e))? {
                    if !registered(id) {
                        return Err(not_registered(id));
                    }
                    out.push(id);
                }
                out
            }
            Targets::Slice { start, stop, step } => {
                slice_positions(ids.len(), *start, *stop, *step)
                    .map_err(|e| self.invalid(e))?
                    .into_iter()
                    .map(|i| ids[i])
                    .collect()
            }
        };
        if selected.is_empty() {
            return Err(TargetsError::NoneSelected {
                targets: self.to_string(),
                registered: ids.len(),
            });
        }
        Ok(selected)
    }

    /// Applies a slice to `ids` now, giving a [`Targets::List`]; other targets are returned
    /// unchanged. This is what stock's magics store: they apply slices to the ids registered
    /// when `%pxconfig -t ::2` runs, so engines registering later are not included, and the
    /// verbose line shows the list (`[0, 2]`). A slice selecting nothing (or no engines yet)
    /// gives an empty list here; the submission fails later, at [`Targets::resolve`].
    pub fn snapshot(&self, ids: &[i64]) -> Result<Targets, TargetsError> {
        match self {
            Targets::Slice { start, stop, step } => {
                let positions = slice_positions(ids.len(), *start, *stop, *step)
                    .map_err(|e| self.invalid(e))?;
                Ok(Targets::List(
                    positions.into_iter().map(|i| ids[i]).collect(),
                ))
            }
            other => Ok(other.clone()),
        }
    }

    /// Whether this is stock's single-result mode (an int target): the result is one value,
    /// a failure is a plain remote error, and output has no `[stdout:N]` prefixes.
    pub fn is_single(&self) -> bool {
        matches!(self, Targets::One(_))
    }

    fn invalid(&self, e: Problem) -> TargetsError {
        TargetsError::Invalid {
            input: self.to_string(),
            reason: e.reason,
            python_ename: e.ename,
            python_evalue: e.evalue,
        }
    }
}

impl From<i64> for Targets {
    fn from(id: i64) -> Self {
        Targets::One(id)
    }
}

impl From<Vec<i64>> for Targets {
    fn from(ids: Vec<i64>) -> Self {
        Targets::List(ids)
    }
}

/// Prints the canonical spelling, which parses back to the same value. Apart from slices,
/// this is Python's `str()` of the value stock's magics store (`all`, `-1`, `[0, 3]`,
/// `(1, 2)`, `(1,)`, `range(0, 2)`), the text of the verbose line; slices print as slice
/// syntax (`::2`, `1:3`, `-2:`), since stock never stores a slice (see
/// [`Targets::snapshot`]).
impl fmt::Display for Targets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Targets::All => f.write_str("all"),
            Targets::One(id) => write!(f, "{id}"),
            Targets::List(ids) => write!(f, "[{}]", join(ids)),
            Targets::Tuple(ids) if ids.len() == 1 => write!(f, "({},)", ids[0]),
            Targets::Tuple(ids) => write!(f, "({})", join(ids)),
            Targets::Range { start, stop, step } if *step == 1 => {
                write!(f, "range({start}, {stop})")
            }
            Targets::Range { start, stop, step } => write!(f, "range({start}, {stop}, {step})"),
            Targets::Slice { start, stop, step } => {
                let part = |p: &Option<i64>| p.map(|v| v.to_string()).unwrap_or_default();
                write!(f, "{}:{}", part(start), part(stop))?;
                match step {
                    Some(step) => write!(f, ":{step}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Control characters escaped (`\n`), so an error message stays on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a targets string as the `%px` family of magics does (see the module docs).
///
/// An empty string is an error here; note that stock's magics treat an empty `-t ""` as
/// "no targets given" and keep the current ones, so callers should do the same before
/// parsing.
impl FromStr for Targets {
    type Err = TargetsError;

    fn from_str(s: &str) -> Result<Self, TargetsError> {
        let invalid = |p: Problem| TargetsError::Invalid {
            input: s.to_owned(),
            reason: p.reason,
            python_ename: p.ename,
            python_evalue: p.evalue,
        };
        if s.contains(':') {
            return parse_slice(s).map_err(invalid);
        }
        // Stock tests for the substring, so `[all]` and `ball` also mean all engines.
        if s.contains("all") {
            return Ok(Targets::All);
        }
        parse_expression(s).map_err(invalid)
    }
}

/// A parse or evaluation problem: the reason for the message, and the class stock raises.
#[derive(Debug)]
struct Problem {
    reason: String,
    ename: &'static str,
    /// Python's message, where known exactly.
    evalue: Option<String>,
}

impl Problem {
    fn syntax(reason: impl Into<String>) -> Self {
        Problem {
            reason: reason.into(),
            ename: "SyntaxError",
            evalue: None,
        }
    }
    fn type_error(reason: impl Into<String>) -> Self {
        Problem {
            reason: reason.into(),
            ename: "TypeError",
            evalue: None,
        }
    }
    fn value_error(reason: impl Into<String>) -> Self {
        Problem {
            reason: reason.into(),
            ename: "ValueError",
            evalue: None,
        }
    }
}

/// Python's `seq[n]` for negative `n`.
fn index_from_end(ids: &[i64], n: i64) -> Option<i64> {
    let i = ids.len() as i128 + n as i128;
    usize::try_from(i).ok().and_then(|i| ids.get(i)).copied()
}

/// The positions `range(len)[start:stop:step]` yields, clamped as CPython's
/// `PySlice_AdjustIndices` clamps them.
fn slice_positions(
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Result<Vec<usize>, Problem> {
    let step = i128::from(step.unwrap_or(1));
    if step == 0 {
        return Err(Problem::value_error("slice step cannot be zero"));
    }
    let len = len as i128;
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let clamp = |bound: Option<i64>, default: i128| match bound.map(i128::from) {
        None => default,
        Some(v) if v < 0 => (v + len).max(lower),
        Some(v) => v.min(upper),
    };
    let start = clamp(start, if step < 0 { upper } else { lower });
    let stop = clamp(stop, if step < 0 { lower } else { upper });
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    Ok(out)
}

/// The values of Python's `range(start, stop, step)`, without overflow.
struct RangeIter {
    next: i128,
    stop: i128,
    step: i128,
}

impl RangeIter {
    fn new(start: i64, stop: i64, step: i64) -> Result<Self, Problem> {
        if step == 0 {
            return Err(Problem::value_error("range() arg 3 must not be zero"));
        }
        Ok(RangeIter {
            next: start.into(),
            stop: stop.into(),
            step: step.into(),
        })
    }
}

impl Iterator for RangeIter {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        let more = if self.step > 0 {
            self.next < self.stop
        } else {
            self.next > self.stop
        };
        if !more {
            return None;
        }
        let value = self.next as i64;
        self.next += self.step;
        Some(value)
    }
}

// ---------------------------------------------------------------------------------------
// The small Python subset the targets strings use.

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Int(i128),
    Float(String),
    Name(String),
    Open(char),
    Close(char),
    Comma,
    Colon,
    Plus,
    Minus,
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Int(v) => format!("'{v}'"),
            Token::Float(s) | Token::Name(s) => format!("'{s}'"),
            Token::Open(c) | Token::Close(c) => format!("'{c}'"),
            Token::Comma => "','".into(),
            Token::Colon => "':'".into(),
            Token::Plus => "'+'".into(),
            Token::Minus => "'-'".into(),
            Token::End => "the end".into(),
        }
    }
}

fn tokenize(s: &str) -> Result<Vec<Token>, Problem> {
    let chars: Vec<char> = s.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number =
            c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if c == ' ' || c == '\t' {
            i += 1;
        } else if starts_number {
            let begin = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "._".contains(chars[i])) {
                i += 1;
            }
            let text: String = chars[begin..i].iter().collect();
            tokens.push(number_token(&text)?);
        } else if c.is_alphabetic() || c == '_' {
            let begin = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Name(chars[begin..i].iter().collect()));
        } else {
            tokens.push(match c {
                '[' | '(' => Token::Open(c),
                ']' | ')' => Token::Close(c),
                ',' => Token::Comma,
                ':' => Token::Colon,
                '+' => Token::Plus,
                '-' => Token::Minus,
                _ => {
                    let c = one_line(&c.to_string());
                    return Err(Problem::syntax(format!("unexpected character '{c}'")));
                }
            });
            i += 1;
        }
    }
    tokens.push(Token::End);
    Ok(tokens)
}

/// A Python decimal integer literal (`0`, `00`, `12`, `1_000`; not `01`, `1__0`, `1_`),
/// or a float (kept as text, rejected later with the message stock would give).
fn number_token(text: &str) -> Result<Token, Problem> {
    let bad = || Problem::syntax(format!("'{text}' is not an integer"));
    let digits_ok = |t: &str| {
        !t.is_empty()
            && !t.starts_with('_')
            && !t.ends_with('_')
            && !t.contains("__")
            && t.chars().all(|c| c.is_ascii_digit() || c == '_')
    };
    if digits_ok(text) {
        let plain: String = text.chars().filter(|&c| c != '_').collect();
        if plain.len() > 1 && plain.starts_with('0') && plain.chars().any(|c| c != '0') {
            return Err(Problem::syntax(format!(
                "'{text}' is not an integer (leading zeros are not allowed)"
            )));
        }
        return plain
            .parse::<i128>()
            .ok()
            .filter(|v| *v <= i128::from(i64::MAX) + 1)
            .map(Token::Int)
            .ok_or_else(|| {
                Problem::value_error(format!("'{text}' is too large for an engine id"))
            });
    }
    let is_float = text.chars().any(|c| c == '.' || c == 'e' || c == 'E')
        && text.parse::<f64>().is_ok_and(f64::is_finite);
    if is_float {
        Ok(Token::Float(text.to_owned()))
    } else {
        Err(bad())
    }
}

/// A value of the subset, before it is checked to be a valid target.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Float(String),
    None,
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Range(i64, i64, i64),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Float(s) => s.clone(),
            Value::None => "None".into(),
            Value::List(_) => "a list".into(),
            Value::Tuple(_) => "a tuple".into(),
            Value::Range(..) => "a range".into(),
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn new(s: &str) -> Result<Self, Problem> {
        Ok(Parser {
            tokens: tokenize(s)?,
            pos: 0,
        })
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if t != Token::End {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self) -> Problem {
        match self.peek() {
            Token::End => Problem::syntax("unexpected end"),
            t => Problem::syntax(format!("unexpected {}", t.describe())),
        }
    }

    fn expect_end(&self) -> Result<(), Problem> {
        match self.peek() {
            Token::End => Ok(()),
            _ => Err(self.unexpected()),
        }
    }

    /// `expr (',' expr)* [',']`: one value, or a tuple if there is any comma.
    fn expr_list(&mut self, close: Option<char>) -> Result<Value, Problem> {
        let (mut items, comma) = self.sequence(close)?;
        if comma {
            Ok(Value::Tuple(items))
        } else {
            Ok(items.remove(0))
        }
    }

    /// The comma-separated items up to `close` (or the end), and whether a comma was seen.
    /// At least one item: callers handle empty brackets themselves.
    fn sequence(&mut self, close: Option<char>) -> Result<(Vec<Value>, bool), Problem> {
        let mut items = vec![self.expr()?];
        let mut comma = false;
        while *self.peek() == Token::Comma {
            self.bump();
            comma = true;
            if self.at_list_end(close) {
                break;
            }
            items.push(self.expr()?);
        }
        Ok((items, comma))
    }

    fn at_list_end(&self, close: Option<char>) -> bool {
        match (self.peek(), close) {
            (Token::End, None) => true,
            (Token::Close(c), Some(want)) => *c == want,
            _ => false,
        }
    }

    /// Unary signs (any number, as Python allows) before a primary.
    fn expr(&mut self) -> Result<Value, Problem> {
        let mut negative = false;
        let mut signed = false;
        while matches!(self.peek(), Token::Plus | Token::Minus) {
            negative ^= self.bump() == Token::Minus;
            signed = true;
        }
        let value = self.primary(negative)?;
        match value {
            Value::Int(_) | Value::Float(_) => Ok(value),
            other if signed => Err(Problem::type_error(format!(
                "a sign cannot apply to {}",
                other.describe()
            ))),
            other => Ok(other),
        }
    }

    fn primary(&mut self, negative: bool) -> Result<Value, Problem> {
        match self.bump() {
            Token::Int(v) => {
                let v = if negative { -v } else { v };
                i64::try_from(v).map(Value::Int).map_err(|_| {
                    Problem::value_error(format!("'{v}' is too large for an engine id"))
                })
            }
            Token::Float(s) => Ok(Value::Float(if negative { format!("-{s}") } else { s })),
            Token::Open('[') => {
                if *self.peek() == Token::Close(']') {
                    self.bump();
                    return Ok(Value::List(Vec::new()));
                }
                let (items, _) = self.sequence(Some(']'))?;
                self.close(']')?;
                Ok(Value::List(items))
            }
            Token::Open('(') => {
                if *self.peek() == Token::Close(')') {
                    self.bump();
                    return Ok(Value::Tuple(Vec::new()));
                }
                let inner = self.expr_list(Some(')'))?;
                self.close(')')?;
                Ok(inner)
            }
            Token::Name(name) if name == "None" => Ok(Value::None),
            Token::Name(name) if name == "range" && *self.peek() == Token::Open('(') => {
                self.range_call()
            }
            Token::Name(name) => Err(Problem {
                reason: format!("'{name}' is not an integer"),
                ename: "NameError",
                evalue: Some(format!("name '{name}' is not defined")),
            }),
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
    }

    fn close(&mut self, want: char) -> Result<(), Problem> {
        match self.peek() {
            Token::Close(c) if *c == want => {
                self.bump();
                Ok(())
            }
            Token::End => Err(Problem::syntax(format!("'{want}' was never closed"))),
            _ => Err(self.unexpected()),
        }
    }

    fn range_call(&mut self) -> Result<Value, Problem> {
        self.bump(); // '('
        let args = if *self.peek() == Token::Close(')') {
            Vec::new()
        } else {
            self.sequence(Some(')'))?.0
        };
        self.close(')')?;
        let ints = args
            .iter()
            .map(|a| match a {
                Value::Int(v) => Ok(*v),
                other => Err(Problem::type_error(format!(
                    "range() takes integers, not {}",
                    other.describe()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (start, stop, step) = match ints[..] {
            [stop] => (0, stop, 1),
            [start, stop] => (start, stop, 1),
            [start, stop, step] => (start, stop, step),
            _ => {
                return Err(Problem::type_error(format!(
                    "range() takes 1 to 3 arguments, not {}",
                    ints.len()
                )))
            }
        };
        if step == 0 {
            return Err(Problem::value_error("range() step cannot be zero"));
        }
        Ok(Value::Range(start, stop, step))
    }

    /// A slice bound: empty, an int, or `None`.
    fn slice_bound(&mut self, what: &str) -> Result<Option<i64>, Problem> {
        if matches!(self.peek(), Token::Colon | Token::Comma | Token::End) {
            return Ok(None);
        }
        match self.expr()? {
            Value::Int(v) => Ok(Some(v)),
            Value::None => Ok(None),
            other => Err(Problem {
                reason: format!("slice {what} '{}' is not an integer", other.describe()),
                ename: "TypeError",
                evalue: None,
            }),
        }
    }
}

fn parse_slice(s: &str) -> Result<Targets, Problem> {
    let trimmed = s.trim_matches([' ', '\t']);
    if trimmed.starts_with('[') && trimmed.ends_with(']') {
        return Err(Problem::syntax(format!(
            "a slice is written without brackets: '{}'",
            &trimmed[1..trimmed.len() - 1]
        )));
    }
    let mut p = Parser::new(s)?;
    let start = p.slice_bound("start")?;
    if *p.peek() != Token::Colon {
        return Err(p.unexpected());
    }
    p.bump();
    let stop = p.slice_bound("stop")?;
    let step = if *p.peek() == Token::Colon {
        p.bump();
        p.slice_bound("step")?
    } else {
        None
    };
    if *p.peek() == Token::Comma {
        return Err(Problem::type_error(
            "a slice cannot be combined with other targets",
        ));
    }
    p.expect_end()?;
    if step == Some(0) {
        return Err(Problem::value_error("slice step cannot be zero"));
    }
    Ok(Targets::Slice { start, stop, step })
}

fn parse_expression(s: &str) -> Result<Targets, Problem> {
    let mut p = Parser::new(s)?;
    if *p.peek() == Token::End {
        return Err(Problem::syntax("no targets given"));
    }
    let value = p.expr_list(None)?;
    p.expect_end()?;
    let ids = |items: Vec<Value>| {
        items
            .into_iter()
            .map(|v| match v {
                Value::Int(id) => Ok(id),
                other => Err(Problem::type_error(format!(
                    "engine ids must be integers, not {}",
                    other.describe()
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
    };
    match value {
        Value::Int(id) => Ok(Targets::One(id)),
        Value::List(items) => Ok(Targets::List(ids(items)?)),
        Value::Tuple(items) => Ok(Targets::Tuple(ids(items)?)),
        Value::Range(start, stop, step) => Ok(Targets::Range { start, stop, step }),
        Value::Float(text) => Err(Problem::type_error(format!("'{text}' is not an integer"))),
        Value::None => Err(Problem::type_error(
            "'None' is not supported; use 'all' for every engine",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Targets {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn parse_err(s: &str) -> TargetsError {
        match s.parse::<Targets>() {
            Ok(t) => panic!("{s:?} should not parse, got {t:?}"),
            Err(e) => e,
        }
    }

    fn slice(start: Option<i64>, stop: Option<i64>, step: Option<i64>) -> Targets {
        Targets::Slice { start, stop, step }
    }

    #[test]
    fn parses_all_anywhere_in_the_string_like_stock() {
        assert_eq!(parse("all"), Targets::All);
        assert_eq!(parse("[all]"), Targets::All);
        assert_eq!(parse("ball"), Targets::All);
        // The substring test is case-sensitive in stock: `ALL` is evaluated as a name.
        assert_eq!(parse_err("ALL").python_ename(), "NameError");
    }

    #[test]
    fn parses_ints_with_python_literal_rules() {
        assert_eq!(parse("1"), Targets::One(1));
        assert_eq!(parse("-1"), Targets::One(-1));
        assert_eq!(parse("+1"), Targets::One(1));
        assert_eq!(parse("--1"), Targets::One(1));
        assert_eq!(parse(" 1 "), Targets::One(1));
        assert_eq!(parse("(1)"), Targets::One(1));
        assert_eq!(parse("((2))"), Targets::One(2));
        assert_eq!(parse("00"), Targets::One(0));
        assert_eq!(parse("1_0"), Targets::One(10));
        assert_eq!(parse("-9223372036854775808"), Targets::One(i64::MIN));
        assert_eq!(parse_err("01").python_ename(), "SyntaxError");
        assert_eq!(parse_err("1__0").python_ename(), "SyntaxError");
        assert_eq!(parse_err("1_").python_ename(), "SyntaxError");
        assert_eq!(
            parse_err("9223372036854775808").python_ename(),
            "ValueError"
        );
    }

    #[test]
    fn parses_lists_and_tuples_keeping_order_and_duplicates() {
        assert_eq!(parse("[1,3]"), Targets::List(vec![1, 3]));
        assert_eq!(parse("[ 3 , 1 , ]"), Targets::List(vec![3, 1]));
        assert_eq!(parse("[1,1]"), Targets::List(vec![1, 1]));
        assert_eq!(parse("[]"), Targets::List(vec![]));
        assert_eq!(parse("[(1)]"), Targets::List(vec![1]));
        assert_eq!(parse("[-1]"), Targets::List(vec![-1]));
        assert_eq!(parse("1,3"), Targets::Tuple(vec![1, 3]));
        assert_eq!(parse("1,"), Targets::Tuple(vec![1]));
        assert_eq!(parse("(0,2)"), Targets::Tuple(vec![0, 2]));
        assert_eq!(parse("(0,)"), Targets::Tuple(vec![0]));
        assert_eq!(parse("()"), Targets::Tuple(vec![]));
        assert_eq!(parse("(1, 2, )"), Targets::Tuple(vec![1, 2]));
    }

    #[test]
    fn parses_range_calls() {
        let range = |start, stop, step| Targets::Range { start, stop, step };
        assert_eq!(parse("range(2)"), range(0, 2, 1));
        assert_eq!(parse("range( 1 , 3 )"), range(1, 3, 1));
        assert_eq!(parse("range(3,-1,-1)"), range(3, -1, -1));
        assert_eq!(parse_err("range()").python_ename(), "TypeError");
        assert_eq!(parse_err("range(1,2,3,4)").python_ename(), "TypeError");
        assert_eq!(parse_err("range(1,2,0)").python_ename(), "ValueError");
        assert_eq!(parse_err("range([1])").python_ename(), "TypeError");
    }

    #[test]
    fn parses_python_slices() {
        assert_eq!(parse(":"), slice(None, None, None));
        assert_eq!(parse("::"), slice(None, None, None));
        assert_eq!(parse("::2"), slice(None, None, Some(2)));
        assert_eq!(parse("1::2"), slice(Some(1), None, Some(2)));
        assert_eq!(parse("1:3"), slice(Some(1), Some(3), None));
        assert_eq!(parse("1:3:"), slice(Some(1), Some(3), None));
        assert_eq!(parse("-2:"), slice(Some(-2), None, None));
        assert_eq!(parse(":-1"), slice(None, Some(-1), None));
        assert_eq!(parse("1:10:3"), slice(Some(1), Some(10), Some(3)));
        assert_eq!(parse("::-1"), slice(None, None, Some(-1)));
        assert_eq!(parse(" 1 : 3 "), slice(Some(1), Some(3), None));
        assert_eq!(parse("None:2"), slice(None, Some(2), None));
        assert_eq!(parse("(1):(3)"), slice(Some(1), Some(3), None));
    }

    #[test]
    fn bad_strings_name_the_problem_in_one_line() {
        let cases = [
            ("1:x", "invalid targets '1:x': 'x' is not an integer"),
            ("", "invalid targets '': no targets given"),
            ("1,,2", "invalid targets '1,,2': unexpected ','"),
            ("abc", "invalid targets 'abc': 'abc' is not an integer"),
            ("1.5", "invalid targets '1.5': '1.5' is not an integer"),
            ("::0", "invalid targets '::0': slice step cannot be zero"),
            ("1:2:3:4", "invalid targets '1:2:3:4': unexpected ':'"),
            ("[1,2", "invalid targets '[1,2': ']' was never closed"),
            ("1 2", "invalid targets '1 2': unexpected '2'"),
            (
                "[1:3]",
                "invalid targets '[1:3]': a slice is written without brackets: '1:3'",
            ),
            (
                "1:2,3",
                "invalid targets '1:2,3': a slice cannot be combined with other targets",
            ),
            (
                "[1,[2]]",
                "invalid targets '[1,[2]]': engine ids must be integers, not a list",
            ),
            (
                "-[1]",
                "invalid targets '-[1]': a sign cannot apply to a list",
            ),
            ("1;2", "invalid targets '1;2': unexpected character ';'"),
            (
                "1\n2",
                "invalid targets '1\\n2': unexpected character '\\n'",
            ),
            (
                "None",
                "invalid targets 'None': 'None' is not supported; use 'all' for every engine",
            ),
        ];
        for (input, message) in cases {
            let e = parse_err(input);
            assert_eq!(e.to_string(), message, "for {input:?}");
            assert!(!e.to_string().contains('\n'));
        }
        assert_eq!(parse_err("1:x").python_ename(), "NameError");
        assert_eq!(
            parse_err("1:x").python_evalue().as_deref(),
            Some("name 'x' is not defined")
        );
        assert_eq!(
            parse_err("[0, foo]").python_evalue().as_deref(),
            Some("name 'foo' is not defined")
        );
        assert_eq!(parse_err("1,,2").python_evalue(), None);
        assert_eq!(parse_err("::0").python_ename(), "ValueError");
        assert_eq!(parse_err("1.5").python_ename(), "TypeError");
        assert_eq!(parse_err("1,,2").python_ename(), "SyntaxError");
    }

    #[test]
    fn display_is_canonical_and_parses_back() {
        let cases = [
            ("all", "all"),
            ("ball", "all"),
            ("1", "1"),
            (" -1", "-1"),
            ("[0,3]", "[0, 3]"),
            ("[]", "[]"),
            ("1,2", "(1, 2)"),
            ("(0 ,)", "(0,)"),
            ("()", "()"),
            ("range(2)", "range(0, 2)"),
            ("range(0,4,2)", "range(0, 4, 2)"),
            (":", ":"),
            ("::", ":"),
            ("::2", "::2"),
            ("1:3:", "1:3"),
            (" -2 : ", "-2:"),
            ("1:10:3", "1:10:3"),
            ("None:2:-1", ":2:-1"),
        ];
        for (input, shown) in cases {
            let t = parse(input);
            assert_eq!(t.to_string(), shown, "for {input:?}");
            assert_eq!(parse(shown), t, "{shown:?} should parse back");
        }
    }

    #[test]
    fn resolve_mirrors_build_targets_errors() {
        let ids = [0, 1, 2, 3];
        assert_eq!(Targets::All.resolve(&[]), Err(TargetsError::NoEngines));
        assert_eq!(
            Targets::One(99).resolve(&ids).unwrap_err().to_string(),
            "No such engine: 99"
        );
        assert_eq!(
            Targets::One(-5).resolve(&ids).unwrap_err().to_string(),
            "engine index -5 is out of range: 4 engines are registered"
        );
        let e = Targets::List(vec![0, 99, 98]).resolve(&ids).unwrap_err();
        assert_eq!(e.to_string(), "No such engine: 99 (in targets [0, 99, 98])");
        assert_eq!(e.python_ename(), "KeyError");
        let e = parse("5:").resolve(&ids).unwrap_err();
        assert_eq!(
            e.to_string(),
            "targets 5: select none of the 4 registered engines"
        );
        assert_eq!(e.python_ename(), "IndexError");
        // A hand-built zero step is caught at resolution too.
        let e = slice(None, None, Some(0)).resolve(&ids).unwrap_err();
        assert_eq!(e.python_ename(), "ValueError");
    }

    #[test]
    fn resolve_keeps_list_order_and_duplicates() {
        assert_eq!(
            Targets::List(vec![3, 1, 3]).resolve(&[0, 1, 2, 3]),
            Ok(vec![3, 1, 3])
        );
    }

    #[test]
    fn resolve_slices_with_extreme_bounds() {
        let ids = [0, 1, 2, 3];
        assert_eq!(
            slice(Some(i64::MIN), Some(i64::MAX), None).resolve(&ids),
            Ok(ids.to_vec())
        );
        assert_eq!(
            slice(Some(i64::MAX), Some(i64::MIN), Some(i64::MIN)).resolve(&ids),
            Ok(vec![3])
        );
        assert_eq!(slice(None, None, Some(i64::MAX)).resolve(&ids), Ok(vec![0]));
    }

    #[test]
    fn resolving_a_huge_range_stops_at_the_first_unregistered_id() {
        let t = Targets::Range {
            start: 0,
            stop: i64::MAX,
            step: 1,
        };
        assert_eq!(
            t.resolve(&[0, 1]).unwrap_err(),
            TargetsError::NotRegistered {
                id: 2,
                targets: "range(0, 9223372036854775807)".into()
            }
        );
    }

    #[test]
    fn snapshot_applies_slices_to_the_ids_of_the_moment() {
        assert_eq!(
            parse("::2").snapshot(&[0, 2, 5, 7]),
            Ok(Targets::List(vec![0, 5]))
        );
        // Stock's `%pxconfig -t ::2` with no engines stores `[]`; submission fails later.
        assert_eq!(parse("::2").snapshot(&[]), Ok(Targets::List(vec![])));
        assert_eq!(parse("-1").snapshot(&[0, 1]), Ok(Targets::One(-1)));
    }

    #[test]
    fn only_an_int_is_single_result_mode() {
        assert!(parse("1").is_single());
        assert!(parse("-1").is_single());
        assert!(!parse("[1]").is_single());
        assert!(!parse("-1:").is_single());
    }

    /// Expected results computed by stock ipyparallel 9.2.0:
    /// `/work/main/.venv/bin/python py/expected_targets.py` (in this crate's folder) runs the
    /// real `ParallelMagics._eval_target_str` and `Client._build_targets` on stub objects for
    /// each string and id list, and prints these rows. Stock's empty selection is recorded as
    /// the IndexError its AsyncResult raises next.
    ///
    /// `Err((stage, ename))`: stage "parse" means stock's magic failed to evaluate the
    /// string; "resolve" means `_build_targets` (or the empty check) failed.
    #[allow(clippy::type_complexity)]
    const STOCK: &[(&str, &[i64], Result<&[i64], (&str, &str)>)] = &[
        ("all", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        ("all", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("all", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        ("ball", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        ("ball", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("ball", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        ("[all]", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        ("[all]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[all]", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        ("ALL", &[0, 1, 2, 3], Err(("parse", "NameError"))),
        ("ALL", &[], Err(("parse", "NameError"))),
        ("ALL", &[0, 2, 5, 7], Err(("parse", "NameError"))),
        ("0", &[0, 1, 2, 3], Ok(&[0])),
        ("0", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("0", &[0, 2, 5, 7], Ok(&[0])),
        ("1", &[0, 1, 2, 3], Ok(&[1])),
        ("1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("3", &[0, 1, 2, 3], Ok(&[3])),
        ("3", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("3", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("99", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("99", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("99", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("-1", &[0, 1, 2, 3], Ok(&[3])),
        ("-1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-1", &[0, 2, 5, 7], Ok(&[7])),
        ("-4", &[0, 1, 2, 3], Ok(&[0])),
        ("-4", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-4", &[0, 2, 5, 7], Ok(&[0])),
        ("-5", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("-5", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-5", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("+1", &[0, 1, 2, 3], Ok(&[1])),
        ("+1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("+1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("00", &[0, 1, 2, 3], Ok(&[0])),
        ("00", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("00", &[0, 2, 5, 7], Ok(&[0])),
        ("1_0", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("1_0", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1_0", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        (" 1", &[0, 1, 2, 3], Ok(&[1])),
        (" 1", &[], Err(("resolve", "NoEnginesRegistered"))),
        (" 1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("1 ", &[0, 1, 2, 3], Ok(&[1])),
        ("1 ", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1 ", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("(1)", &[0, 1, 2, 3], Ok(&[1])),
        ("(1)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("(1)", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("((2))", &[0, 1, 2, 3], Ok(&[2])),
        ("((2))", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("((2))", &[0, 2, 5, 7], Ok(&[2])),
        ("[1,3]", &[0, 1, 2, 3], Ok(&[1, 3])),
        ("[1,3]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1,3]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[1, 3]", &[0, 1, 2, 3], Ok(&[1, 3])),
        ("[1, 3]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1, 3]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[3,1]", &[0, 1, 2, 3], Ok(&[3, 1])),
        ("[3,1]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[3,1]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[1,1]", &[0, 1, 2, 3], Ok(&[1, 1])),
        ("[1,1]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1,1]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[1,3,]", &[0, 1, 2, 3], Ok(&[1, 3])),
        ("[1,3,]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1,3,]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[]", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("[]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[]", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("[-1]", &[0, 1, 2, 3], Err(("resolve", "KeyError"))),
        ("[-1]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[-1]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[99]", &[0, 1, 2, 3], Err(("resolve", "KeyError"))),
        ("[99]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[99]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[0,99]", &[0, 1, 2, 3], Err(("resolve", "KeyError"))),
        ("[0,99]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[0,99]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[1]", &[0, 1, 2, 3], Ok(&[1])),
        ("[1]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("1,3", &[0, 1, 2, 3], Ok(&[1, 3])),
        ("1,3", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1,3", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("1,", &[0, 1, 2, 3], Ok(&[1])),
        ("1,", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1,", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("(0,2)", &[0, 1, 2, 3], Ok(&[0, 2])),
        ("(0,2)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("(0,2)", &[0, 2, 5, 7], Ok(&[0, 2])),
        ("(0,)", &[0, 1, 2, 3], Ok(&[0])),
        ("(0,)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("(0,)", &[0, 2, 5, 7], Ok(&[0])),
        ("()", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("()", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("()", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("(1, 2, )", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("(1, 2, )", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("(1, 2, )", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("range(2)", &[0, 1, 2, 3], Ok(&[0, 1])),
        ("range(2)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(2)", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("range(1,3)", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("range(1,3)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(1,3)", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("range(0,4,2)", &[0, 1, 2, 3], Ok(&[0, 2])),
        ("range(0,4,2)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(0,4,2)", &[0, 2, 5, 7], Ok(&[0, 2])),
        ("range(3,-1,-1)", &[0, 1, 2, 3], Ok(&[3, 2, 1, 0])),
        (
            "range(3,-1,-1)",
            &[],
            Err(("resolve", "NoEnginesRegistered")),
        ),
        (
            "range(3,-1,-1)",
            &[0, 2, 5, 7],
            Err(("resolve", "KeyError")),
        ),
        ("range(5)", &[0, 1, 2, 3], Err(("resolve", "KeyError"))),
        ("range(5)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(5)", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("range(0)", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("range(0)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(0)", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        (":", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        (":", &[], Err(("resolve", "NoEnginesRegistered"))),
        (":", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        ("::", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        ("::", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("::", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        ("::2", &[0, 1, 2, 3], Ok(&[0, 2])),
        ("::2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("::2", &[0, 2, 5, 7], Ok(&[0, 5])),
        ("1::2", &[0, 1, 2, 3], Ok(&[1, 3])),
        ("1::2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1::2", &[0, 2, 5, 7], Ok(&[2, 7])),
        ("1:3", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("1:3", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1:3", &[0, 2, 5, 7], Ok(&[2, 5])),
        ("-2:", &[0, 1, 2, 3], Ok(&[2, 3])),
        ("-2:", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-2:", &[0, 2, 5, 7], Ok(&[5, 7])),
        (":-1", &[0, 1, 2, 3], Ok(&[0, 1, 2])),
        (":-1", &[], Err(("resolve", "NoEnginesRegistered"))),
        (":-1", &[0, 2, 5, 7], Ok(&[0, 2, 5])),
        ("1:10:3", &[0, 1, 2, 3], Ok(&[1])),
        ("1:10:3", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1:10:3", &[0, 2, 5, 7], Ok(&[2])),
        ("::-1", &[0, 1, 2, 3], Ok(&[3, 2, 1, 0])),
        ("::-1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("::-1", &[0, 2, 5, 7], Ok(&[7, 5, 2, 0])),
        ("3:0:-1", &[0, 1, 2, 3], Ok(&[3, 2, 1])),
        ("3:0:-1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("3:0:-1", &[0, 2, 5, 7], Ok(&[7, 5, 2])),
        ("-1:", &[0, 1, 2, 3], Ok(&[3])),
        ("-1:", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-1:", &[0, 2, 5, 7], Ok(&[7])),
        ("5:", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("5:", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("5:", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("10:20", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("10:20", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("10:20", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("-100:100", &[0, 1, 2, 3], Ok(&[0, 1, 2, 3])),
        ("-100:100", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-100:100", &[0, 2, 5, 7], Ok(&[0, 2, 5, 7])),
        (" 1 : 3 ", &[0, 1, 2, 3], Ok(&[1, 2])),
        (" 1 : 3 ", &[], Err(("resolve", "NoEnginesRegistered"))),
        (" 1 : 3 ", &[0, 2, 5, 7], Ok(&[2, 5])),
        ("1:3:", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("1:3:", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1:3:", &[0, 2, 5, 7], Ok(&[2, 5])),
        ("None:2", &[0, 1, 2, 3], Ok(&[0, 1])),
        ("None:2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("None:2", &[0, 2, 5, 7], Ok(&[0, 2])),
        ("2:1", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("2:1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("2:1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("1:x", &[0, 1, 2, 3], Err(("parse", "NameError"))),
        ("1:x", &[], Err(("parse", "NameError"))),
        ("1:x", &[0, 2, 5, 7], Err(("parse", "NameError"))),
        ("", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("", &[], Err(("parse", "SyntaxError"))),
        ("", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        (" ", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        (" ", &[], Err(("parse", "SyntaxError"))),
        (" ", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("1,,2", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("1,,2", &[], Err(("parse", "SyntaxError"))),
        ("1,,2", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("abc", &[0, 1, 2, 3], Err(("parse", "NameError"))),
        ("abc", &[], Err(("parse", "NameError"))),
        ("abc", &[0, 2, 5, 7], Err(("parse", "NameError"))),
        ("1.5", &[0, 1, 2, 3], Err(("resolve", "TypeError"))),
        ("1.5", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1.5", &[0, 2, 5, 7], Err(("resolve", "TypeError"))),
        ("::0", &[0, 1, 2, 3], Err(("parse", "ValueError"))),
        ("::0", &[], Err(("parse", "ValueError"))),
        ("::0", &[0, 2, 5, 7], Err(("parse", "ValueError"))),
        ("1:2:3:4", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("1:2:3:4", &[], Err(("parse", "SyntaxError"))),
        ("1:2:3:4", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("[1,[2]]", &[0, 1, 2, 3], Err(("resolve", "TypeError"))),
        ("[1,[2]]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[1,[2]]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[1:3]", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("[1:3]", &[], Err(("parse", "SyntaxError"))),
        ("[1:3]", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("01", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("01", &[], Err(("parse", "SyntaxError"))),
        ("01", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("1 2", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("1 2", &[], Err(("parse", "SyntaxError"))),
        ("1 2", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("[1,2", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("[1,2", &[], Err(("parse", "SyntaxError"))),
        ("[1,2", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("x:1", &[0, 1, 2, 3], Err(("parse", "NameError"))),
        ("x:1", &[], Err(("parse", "NameError"))),
        ("x:1", &[0, 2, 5, 7], Err(("parse", "NameError"))),
        ("1:1.5", &[0, 1, 2, 3], Err(("parse", "TypeError"))),
        ("1:1.5", &[], Err(("parse", "TypeError"))),
        ("1:1.5", &[0, 2, 5, 7], Err(("parse", "TypeError"))),
        (",", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        (",", &[], Err(("parse", "SyntaxError"))),
        (",", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("(,)", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("(,)", &[], Err(("parse", "SyntaxError"))),
        ("(,)", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("--1", &[0, 1, 2, 3], Ok(&[1])),
        ("--1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("--1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("range()", &[0, 1, 2, 3], Err(("parse", "TypeError"))),
        ("range()", &[], Err(("parse", "TypeError"))),
        ("range()", &[0, 2, 5, 7], Err(("parse", "TypeError"))),
        ("range(1,2,0)", &[0, 1, 2, 3], Err(("parse", "ValueError"))),
        ("range(1,2,0)", &[], Err(("parse", "ValueError"))),
        ("range(1,2,0)", &[0, 2, 5, 7], Err(("parse", "ValueError"))),
        ("[ 1 , 2 ]", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("[ 1 , 2 ]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[ 1 , 2 ]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("( 1 )", &[0, 1, 2, 3], Ok(&[1])),
        ("( 1 )", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("( 1 )", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("1, 2", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("1, 2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1, 2", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("1 ,2", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("1 ,2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1 ,2", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[(1)]", &[0, 1, 2, 3], Ok(&[1])),
        ("[(1)]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[(1)]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("[(1,2)]", &[0, 1, 2, 3], Err(("resolve", "KeyError"))),
        ("[(1,2)]", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("[(1,2)]", &[0, 2, 5, 7], Err(("resolve", "KeyError"))),
        ("all:", &[0, 1, 2, 3], Err(("parse", "TypeError"))),
        ("all:", &[], Err(("parse", "TypeError"))),
        ("all:", &[0, 2, 5, 7], Err(("parse", "TypeError"))),
        ("-0", &[0, 1, 2, 3], Ok(&[0])),
        ("-0", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-0", &[0, 2, 5, 7], Ok(&[0])),
        ("- 1", &[0, 1, 2, 3], Ok(&[3])),
        ("- 1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("- 1", &[0, 2, 5, 7], Ok(&[7])),
        ("range( 1 , 3 )", &[0, 1, 2, 3], Ok(&[1, 2])),
        (
            "range( 1 , 3 )",
            &[],
            Err(("resolve", "NoEnginesRegistered")),
        ),
        (
            "range( 1 , 3 )",
            &[0, 2, 5, 7],
            Err(("resolve", "KeyError")),
        ),
        ("range(-1)", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("range(-1)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("range(-1)", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("1:-1:-1", &[0, 1, 2, 3], Err(("resolve", "IndexError"))),
        ("1:-1:-1", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("1:-1:-1", &[0, 2, 5, 7], Err(("resolve", "IndexError"))),
        ("::-2", &[0, 1, 2, 3], Ok(&[3, 1])),
        ("::-2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("::-2", &[0, 2, 5, 7], Ok(&[7, 2])),
        ("-1::-2", &[0, 1, 2, 3], Ok(&[3, 1])),
        ("-1::-2", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("-1::-2", &[0, 2, 5, 7], Ok(&[7, 2])),
        ("(1):(3)", &[0, 1, 2, 3], Ok(&[1, 2])),
        ("(1):(3)", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("(1):(3)", &[0, 2, 5, 7], Ok(&[2, 5])),
        ("1:2,3", &[0, 1, 2, 3], Err(("parse", "TypeError"))),
        ("1:2,3", &[], Err(("parse", "TypeError"))),
        ("1:2,3", &[0, 2, 5, 7], Err(("parse", "TypeError"))),
        (
            "9223372036854775808",
            &[0, 1, 2, 3],
            Err(("resolve", "IndexError")),
        ),
        (
            "9223372036854775808",
            &[],
            Err(("resolve", "NoEnginesRegistered")),
        ),
        (
            "9223372036854775808",
            &[0, 2, 5, 7],
            Err(("resolve", "IndexError")),
        ),
        (
            "-9223372036854775808",
            &[0, 1, 2, 3],
            Err(("resolve", "IndexError")),
        ),
        (
            "-9223372036854775808",
            &[],
            Err(("resolve", "NoEnginesRegistered")),
        ),
        (
            "-9223372036854775808",
            &[0, 2, 5, 7],
            Err(("resolve", "IndexError")),
        ),
        ("-[1]", &[0, 1, 2, 3], Err(("parse", "TypeError"))),
        ("-[1]", &[], Err(("parse", "TypeError"))),
        ("-[1]", &[0, 2, 5, 7], Err(("parse", "TypeError"))),
        ("1_", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("1_", &[], Err(("parse", "SyntaxError"))),
        ("1_", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("1__0", &[0, 1, 2, 3], Err(("parse", "SyntaxError"))),
        ("1__0", &[], Err(("parse", "SyntaxError"))),
        ("1__0", &[0, 2, 5, 7], Err(("parse", "SyntaxError"))),
        ("0_0", &[0, 1, 2, 3], Ok(&[0])),
        ("0_0", &[], Err(("resolve", "NoEnginesRegistered"))),
        ("0_0", &[0, 2, 5, 7], Ok(&[0])),
    ];

    /// Inputs stock accepts that we reject on purpose: they are Python expressions, not
    /// literals. On ids `[0, 1, 2, 3]` stock gives `0x1` → [1], `True` → [True] (engine 1),
    /// `None` → all (the view's default), `1+1` → [2], `[True]` → [True], `len([1])` → [1].
    const STOCK_ACCEPTS_WE_REJECT: &[&str] = &["0x1", "True", "None", "1+1", "[True]", "len([1])"];

    /// Inputs stock evaluates and only rejects at submission (a float, a nested collection,
    /// an id beyond i64), while we reject them when parsing.
    const REJECTED_EARLIER: &[&str] = &["1.5", "[1,[2]]", "[(1,2)]", "9223372036854775808"];

    /// Inputs both reject while parsing, under another exception class: `all` is a Python
    /// builtin function, so stock's `ids[all:]` is a TypeError; to us it is just a name.
    const ENAME_DIFFERS: &[&str] = &["all:"];

    #[test]
    fn matches_stock_ipyparallel_on_the_recorded_table() {
        for &(input, ids, expected) in STOCK {
            let parsed = input.parse::<Targets>();
            let ours = parsed.clone().and_then(|t| t.resolve(ids));
            match (expected, &parsed, &ours) {
                (Ok(want), _, Ok(got)) => assert_eq!(got, want, "{input:?} on {ids:?}"),
                (Err(("parse", ename)), Err(e), _) => {
                    if !ENAME_DIFFERS.contains(&input) {
                        assert_eq!(e.python_ename(), ename, "{input:?}: {e}")
                    }
                }
                (Err(("resolve", ename)), Ok(_), Err(e)) => {
                    assert_eq!(e.python_ename(), ename, "{input:?} on {ids:?}: {e}")
                }
                (Err(("resolve", _)), Err(_), _) if REJECTED_EARLIER.contains(&input) => {}
                _ => panic!("{input:?} on {ids:?}: stock {expected:?}, ours {ours:?}"),
            }
        }
        for input in STOCK_ACCEPTS_WE_REJECT {
            assert!(input.parse::<Targets>().is_err(), "{input:?}");
        }
    }
}
