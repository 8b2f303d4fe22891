"""pxcontroller against stock ipcontroller, side by side: the same stock Client and stock
engines, first with the stock controller, then with ours.

Measures `execute("pass")` on all engines (median ms), load-balanced `apply_async` of no-op
tasks (tasks/s), and the controller's resident memory after many tasks. Prints each figure
for both and the ratio (ours over stock for rates, stock over ours for times).

    .venv/bin/python benches/python/controller.py [--engines 2] [--tasks 5000] [--rss-tasks 100000]
"""
import argparse
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import ipyparallel as ipp

ROOT = pathlib.Path(__file__).resolve().parents[2]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_kib(pid):
    """RSS of a process and its children (stock runs its schedulers as child processes)."""
    total = rss_kib(pid)
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        children = []
    for child in children:
        total += tree_rss_kib(int(child))
    return total


def noop():
    return None


def run(controller_cmd, args):
    profile = tempfile.mkdtemp(prefix="px-bench-")
    cluster_id = "b" + uuid.uuid4().hex[:6]
    env = dict(os.environ, IPP_PROFILE_DIR=profile, IPP_CLUSTER_ID=cluster_id)
    # Own process groups: stock's controller forks its schedulers and an engine its nanny,
    # and only a group kill is sure to take them all.
    ctl = subprocess.Popen(controller_cmd + ["--ip=127.0.0.1"], env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    security = pathlib.Path(profile, "security")
    client_file = security / f"ipcontroller-{cluster_id}-client.json"
    engine_file = security / f"ipcontroller-{cluster_id}-engine.json"
    engines = []
    result = {}
    try:
        deadline = time.monotonic() + 60
        while not (client_file.exists() and engine_file.exists()):
            if time.monotonic() > deadline or ctl.poll() is not None:
                raise RuntimeError(f"{controller_cmd[0]} did not start")
            time.sleep(0.05)
        engines = [subprocess.Popen([sys.executable, "-m", "ipyparallel.engine", f"--file={engine_file}"],
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
                   for _ in range(args.engines)]
        rc = ipp.Client(str(client_file), timeout=30)
        rc.wait_for_engines(args.engines, timeout=60)
        try:
            view = rc[:]
            for _ in range(20):
                view.execute("pass", block=True)
            samples = []
            for _ in range(args.executes):
                t = time.perf_counter()
                view.execute("pass", block=True)
                samples.append(time.perf_counter() - t)
            result["execute_ms"] = statistics.median(samples) * 1000
            lview = rc.load_balanced_view()
            lview.apply_async(noop).get(timeout=60)
            t = time.perf_counter()
            ars = [lview.apply_async(noop) for _ in range(args.tasks)]
            for ar in ars:
                ar.get(timeout=300)
            result["tasks_per_s"] = args.tasks / (time.perf_counter() - t)
            done = args.tasks
            while done < args.rss_tasks:
                batch = min(5000, args.rss_tasks - done)
                ars = [lview.apply_async(noop) for _ in range(batch)]
                for ar in ars:
                    ar.get(timeout=300)
                done += batch
                rc.purge_local_results("all")
            result["rss_mib"] = tree_rss_kib(ctl.pid) / 1024
        finally:
            rc.close()
    finally:
        for e in engines:
            e.terminate()
        for e in engines:
            try:
                e.wait(10)
            except subprocess.TimeoutExpired:
                e.kill()
        ctl.terminate()
        try:
            ctl.wait(10)
        except subprocess.TimeoutExpired:
            ctl.kill()
        for proc in engines + [ctl]:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--engines", type=int, default=2)
    p.add_argument("--executes", type=int, default=200)
    p.add_argument("--tasks", type=int, default=5000)
    p.add_argument("--rss-tasks", type=int, default=100_000)
    p.add_argument("--pxcontroller", default=str(ROOT / "target" / "release" / "pxcontroller"))
    args = p.parse_args()
    if not pathlib.Path(args.pxcontroller).exists():
        sys.exit(f"{args.pxcontroller} not found: cargo build --release -p px-controller")
    stock = run([sys.executable, "-m", "ipyparallel.controller"], args)
    ours = run([args.pxcontroller], args)
    print(f"{'':24}{'stock':>12}{'pxcontroller':>14}{'ratio':>8}")
    rows = [
        ("execute('pass') ms", "execute_ms", lambda s, o: s / o),
        ("LB tasks/s", "tasks_per_s", lambda s, o: o / s),
        (f"RSS MiB after {args.rss_tasks}", "rss_mib", lambda s, o: s / o),
    ]
    for label, key, ratio in rows:
        s, o = stock[key], ours[key]
        print(f"{label:24}{s:12.2f}{o:14.2f}{ratio(s, o):7.1f}x")


if __name__ == "__main__":
    main()
