"""pxengine as the engine command of a stock ipp.Cluster: started with the launcher's
environment ($IPP_CONNECTION_INFO), interrupted by Cluster.signal_engines, stopped by
Cluster.stop_engines.

args: PXENGINE PYTHON PROFILE-DIR
"""

import signal
import sys
import time

import ipyparallel as ipp
from traitlets.config import Config

from common import TIMEOUT, report, wait_until

pxengine, python, profile_dir = sys.argv[1:4]
config = Config()
config.LocalEngineSetLauncher.engine_cmd = [pxengine, f"--python={python}"]
config.LocalEngineSetLauncher.delay = 0.0
config.LocalProcessLauncher.stop_seconds_until_kill = 5
cluster = ipp.Cluster(
    n=2,
    controller_ip="127.0.0.1",
    profile_dir=profile_dir,
    cluster_id="launched",
    controller_args=["--HeartMonitor.period=200"],
    delay=0,
    config=config,
)
out = {}
try:
    rc = cluster.start_and_connect_sync()
    rc.wait_for_engines(2, timeout=TIMEOUT)
    out["ids"] = sorted(rc.ids)
    out["squares"] = rc[:].map_sync(lambda x: x * x, range(4))
    # Cluster.signal_engines signals the engine processes, as for stock engines.
    ar = rc[:].execute(
        "import time\nprint('started', flush=True)\ntime.sleep(60)", silent=False, block=False
    )
    wait_until(lambda: all("started" in s for s in ar.stdout), "both engines to start")
    cluster.signal_engines_sync(signal.SIGINT)
    try:
        ar.get(timeout=TIMEOUT)
    except ipp.error.CompositeError as e:
        out["interrupted"] = sorted(set(err[0] for err in e.elist))
    out["after_interrupt"] = rc[:].apply_sync(lambda: "alive")
    cluster.stop_engines_sync()
    wait_until(lambda: not rc.ids, "the engines to unregister")
    out["ids_after_stop"] = rc.ids
    rc.close()
finally:
    cluster.stop_cluster_sync()
report(**out)
