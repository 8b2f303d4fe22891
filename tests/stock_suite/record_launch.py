"""Logs how a controller or engine was started, then becomes it.

Usage: record_launch.py FILE KIND -- COMMAND [ARGS...]

Appends one JSON line to FILE (kind, argv after the command, cwd, the test that was
running, and the environment variables a controller or engine reads), then execs COMMAND
with the same pid, so the stock launcher that started us keeps watching the real process.
"""

import fcntl
import json
import os
import sys

# Variables read by stock ipcontroller / ipengine (apps/baseapp.py, controller/app.py,
# engine/app.py) or that change what a Python engine does at startup.
INTERESTING = (
    "IPP_CLUSTER_ID",
    "IPP_PROFILE_DIR",
    "IPP_CONNECTION_INFO",
    "IPP_SESSION_KEY",
    "IPP_CONTROLLER_IP",
    "IPP_ENABLE_CURVE",
    "IPP_CURVE_SECRETKEY",
    "IPP_CURVE_PUBLICKEY",
    "IPP_CURVE_SERVERKEY",
    "IPYTHONDIR",
    "PYTHONSTARTUP",
    "JUPYTER_PLATFORM_DIRS",
)


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print("usage: record_launch.py FILE KIND -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    record_file, kind, cmd = argv[0], argv[1], argv[3:]
    entry = {
        "kind": kind,
        "command": cmd[0],
        "args": cmd[1:],
        "cwd": os.getcwd(),
        "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
        "env": {k: os.environ[k] for k in INTERESTING if k in os.environ},
    }
    with open(record_file, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(entry) + "\n")
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
