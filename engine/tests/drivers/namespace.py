"""The engines a fresh client sees, and a variable in their namespace.

args: set | check
"""

import sys

from common import client, report

rc = client(1)
eid = rc.ids[0]
if sys.argv[2] == "set":
    rc[eid].push({"kept": 42}, block=True)
report(ids=rc.ids, uuid=rc._engines[eid], kept=rc[eid].pull("kept", block=True))
rc.close()
