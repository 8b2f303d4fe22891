//! What can go wrong in a magic, split the way stock reports it: a [`UsageError`] is
//! shown as one `UsageError: …` line on stderr (no `error` message), everything else as an
//! exception with a traceback.

use px_client::{ClientError, TargetsError};

/// A mistake in how a magic was called (bad flags, `%result` with nothing to recall).
///
/// Its message is exactly stock's (argparse's text for flags), because users compare what
/// they see with IPython's documentation and answers online.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Why a magic failed.
#[derive(Debug, thiserror::Error)]
pub enum MagicsError {
    /// The magic was called wrongly; nothing was submitted.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The flag line has an unclosed quote; stock raises a plain `ValueError` here.
    #[error(transparent)]
    UnclosedQuote(#[from] crate::split::UnclosedQuote),
    /// A targets string did not parse, or names no registered engine.
    #[error(transparent)]
    Targets(#[from] TargetsError),
    /// The client failed (controller gone, timeout, engine errors).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A signal name this client cannot translate into a number.
    #[error("unknown signal {0:?}: give a number or a name such as SIGINT, SIGKILL")]
    UnknownSignal(String),
    /// No cluster could be reached: the host's connector failed (no running cluster, a
    /// cluster that would not start, a controller that does not answer).
    #[error("{0}")]
    Connect(String),
    /// `%%px --local` in a frontend that has no local namespace.
    #[error("%%px --local needs a local namespace to run the cell in, and this frontend has none")]
    NoLocalNamespace,
}

impl MagicsError {
    /// The Python exception class stock would show for this failure: what a kernel puts in
    /// `ename` of its reply.
    pub fn python_ename(&self) -> &'static str {
        match self {
            MagicsError::Usage(_) => "UsageError",
            MagicsError::UnclosedQuote(_) => "ValueError",
            MagicsError::Targets(e) => e.python_ename(),
            MagicsError::Client(ClientError::Composite(_)) => "CompositeError",
            MagicsError::Client(ClientError::Remote(_)) => "RemoteError",
            MagicsError::Client(ClientError::Timeout { .. }) => "TimeoutError",
            MagicsError::Client(ClientError::Targets(e)) => e.python_ename(),
            MagicsError::Client(_) => "RuntimeError",
            MagicsError::UnknownSignal(_) => "ValueError",
            MagicsError::Connect(_) => "ConnectionError",
            MagicsError::NoLocalNamespace => "RuntimeError",
        }
    }

    /// The message stock would show with [`MagicsError::python_ename`]: stock's own text
    /// where it is known exactly (`name 'foo' is not defined` for `--targets foo`), else
    /// ours.
    pub fn python_evalue(&self) -> String {
        let stock = match self {
            MagicsError::Targets(e) | MagicsError::Client(ClientError::Targets(e)) => {
                e.python_evalue()
            }
            _ => None,
        };
        stock.unwrap_or_else(|| self.to_string())
    }
}

/// The UsageError of `%pxresult` / `%result` when this set of magics has submitted
/// nothing yet (its text is stock's, for both names).
pub const NO_LAST_RESULT: &str = "%pxresult recalls last %px result, which has not yet been used.";
