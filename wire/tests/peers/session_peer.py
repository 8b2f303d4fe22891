"""A stock jupyter_client Session behind a JSON-lines pipe (session_interop.rs).

usage: session_peer.py KEY

requests:
  {"op": "deserialize", "frames": [hex, ...]}
      -> the message as Python saw it (peerlib.describe), or {"ok": false, "error": ...}
  {"op": "serialize", "msg_type": str, "content": {}, "metadata": {}, "parent": bool,
   "idents": [hex], "buffers": [hex]}
      -> {"frames": [hex, ...], "header": {...}, "parent_header": {...}}

One Session serves the whole process, so its replay memory spans all requests, as in a
real peer.
"""

import sys

from peerlib import (
    describe,
    frames_from_hex,
    frames_to_hex,
    jsonable,
    make_session,
    refusal,
    reply,
    requests,
)


def main():
    session = make_session(sys.argv[1])
    for req in requests():
        op = req["op"]
        if op == "deserialize":
            frames = frames_from_hex(req["frames"])
            try:
                idents, msg_list = session.feed_identities(frames)
                msg = session.deserialize(msg_list)
            except Exception as e:  # the refusal itself is what the test checks
                reply(refusal(e))
            else:
                reply(describe(idents, msg))
        elif op == "serialize":
            parent = None
            if req.get("parent"):
                parent = session.msg("execute_request", content={"code": "parent"})
            msg = session.msg(
                req["msg_type"],
                content=req["content"],
                parent=parent,
                metadata=req.get("metadata"),
            )
            frames = session.serialize(msg, ident=frames_from_hex(req.get("idents", [])))
            frames += frames_from_hex(req.get("buffers", []))
            reply(
                {
                    "frames": frames_to_hex(frames),
                    "header": jsonable(msg["header"]),
                    "parent_header": jsonable(msg["parent_header"]),
                }
            )
        else:
            reply({"ok": False, "error_type": "BadRequest", "error": f"unknown op {op!r}"})


if __name__ == "__main__":
    main()
