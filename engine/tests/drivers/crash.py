"""The Python behind an engine crashing inside a %px cell (os._exit, SIGKILL, a segfault)
and inside an apply: an error for that request, the same engine working afterwards.

args: (none)
"""

import ipyparallel as ipp
from IPython.core.interactiveshell import InteractiveShell

from common import TIMEOUT, client, report

rc = client(1)
eid = rc.ids[0]
uuid = rc._engines[eid]
dv = rc[:]
dv.block = True  # %px waits, as with a blocking view in a notebook
ip = InteractiveShell.instance()
dv.activate()  # registers %px with this IPython
magics = ip.magics_manager.registry["ParallelMagics"]

CRASHES = {
    "os_exit": "import os; os._exit(1)",
    "sigkill": "import os; os.kill(os.getpid(), 9)",
    "segfault": "import ctypes; ctypes.string_at(0)",
}
results = {}
for name, code in CRASHES.items():
    dv.execute("before = 1", block=True)
    try:
        ip.run_line_magic("px", code)
        results[name] = {"error": None}
    except ipp.error.AlreadyDisplayedError:
        # %px showed the error; its result holds it.
        try:
            magics.last_result.get(timeout=TIMEOUT)
        except ipp.error.CompositeError as e:
            ename, evalue, _tb, info = e.elist[0]
            results[name] = {"error": ename, "evalue": evalue, "engine_id": info["engine_id"]}
    # Afterwards: the same engine (same id, same uuid), a fresh namespace, code runs.
    after = dv.execute("'before' in globals(), 6 * 7", silent=False, block=True)
    after.wait_for_output(TIMEOUT)
    results[name]["after"] = after.execute_result[0]["data"]["text/plain"]
    results[name]["ids"] = rc.ids
    results[name]["uuid_same"] = rc._engines[eid] == uuid

try:
    dv.apply_sync(__import__("os")._exit, 3)
    apply_error = None
except ipp.error.CompositeError as e:
    apply_error = [e.elist[0][0], e.elist[0][1], e.elist[0][3]["method"]]
apply_after = dv.apply_sync(lambda: "ok")
rc.close()
report(crashes=results, apply_error=apply_error, apply_after=apply_after)
