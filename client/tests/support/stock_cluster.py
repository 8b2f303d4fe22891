"""Runs a stock ipyparallel cluster for the Rust integration tests (`support/cluster.rs`).

Started by `StockCluster::start` with IPYTHONDIR pointing at a fresh temporary directory.
It starts one controller and N engines with `ipyparallel.Cluster` on 127.0.0.1, waits with a
stock `Client.wait_for_engines` until all N are registered, and prints ONE JSON line on stdout:

    {"event": "ready", "client_file": ..., "engine_file": ..., "cluster_file": ...,
     "profile_dir": ..., "cluster_id": ..., "engine_ids": [0, 1], "controller_pid": ...,
     "engine_pids": [...], "startup_seconds": 2.1}

or `{"event": "error", "message": ...}` (details on stderr) and exits 1.

Afterwards stdout carries only replies to commands read from stdin, one JSON object a line:

    {"cmd": "wait_for_engines", "n": 3, "timeout": 60}  ->  {"event": "engines", "ids": [...]}
    {"cmd": "stop"}                                      ->  stops the cluster, exits 0

The owner's lifetime is stdin: when it reaches end-of-file (the owner closed it, or died, even
by SIGKILL), the cluster is stopped. Without a `stop` command first, the owner is presumed dead,
so with --remove-dir-when-orphaned the IPYTHONDIR is removed too (nobody else will).
SIGTERM, SIGINT and SIGHUP also stop the cluster.

Stopping is the stock one, bounded: `stop_engines_sync()` then `stop_controller_sync()` (the
order `with Cluster()` uses; TERM, then KILL). Then, as a last resort, every process whose
environment carries our IPYTHONDIR (controller, schedulers, engines, nannies, engines the owner
added by hand) and every pid recorded in the cluster file is killed.

Everything else is stock too, except for test-speed settings ipyparallel's own test suite also
uses or that only skip sleeps: no pauses before/between engine starts, and (--heartbeat-ms)
a faster HeartMonitor.period written to the profile's ipcontroller_config.py.
"""

import argparse
import json
import logging
import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback

import psutil

# How long a clean stop may take before the last-resort kill; the Rust side waits ~10 s.
STOP_SECONDS = 6.0
# How long processes left after a clean stop may take to exit by themselves.
LEFTOVER_GRACE_SECONDS = 1.5


class Shutdown(Exception):
    """Raised in the main thread by a signal (or by stdin EOF, relayed as SIGTERM)."""


class Interrupts:
    """Turns the first SIGTERM/SIGINT/SIGHUP into `Shutdown`, and none once stopping began.

    A second raise would cut the clean-up short, so after the first one (or after `disarm`,
    when stopping for another reason) signals are ignored.
    """

    def __init__(self):
        self.armed = True
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        if self.armed:
            self.armed = False
            raise Shutdown(signal.Signals(signum).name)

    def disarm(self):
        self.armed = False


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, required=True, help="number of engines")
    p.add_argument("--cluster-id", required=True)
    p.add_argument("--profile-dir", required=True)
    p.add_argument(
        "--timeout", type=float, default=90.0, help="seconds to wait for the engines"
    )
    p.add_argument(
        "--heartbeat-ms",
        type=int,
        default=0,
        help="HeartMonitor.period in ms, via the profile's ipcontroller_config.py (0: stock)",
    )
    p.add_argument("--remove-dir-when-orphaned", action="store_true")
    return p.parse_args()


class Protocol:
    """The JSON-lines channel to the owner: the original stdout, and nothing else writes it."""

    def __init__(self):
        # Keep a private (non-inheritable) copy of stdout and point fd 1 at stderr, so stray
        # prints (ours, ipyparallel's) never corrupt the channel and no child process holds
        # the pipe open after we exit.
        self._out = os.fdopen(os.dup(1), "w", buffering=1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, **event):
        try:
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()
        except (BrokenPipeError, OSError):
            pass  # owner gone; stdin EOF will stop us


def watch_stdin(commands, stop_requested, orphaned):
    """Feeds stdin lines into `commands`; at EOF interrupts the main thread with SIGTERM.

    The interrupt reaches the main thread wherever it is blocked (starting the cluster,
    waiting for engines, waiting for a command). After a `stop` command the main thread is
    already stopping, and EOF is just the owner closing stdin behind it.
    """
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            if json.loads(line).get("cmd") == "stop":
                stop_requested.set()
        except (ValueError, AttributeError):
            pass
        commands.put(line)
    if not stop_requested.is_set():
        orphaned.set()
        os.kill(os.getpid(), signal.SIGTERM)


def our_processes(ipython_dir):
    """Processes (other than us) whose environment carries our IPYTHONDIR."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.environ().get("IPYTHONDIR") == ipython_dir:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def recorded_pids(cluster_file):
    """Controller and engine pids from the cluster file, if it is still there."""
    try:
        with open(cluster_file) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return []
    pids = []
    pid = (data.get("controller") or {}).get("state", {}).get("pid")
    if isinstance(pid, int) and pid > 0:
        pids.append(pid)
    for engine_set in (data.get("engines") or {}).get("sets", {}).values():
        for engine in engine_set.get("engines", {}).values():
            pid = engine.get("pid")
            if isinstance(pid, int) and pid > 0:
                pids.append(pid)
    return pids


def proc_name(proc):
    try:
        return " ".join(proc.cmdline())
    except (psutil.Error, OSError):
        return "?"


def kill_leftovers(ipython_dir, pids):
    """SIGKILLs our marked processes and the recorded pids that still carry our marker.

    Engine nannies exit on their own shortly after their engine, so they get a moment first.
    """
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while our_processes(ipython_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(20):
        procs = our_processes(ipython_dir)
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                if proc.environ().get("IPYTHONDIR") == ipython_dir:
                    procs.append(proc)
            except (psutil.Error, OSError):
                continue
        if not procs:
            return
        for proc in procs:
            logging.warning(f"killing leftover pid {proc.pid}: {proc_name(proc)}")
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=0.5)


def stop_cluster(cluster, ipython_dir, pids):
    """Stops the cluster (if one was made) the stock way, bounded, then kills what is left."""
    if cluster is None:
        kill_leftovers(ipython_dir, pids)
        return
    pids = list(pids) + recorded_pids(cluster.cluster_file)

    def stop():
        # Engines first, as `with Cluster()` does: their nannies tell the still-running
        # controller they are gone, and exit instead of lingering.
        try:
            cluster.stop_engines_sync()
        except Exception:
            traceback.print_exc()
        try:
            cluster.stop_controller_sync()
        except Exception:
            traceback.print_exc()

    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    stopper.join(STOP_SECONDS)
    if stopper.is_alive():
        logging.warning("stop_cluster did not finish in %ss", STOP_SECONDS)
    kill_leftovers(ipython_dir, pids)


def dump_outputs(cluster):
    """Copies the controller's and engines' output to stderr (for start-up failures)."""
    launchers = [cluster.controller] if cluster.controller else []
    for engine_set in cluster.engines.values():
        launchers.extend(getattr(engine_set, "launchers", {}).values())
    for launcher in launchers:
        try:
            output = launcher.get_output()
        except Exception:
            continue
        print(f"--- output of {launcher.identifier} ---\n{output}", file=sys.stderr)


def wait_for_engines(client_file, n, timeout):
    """Ids of the registered engines, once at least n are, as a fresh stock client sees them."""
    import ipyparallel as ipp

    client = ipp.Client(client_file)
    try:
        client.wait_for_engines(n, timeout=timeout)
        return sorted(client.ids)
    finally:
        client.close()


def serve(proto, commands, client_file):
    """Answers commands until told to stop; stdin EOF arrives as `Shutdown` instead."""
    while True:
        line = commands.get()
        try:
            cmd = json.loads(line)
            name = cmd.get("cmd")
            if name == "stop":
                return
            elif name == "wait_for_engines":
                ids = wait_for_engines(client_file, int(cmd["n"]), float(cmd["timeout"]))
                proto.send(event="engines", ids=ids)
            else:
                proto.send(event="error", message=f"unknown command: {line}")
        except Shutdown:
            raise
        except Exception as e:
            traceback.print_exc()
            proto.send(event="error", message=f"{type(e).__name__}: {e}")


def make_cluster(args):
    """An `ipp.Cluster` as a user would create it, minus the stock pauses."""
    import ipyparallel as ipp
    from traitlets.config import Config

    os.makedirs(args.profile_dir, exist_ok=True)
    config = Config()
    # Engines get the connection info from the launcher ($IPP_CONNECTION_INFO) only after
    # the controller has written its files, so neither stock pause buys anything here.
    config.LocalEngineSetLauncher.delay = 0.0
    # Keep a stuck stop inside STOP_SECONDS (stock: TERM, 5 s, KILL, then wait up to 60 s).
    config.LocalProcessLauncher.stop_seconds_until_kill = 3
    config.LocalProcessLauncher.stop_timeout = 3
    # PX_CONTROLLER_CMD=target/debug/pxcontroller and PX_ENGINE_CMD=target/debug/pxengine run
    # the same tests on our controller and engines.
    if os.environ.get("PX_CONTROLLER_CMD"):
        config.LocalControllerLauncher.controller_cmd = os.environ["PX_CONTROLLER_CMD"].split()
    if os.environ.get("PX_ENGINE_CMD"):
        config.LocalEngineSetLauncher.engine_cmd = os.environ["PX_ENGINE_CMD"].split()
    if args.heartbeat_ms > 0:
        # As ipyparallel's own test suite does (tests/conftest.py): a new engine counts as
        # registered only once the heart monitor has seen it beat, and at the stock 3 s
        # period that alone costs several seconds per start.
        with open(os.path.join(args.profile_dir, "ipcontroller_config.py"), "w") as f:
            f.write(f"c.HeartMonitor.period = {args.heartbeat_ms}\n")
    return ipp.Cluster(
        n=args.n,
        controller_ip="127.0.0.1",
        profile_dir=args.profile_dir,
        cluster_id=args.cluster_id,
        delay=0,
        config=config,
    )


def start(cluster, args, pids):
    """Starts the cluster and waits for its engines; returns the `ready` report."""
    t0 = time.monotonic()
    cluster.start_cluster_sync()
    logging.info("cluster started in %.2fs", time.monotonic() - t0)
    pids.append(cluster.controller.pid)
    engine_pids = [
        launcher.pid
        for engine_set in cluster.engines.values()
        for launcher in engine_set.launchers.values()
    ]
    pids.extend(engine_pids)
    files = cluster.controller.connection_files
    ids = wait_for_engines(files["client"], args.n, args.timeout)
    startup = time.monotonic() - t0
    logging.info("%d engines registered in %.2fs", args.n, startup)
    return dict(
        event="ready",
        client_file=files["client"],
        engine_file=files["engine"],
        cluster_file=cluster.cluster_file,
        profile_dir=cluster.profile_dir,
        cluster_id=cluster.cluster_id,
        engine_ids=ids,
        controller_pid=cluster.controller.pid,
        engine_pids=engine_pids,
        startup_seconds=round(startup, 3),
    )


def main():
    args = parse_args()
    proto = Protocol()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s.%(msecs)03d stock_cluster %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    ipython_dir = os.environ["IPYTHONDIR"]
    stop_requested = threading.Event()
    orphaned = threading.Event()
    cluster = None
    pids = []
    exit_code = 0
    interrupts = Interrupts()
    try:
        commands = queue.Queue()
        threading.Thread(
            target=watch_stdin, args=(commands, stop_requested, orphaned), daemon=True
        ).start()
        cluster = make_cluster(args)
        try:
            ready = start(cluster, args, pids)
        except Shutdown:
            raise
        except Exception as e:
            traceback.print_exc()
            dump_outputs(cluster)
            proto.send(event="error", message=f"{type(e).__name__}: {e}")
            exit_code = 1
        else:
            proto.send(**ready)
            serve(proto, commands, ready["client_file"])
    except Shutdown as e:
        logging.info(f"stopping on {e}")
    finally:
        interrupts.disarm()
        stop_cluster(cluster, ipython_dir, pids)
    # A stop command means the owner is alive and owns the directory; otherwise nobody is
    # left to remove it.
    if args.remove_dir_when_orphaned and orphaned.is_set():
        shutil.rmtree(ipython_dir, ignore_errors=True)
    sys.stderr.flush()
    # Skip interpreter teardown: stray daemon threads (client, launcher waiters) must not
    # delay or hang the exit, and the atexit hook would only stop the cluster again.
    os._exit(exit_code)


if __name__ == "__main__":
    main()
