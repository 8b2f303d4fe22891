"""Bad input sent to an engine: request types it does not know (shell and control), an
apply payload that is not a pickle, a result that cannot be pickled, and a cell printing
100 MB. Each gets a clear answer and the engine keeps serving; the engine's memory is
sampled during the flood.

args: <engine pid>
"""

import json
import sys
import threading
import time

import ipyparallel as ipp
import psutil
import zmq
from jupyter_client.session import Session

from common import TIMEOUT, client, report

FLOOD_LINES = 100_000
FLOOD_LINE = "x" * 999 + "\n"  # 100 MB in all

engine = psutil.Process(int(sys.argv[2]))
rc = client(1)
eid = rc.ids[0]
uuid = rc._engines[eid].encode()
info = json.load(open(sys.argv[1]))
# A session of our own: the stock client ignores IOPub output of other sessions, so the
# flood below is not gathered by it.
session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
ctx = zmq.Context.instance()


def raw_socket(port_name):
    sock = ctx.socket(zmq.DEALER)
    sock.connect(f"{info['interface']}:{info[port_name]}")
    return sock


def request(sock, msg_type, content=None, buffers=None):
    """Sends one request to the engine through the controller and returns the reply."""
    sent = session.send(sock, msg_type, content or {}, ident=uuid, buffers=buffers)
    if not sock.poll(TIMEOUT * 1000):
        raise AssertionError(f"no reply to {msg_type}")
    _idents, msg = session.feed_identities(sock.recv_multipart(copy=False), copy=False)
    reply = session.deserialize(msg, content=True, copy=False)
    assert reply["parent_header"]["msg_id"] == sent["header"]["msg_id"], reply
    return reply


def summary(reply):
    c = reply["content"]
    return {
        "type": reply["header"]["msg_type"],
        "status": c.get("status"),
        "ename": c.get("ename"),
        "evalue": c.get("evalue"),
    }


def still_serving():
    dv = rc[:]
    return dv.apply_sync(lambda a, b: a + b, 40, 2) == [42] and dv.execute(
        "y = 1", block=True
    ).successful()


mux = raw_socket("mux")
control = raw_socket("control")
results = {}
results["unknown_shell"] = summary(request(mux, "frobnicate_request", {"x": 1}))
results["unknown_control"] = summary(request(control, "frobnicate_request"))
results["after_unknown"] = still_serving()
results["bad_apply"] = summary(request(mux, "apply_request", buffers=[b"not a pickle"]))
results["no_buffers_apply"] = summary(request(mux, "apply_request"))
results["after_bad_apply"] = still_serving()
try:
    rc[:].apply_sync(lambda: __import__("threading").Lock())
    results["unpicklable"] = None
except ipp.error.CompositeError as e:
    results["unpicklable"] = {"ename": e.elist[0][0], "evalue": e.elist[0][1]}
results["after_unpicklable"] = still_serving()

# The flood: a raw SUB counts the stream bytes the controller relays for our request.
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.connect(f"{info['interface']}:{info['iopub']}")
counted = {"bytes": 0, "idle_for": set(), "seen": set()}


def count():
    while True:
        if not sub.poll(50):
            continue
        frames = sub.recv_multipart(copy=False)
        _idents, msg = session.feed_identities(frames, copy=False)
        msg = session.deserialize(msg, copy=False)
        parent = msg["parent_header"].get("msg_id")
        counted["seen"].add(parent)
        if msg["header"]["msg_type"] == "stream":
            counted["bytes"] += len(msg["content"]["text"])
        elif msg["header"]["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                counted["idle_for"].add(parent)


threading.Thread(target=count, daemon=True).start()
# A SUB misses what is published before its subscription reaches the publisher.
deadline = time.monotonic() + TIMEOUT
while True:
    probe = session.send(mux, "execute_request", {"code": "", "silent": True}, ident=uuid)
    mux.poll(TIMEOUT * 1000)
    mux.recv_multipart()
    time.sleep(0.1)
    if probe["header"]["msg_id"] in counted["seen"]:
        break
    assert time.monotonic() < deadline, "the IOPub subscription never took"

peak = {"rss": engine.memory_info().rss}
baseline = peak["rss"]
sampling = True


def sample():
    while sampling:
        try:
            peak["rss"] = max(peak["rss"], engine.memory_info().rss)
        except psutil.Error:
            return
        time.sleep(0.01)


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
started = time.monotonic()
code = f"import sys\nfor _ in range({FLOOD_LINES}): sys.stdout.write({FLOOD_LINE!r})"
flood = request(mux, "execute_request", {"code": code, "silent": False})
flood_id = flood["parent_header"]["msg_id"]
deadline = time.monotonic() + TIMEOUT
while flood_id not in counted["idle_for"] and time.monotonic() < deadline:
    time.sleep(0.05)
seconds = time.monotonic() - started
sampling = False
sampler.join()
results["flood"] = {
    "status": flood["content"]["status"],
    "bytes": counted["bytes"],
    "idle": flood_id in counted["idle_for"],
    "seconds": round(seconds, 2),
    "baseline_mib": baseline // 2**20,
    "peak_mib": peak["rss"] // 2**20,
}
results["after_flood"] = still_serving()
rc.close()
report(**results)
