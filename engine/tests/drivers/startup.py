"""What the engine's startup files left in the user namespace.

args: (none)
"""

from common import client, report

rc = client(1)
names = rc[:].apply_sync(lambda: [k for k in ("from_env", "from_profile", "order") if k in globals()])
order = rc[:].pull("order", block=True)
rc.close()
report(names=names[0], order=order[0])
