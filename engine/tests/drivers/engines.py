"""Registration: wait for N engines, check each answers, optionally stop one with SIGTERM
and wait for the hub to drop it.

args: N [PID-TO-TERMINATE [FILE-WRITTEN-AT-EXIT]]
"""

import os
import signal
import sys

from common import client, report, wait_until

n = int(sys.argv[2])
rc = client(n)
ids = sorted(rc.ids)
uuids = {str(i): rc._engines[i] for i in ids}
# Each engine runs code: the answer is its Python's pid.
pids = rc[:].apply_sync(os.getpid)
gone = None
if len(sys.argv) > 4:
    # The engine's Python is asked to exit, not killed: its atexit handlers run.
    rc[:].execute(
        f"import atexit\natexit.register(lambda: open({sys.argv[4]!r}, 'w').write('bye'))",
        block=True,
    )
if len(sys.argv) > 3:
    os.kill(int(sys.argv[3]), signal.SIGTERM)
    wait_until(lambda: len(rc.ids) < len(ids), "the engine's unregistration")
    gone = sorted(set(ids) - set(rc.ids))
rc.close()
report(ids=ids, uuids=uuids, pids=pids, gone=gone)
