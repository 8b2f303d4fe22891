//! Signals sent to an engine, by a client (`signal_request`) or to the process itself (how
//! `ipp.Cluster.signal_engines` interrupts engines), and what each does here.
//!
//! The engine stands in for the Python process a stock engine is: SIGINT interrupts the
//! running code, SIGTERM (and SIGHUP, SIGQUIT) stops the engine cleanly, and any other
//! signal is passed to the Python process, where a handler the code installed with
//! `signal.signal` runs. A signal that kills Python is survived like any crash.

use serde_json::Value;

/// What a signal does to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignalAction {
    /// Interrupt the running code (`KeyboardInterrupt`); harmless when idle.
    Interrupt,
    /// Unregister and exit.
    Stop,
    /// Deliver the signal to the Python process.
    Forward(i32),
}

/// Names Python's `signal` module gives on Linux.
const NAMES: &[(&str, i32)] = &[
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGILL", libc::SIGILL),
    ("SIGTRAP", libc::SIGTRAP),
    ("SIGABRT", libc::SIGABRT),
    ("SIGIOT", libc::SIGIOT),
    ("SIGBUS", libc::SIGBUS),
    ("SIGFPE", libc::SIGFPE),
    ("SIGKILL", libc::SIGKILL),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGSEGV", libc::SIGSEGV),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGALRM", libc::SIGALRM),
    ("SIGTERM", libc::SIGTERM),
    ("SIGCHLD", libc::SIGCHLD),
    ("SIGCONT", libc::SIGCONT),
    ("SIGSTOP", libc::SIGSTOP),
    ("SIGTSTP", libc::SIGTSTP),
    ("SIGTTIN", libc::SIGTTIN),
    ("SIGTTOU", libc::SIGTTOU),
    ("SIGURG", libc::SIGURG),
    ("SIGXCPU", libc::SIGXCPU),
    ("SIGXFSZ", libc::SIGXFSZ),
    ("SIGVTALRM", libc::SIGVTALRM),
    ("SIGPROF", libc::SIGPROF),
    ("SIGWINCH", libc::SIGWINCH),
    ("SIGIO", libc::SIGIO),
    ("SIGPWR", libc::SIGPWR),
    ("SIGSYS", libc::SIGSYS),
];

/// The signal a `signal_request`'s `sig` names: a number, or a name as Python's `signal`
/// module spells it (`"SIGINT"`).
pub(crate) fn parse(sig: &Value) -> Result<i32, String> {
    match sig {
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            // 0 only checks that the process exists, as kill(2) does.
            .filter(|&n| (0..65).contains(&n))
            .ok_or_else(|| format!("{n} is not a signal number")),
        Value::String(name) => NAMES
            .iter()
            .find(|(known, _)| known == name)
            .map(|&(_, number)| number)
            .ok_or_else(|| format!("module 'signal' has no attribute '{name}'")),
        other => Err(format!("a signal is a number or a name, not {other}")),
    }
}

/// What `sig` does to the engine.
pub(crate) fn action(sig: i32) -> SignalAction {
    match sig {
        libc::SIGINT => SignalAction::Interrupt,
        libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT => SignalAction::Stop,
        other => SignalAction::Forward(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_numbers_are_both_accepted() {
        assert_eq!(parse(&json!("SIGINT")), Ok(libc::SIGINT));
        assert_eq!(parse(&json!(10)), Ok(10));
        assert!(parse(&json!("INT")).unwrap_err().contains("'INT'"));
        assert_eq!(parse(&json!(0)), Ok(0));
        assert!(parse(&json!(-1)).is_err());
        assert!(parse(&json!(null)).is_err());
    }

    #[test]
    fn interrupts_stop_and_forward() {
        assert_eq!(action(libc::SIGINT), SignalAction::Interrupt);
        assert_eq!(action(libc::SIGTERM), SignalAction::Stop);
        assert_eq!(action(libc::SIGUSR1), SignalAction::Forward(libc::SIGUSR1));
    }
}
