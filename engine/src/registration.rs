//! Joining a controller: `registration_request` on its registration socket, the reply with
//! our id and the heartbeat period, and `unregistration_request` when we leave.
//!
//! The DEALER carries the engine's uuid as routing id and is kept open for the whole
//! registration, as stock engines keep theirs: leaving is announced on it.

use std::time::Duration;

use px_wire::{EngineConnectionInfo, Message, MsgType, Session, Socket, SocketKind};
use serde_json::{json, Value};

use crate::error::{EngineError, Result};
use crate::ids::{EngineId, EngineUuid};

/// How long a leaving engine lets the unregistration reach the wire before it exits (the
/// socket crate sends from a background task; there is no reply to wait for).
const UNREGISTER_FLUSH: Duration = Duration::from_millis(100);

/// An accepted registration.
pub(crate) struct Registration {
    socket: Socket,
    /// The id the hub gave us.
    pub id: EngineId,
    /// The controller's heartbeat period.
    pub hb_period: Duration,
}

/// Sends `registration_request` and waits up to `timeout` (connecting included) for the
/// reply.
pub(crate) async fn register(
    info: &EngineConnectionInfo,
    session: &Session,
    uuid: &EngineUuid,
    requested_id: Option<u32>,
    timeout: Duration,
) -> Result<Registration> {
    let url = info.url(info.registration);
    let timed_out = || EngineError::RegistrationTimeout {
        url: url.clone(),
        waited: timeout,
    };
    let attempt = async {
        let mut socket = Socket::new(SocketKind::Dealer, Some(&uuid.routing_id()))?;
        socket.connect(&url, timeout).await?;
        let mut content = json!({"uuid": uuid.as_str()});
        if let Some(id) = requested_id {
            content["id"] = json!(id);
        }
        let request = session.msg(MsgType::RegistrationRequest, content);
        socket.send_msg(session, &request).await?;
        loop {
            let reply = match socket.recv_msg(session).await {
                Ok(reply) => reply,
                Err(e @ px_wire::WireError::Socket { .. }) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!("ignoring a bad message on the registration socket: {e}");
                    continue;
                }
            };
            if reply.header.msg_type == MsgType::RegistrationReply.as_str() {
                return accepted(socket, &reply, requested_id);
            }
            tracing::debug!("ignoring {} while registering", reply.header.msg_type);
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Err(EngineError::Wire(px_wire::WireError::Timeout { .. }))) | Err(_) => Err(timed_out()),
        Ok(result) => result,
    }
}

fn accepted(socket: Socket, reply: &Message, requested: Option<u32>) -> Result<Registration> {
    let content = &reply.content;
    if content["status"] != "ok" {
        let text = |key: &str| content[key].as_str().unwrap_or("").to_owned();
        let reason = match (text("ename"), text("evalue")) {
            (name, value) if name.is_empty() && value.is_empty() => content.to_string(),
            (name, value) => format!("{name}: {value}"),
        };
        return Err(EngineError::RegistrationRefused(reason));
    }
    let id = content["id"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| {
            EngineError::RegistrationRefused(format!("the reply has no engine id: {content}"))
        })?;
    if let Some(wanted) = requested.filter(|&wanted| wanted != id) {
        tracing::warn!("asked for engine id {wanted}, the controller gave {id}");
    }
    let hb_period = match &content["hb_period"] {
        Value::Number(n) => n.as_f64().unwrap_or(3000.0),
        _ => 3000.0,
    };
    Ok(Registration {
        socket,
        id: EngineId(id),
        hb_period: Duration::from_secs_f64(hb_period.max(1.0) / 1000.0),
    })
}

impl Registration {
    /// Tells the hub we are leaving (there is no reply), and gives the message a moment to
    /// leave the process.
    pub(crate) async fn unregister(mut self, session: &Session) {
        let msg = session.msg(MsgType::UnregistrationRequest, json!({"id": self.id.0}));
        match tokio::time::timeout(UNREGISTER_FLUSH, self.socket.send_msg(session, &msg)).await {
            Ok(Ok(())) => tokio::time::sleep(UNREGISTER_FLUSH).await,
            Ok(Err(e)) => tracing::debug!("unregistration not sent: {e}"),
            Err(_) => tracing::debug!("unregistration not sent: the socket is stuck"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use px_wire::Signer;

    fn reply(content: Value) -> Message {
        Session::new(Signer::disabled()).msg(MsgType::RegistrationReply, content)
    }

    fn socket() -> Socket {
        Socket::new(SocketKind::Dealer, None).unwrap()
    }

    #[tokio::test]
    async fn an_ok_reply_gives_the_id_and_the_heartbeat_period() {
        let reg = accepted(
            socket(),
            &reply(json!({"status": "ok", "id": 3, "hb_period": 200})),
            None,
        )
        .unwrap();
        assert_eq!(reg.id, EngineId(3));
        assert_eq!(reg.hb_period, Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_refusal_carries_the_hubs_reason() {
        let err = accepted(
            socket(),
            &reply(json!({"status": "error", "ename": "KeyError", "evalue": "uuid 'x' in use"})),
            None,
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "the controller refused the registration: KeyError: uuid 'x' in use"
        );
    }

    #[tokio::test]
    async fn a_reply_without_an_id_is_a_refusal_not_a_panic() {
        let err = accepted(socket(), &reply(json!({"status": "ok"})), None)
            .err()
            .unwrap();
        assert!(matches!(err, EngineError::RegistrationRefused(_)));
    }
}
