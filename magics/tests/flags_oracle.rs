//! Flag lines parsed by stock IPython's argparse parsers (recorded by
//! `tests/data/argparse_oracle.py` with ipyparallel 9.2 / Python 3.11) against ours.

use px_magics::{arg_split, CellPxFlags, ExecFlags, GroupBy, MagicsError, OutputFlags};
use serde_json::Value;

fn oracle() -> Value {
    serde_json::from_str(include_str!("data/argparse_oracle.json")).expect("valid JSON")
}

fn opt_bool(ns: &Value, key: &str) -> Option<bool> {
    ns.get(key).and_then(Value::as_bool)
}

fn opt_str(ns: &Value, key: &str) -> Option<String> {
    ns.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Stock keeps `-t=` as `''`, which its magics then treat as "not given".
fn targets(ns: &Value) -> Option<String> {
    opt_str(ns, "targets").filter(|s| !s.is_empty())
}

fn progress(ns: &Value) -> Option<f64> {
    match ns.get("progress_after_seconds") {
        Some(Value::Number(n)) => n.as_f64(),
        // Python's json writes inf/nan bare, which serde reads as null: not in our table.
        _ => None,
    }
}

fn exec_from(ns: &Value) -> ExecFlags {
    ExecFlags {
        block: opt_bool(ns, "block"),
        stream: opt_bool(ns, "stream"),
        targets: targets(ns),
        verbose: opt_bool(ns, "set_verbose"),
        progress_after: progress(ns),
        signal_on_interrupt: opt_str(ns, "signal_on_interrupt"),
    }
}

fn output_from(ns: &Value) -> OutputFlags {
    OutputFlags {
        group_outputs: opt_str(ns, "groupby")
            .map(|g| g.parse::<GroupBy>().unwrap())
            .unwrap_or_default(),
        out: opt_str(ns, "save_name"),
    }
}

/// The expected outcome of one line: the stock namespace or the stock message.
fn check<T: PartialEq + std::fmt::Debug>(
    magic: &str,
    case: &Value,
    ours: Result<T, MagicsError>,
    expected: impl FnOnce(&Value) -> T,
) {
    let line = case["line"].as_str().unwrap();
    if let Some(ns) = case.get("ok") {
        // inf and nan do not survive JSON; compare only that they parse.
        if line.contains(" inf") || line.contains(" nan") {
            assert!(ours.is_ok(), "{magic} {line:?}: {ours:?}");
            return;
        }
        let ours = ours.unwrap_or_else(|e| panic!("{magic} {line:?}: stock ok, ours {e}"));
        assert_eq!(ours, expected(ns), "{magic} {line:?}");
    } else if let Some(msg) = case.get("usage_error").and_then(Value::as_str) {
        match ours {
            Err(MagicsError::Usage(e)) => assert_eq!(e.0, msg, "{magic} {line:?}"),
            other => panic!("{magic} {line:?}: stock UsageError {msg:?}, ours {other:?}"),
        }
    } else {
        let msg = case["error"].as_str().unwrap();
        assert_eq!(msg, "ValueError: No closing quotation", "{line:?}");
        assert!(
            matches!(ours, Err(MagicsError::UnclosedQuote(_))),
            "{line:?}"
        );
    }
}

#[test]
fn words_are_split_as_ipython_arg_split_does() {
    let table = oracle();
    for case in table["cell_px"].as_array().unwrap() {
        let line = case["line"].as_str().unwrap();
        match case.get("split") {
            Some(words) => {
                let words: Vec<String> = serde_json::from_value(words.clone()).unwrap();
                assert_eq!(arg_split(line).unwrap(), words, "{line:?}");
            }
            None => assert!(arg_split(line).is_err(), "{line:?}"),
        }
    }
}

#[test]
fn cell_px_flags_match_stock_argparse() {
    for case in oracle()["cell_px"].as_array().unwrap() {
        let line = case["line"].as_str().unwrap();
        check("%%px", case, CellPxFlags::parse(line), |ns| CellPxFlags {
            exec: exec_from(ns),
            output: output_from(ns),
            local: opt_bool(ns, "local").unwrap_or(false),
        });
    }
}

#[test]
fn pxconfig_flags_match_stock_argparse() {
    for case in oracle()["pxconfig"].as_array().unwrap() {
        let line = case["line"].as_str().unwrap();
        check("%pxconfig", case, ExecFlags::parse(line), exec_from);
    }
}

#[test]
fn pxresult_flags_match_stock_argparse() {
    for case in oracle()["result"].as_array().unwrap() {
        let line = case["line"].as_str().unwrap();
        check("%pxresult", case, OutputFlags::parse(line), output_from);
    }
}
