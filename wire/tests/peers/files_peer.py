"""Stock ipyparallel reading files written by px-wire, behind a JSON-lines pipe
(connection_files.rs).

requests:
  {"op": "client", "path": str, "timeout": seconds}
      Builds a stock ipyparallel.Client from the client connection file. The Client sends a
      connection_request to the file's registration port and waits for the reply, so the
      Rust test serves that port meanwhile. -> what the Client made of the file.
  {"op": "cluster", "path": str}
      Loads the file with the stock ipyparallel.Cluster.from_file (which checks the pids it
      names with psutil). -> what the Cluster made of it.
"""

import json
import os

from peerlib import jsonable, refusal, reply, requests


def client(req):
    import ipyparallel

    c = ipyparallel.Client(req["path"], timeout=req["timeout"])
    try:
        return {
            "ok": True,
            "ids": c.ids,
            "engines": {str(k): v for k, v in c._engines.items()},
            "config": jsonable(c._config),
            "task_scheme": c._task_scheme,
            "key": c.session.key.decode("utf8"),
            "signature_scheme": c.session.signature_scheme,
        }
    finally:
        c.close(linger=0)


def cluster(req):
    from ipyparallel import Cluster

    with open(req["path"]) as f:
        on_disk = json.load(f)
    c = Cluster.from_file(req["path"])
    with open(req["path"]) as f:
        after = json.load(f)
    controller = None
    if c.controller is not None:
        controller = {
            "class": type(c.controller).__name__,
            "state": c.controller.state,
            "pid": c.controller.process.pid,
        }
    engines = {
        set_id: {
            "class": type(es).__name__,
            "state": es.state,
            "n": es.n,
            "pids": {i: el.process.pid for i, el in es.launchers.items()},
        }
        for set_id, es in c.engines.items()
    }
    return {
        "ok": True,
        "cluster_id": c.cluster_id,
        "profile_dir": c.profile_dir,
        "n": c.n,
        "controller": controller,
        "engines": engines,
        "to_dict": jsonable(c.to_dict()),
        "rewritten": after != on_disk,
    }


def main():
    ops = {"client": client, "cluster": cluster}
    for req in requests():
        try:
            reply(ops[req["op"]](req))
        except Exception as e:
            reply(refusal(e))
    # Launchers restored by Cluster.from_file watch their pids from threads; do not wait.
    os._exit(0)


if __name__ == "__main__":
    main()
