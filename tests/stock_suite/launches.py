"""Summarises a `run.py --record FILE` log: each distinct way a controller or engine was
started (its arguments, and which environment variables were set), with how often and
by which test modules.

    .venv/bin/python tests/stock_suite/launches.py FILE
"""

import json
import sys
from collections import defaultdict


def shape(entry):
    """What identifies a way of starting: kind, command, arguments, names of the variables set."""
    return (entry["kind"], entry["command"], tuple(entry["args"]), tuple(sorted(entry["env"])))


def module_of(test):
    return test.split("::")[0].rsplit("/", 1)[-1] or "?"


def main(argv):
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    seen = defaultdict(lambda: {"count": 0, "modules": set()})
    with open(argv[0]) as f:
        for line in f:
            entry = json.loads(line)
            info = seen[shape(entry)]
            info["count"] += 1
            info["modules"].add(module_of(entry["test"]))
    for (kind, command, args, env), info in sorted(seen.items()):
        print(f"{kind} x{info['count']}: {command} {' '.join(args)}")
        print(f"    env: {', '.join(env) or '-'}")
        print(f"    in: {', '.join(sorted(info['modules']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
