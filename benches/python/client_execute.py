"""The stock half of client_execute: `execute("pass")` on all engines with ipyparallel's
Client, timed per call; prints the samples (seconds) as JSON."""
import argparse
import json
import time

import ipyparallel as ipp

p = argparse.ArgumentParser()
p.add_argument("--file", required=True)
p.add_argument("--n", type=int, default=200)
p.add_argument("--warmup", type=int, default=20)
args = p.parse_args()

rc = ipp.Client(args.file, timeout=30)
try:
    view = rc[:]
    for _ in range(args.warmup):
        view.execute("pass", block=True)
    samples = []
    for _ in range(args.n):
        t = time.perf_counter()
        view.execute("pass", block=True)
        samples.append(time.perf_counter() - t)
    print(json.dumps({"engines": len(rc.ids), "samples": samples, "ipyparallel": ipp.__version__}))
finally:
    rc.close()
