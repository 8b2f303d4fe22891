"""Control requests answered while the engine's Python is busy; signals; shutdown.

args: busy ENGINE-PID GATE-DIR | shutdown
"""

import json
import os
import signal
import sys
import time

import ipyparallel as ipp
import zmq
from jupyter_client.session import Session

from common import IopubLog, TIMEOUT, client, report, wait_until

rc = client(1)
eid = rc.ids[0]
uuid = rc._engines[eid]
dv = rc[eid]


def waiting_cell(gate, then=""):
    """A cell that says it started, then waits for ``gate`` to exist."""
    code = (
        "import os, time\nprint('started', flush=True)\n"
        f"while not os.path.exists({gate!r}):\n    time.sleep(0.01)\n{then}"
    )
    ar = dv.execute(code, silent=False, block=False)
    wait_until(lambda: "started" in (ar.stdout or ""), "the cell to start")
    return ar


def raw_control(msg_type, content):
    """Sends one control request by hand; returns (reply msg_type, content, metadata,
    IOPub messages about it)."""
    info = json.load(open(sys.argv[1]))
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.connect(f"{info['interface']}:{info['control']}")
    sent = session.send(sock, msg_type, content=content, ident=[uuid.encode()])
    if not sock.poll(TIMEOUT * 1000):
        raise AssertionError(f"no reply to {msg_type}")
    idents, frames = session.feed_identities(sock.recv_multipart())
    reply = session.deserialize(frames)
    sock.close()
    assert reply["parent_header"]["msg_id"] == sent["header"]["msg_id"]
    return reply["header"]["msg_type"], reply["content"], reply["metadata"], sent["header"]["msg_id"]


def busy(engine_pid, gates):
    iopub = IopubLog(rc)
    dv.execute("keep = 1", block=True)

    # abort: a queued request is aborted; the reply comes while the first still runs.
    first = waiting_cell(os.path.join(gates, "a"))
    queued = dv.execute("never = 1", block=False)
    rc.abort(queued, block=True)
    abort_while_busy = not first.ready()
    # clear: answered while busy too; it takes effect before the next request.
    rc.clear(targets=[eid], block=True)
    clear_while_busy = not first.ready()
    open(os.path.join(gates, "a"), "w").close()
    first.get(timeout=TIMEOUT)
    try:
        queued.get(timeout=TIMEOUT)
        aborted = None
    except ipp.error.TaskAborted as e:
        aborted = type(e).__name__
    kept_after_clear = dv.apply_sync(lambda: "keep" in globals())

    # signal_request SIGINT interrupts the running code.
    sleeping = waiting_cell(os.path.join(gates, "never-created"))
    rc.send_signal(signal.SIGINT, targets=[eid], block=True)
    try:
        sleeping.get(timeout=TIMEOUT)
        interrupted = None
    except ipp.error.RemoteError as e:
        interrupted = e.ename

    # SIGINT to the engine process (how ipp.Cluster.signal_engines interrupts) does the same,
    # and the engine stays.
    sleeping = waiting_cell(os.path.join(gates, "never-created"))
    os.kill(engine_pid, signal.SIGINT)
    try:
        sleeping.get(timeout=TIMEOUT)
        process_interrupted = None
    except ipp.error.RemoteError as e:
        process_interrupted = e.ename

    # interrupt_request, as a Jupyter frontend sends it, does the same.
    sleeping = waiting_cell(os.path.join(gates, "never-created"))
    interrupt_reply = raw_control("interrupt_request", {})[:2]
    try:
        sleeping.get(timeout=TIMEOUT)
        message_interrupted = None
    except ipp.error.RemoteError as e:
        message_interrupted = e.ename

    # Other signals reach a handler the code installed, as in stock's test_signal_engines.
    def prepare():
        import signal as s

        def raise_interrupt(*args):
            raise KeyboardInterrupt("usr1")

        s.signal(s.SIGUSR1, raise_interrupt)

    dv.apply_sync(prepare)
    sleeping = waiting_cell(os.path.join(gates, "never-created"))
    os.kill(engine_pid, signal.SIGUSR1)
    try:
        sleeping.get(timeout=TIMEOUT)
        usr1 = None
    except ipp.error.RemoteError as e:
        usr1 = e.ename

    # The reply to a signal is a signal_reply; a bad signal name is an error reply.
    signal_reply = raw_control("signal_request", {"sig": "SIGWINCH"})[:3]
    bad_signal = raw_control("signal_request", {"sig": "SIGNOPE"})[:2]
    # Control requests but signals are wrapped in busy/idle on IOPub.
    _, _, clear_md, clear_id = raw_control("clear_request", {})
    clear_iopub = [
        [m["topic"], m["content"].get("execution_state")] for m in iopub.for_request(clear_id)
    ]
    iopub.close()
    report(
        abort_while_busy=abort_while_busy,
        clear_while_busy=clear_while_busy,
        aborted=aborted,
        kept_after_clear=kept_after_clear,
        interrupted=interrupted,
        process_interrupted=process_interrupted,
        interrupt_reply=interrupt_reply,
        message_interrupted=message_interrupted,
        usr1=usr1,
        signal_reply=signal_reply,
        bad_signal=bad_signal,
        clear_metadata=clear_md,
        clear_iopub=clear_iopub,
        ids_after=rc.ids,
        uuid=uuid,
    )


def shutdown():
    rc.shutdown(targets=[eid], block=True)
    wait_until(lambda: not rc.ids, "the hub to drop the engine")
    report(ids_after=rc.ids)


if sys.argv[2] == "busy":
    busy(int(sys.argv[3]), sys.argv[4])
else:
    shutdown()
