"""A pyzmq socket with a stock jupyter_client Session behind a JSON-lines pipe
(socket_interop.rs).

usage: socket_peer.py KEY KIND MODE [ENDPOINT] [IDENTITY]
  KIND      dealer | router | pub | sub
  MODE      bind (to a random port on 127.0.0.1) | connect (to ENDPOINT)
  IDENTITY  routing id for dealer/router sockets (optional)

First line out: {"ready": true, "endpoint": "tcp://127.0.0.1:PORT"}.

requests:
  {"op": "send", "msg_type": str, "content": {}, "metadata": {}, "parent": header|null,
   "idents": [hex], "buffers": [hex]}
      -> {"ok": true, "header": {...}}
  {"op": "recv", "timeout": seconds}
      -> the message as Python saw it (peerlib.describe), a refusal, or
         {"ok": false, "error_type": "Timeout"}
"""

import sys

import zmq

from peerlib import (
    describe,
    frames_from_hex,
    jsonable,
    make_session,
    refusal,
    reply,
    requests,
)

KINDS = {"dealer": zmq.DEALER, "router": zmq.ROUTER, "pub": zmq.PUB, "sub": zmq.SUB}


def main():
    key, kind, mode = sys.argv[1:4]
    rest = sys.argv[4:]
    session = make_session(key)
    ctx = zmq.Context()
    sock = ctx.socket(KINDS[kind])
    sock.linger = 0
    if mode == "bind":
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        endpoint = f"tcp://127.0.0.1:{port}"
        identity = rest[0] if rest else None
    else:
        endpoint = rest[0]
        identity = rest[1] if len(rest) > 1 else None
    if identity:
        sock.identity = identity.encode()
    if kind == "sub":
        sock.setsockopt(zmq.SUBSCRIBE, b"")
    if mode == "connect":
        sock.connect(endpoint)
    reply({"ready": True, "endpoint": endpoint})

    poller = zmq.Poller()
    if kind != "pub":
        poller.register(sock, zmq.POLLIN)
    for req in requests():
        op = req["op"]
        if op == "send":
            msg = session.send(
                sock,
                req["msg_type"],
                content=req.get("content", {}),
                parent=req.get("parent"),
                ident=frames_from_hex(req.get("idents", [])),
                buffers=frames_from_hex(req.get("buffers", [])),
                metadata=req.get("metadata"),
            )
            reply({"ok": True, "header": jsonable(msg["header"])})
        elif op == "recv":
            if not poller.poll(int(req.get("timeout", 5) * 1000)):
                reply({"ok": False, "error_type": "Timeout", "error": "nothing arrived"})
                continue
            frames = sock.recv_multipart()
            try:
                idents, msg_list = session.feed_identities(frames)
                msg = session.deserialize(msg_list)
            except Exception as e:
                reply(refusal(e))
            else:
                reply(describe(idents, msg))
        else:
            reply({"ok": False, "error_type": "BadRequest", "error": f"unknown op {op!r}"})
    sock.close(linger=0)
    ctx.term()


if __name__ == "__main__":
    main()
