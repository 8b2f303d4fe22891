"""execute_request as DirectView.execute and %px send it: replies, output, IOPub.

args: GATE-FILE (a path the driver creates to let a waiting cell finish)
"""

import os
import sys

import ipyparallel as ipp

from common import IopubLog, TIMEOUT, client, report, wait_until

gate = sys.argv[2]
rc = client(1)
iopub = IopubLog(rc)
eid = rc.ids[0]
dv = rc[eid]

# Silent, as DirectView.execute sends by default.
quiet = dv.execute("a = 5", block=False)
quiet_count = quiet.get(timeout=TIMEOUT).execution_count

# Non-silent, as %px sends it.
px = dv.execute("print('hi')\na * 2", silent=False, block=False)
px.get(timeout=TIMEOUT)
px.wait_for_output(TIMEOUT)  # IOPub and replies travel separately
px_msgs = iopub.for_request(px.msg_ids[0])

# Output streams while the cell runs: the first line arrives before the cell ends.
code = (
    "import os, time\n"
    "print('first', flush=True)\n"
    f"while not os.path.exists({gate!r}):\n"
    "    time.sleep(0.01)\n"
    "print('second')\n"
)
running = dv.execute(code, silent=False, block=False)
wait_until(lambda: "first" in (running.stdout or ""), "the first line while the cell runs")
streamed_before_end = not running.ready()
open(gate, "w").close()
running.get(timeout=TIMEOUT)
running.wait_for_output(TIMEOUT)

# Rich output.
shown = dv.execute(
    "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))", silent=False, block=False
)
shown.get(timeout=TIMEOUT)
shown.wait_for_output(TIMEOUT)

# publish_data reaches AsyncResult.data.
published = dv.execute(
    "from ipyparallel.datapub import publish_data\npublish_data({'i': 4, 'items': [1, 2]})",
    block=False,
)
published.get(timeout=TIMEOUT)
published.wait_for_output(TIMEOUT)

# An error names the engine and the method.
failing = dv.execute("1/0", silent=False, block=False)
try:
    failing.get(timeout=TIMEOUT)
    raise AssertionError("1/0 did not fail")
except ipp.error.RemoteError as e:
    error = e
failing_msgs = iopub.for_request(failing.msg_ids[0])

# Text written close together goes out as one message, as ipykernel's 200 ms flush sends
# it; text written after a pause goes out on its own.
gathered = dv.execute(
    "import sys, time\nprint('a'); time.sleep(0.05); print('b')\ntime.sleep(0.6)\nprint('c')",
    silent=False,
    block=False,
)
gathered.get(timeout=TIMEOUT)
gathered_streams = [
    m["content"]["text"] for m in iopub.for_request(gathered.msg_ids[0]) if m["type"] == "stream"
]
rc.wait(timeout=TIMEOUT)
iopub.close()

report(
    quiet_count=quiet_count,
    px_stdout=px.stdout,
    px_result=px.execute_result["data"],
    px_count=px.execute_result["execution_count"],
    px_reply_count=px.get().execution_count,
    px_iopub=[[m["topic"], m["type"], m.get("metadata", {}).get("engine")] for m in px_msgs],
    px_input=[m["content"] for m in px_msgs if m["type"] == "execute_input"],
    streamed_before_end=streamed_before_end,
    running_stdout=running.stdout,
    outputs=[o["data"] for o in shown.outputs],
    published=published.data,
    error_ename=error.ename,
    error_evalue=error.evalue,
    error_engine_info=error.engine_info,
    error_str=str(error),
    error_status=failing.metadata["status"],
    error_iopub=[[m["type"], m["content"].get("ename")] for m in failing_msgs],
    gathered_streams=gathered_streams,
    engine_uuid=rc._engines[eid],
    engine_id=eid,
)
