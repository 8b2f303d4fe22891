"""apply_request from a stock client: apply, push/pull, scatter/gather, map, load-balanced
and broadcast views, numpy buffers, errors, dependencies.

args: all | missing-ipyparallel
"""

import os
import sys

import ipyparallel as ipp

from common import IopubLog, TIMEOUT, client, report


def everything():
    import numpy as np

    rc = client(2)
    iopub = IopubLog(rc)
    dv = rc[:]
    dv.block = True
    lview = rc.load_balanced_view()
    out = {}
    out["apply"] = dv.apply_sync(lambda x: x * 2, 3)
    dv.push({"a": 10, "b": [1, 2]})
    out["pull"] = dv.pull(("a", "b"))
    dv.scatter("part", list(range(10)))
    out["scattered"] = dv.pull("part")
    out["gathered"] = dv.gather("part")
    out["map"] = dv.map_sync(lambda x: x + 1, range(6))
    out["lb_apply"] = lview.apply_sync(lambda: 42)
    out["lb_map"] = lview.map_sync(lambda x: x * x, range(5))

    @ipp.interactive
    def uses_namespace():
        return a + 1  # noqa: F821 (pushed above)

    out["interactive"] = dv.apply_sync(uses_namespace)

    # Large arrays go as raw buffers both ways.
    arr = np.arange(1_000_000, dtype="int64")
    doubled = dv.apply_sync(lambda x: x * 2, arr)
    out["numpy"] = [int(d.sum()) for d in doubled]
    out["numpy_dtype"] = [str(d.dtype) for d in doubled]
    dv.push({"big": arr})
    out["numpy_pull"] = [int(p[-1]) for p in dv.pull("big")]
    # As on a stock engine, a pushed array views the received bytes: no copy, read-only.
    out["numpy_writeable"] = dv.apply_sync(ipp.interactive(lambda: big.flags.writeable))  # noqa: F821

    # Output of a function is captured like a cell's, between busy and idle.
    printing = rc[rc.ids[0]].apply_async(lambda: print("from apply") or 7)
    result = printing.get(timeout=TIMEOUT)
    printing.wait_for_output(TIMEOUT)  # IOPub and replies travel separately
    out["printed"] = [result, printing.stdout]
    out["apply_iopub"] = [
        [m["type"], m["content"].get("execution_state") or m["content"].get("name")]
        for m in iopub.for_request(printing.msg_ids[0])
    ]

    # Errors name the engine and the method.
    failing = rc[rc.ids[0]].apply_async(lambda: 1 / 0)
    try:
        failing.get(timeout=TIMEOUT)
    except ipp.error.RemoteError as e:
        out["error"] = [e.ename, e.evalue, e.engine_info, str(e)]

    # Broadcast views: one message, answered per engine (or coalesced by the scheduler).
    for coalescing in (False, True):
        bview = rc.broadcast_view(is_coalescing=coalescing)
        out[f"broadcast_coalescing_{str(coalescing).lower()}"] = bview.apply_sync(lambda: __import__('os').getpid() > 0)
    bview = rc.broadcast_view()
    bview.execute("bcast = 5", block=True)
    out["broadcast_execute"] = dv.pull("bcast")

    # An unmet dependency moves the task on; once every allowed engine has refused it, it
    # fails (with no targets, stock's scheduler would keep it queued).
    @ipp.depend(lambda: False)
    def never():
        return 1

    try:
        rc.load_balanced_view(targets=rc.ids).apply_sync(never)
    except ipp.error.RemoteError as e:
        out["impossible"] = e.ename
    iopub.close()
    rc.close()
    report(**out)


def missing_ipyparallel():
    rc = client(1)
    dv = rc[rc.ids[0]]
    try:
        dv.apply_sync(lambda: 1)
    except ipp.error.RemoteError as e:
        error = [e.ename, e.evalue, e.engine_info.get("method")]
    executed = dv.execute("x = 2 + 2", silent=False, block=True).get().execution_count
    rc.close()
    report(error=error, executed=executed)


if sys.argv[2] == "all":
    everything()
else:
    missing_ipyparallel()
