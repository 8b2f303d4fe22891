//! The kernel's input history, for `history_request` (consoles' Up-arrow, `%history`-like
//! frontends). Kept in memory for this kernel's life: every counted cell, magics included,
//! since the local Python never sees `%px` cells.

use serde_json::{json, Value};

/// The session number this kernel's cells are listed under (IPython numbers sessions in its
/// database; we have one session, and `0` or a negative number asks for the current one).
pub(crate) const SESSION: i64 = 1;

/// Counted cells in execution order: `(execution_count, source)`.
#[derive(Debug, Default)]
pub(crate) struct History {
    cells: Vec<(u64, String)>,
}

impl History {
    /// Records a counted cell.
    pub(crate) fn record(&mut self, execution_count: u64, source: &str) {
        self.cells.push((execution_count, source.to_owned()));
    }

    /// The `history` list of a `history_reply` for `request`'s content: `tail` (last `n`),
    /// `range` (`start` ≤ count < `stop` of `session`) or `search` (glob `pattern`, last `n`
    /// matches, `unique` keeping each source's latest). Outputs are not kept, so with
    /// `output: true` each entry's output is null.
    pub(crate) fn answer(&self, request: &Value) -> Vec<Value> {
        let int = |key: &str| request.get(key).and_then(Value::as_i64);
        let output = request
            .get("output")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let picked: Vec<&(u64, String)> =
            match request.get("hist_access_type").and_then(Value::as_str) {
                Some("tail") => last(self.cells.iter().collect(), int("n")),
                Some("range") => {
                    let session = int("session").unwrap_or(0);
                    if session > 0 && session != SESSION {
                        Vec::new()
                    } else {
                        let start = int("start").unwrap_or(0).max(0) as u64;
                        let stop = int("stop").filter(|&s| s > 0).map(|s| s as u64);
                        self.cells
                            .iter()
                            .filter(|(n, _)| *n >= start && stop.is_none_or(|s| *n < s))
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
                    json!([SESSION, n, [source, Value::Null]])
                } else {
                    json!([SESSION, n, source])
                }
            })
            .collect()
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
/// `[...]` a class (`^` negates); case-sensitive, anchored at both ends.
fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches_from(&p, &t)
}

fn matches_from(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => (0..=t.len()).any(|i| matches_from(&p[1..], &t[i..])),
        Some('?') => !t.is_empty() && matches_from(&p[1..], &t[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                return t.first() == Some(&'[') && matches_from(&p[1..], &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let (negate, class) = match p[1] {
                '^' => (true, &p[2..close]),
                _ => (false, &p[1..close]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && matches_from(&p[close + 1..], &t[1..])
        }
        Some(&c) => t.first() == Some(&c) && matches_from(&p[1..], &t[1..]),
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
    fn range_is_half_open_and_only_for_this_session() {
        let h = history();
        let got =
            h.answer(&json!({"hist_access_type": "range", "session": 1, "start": 2, "stop": 4}));
        assert_eq!(got, vec![json!([1, 2, "%px a = 5"]), json!([1, 3, "6*7"])]);
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
}
