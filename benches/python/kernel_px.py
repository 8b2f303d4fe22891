"""`%px pass` on 4 stock engines, 200 times, through the parallel-rust kernel and through
IPython's kernel with ipyparallel's magics, on the same stock cluster; and kernel start to
the first kernel_info_reply for both. Prints medians and ratios.

    .venv/bin/python benches/python/kernel_px.py   (builds pxkernel --release first)
"""
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CALLS, WARMUP, STARTS = 200, 20, 5

tmp = tempfile.mkdtemp(prefix="px-bench-")
os.environ["JUPYTER_PATH"] = os.path.join(tmp, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(tmp, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "runtime")
os.environ["IPYTHONDIR"] = os.path.join(tmp, "ipython")

import ipyparallel as ipp  # noqa: E402  (after IPYTHONDIR is set)
from jupyter_client.manager import start_new_kernel  # noqa: E402

subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "px-kernel", "--bin", "pxkernel"],
               cwd=ROOT, check=True)
subprocess.run([str(ROOT / "target/release/pxkernel"), "install", "--prefix", tmp,
                "--python", sys.executable], check=True, stdout=subprocess.DEVNULL)
subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", tmp, "--name", "bench-ipython"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(kc, code, timeout=60):
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            break
    reply = kc.get_shell_msg(timeout=timeout)
    assert reply["content"]["status"] == "ok", reply["content"]


def start_seconds(name):
    samples = []
    for _ in range(STARTS):
        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name=name)  # returns after kernel_info_reply
        samples.append(time.perf_counter() - t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(samples)


def px_seconds(name, setup):
    km, kc = start_new_kernel(kernel_name=name)
    try:
        for code in setup:
            run(kc, code)
        for _ in range(WARMUP):
            run(kc, "%px pass")
        samples = []
        for _ in range(CALLS):
            t = time.perf_counter()
            run(kc, "%px pass")
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


cluster = ipp.Cluster(n=4, cluster_id="", controller_ip="127.0.0.1", log_level=40)
cluster.start_cluster_sync()
try:
    rc = cluster.connect_client_sync()
    rc.wait_for_engines(4, timeout=120)
    rc.close()
    ours = px_seconds("parallel-rust", [])
    theirs = px_seconds("bench-ipython",
                        ["import ipyparallel as ipp; rc = ipp.Client(); rc.wait_for_engines(4)"])
finally:
    cluster.stop_cluster_sync()
ours_start = start_seconds("parallel-rust")
theirs_start = start_seconds("bench-ipython")

print(f"kernel_px: %px pass on 4 stock engines, {CALLS} cells after {WARMUP} warm-up; kernel start x{STARTS}")
print(f"{'':34} {'parallel-rust':>14} {'IPython+ipp':>12} {'ratio':>7}")
print(f"{'%px pass, median ms':34} {ours*1e3:14.2f} {theirs*1e3:12.2f} {theirs/ours:6.1f}x")
print(f"{'start to kernel_info_reply, ms':34} {ours_start*1e3:14.1f} {theirs_start*1e3:12.1f} {theirs_start/ours_start:6.1f}x")
