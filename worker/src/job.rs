//! One unit of work for the supervisor (an execution or an apply): what is sent to the
//! child, where its events go, and how its reply is read from the child's frames or made up
//! when the child could not answer.

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::event::{ErrorInfo, Event};
use crate::execution::Answer;
use crate::protocol::{ExecuteReplyFrame, FromChild, ToChild};
use crate::reply::{ApplyReply, ExecuteReply, ReplyStatus};

/// One execution or apply: what to send, where its events go and where answers to its
/// questions come from.
pub(crate) struct Job<R> {
    pub request: ToChild,
    /// Binary buffers sent after the request frame.
    pub buffers: Vec<Bytes>,
    /// Whether the execution moves the execution count (stored, not silent).
    pub counted: bool,
    pub updates: mpsc::Sender<Update<R>>,
    /// Answers to input requests and host calls, in the order they were asked.
    pub answers: mpsc::UnboundedReceiver<Answer>,
}

/// What an [`Execution`](crate::Execution) receives.
#[derive(Debug)]
pub(crate) enum Update<R> {
    Event(Event),
    Reply(R),
}

/// The replies a job can end with: how each is read from the child and made up when the
/// child could not answer.
pub(crate) trait JobReply: Send + Sized + 'static {
    /// This job's reply, or the frame back when it is something else.
    /// Takes the buffers only when it is.
    fn from_frame(msg: FromChild, buffers: &mut Vec<Bytes>) -> Result<Self, FromChild>;
    /// The job failed without a reply from the code (the child could not start or died).
    fn failed(count: u32, error: ErrorInfo, restarted: bool) -> Self;
    /// The job was cut short on purpose (shutdown, restart).
    fn aborted(count: u32) -> Self;
    /// The count of the last stored execution, once this reply is in.
    fn execution_count(&self) -> Option<u32>;
}

impl JobReply for ExecuteReply {
    fn from_frame(msg: FromChild, _buffers: &mut Vec<Bytes>) -> Result<Self, FromChild> {
        match msg {
            FromChild::ExecuteReply(frame) => Ok(reply_of(*frame)),
            other => Err(other),
        }
    }

    fn failed(count: u32, error: ErrorInfo, restarted: bool) -> Self {
        ExecuteReply {
            status: ReplyStatus::Error,
            execution_count: count,
            error: Some(error),
            user_expressions: Default::default(),
            payload: Vec::new(),
            worker_restarted: restarted,
        }
    }

    fn aborted(count: u32) -> Self {
        ExecuteReply {
            status: ReplyStatus::Aborted,
            execution_count: count,
            error: None,
            user_expressions: Default::default(),
            payload: Vec::new(),
            worker_restarted: false,
        }
    }

    fn execution_count(&self) -> Option<u32> {
        Some(self.execution_count)
    }
}

impl JobReply for ApplyReply {
    fn from_frame(msg: FromChild, buffers: &mut Vec<Bytes>) -> Result<Self, FromChild> {
        match msg {
            FromChild::ApplyReply {
                status,
                ename,
                evalue,
                traceback,
            } => {
                let error = (status == ReplyStatus::Error).then(|| ErrorInfo {
                    ename: ename.unwrap_or_default(),
                    evalue: evalue.unwrap_or_default(),
                    traceback,
                });
                Ok(ApplyReply {
                    status,
                    error,
                    buffers: if status == ReplyStatus::Ok {
                        std::mem::take(buffers)
                    } else {
                        Vec::new()
                    },
                    worker_restarted: false,
                })
            }
            other => Err(other),
        }
    }

    fn failed(_count: u32, error: ErrorInfo, restarted: bool) -> Self {
        ApplyReply {
            status: ReplyStatus::Error,
            error: Some(error),
            buffers: Vec::new(),
            worker_restarted: restarted,
        }
    }

    fn aborted(_count: u32) -> Self {
        ApplyReply {
            status: ReplyStatus::Aborted,
            error: None,
            buffers: Vec::new(),
            worker_restarted: false,
        }
    }

    fn execution_count(&self) -> Option<u32> {
        None
    }
}

fn reply_of(frame: ExecuteReplyFrame) -> ExecuteReply {
    let error = (frame.status == ReplyStatus::Error).then(|| ErrorInfo {
        ename: frame.ename.unwrap_or_default(),
        evalue: frame.evalue.unwrap_or_default(),
        traceback: frame.traceback,
    });
    ExecuteReply {
        status: frame.status,
        execution_count: frame.execution_count,
        error,
        user_expressions: frame.user_expressions,
        payload: frame.payload,
        worker_restarted: false,
    }
}
