//! The verbose line printed before each submission when `%pxconfig --verbose` is on (§5),
//! and the text of the result object shown for non-blocking cells (§8).

use px_client::Targets;

/// `Parallel execution on engine(s): TARGETS` (blocking) or `Async parallel …`, with a
/// newline. A list longer than 10 shows its first and last four ids; tuples and ranges are
/// shown in full, as stock abbreviates only lists.
pub fn verbose_line(targets: &Targets, block: bool) -> String {
    let base = if block { "Parallel" } else { "Async parallel" };
    let shown = match targets {
        Targets::List(ids) if ids.len() > 10 => {
            let join = |ids: &[i64]| {
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!(
                "[{}, ..., {}]",
                join(&ids[..4]),
                join(&ids[ids.len() - 4..])
            )
        }
        other => other.to_string(),
    };
    format!("{base} execution on engine(s): {shown}\n")
}

/// The state word of a result object: `pending`, `finished` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultState {
    /// Not all replies are in.
    Pending,
    /// Every engine succeeded.
    Finished,
    /// Some engine failed.
    Failed,
}

/// `<AsyncResult(%px): pending>`: the `text/plain` of the value a non-blocking cell returns.
pub fn async_result_repr(state: ResultState) -> String {
    let word = match state {
        ResultState::Pending => "pending",
        ResultState::Finished => "finished",
        ResultState::Failed => "failed",
    };
    format!("<AsyncResult(%px): {word}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected lines from verbose.json and many_engines_verbose.json.
    #[test]
    fn verbose_lines_match_captures() {
        assert_eq!(
            verbose_line(&Targets::All, true),
            "Parallel execution on engine(s): all\n"
        );
        assert_eq!(
            verbose_line(&Targets::All, false),
            "Async parallel execution on engine(s): all\n"
        );
        assert_eq!(
            verbose_line(&Targets::List(vec![0, 2]), true),
            "Parallel execution on engine(s): [0, 2]\n"
        );
        assert_eq!(
            verbose_line(&Targets::List((0..12).collect()), true),
            "Parallel execution on engine(s): [0, 1, 2, 3, ..., 8, 9, 10, 11]\n"
        );
        assert_eq!(
            verbose_line(&Targets::List((0..11).collect()), true),
            "Parallel execution on engine(s): [0, 1, 2, 3, ..., 7, 8, 9, 10]\n"
        );
        assert_eq!(
            verbose_line(&Targets::List((0..10).collect()), true),
            "Parallel execution on engine(s): [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
        );
    }
}
