//! [`PxMagics`]: the magics as a state machine over cells. It holds the sets of magics
//! (each with its view settings and last result), the client, and the autopx switch; a
//! host hands it every cell and gets back an [`Outcome`] for its reply.

mod bound;
mod execute;
mod hooks;
mod interrupt;
mod outcome;
mod progress;
mod result;
mod wait;

use std::sync::{Mutex, PoisonError};

use px_client::{Client, StreamName, Targets};

use crate::error::{MagicsError, UsageError, NO_LAST_RESULT};
use crate::flags::{CellPxFlags, ExecFlags, OutputFlags};
use crate::parse::{ends_autopx, parse_cell, Command};
use crate::render::OutputSink;
use crate::state::ViewState;

pub use bound::{BoundResults, DISPLAY_CALL, RESULT_CALL};
pub use hooks::{BoxFuture, ConnectError, Connector, LocalExecutor};
pub use interrupt::InterruptHandle;
pub use outcome::{ErrorReply, Outcome, StoredResult};
pub use result::PxResult;

use execute::wait_for;
use outcome::{client_failure, report, Failure};
use wait::{Until, Watch};

/// The content of a mutex only ever used through `&mut`: no locking needed.
fn exclusive<T: ?Sized>(m: &mut Mutex<T>) -> &mut T {
    m.get_mut().unwrap_or_else(PoisonError::into_inner)
}

/// What the magics write to: a sink that can cross threads, so that a host may run
/// cells on any tokio task.
pub(crate) type Sink<'a> = dyn OutputSink + Send + 'a;

/// One registered set of magics (`%px`, or `%px_a` …), with its own settings and history.
#[derive(Debug)]
struct MagicSet {
    suffix: String,
    view: ViewState,
    last_result: Option<PxResult>,
}

impl MagicSet {
    fn new(suffix: &str, targets: Targets) -> Self {
        MagicSet {
            suffix: suffix.to_owned(),
            view: ViewState {
                targets,
                ..ViewState::default()
            },
            last_result: None,
        }
    }
}

/// The parallel magics of one kernel or `pxsh` session.
///
/// Hand every cell to [`PxMagics::run`]: it runs `%px`, `%%px`, `%pxresult`/`%result`,
/// `%pxconfig` and `%autopx` of every registered set, and while autopx is on sends every
/// other cell to the engines; a cell that is none of these comes back as
/// [`Outcome::NotMagic`] for the host to run. The client is obtained from the
/// [`Connector`] when a magic first needs engines. `%%px --local` and autopx's syntax
/// check use the host's [`LocalExecutor`], if given.
///
/// Output goes to the sink as stock IPython shows it; a failed cell has shown its error
/// before `run` returns. [`PxMagics::interrupt_handle`] interrupts a running cell from
/// another task.
///
/// ```no_run
/// use px_client::{Client, ConnectionSource};
/// use px_magics::{CaptureSink, Outcome, PxMagics};
///
/// # async fn demo() {
/// let mut magics = PxMagics::new(|| async {
///     Client::connect(&ConnectionSource::default()).await
/// });
/// let mut sink = CaptureSink::new();
/// match magics.run("%px print('hi')", &mut sink).await {
///     Outcome::NotMagic => { /* run it locally */ }
///     Outcome::Ok { .. } => { /* reply ok */ }
///     Outcome::Error { error, .. } => println!("{}: {}", error.ename, error.evalue),
/// }
/// # }
/// ```
pub struct PxMagics {
    /// In registration order: a later set's names win over an earlier one's.
    sets: Vec<MagicSet>,
    /// The set whose autopx mode is on.
    autopx: Option<usize>,
    client: Option<Client>,
    /// In mutexes only to make `PxMagics` `Sync` (hosts may share `&PxMagics` between
    /// tasks); they are only used through `&mut self`, so never locked.
    connector: Mutex<Box<dyn Connector>>,
    local: Option<Mutex<Box<dyn LocalExecutor>>>,
    interrupt: InterruptHandle,
    color: bool,
    /// What `-o NAME` stored during the current cell.
    stored: Option<StoredResult>,
}

impl std::fmt::Debug for PxMagics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PxMagics")
            .field("sets", &self.sets)
            .field("autopx", &self.autopx)
            .field("client", &self.client)
            .field("local", &self.local.is_some())
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

impl PxMagics {
    /// The magics with their default set (no suffix, all engines, blocking), connecting
    /// through `connector` when first needed.
    pub fn new(connector: impl Connector + 'static) -> Self {
        PxMagics {
            sets: vec![MagicSet::new("", Targets::All)],
            autopx: None,
            client: None,
            connector: Mutex::new(Box::new(connector)),
            local: None,
            interrupt: InterruptHandle::default(),
            color: true,
            stored: None,
        }
    }

    /// Uses `local` for `%%px --local` and autopx's syntax check. Without one,
    /// `--local` fails and autopx sends cells unchecked.
    pub fn with_local_executor(mut self, local: impl LocalExecutor + 'static) -> Self {
        self.local = Some(Mutex::new(Box::new(local)));
        self
    }

    /// Whether `Out[N:k]: ` is red (IPython's colour schemes) or plain (`NoColor`).
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// Uses `client` from now on instead of connecting.
    pub fn set_client(&mut self, client: Client) {
        self.client = Some(client);
    }

    /// Forgets the client (a host that found its cluster gone): the next magic that needs
    /// engines asks the connector again. Settings and last results stay.
    pub fn disconnect(&mut self) -> Option<Client> {
        self.client.take()
    }

    /// The client, once connected.
    pub fn client(&self) -> Option<&Client> {
        self.client.as_ref()
    }

    /// Registers a set of magics with names ending in `suffix` over `targets`, as stock's
    /// `view.activate(suffix)`; an existing set of that suffix is replaced (settings and
    /// last result start afresh).
    pub fn activate(&mut self, suffix: &str, targets: Targets) {
        if let Some(i) = self.sets.iter().position(|s| s.suffix == suffix) {
            self.sets.remove(i);
            self.autopx = match self.autopx {
                Some(a) if a == i => None,
                Some(a) if a > i => Some(a - 1),
                other => other,
            };
        }
        self.sets.push(MagicSet::new(suffix, targets));
    }

    /// The suffixes of the registered sets, in registration order (`""` is the default).
    pub fn suffixes(&self) -> Vec<&str> {
        self.sets.iter().map(|s| s.suffix.as_str()).collect()
    }

    /// The settings of the set with `suffix`.
    pub fn view(&self, suffix: &str) -> Option<&ViewState> {
        self.set(suffix).map(|s| &s.view)
    }

    /// The settings of the set with `suffix`, to change as `%pxconfig` would.
    pub fn view_mut(&mut self, suffix: &str) -> Option<&mut ViewState> {
        self.sets
            .iter_mut()
            .find(|s| s.suffix == suffix)
            .map(|s| &mut s.view)
    }

    /// The last submission of the set with `suffix`, as `%pxresult` recalls it.
    pub fn last_result(&self, suffix: &str) -> Option<&PxResult> {
        self.set(suffix).and_then(|s| s.last_result.as_ref())
    }

    /// The suffix of the set in autopx mode, if autopx is on.
    pub fn autopx(&self) -> Option<&str> {
        self.autopx.map(|i| self.sets[i].suffix.as_str())
    }

    /// A handle that interrupts the running cell's wait for engines, from any task.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    fn set(&self, suffix: &str) -> Option<&MagicSet> {
        self.sets.iter().find(|s| s.suffix == suffix)
    }

    /// Runs one cell (its text as the user typed it). See [`PxMagics`].
    pub async fn run(&mut self, cell: &str, sink: &mut (dyn OutputSink + Send)) -> Outcome {
        self.stored = None;
        if let Some(set) = self.autopx {
            return self.run_autopx(set, cell, sink).await;
        }
        let parsed = {
            let suffixes = self.suffixes();
            parse_cell(cell, &suffixes)
        };
        let Some(parsed) = parsed else {
            return Outcome::NotMagic;
        };
        let done = match parsed {
            Err(e) => Err(e.into()),
            Ok(inv) => {
                let set = self
                    .sets
                    .iter()
                    .position(|s| s.suffix == inv.suffix)
                    .unwrap_or(0);
                self.run_command(set, inv.command, sink).await
            }
        };
        let stored = self.stored.take();
        match done {
            Ok(()) => Outcome::Ok { stored },
            Err(failure) => Outcome::Error {
                error: report(sink, &failure),
                stored,
            },
        }
    }

    async fn run_command(
        &mut self,
        set: usize,
        command: Command,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        match command {
            Command::Px { code } => {
                let client = self.connect().await?;
                let settings = self.sets[set].view.for_line();
                self.parallel_execute(set, &client, &code, &settings, true, sink)
                    .await
            }
            Command::CellPx { flags, code } => self.cell_px(set, &flags, &code, sink).await,
            Command::AutoPx => {
                self.autopx = Some(set);
                sink.stream(StreamName::Stdout, "%autopx enabled\n");
                Ok(())
            }
            Command::Result { flags } => self.pxresult(set, &flags, sink).await,
            Command::PxConfig { flags } => self.pxconfig(set, &flags).await,
        }
    }

    /// The client, connecting first if needed.
    async fn connect(&mut self) -> Result<Client, Failure> {
        if let Some(client) = &self.client {
            return Ok(client.clone());
        }
        match exclusive(&mut self.connector).connect().await {
            Ok(client) => {
                self.client = Some(client.clone());
                Ok(client)
            }
            Err(e) => Err(MagicsError::Connect(e.to_string()).into()),
        }
    }

    /// `%%px`: the cell's settings are the view's overridden by its flags; the view itself
    /// does not change.
    async fn cell_px(
        &mut self,
        set: usize,
        flags: &CellPxFlags,
        code: &str,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        let client = self.connect().await?;
        let settings = self.sets[set].view.for_cell(flags, &client.ids())?;
        if settings.local {
            self.run_local(set, &client, code, &settings, sink).await
        } else {
            self.parallel_execute(set, &client, code, &settings, true, sink)
                .await
        }
    }

    /// `%pxconfig`: changes the set's settings for good; prints nothing.
    async fn pxconfig(&mut self, set: usize, flags: &ExecFlags) -> Result<(), Failure> {
        // Slices are applied to the engines registered now, so they need the client.
        let ids = match flags.targets {
            Some(_) => self.connect().await?.ids(),
            None => Vec::new(),
        };
        self.sets[set].view.configure(flags, &ids)?;
        Ok(())
    }

    /// `%pxresult` / `%result` (spec §11): the last submission, waited for and shown
    /// grouped; its error instead if it failed; with `-o NAME`, only stored.
    async fn pxresult(
        &mut self,
        set: usize,
        flags: &OutputFlags,
        sink: &mut Sink<'_>,
    ) -> Result<(), Failure> {
        let Some(result) = self.sets[set].last_result.clone() else {
            return Err(MagicsError::Usage(UsageError(NO_LAST_RESULT.into())).into());
        };
        if let Some(name) = &flags.out {
            self.stored = Some(StoredResult {
                name: name.clone(),
                result,
            });
            return Ok(());
        }
        let mut watch = Watch::new(result.async_result().share(), None);
        let mut armed = self.interrupt.arm();
        wait_for(&mut watch, Until::Replies, None, &mut armed, sink).await?;
        if let Some(Err(e)) = result.async_result().try_get() {
            return Err(client_failure(e, result.is_single(), false));
        }
        wait_for(&mut watch, Until::Output, None, &mut armed, sink).await?;
        result.display(sink, flags.group_outputs, self.color);
        Ok(())
    }

    /// A cell while autopx is on (spec §16): `%autopx` switches it off; anything else
    /// that passes the local syntax check goes to the engines as `%px` would send it.
    /// Failures there are shown, but the reply is ok.
    async fn run_autopx(&mut self, set: usize, cell: &str, sink: &mut Sink<'_>) -> Outcome {
        if ends_autopx(cell) {
            self.autopx = None;
            sink.stream(StreamName::Stdout, "%autopx disabled\n");
            return Outcome::Ok { stored: None };
        }
        // IPython runs nothing for a blank cell.
        if cell.trim().is_empty() {
            return Outcome::Ok { stored: None };
        }
        if let Some(local) = self.local.as_mut().map(exclusive) {
            if let Err(e) = local.check_syntax(cell).await {
                return Outcome::Error {
                    error: report(sink, &Failure::Local(e)),
                    stored: None,
                };
            }
        }
        let done = match self.connect().await {
            Ok(client) => {
                let settings = self.sets[set].view.for_line();
                self.parallel_execute(set, &client, cell, &settings, false, sink)
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(failure) = done {
            report(sink, &failure);
        }
        Outcome::Ok { stored: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::CaptureSink;

    fn no_cluster() -> PxMagics {
        PxMagics::new(|| async { Err::<Client, _>("no cluster here") })
    }

    fn messages(sink: CaptureSink) -> Vec<serde_json::Value> {
        sink.finish()
    }

    #[test]
    fn hosts_can_share_the_magics_and_run_cells_on_any_task() {
        fn send_sync<T: Send + Sync>(_: &T) {}
        fn send<T: Send>(_: T) {}
        let mut magics = no_cluster();
        send_sync(&magics);
        let mut sink = CaptureSink::new();
        send(magics.run("%px 1", &mut sink));
    }

    #[tokio::test]
    async fn ordinary_code_is_not_ours() {
        let mut magics = no_cluster();
        let mut sink = CaptureSink::new();
        assert!(matches!(
            magics.run("a = 1", &mut sink).await,
            Outcome::NotMagic
        ));
        assert!(messages(sink).is_empty());
    }

    #[tokio::test]
    async fn no_cluster_is_one_clear_error() {
        let mut magics = no_cluster();
        let mut sink = CaptureSink::new();
        let outcome = magics.run("%px print('hi')", &mut sink).await;
        let error = outcome.error().expect("an error").clone();
        assert_eq!(error.ename, "ConnectionError");
        assert_eq!(error.evalue, "no cluster here");
        let shown = messages(sink);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0]["msg_type"], "error");
        assert_eq!(
            shown[0]["content"]["traceback"],
            serde_json::json!(["ConnectionError: no cluster here"])
        );
    }

    #[tokio::test]
    async fn result_before_any_submission_is_a_usage_error() {
        let mut magics = no_cluster();
        let mut sink = CaptureSink::new();
        let outcome = magics.run("%result", &mut sink).await;
        let error = outcome.error().expect("an error");
        assert_eq!(error.ename, "UsageError");
        assert_eq!(error.evalue, NO_LAST_RESULT);
        assert!(error.traceback.is_empty());
    }

    #[tokio::test]
    async fn autopx_toggles_and_only_plain_autopx_ends_it() {
        let mut magics = no_cluster();
        magics.activate("_a", Targets::List(vec![0, 1]));
        let mut sink = CaptureSink::new();
        assert!(magics.run("%autopx_a", &mut sink).await.is_magic());
        assert_eq!(magics.autopx(), Some("_a"));
        // Blank cells run nothing; other cells go to the engines (none here: an error
        // shown, but the reply is ok).
        assert!(matches!(
            magics.run("   \n", &mut sink).await,
            Outcome::Ok { .. }
        ));
        assert!(matches!(
            magics.run("%autopx_a", &mut sink).await,
            Outcome::Ok { .. }
        ));
        assert_eq!(magics.autopx(), Some("_a"));
        magics.run("  %autopx", &mut sink).await;
        assert_eq!(magics.autopx(), None);
        let shown = messages(sink);
        let texts: Vec<&str> = shown
            .iter()
            .filter_map(|m| m["content"]["text"].as_str())
            .collect();
        assert_eq!(texts, ["%autopx enabled\n", "%autopx disabled\n"]);
        assert_eq!(shown[1]["content"]["ename"], "ConnectionError");
    }

    #[tokio::test]
    async fn pxconfig_without_targets_needs_no_cluster() {
        let mut magics = no_cluster();
        let mut sink = CaptureSink::new();
        let outcome = magics.run("%pxconfig --noblock --verbose", &mut sink).await;
        assert!(matches!(outcome, Outcome::Ok { stored: None }));
        let view = magics.view("").unwrap();
        assert!(!view.block && view.verbose);
        let outcome = magics.run("%pxconfig --bogus", &mut sink).await;
        assert_eq!(
            outcome.error().unwrap().evalue,
            "unrecognized arguments: --bogus"
        );
    }
}
