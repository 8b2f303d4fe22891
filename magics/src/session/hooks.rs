//! What the magics need from their host (the kernel or `pxsh`): a way to reach a cluster,
//! and a local namespace for `%%px --local` and autopx's syntax check.

use std::future::Future;
use std::pin::Pin;

use px_client::Client;

use super::outcome::ErrorReply;
use crate::render::OutputSink;

/// A boxed, sendable future: how the hooks' async methods are returned, so the traits stay
/// usable as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why no client could be had: whatever the host's lookup or cluster start reports.
pub type ConnectError = Box<dyn std::error::Error + Send + Sync>;

/// Finds or starts a cluster and connects to it. Called when a magic first needs engines,
/// and again on the next such magic if it failed; the host decides where clusters come
/// from (a profile's running cluster, an embedded one it starts).
///
/// Any `FnMut() -> impl Future<Output = Result<Client, E>>` is a connector:
///
/// ```no_run
/// use px_client::{Client, ConnectionSource};
/// use px_magics::PxMagics;
///
/// let source = ConnectionSource::default();
/// let magics = PxMagics::new(move || {
///     let source = source.clone();
///     async move { Client::connect(&source).await }
/// });
/// ```
pub trait Connector: Send {
    /// Connects.
    fn connect(&mut self) -> BoxFuture<'_, Result<Client, ConnectError>>;
}

impl<F, Fut, E> Connector for F
where
    F: FnMut() -> Fut + Send,
    Fut: Future<Output = Result<Client, E>> + Send + 'static,
    E: Into<ConnectError>,
{
    fn connect(&mut self) -> BoxFuture<'_, Result<Client, ConnectError>> {
        let fut = self();
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

/// The host's local namespace (IPython's own shell, in stock).
pub trait LocalExecutor: Send {
    /// Runs `code` as a nested cell of the current one (`%%px --local`): its output and
    /// its value go to `sink` (the value as [`OutputSink::execute_result`]). An exception
    /// comes back unshown; the magics show it and go on, as IPython's nested `run_cell`
    /// does.
    fn run_cell<'a>(
        &'a mut self,
        code: &'a str,
        sink: &'a mut (dyn OutputSink + Send),
    ) -> BoxFuture<'a, Result<(), ErrorReply>>;

    /// Checks that `code` is valid input locally, after the shell's input transformations
    /// (autopx sends only cells that pass, spec §16). The error is the SyntaxError to show.
    fn check_syntax<'a>(&'a mut self, code: &'a str) -> BoxFuture<'a, Result<(), ErrorReply>>;
}
