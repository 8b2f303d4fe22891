//! The message types this project speaks, as one enum.
//!
//! Headers keep `msg_type` as the text that was sent (so a relay can forward what it does not
//! handle); handlers call [`MsgType::from_str`](std::str::FromStr) and answer an unknown type
//! with a clear error instead of matching on strings.

use std::fmt;
use std::str::FromStr;

use crate::error::WireError;

macro_rules! msg_types {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal ),+ $(,)?) => {
        /// A known Jupyter or ipyparallel message type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MsgType {
            $( $(#[$doc])* $variant, )+
        }

        impl MsgType {
            /// Every known type, for tests and for listing in error messages.
            pub const ALL: &'static [MsgType] = &[ $( MsgType::$variant, )+ ];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $( MsgType::$variant => $text, )+ }
            }
        }

        impl FromStr for MsgType {
            type Err = WireError;
            fn from_str(s: &str) -> Result<Self, WireError> {
                match s {
                    $( $text => Ok(MsgType::$variant), )+
                    other => Err(WireError::UnknownMsgType(other.to_owned())),
                }
            }
        }
    };
}

msg_types! {
    /// Run code (shell; MUX and task on a cluster).
    ExecuteRequest = "execute_request",
    /// Outcome of an execute.
    ExecuteReply = "execute_reply",
    /// Call a pickled function on an engine (payload in buffers).
    ApplyRequest = "apply_request",
    /// Outcome of an apply (result pickled in buffers).
    ApplyReply = "apply_reply",
    /// Ask a kernel or engine who it is.
    KernelInfoRequest = "kernel_info_request",
    /// Kernel identity and language.
    KernelInfoReply = "kernel_info_reply",
    /// Tab completion.
    CompleteRequest = "complete_request",
    /// Completion matches.
    CompleteReply = "complete_reply",
    /// Object introspection.
    InspectRequest = "inspect_request",
    /// Introspection result.
    InspectReply = "inspect_reply",
    /// Whether code is a complete statement.
    IsCompleteRequest = "is_complete_request",
    /// complete / incomplete / invalid / unknown.
    IsCompleteReply = "is_complete_reply",
    /// Kernel input history, or the hub's task history (same name in both protocols).
    HistoryRequest = "history_request",
    /// History entries.
    HistoryReply = "history_reply",
    /// List open comms.
    CommInfoRequest = "comm_info_request",
    /// Open comms.
    CommInfoReply = "comm_info_reply",
    /// Open a comm (widgets).
    CommOpen = "comm_open",
    /// Message on a comm.
    CommMsg = "comm_msg",
    /// Close a comm.
    CommClose = "comm_close",
    /// Stop a kernel, engine or hub.
    ShutdownRequest = "shutdown_request",
    /// Acknowledges a shutdown; on engine IOPub it also unregisters the engine.
    ShutdownReply = "shutdown_reply",
    /// Interrupt running code (interrupt_mode "message").
    InterruptRequest = "interrupt_request",
    /// Interrupt done.
    InterruptReply = "interrupt_reply",
    /// Abort queued requests on an engine.
    AbortRequest = "abort_request",
    /// Abort acknowledged.
    AbortReply = "abort_reply",
    /// Clear an engine's namespace.
    ClearRequest = "clear_request",
    /// Namespace cleared.
    ClearReply = "clear_reply",
    /// Send a signal to an engine process (answered by the nanny).
    SignalRequest = "signal_request",
    /// Signal sent.
    SignalReply = "signal_reply",
    /// Debug adapter request.
    DebugRequest = "debug_request",
    /// Debug adapter reply.
    DebugReply = "debug_reply",
    /// Debug adapter event (IOPub).
    DebugEvent = "debug_event",
    /// Ask the frontend for a line of input (stdin channel).
    InputRequest = "input_request",
    /// The line the user typed.
    InputReply = "input_reply",
    /// Kernel state: starting, busy, idle.
    Status = "status",
    /// stdout / stderr text.
    Stream = "stream",
    /// Rich output.
    DisplayData = "display_data",
    /// Replace an earlier display by id.
    UpdateDisplayData = "update_display_data",
    /// Echo of the code being run.
    ExecuteInput = "execute_input",
    /// The value of the last expression.
    ExecuteResult = "execute_result",
    /// An exception.
    Error = "error",
    /// Clear the cell's output.
    ClearOutput = "clear_output",
    /// Data published by `ipyparallel.datapub` (pickled in buffers).
    DataMessage = "data_message",
    /// First message on an XPUB IOPub after a subscription (protocol 5.5).
    IopubWelcome = "iopub_welcome",
    /// Engine asks the hub to join.
    RegistrationRequest = "registration_request",
    /// Hub grants (or refuses) an engine id.
    RegistrationReply = "registration_reply",
    /// Engine leaves (no reply).
    UnregistrationRequest = "unregistration_request",
    /// Hub tells clients an engine joined.
    RegistrationNotification = "registration_notification",
    /// Hub tells clients an engine left.
    UnregistrationNotification = "unregistration_notification",
    /// Hub tells clients it is shutting down.
    ShutdownNotification = "shutdown_notification",
    /// Client asks the hub for the engine table.
    ConnectionRequest = "connection_request",
    /// The engine table.
    ConnectionReply = "connection_reply",
    /// Client asks for queue status.
    QueueRequest = "queue_request",
    /// Per-engine queue counts.
    QueueReply = "queue_reply",
    /// Client asks for stored results.
    ResultRequest = "result_request",
    /// Stored results.
    ResultReply = "result_reply",
    /// Query the hub's task database.
    DbRequest = "db_request",
    /// Matching task records.
    DbReply = "db_reply",
    /// Drop stored results.
    PurgeRequest = "purge_request",
    /// Results dropped.
    PurgeReply = "purge_reply",
    /// Run stored tasks again.
    ResubmitRequest = "resubmit_request",
    /// New msg ids for resubmitted tasks.
    ResubmitReply = "resubmit_reply",
    /// Engine load (unused by stock clients).
    LoadRequest = "load_request",
    /// Engine load.
    LoadReply = "load_reply",
    /// Turn the cluster into a dask cluster.
    BecomeDaskRequest = "become_dask_request",
    /// Dask scheduler address.
    BecomeDaskReply = "become_dask_reply",
    /// Stop the dask cluster.
    StopDistributedRequest = "stop_distributed_request",
    /// Dask stopped.
    StopDistributedReply = "stop_distributed_reply",
    /// The hub's answer to a query it could not handle.
    HubError = "hub_error",
}

impl MsgType {
    /// The reply type for a `*_request`, as ipykernel derives it (`x_request` → `x_reply`).
    pub fn reply_type(self) -> Option<MsgType> {
        self.as_str()
            .strip_suffix("_request")
            .and_then(|stem| format!("{stem}_reply").parse().ok())
    }
}

impl fmt::Display for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_spelling() {
        for t in MsgType::ALL {
            assert_eq!(t.as_str().parse::<MsgType>().unwrap(), *t);
        }
    }

    #[test]
    fn unknown_type_is_a_typed_error() {
        let err = "frobnicate_request".parse::<MsgType>().unwrap_err();
        assert!(matches!(err, WireError::UnknownMsgType(t) if t == "frobnicate_request"));
    }

    #[test]
    fn reply_type_follows_ipykernel_naming() {
        assert_eq!(
            MsgType::ExecuteRequest.reply_type(),
            Some(MsgType::ExecuteReply)
        );
        assert_eq!(MsgType::UnregistrationRequest.reply_type(), None);
        assert_eq!(MsgType::Stream.reply_type(), None);
    }
}
