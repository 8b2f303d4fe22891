"""The requests besides execute and apply that an engine answers on its shell socket, sent
through the controller as a frontend bound to it sends them: complete_request,
inspect_request, is_complete_request, history_request and comm_info_request.
Prints each reply's type and the fields a frontend uses, for the Rust test to check (and to
compare with a stock engine's). Every reply must carry the engine's uuid in its metadata.
"""

import json
import sys

import ipyparallel as ipp
import zmq
from jupyter_client.session import Session

from common import TIMEOUT, client, report

rc = client(1)
eid = rc.ids[0]
uuid = rc._engines[eid].encode()
rc[eid].execute("my_long_variable = 1", block=True)
# Stored in history: non-silent cells, as %px sends them, a failing one included.
rc[eid].execute("a = 1", silent=False, block=True)
try:
    rc[eid].execute("1 / 0", silent=False, block=True)
except ipp.error.RemoteError:
    pass
rc[eid].execute("b = 2", silent=False, block=True)

info = json.load(open(sys.argv[1]))
session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
mux = zmq.Context.instance().socket(zmq.DEALER)
mux.connect(f"{info['interface']}:{info['mux']}")


def request(msg_type, content):
    sent = session.send(mux, msg_type, content, ident=uuid)
    if not mux.poll(TIMEOUT * 1000):
        raise AssertionError(f"no reply to {msg_type}")
    _idents, msg = session.feed_identities(mux.recv_multipart())
    reply = session.deserialize(msg)
    assert reply["parent_header"]["msg_id"] == sent["header"]["msg_id"], reply
    assert reply["metadata"].get("engine") == uuid.decode(), reply["metadata"]
    return reply["header"]["msg_type"], reply["content"]


def complete(code, cursor_pos=None):
    kind, c = request("complete_request", {"code": code, "cursor_pos": cursor_pos if cursor_pos is not None else len(code)})
    return {
        "type": kind,
        "status": c.get("status"),
        "matches": c.get("matches"),
        "cursor_start": c.get("cursor_start"),
        "cursor_end": c.get("cursor_end"),
    }


def inspect(code, detail_level=0):
    kind, c = request("inspect_request", {"code": code, "cursor_pos": len(code), "detail_level": detail_level})
    return {
        "type": kind,
        "status": c.get("status"),
        "found": c.get("found"),
        "text": c.get("data", {}).get("text/plain", ""),
    }


def is_complete(code):
    kind, c = request("is_complete_request", {"code": code})
    return {"type": kind, "status": c.get("status"), "indent": c.get("indent")}


report(
    variable=complete("my_lo"),
    module=complete("import o"),
    # The cursor in the middle: only the text before it counts.
    middle=complete("my_lo + 1", 5),
    inspect_found=inspect("len"),
    inspect_missing=inspect("no_such_name_here"),
    complete_code=is_complete("x = 1"),
    incomplete_code=is_complete("for i in range(3):"),
    invalid_code=is_complete("x = )"),
    comm_info=request("comm_info_request", {}),
    history_tail=request("history_request", {"hist_access_type": "tail", "n": 2, "output": False, "raw": True}),
    history_output=request("history_request", {"hist_access_type": "tail", "n": 1, "output": True, "raw": True}),
    history_range=request(
        "history_request",
        {"hist_access_type": "range", "session": 0, "start": 1, "stop": 3, "output": False, "raw": True},
    ),
    history_search=request("history_request", {"hist_access_type": "search", "pattern": "b*", "output": False, "raw": True}),
    # Still serving executions afterwards.
    after=rc[eid].apply_sync(lambda: 6 * 7),
)
mux.close()
