//! Input history for `history_request` (consoles' Up-arrow, `%history`-like frontends), kept
//! in memory for a process's life. The kernel records every counted cell, magics included,
//! since its local Python never sees `%px` cells; an engine records the cells it stored, as
//! a stock engine's in-memory history does.

use serde_json::{json, Value};

/// The session number cells are listed under (IPython numbers sessions in its database; we
/// have one session, and `0` or a negative number asks for the current one).
pub const HISTORY_SESSION: i64 = 1;

/// Counted cells in execution order: `(execution_count, source)`.
#[derive(Debug, Default)]
pub struct History {
    cells: Vec<(u64, String)>,
}

impl History {
    /// Records a counted cell.
    pub fn record(&mut self, execution_count: u64, source: &str) {
        self.cells.push((execution_count, source.to_owned()));
    }

    /// The `history` list of a `history_reply` for `request`'s content: `tail` (last `n`),
    /// `range` (`start` ≤ count < `stop` of `session`) or `search` (glob `pattern`, last `n`
    /// matches, `unique` keeping each source's latest). Outputs are not kept, so with
    /// `output: true` each entry's output is null.
    pub fn answer(&self, request: &Value) -> Vec<Value> {
        let int = |key: &str| request.get(key).and_then(Value::as_i64);
        let output = request
            .get("output")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // A tail or search lists lines under the session's number (IPython reads those from
        // its database). A range asked for session 0 ("the current one") lists them under 0,
        // as IPython does; asked by number, under that number, as jupyter_kernel_test wants.
        let mut label = HISTORY_SESSION;
        let picked: Vec<&(u64, String)> =
            match request.get("hist_access_type").and_then(Value::as_str) {
                Some("tail") => last(self.cells.iter().collect(), int("n")),
                Some("range") => {
                    let session = int("session").unwrap_or(0);
                    if session > 0 && session != HISTORY_SESSION {
                        Vec::new()
                    } else {
                        if session <= 0 {
                            label = 0;
                        }
                        let (start, stop) = self.range_bounds(int("start"), int("stop"));
                        self.cells
                            .iter()
                            .filter(|(n, _)| (start..stop).contains(&(*n as i64)))
                            .collect()
                    }
                }
                Some("search") => {
                    let pattern = request
                        .get("pattern")
                        .and_then(Value::as_str)
                        .unwrap_or("*");
                    let unique = request
                        .get("unique")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let mut found: Vec<&(u64, String)> = self
                        .cells
                        .iter()
                        .filter(|(_, source)| glob_match(pattern, source))
                        .collect();
                    if unique {
                        let mut seen = std::collections::HashSet::new();
                        found.reverse();
                        found.retain(|(_, source)| seen.insert(source.as_str()));
                        found.reverse();
                    }
                    last(found, int("n"))
                }
                _ => Vec::new(),
            };
        picked
            .into_iter()
            .map(|(n, source)| {
                if output {
                    json!([label, n, [source, Value::Null]])
                } else {
                    json!([label, n, source])
                }
            })
            .collect()
    }

    /// A range's `start..stop` over line numbers, read as IPython reads them for the current
    /// session: counted back from the end when negative, to the end when `stop` is missing,
    /// zero or past it (start defaults to 1).
    fn range_bounds(&self, start: Option<i64>, stop: Option<i64>) -> (i64, i64) {
        // IPython's list of inputs has a blank line 0, so its length is the last line + 1.
        let len = self.cells.last().map_or(1, |(n, _)| *n as i64 + 1);
        let start = match start.unwrap_or(1) {
            s if s < 0 => s + len,
            s => s,
        };
        let stop = match stop {
            None | Some(0) => len,
            Some(s) if s > len => len,
            Some(s) if s < 0 => s + len,
            Some(s) => s,
        };
        (start.max(1), stop)
    }
}

/// The last `n` items (all of them without a positive `n`).
fn last<T>(mut items: Vec<T>, n: Option<i64>) -> Vec<T> {
    if let Some(n) = n.filter(|&n| n > 0) {
        let n = n as usize;
        if items.len() > n {
            items.drain(..items.len() - n);
        }
    }
    items
}

/// SQLite's GLOB, which IPython's history search uses: `*` any run, `?` one character,
/// `[...]` a class (`^` negates); case-sensitive, anchored at both ends. Backtracks only to
/// the last `*`, so a pattern of many stars costs at most pattern × text steps.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, and the text it may grow into.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if p.get(pi) == Some(&'*') {
            pi += 1;
            star = Some((pi, ti));
            continue;
        }
        if let Some(width) = one_char_at(&p, pi, t[ti]) {
            pi += width;
            ti += 1;
            continue;
        }
        match star {
            Some((after, grown)) => {
                star = Some((after, grown + 1));
                pi = after;
                ti = grown + 1;
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// If the pattern item at `at` (`?`, a `[...]` class, or a literal) matches `c`, how many
/// pattern characters it spans.
fn one_char_at(p: &[char], at: usize, c: char) -> Option<usize> {
    match p.get(at)? {
        '*' => None,
        '?' => Some(1),
        '[' => {
            // SQLite's reading: `^` first inverts; a `]` first (after any `^`) is a member;
            // `a-z` is a range when `-` follows a member and precedes anything but `]`.
            let mut i = at + 1;
            let invert = p.get(i) == Some(&'^');
            if invert {
                i += 1;
            }
            let mut seen = false;
            if p.get(i) == Some(&']') {
                seen = c == ']';
                i += 1;
            }
            let mut prior: Option<char> = None;
            loop {
                // No closing bracket: SQLite matches nothing.
                let member = *p.get(i)?;
                if member == ']' {
                    break;
                }
                match (member, prior, p.get(i + 1)) {
                    ('-', Some(low), Some(&high)) if high != ']' => {
                        seen |= low <= c && c <= high;
                        prior = None;
                        i += 2;
                    }
                    _ => {
                        seen |= member == c;
                        prior = Some(member);
                        i += 1;
                    }
                }
            }
            (seen != invert).then_some(i + 1 - at)
        }
        &x => (x == c).then_some(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        for (n, code) in [(1, "6*7"), (2, "%px a = 5"), (3, "6*7"), (4, "print('x')")] {
            h.record(n, code);
        }
        h
    }

    #[test]
    fn tail_gives_the_last_n_cells_with_session_and_count() {
        let got = history().answer(&json!({"hist_access_type": "tail", "n": 2}));
        assert_eq!(got, vec![json!([1, 3, "6*7"]), json!([1, 4, "print('x')"])]);
        let with_output =
            history().answer(&json!({"hist_access_type": "tail", "n": 1, "output": true}));
        assert_eq!(with_output, vec![json!([1, 4, ["print('x')", null]])]);
    }

    #[test]
    fn range_is_half_open_labelled_as_asked_and_only_for_this_session() {
        let h = history();
        let got =
            h.answer(&json!({"hist_access_type": "range", "session": 1, "start": 2, "stop": 4}));
        assert_eq!(got, vec![json!([1, 2, "%px a = 5"]), json!([1, 3, "6*7"])]);
        // Counted back from the end, as IPython reads negative bounds.
        let tail = h.answer(&json!({"hist_access_type": "range", "start": -2, "stop": 0}));
        assert_eq!(
            tail,
            vec![json!([0, 3, "6*7"]), json!([0, 4, "print('x')"])]
        );
        let before_last = h.answer(&json!({"hist_access_type": "range", "session": 0, "stop": -1}));
        assert_eq!(before_last.len(), 3);
        let other = h.answer(&json!({"hist_access_type": "range", "session": 7, "start": 1}));
        assert!(other.is_empty());
    }

    #[test]
    fn search_globs_like_sqlite_and_can_keep_unique_sources() {
        let h = history();
        let all = h.answer(&json!({"hist_access_type": "search", "pattern": "6?7"}));
        assert_eq!(all.len(), 2);
        let unique =
            h.answer(&json!({"hist_access_type": "search", "pattern": "6?7", "unique": true}));
        assert_eq!(unique, vec![json!([1, 3, "6*7"])]);
        let magics = h.answer(&json!({"hist_access_type": "search", "pattern": "%px*"}));
        assert_eq!(magics, vec![json!([1, 2, "%px a = 5"])]);
        assert!(glob_match("pr[a-j]nt*", "print('x')"));
        assert!(!glob_match("pr[^i]nt*", "print('x')"));
        assert!(h.answer(&json!({"hist_access_type": "bogus"})).is_empty());
    }

    #[test]
    fn glob_edge_cases_and_many_stars_stay_fast() {
        assert!(glob_match("", ""));
        assert!(!glob_match("", "a"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("*b", "aab"));
        assert!(!glob_match("*b", "aba"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("[ab]?", "bz"));
        // An unclosed class matches nothing, in SQLite.
        assert!(!glob_match("x[", "x["));
        assert!(!glob_match("?", ""));
        // Classes as SQLite reads them (each answer checked with `SELECT text GLOB pattern`):
        // a `]` first is a member, `-` is a range only between members.
        assert!(!glob_match("[^]", "a"));
        assert!(!glob_match("?[^]", "cc"));
        assert!(glob_match("[^]a]", "-"));
        assert!(glob_match("***[^]]", "^^a--^"));
        assert!(glob_match("[]-a^^]-", "--"));
        assert!(glob_match("[]---]*", "]"));
        assert!(glob_match("[a---]*", "a--]]"));
        // Exponential for a naive matcher: 30 stars against 200 characters.
        let pattern = format!("{}b", "*a".repeat(30));
        let text = "a".repeat(200);
        assert!(!glob_match(&pattern, &text));
    }
}
