//! The settings of one set of magics (spec §1 table) and how flags change them: for good
//! with `%pxconfig`, for one cell with `%%px`.

use px_client::Targets;

use crate::error::MagicsError;
use crate::flags::{CellPxFlags, ExecFlags, GroupBy, Signal};

/// The active view's settings. `last_result` and the autopx switch belong to the runner
/// that owns the client; this holds what flags change.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// Where submissions go (slices already applied to the ids, as stock stores them).
    pub targets: Targets,
    /// Wait for results and show them.
    pub block: bool,
    /// Print the `Parallel execution on engine(s): …` line.
    pub verbose: bool,
    /// Show output live while engines run.
    pub stream: bool,
    /// Seconds before a progress bar; 0 at once, negative never.
    pub progress_after: f64,
    /// Sent to the engines on interrupt.
    pub signal_on_interrupt: Signal,
}

impl Default for ViewState {
    /// Stock's defaults; streaming is off when `IPP_NONINTERACTIVE` is set to anything but
    /// `""` or `"0"` (as in CI, where nobody watches output live).
    fn default() -> Self {
        let noninteractive = std::env::var("IPP_NONINTERACTIVE")
            .map(|v| !v.is_empty() && v != "0")
            .unwrap_or(false);
        ViewState {
            targets: Targets::All,
            block: true,
            verbose: false,
            stream: !noninteractive,
            progress_after: 2.0,
            signal_on_interrupt: Signal::default(),
        }
    }
}

/// What one `%%px` cell runs with: the view's settings overridden by the cell's flags.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSettings {
    /// Targets for this cell.
    pub targets: Targets,
    /// Blocking for the remote part (`--local` submits non-blocking first, see spec §13).
    pub block: bool,
    /// Streaming.
    pub stream: bool,
    /// Progress-bar delay.
    pub progress_after: f64,
    /// Interrupt signal.
    pub signal_on_interrupt: Signal,
    /// Grouping of the non-streamed display.
    pub group_by: GroupBy,
    /// Store the result object under this name.
    pub out: Option<String>,
    /// Also run the cell locally.
    pub local: bool,
}

/// Stock's `_eval_target_str`: slices are applied to the ids registered now.
fn eval_targets(s: &str, ids: &[i64]) -> Result<Targets, MagicsError> {
    Ok(s.parse::<Targets>()?.snapshot(ids)?)
}

impl ViewState {
    /// Applies `%pxconfig` flags. Targets are parsed now and checked at the next
    /// submission (`%pxconfig -t 99` succeeds); `ids` are the registered engine ids.
    pub fn configure(&mut self, flags: &ExecFlags, ids: &[i64]) -> Result<(), MagicsError> {
        if let Some(t) = &flags.targets {
            self.targets = eval_targets(t, ids)?;
        }
        if let Some(b) = flags.block {
            self.block = b;
        }
        if let Some(v) = flags.verbose {
            self.verbose = v;
        }
        if let Some(s) = flags.stream {
            self.stream = s;
        }
        if let Some(sig) = &flags.signal_on_interrupt {
            self.signal_on_interrupt = Signal::parse(sig);
        }
        if let Some(p) = flags.progress_after {
            self.progress_after = p;
        }
        Ok(())
    }

    /// The settings of one `%%px` cell; the view itself is unchanged (stock restores its
    /// targets after the cell, even on failure). `--verbose` is ignored here, as in stock,
    /// and an empty `--signal-on-interrupt ""` means the view's signal.
    pub fn for_cell(&self, flags: &CellPxFlags, ids: &[i64]) -> Result<CellSettings, MagicsError> {
        let targets = match &flags.exec.targets {
            Some(t) => eval_targets(t, ids)?,
            None => self.targets.clone(),
        };
        let signal = match flags.exec.signal_on_interrupt.as_deref() {
            Some(s) if !s.is_empty() => Signal::parse(s),
            _ => self.signal_on_interrupt.clone(),
        };
        Ok(CellSettings {
            targets,
            block: flags.exec.block.unwrap_or(self.block),
            stream: flags.exec.stream.unwrap_or(self.stream),
            progress_after: flags.exec.progress_after.unwrap_or(self.progress_after),
            signal_on_interrupt: signal,
            group_by: flags.output.group_outputs,
            out: flags.output.out.clone(),
            local: flags.local,
        })
    }

    /// The settings of a `%px` line or an autopx cell: the view's, grouping `type`.
    pub fn for_line(&self) -> CellSettings {
        CellSettings {
            targets: self.targets.clone(),
            block: self.block,
            stream: self.stream,
            progress_after: self.progress_after,
            signal_on_interrupt: self.signal_on_interrupt.clone(),
            group_by: GroupBy::Type,
            out: None,
            local: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[i64] = &[0, 1, 2, 3];

    #[test]
    fn pxconfig_changes_the_view_and_cells_do_not() {
        let mut view = ViewState::default();
        view.configure(
            &ExecFlags::parse("-t ::2 --noblock --verbose").unwrap(),
            IDS,
        )
        .unwrap();
        assert_eq!(view.targets, Targets::List(vec![0, 2]));
        assert!(!view.block && view.verbose);

        let cell = view
            .for_cell(&CellPxFlags::parse("-t 1 -b --no-verbose").unwrap(), IDS)
            .unwrap();
        assert_eq!(cell.targets, Targets::One(1));
        assert!(cell.block);
        assert!(view.verbose, "%%px --no-verbose is ignored");
        assert_eq!(view.targets, Targets::List(vec![0, 2]));
    }

    #[test]
    fn unknown_engines_fail_only_at_submission() {
        let mut view = ViewState::default();
        view.configure(&ExecFlags::parse("--targets 99").unwrap(), IDS)
            .unwrap();
        assert_eq!(view.targets, Targets::One(99));
        assert!(view.targets.resolve(IDS).is_err());
        let err = view
            .for_cell(&CellPxFlags::parse("--targets foo").unwrap(), IDS)
            .unwrap_err();
        assert_eq!(err.python_ename(), "NameError");
    }

    #[test]
    fn signals_keep_their_spelling() {
        let view = ViewState::default();
        let cell = view
            .for_cell(&CellPxFlags::parse("--signal-on-interrupt 9").unwrap(), IDS)
            .unwrap();
        assert_eq!(cell.signal_on_interrupt, Signal::Number(9));
        assert_eq!(view.signal_on_interrupt.to_string(), "SIGINT");
        assert_eq!(view.signal_on_interrupt.number(), Some(2));
    }
}
