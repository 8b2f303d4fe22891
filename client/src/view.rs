//! Views: where requests go. `DirectView` addresses named engines through the MUX relay;
//! `LoadBalancedView` lets the task scheduler pick.

use std::time::Duration;

use px_wire::{Message, MsgType};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use crate::asyncresult::AsyncResult;
use crate::client::{Channel, Client, DEFAULT_REQUEST_TIMEOUT};
use crate::error::{ClientError, Result};
use crate::remote_error::{CompositeError, RemoteError};
use crate::targets::Targets;

/// How an `execute_request` is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecuteOptions {
    /// `silent` requests neither count executions nor publish `execute_input` or results;
    /// stock `DirectView.execute` defaults to true, the `%px` magics send false.
    pub silent: bool,
    /// Expressions evaluated after the code; their reprs come back in the reply.
    pub user_expressions: Map<String, Value>,
    /// Deliver output as events through [`AsyncResult::next_event`].
    pub stream: bool,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        ExecuteOptions {
            silent: true,
            user_expressions: Map::new(),
            stream: false,
        }
    }
}

fn execute_msg(
    client: &Client,
    code: &str,
    opts: &ExecuteOptions,
    metadata: Map<String, Value>,
) -> Message {
    client
        .shared
        .session
        .msg(
            MsgType::ExecuteRequest,
            json!({
                "code": code,
                "silent": opts.silent,
                "user_expressions": opts.user_expressions,
            }),
        )
        .with_metadata(metadata)
}

/// Executes code on a fixed set of engines.
#[derive(Debug, Clone)]
pub struct DirectView {
    client: Client,
    targets: Targets,
}

impl DirectView {
    pub(crate) fn new(client: Client, targets: Targets) -> Self {
        DirectView { client, targets }
    }

    /// The targets, as given.
    pub fn targets(&self) -> &Targets {
        &self.targets
    }

    /// The engine ids the targets designate now.
    pub fn engine_ids(&self) -> Result<Vec<i64>> {
        Ok(self.targets.resolve(&self.client.ids())?)
    }

    fn engines(&self) -> Result<Vec<(i64, String)>> {
        let table = self.client.shared.engines();
        Ok(self
            .targets
            .resolve(&table.ids())?
            .into_iter()
            .filter_map(|id| table.uuid(id).map(|u| (id, u.to_owned())))
            .collect())
    }

    /// Sends `code` to every target engine; the result fills in as engines answer.
    pub async fn execute(&self, code: &str, opts: &ExecuteOptions) -> Result<AsyncResult> {
        let engines = self.engines()?;
        let (tx, rx) = if opts.stream {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let mut trackers = Vec::with_capacity(engines.len());
        for engine in engines {
            let mut metadata = Map::new();
            metadata.insert("label".into(), Value::Null);
            let msg = execute_msg(&self.client, code, opts, metadata);
            let tracker = self
                .client
                .submit(Channel::Mux, Some(engine), msg, tx.clone())
                .await?;
            trackers.push(tracker);
        }
        Ok(self.client.async_result(trackers, rx))
    }

    /// Executes and waits for every engine (blocking execute).
    pub async fn execute_sync(
        &self,
        code: &str,
        opts: &ExecuteOptions,
        timeout: Option<Duration>,
    ) -> Result<Vec<crate::tracker::EngineResult>> {
        self.execute(code, opts).await?.get(timeout).await
    }

    /// Evaluates `expr` on each target and returns its representation (a MIME bundle with at
    /// least `text/plain`) per engine id: what a frontend needs instead of unpickling values.
    pub async fn pull_repr(
        &self,
        expr: &str,
        timeout: Option<Duration>,
    ) -> Result<Vec<(i64, Value)>> {
        const KEY: &str = "__px_repr";
        let mut user_expressions = Map::new();
        user_expressions.insert(KEY.into(), Value::String(expr.to_owned()));
        let opts = ExecuteOptions {
            silent: true,
            user_expressions,
            stream: false,
        };
        let results = self.execute_sync("", &opts, timeout).await?;
        let mut values = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            let expr_result = r
                .reply
                .as_ref()
                .and_then(|c| c.get("user_expressions"))
                .and_then(|u| u.get(KEY))
                .cloned()
                .unwrap_or(Value::Null);
            let id = r.engine_id.unwrap_or(-1);
            if expr_result.get("status").and_then(Value::as_str) == Some("ok") {
                values.push((id, expr_result.get("data").cloned().unwrap_or(Value::Null)));
            } else {
                let mut e = RemoteError::from_content(&expr_result);
                e.engine_id = r.engine_id;
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(CompositeError::new("execute", errors).into())
        }
    }

    async fn control(&self, msg_type: MsgType, content: Value) -> Result<()> {
        let mut failures = Vec::new();
        for (id, uuid) in self.engines()? {
            let reply = self
                .client
                .request(
                    Channel::Control,
                    Some(&uuid),
                    msg_type,
                    content.clone(),
                    DEFAULT_REQUEST_TIMEOUT,
                )
                .await?;
            if reply.content.get("status").and_then(Value::as_str) != Some("ok") {
                let mut e = RemoteError::from_content(&reply.content);
                e.engine_id.get_or_insert(id);
                failures.push(e);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(CompositeError::new("control", failures).into())
        }
    }

    /// Aborts queued requests on the targets: those of `jobs`, or every queued one.
    pub async fn abort(&self, jobs: Option<&AsyncResult>) -> Result<()> {
        let msg_ids = jobs.map(AsyncResult::msg_ids).unwrap_or_default();
        self.control(MsgType::AbortRequest, json!({ "msg_ids": msg_ids }))
            .await
    }

    /// Sends a signal to the target engines' processes (through their nannies).
    pub async fn signal(&self, sig: i32) -> Result<()> {
        self.control(MsgType::SignalRequest, json!({ "sig": sig }))
            .await
    }

    /// Interrupts running code on the targets (SIGINT, a KeyboardInterrupt in user code).
    pub async fn interrupt(&self) -> Result<()> {
        self.signal(2).await
    }

    /// The hub's queue counts for the targets.
    pub async fn queue_status(&self, verbose: bool) -> Result<Map<String, Value>> {
        let ids = self.engine_ids()?;
        self.client.queue_status(Some(ids), verbose).await
    }

    /// Stops the target engines.
    pub async fn shutdown(&self) -> Result<()> {
        self.control(MsgType::ShutdownRequest, json!({ "restart": false }))
            .await
    }
}

/// Executes code wherever the task scheduler sends it.
#[derive(Debug, Clone)]
pub struct LoadBalancedView {
    client: Client,
    targets: Option<Vec<i64>>,
    after: Vec<String>,
    follow: Vec<String>,
    timeout: Option<f64>,
    retries: u32,
}

impl LoadBalancedView {
    pub(crate) fn new(client: Client) -> Self {
        LoadBalancedView {
            client,
            targets: None,
            after: Vec::new(),
            follow: Vec::new(),
            timeout: None,
            retries: 0,
        }
    }

    /// Restricts the scheduler to these engines.
    pub fn targets(mut self, ids: Vec<i64>) -> Self {
        self.targets = Some(ids);
        self
    }

    /// Runs only after these msg_ids have completed successfully.
    pub fn after(mut self, msg_ids: Vec<String>) -> Self {
        self.after = msg_ids;
        self
    }

    /// Runs only on an engine where these msg_ids ran successfully.
    pub fn follow(mut self, msg_ids: Vec<String>) -> Self {
        self.follow = msg_ids;
        self
    }

    /// Fails with TaskTimeout if not started within `seconds`.
    pub fn timeout(mut self, seconds: f64) -> Self {
        self.timeout = Some(seconds);
        self
    }

    /// Resubmits a failed task up to `n` times.
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    fn metadata(&self) -> Result<Map<String, Value>> {
        let targets: Vec<String> = match &self.targets {
            None => Vec::new(),
            Some(ids) => {
                let table = self.client.shared.engines();
                ids.iter()
                    .map(|id| {
                        table.uuid(*id).map(str::to_owned).ok_or_else(|| {
                            ClientError::InvalidArgument(format!("No such engine: {id}"))
                        })
                    })
                    .collect::<Result<_>>()?
            }
        };
        let md = json!({
            "after": self.after,
            "follow": self.follow,
            "timeout": self.timeout,
            "targets": targets,
            "retries": self.retries,
            "label": null,
        });
        Ok(md.as_object().cloned().unwrap_or_default())
    }

    /// Submits `code` as one task.
    pub async fn execute(&self, code: &str, opts: &ExecuteOptions) -> Result<AsyncResult> {
        let msg = execute_msg(&self.client, code, opts, self.metadata()?);
        let (tx, rx) = if opts.stream {
            let (tx, rx) = mpsc::unbounded_channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let tracker = self.client.submit(Channel::Task, None, msg, tx).await?;
        Ok(self.client.async_result(vec![tracker], rx))
    }
}
