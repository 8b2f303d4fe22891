"""Runs code on every engine with the stock ipyparallel Client and prints, as JSON, what it
collected per engine, so tests can compare it with what the Rust client collected."""
import json
import sys

import ipyparallel as ipp

client_file, code = sys.argv[1], sys.argv[2]
rc = ipp.Client(client_file, timeout=20)
try:
    ar = rc[:].execute(code, silent=False, block=False)
    try:
        ar.get(timeout=30)
    except ipp.error.CompositeError:
        pass
    ar.wait_for_output(timeout=30)
    out = {}
    for md in ar._metadata:
        result = md["execute_result"]
        out[str(md["engine_id"])] = {
            "stdout": md["stdout"],
            "stderr": md["stderr"],
            "outputs": [o["data"] for o in md["outputs"]],
            "execute_result": result["data"] if result else None,
            "error": md["error"].ename if md["error"] else None,
        }
    print(json.dumps(out))
finally:
    rc.close()
