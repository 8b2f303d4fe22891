"""What running the example notebooks needs, shared by `conftest.py` (nbval) and
`execute.py` (regenerating the saved outputs): the kernel installed where Jupyter finds it
by name, and a fresh stock cluster of a fixed size for each notebook.

The notebooks' outputs name engine ids and engine execution counts (`Out[2:5]`), so each
notebook runs against its own new 4-engine cluster: the same cells then give the same
numbers, whatever the machine's core count.
"""
import contextlib
import os
import pathlib
import subprocess
import sys
import tempfile

import psutil

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = pathlib.Path(__file__).resolve().parent
KERNEL_NAME = "parallel-rust"
ENGINES = 4


def isolate_jupyter_and_ipython():
    """Points Jupyter and IPython at a throw-away directory, so the kernelspec we install and
    the clusters we start are invisible to (and unaffected by) the user's own setup. Must run
    before kernels are started: they inherit this environment, and find the cluster through
    `IPYTHONDIR`."""
    base = tempfile.mkdtemp(prefix="px-notebooks-")
    os.environ["JUPYTER_PATH"] = os.path.join(base, "share", "jupyter")
    os.environ["JUPYTER_DATA_DIR"] = os.path.join(base, "data")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(base, "runtime")
    os.environ["IPYTHONDIR"] = os.path.join(base, "ipython")
    # Outputs must not depend on the caller's environment: streaming stays on (as in
    # JupyterLab), and the kernel uses the default profile's cluster, nothing else.
    for name in ("IPP_NONINTERACTIVE", "PX_CLUSTER", "PX_PROFILE", "IPP_CLUSTER_ID"):
        os.environ.pop(name, None)
    return base


def install_kernel(prefix):
    """Builds pxkernel and installs its kernelspec under `prefix`, running local cells in
    this interpreter."""
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "px-kernel", "--bin", "pxkernel"],
        cwd=ROOT,
        check=True,
    )
    pxkernel = ROOT / "target" / "debug" / "pxkernel"
    subprocess.run(
        [str(pxkernel), "install", "--prefix", prefix, "--python", sys.executable],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _cluster_processes():
    """This process's descendants that belong to a cluster (controller, engines, nannies)."""
    procs = []
    for p in psutil.Process().children(recursive=True):
        try:
            if any(arg.startswith("ipyparallel.") for arg in p.cmdline()):
                procs.append(p)
        except psutil.Error:
            pass
    return procs


@contextlib.contextmanager
def fresh_cluster(n=ENGINES):
    """A new stock cluster of `n` engines on 127.0.0.1 with the default cluster id, so it is
    the default profile's running cluster, which the kernel connects to on its first `%px`.
    Yields once all engines have registered (ids 0..n-1); stopped on exit, even on failure,
    and only then: `stop_cluster_sync` returns before the engines' nannies have exited
    (they notice some seconds later), so the processes seen at start are waited for a
    moment, then terminated."""
    import ipyparallel as ipp

    cluster = ipp.Cluster(n=n, cluster_id="", controller_ip="127.0.0.1", log_level=40)
    procs = []
    try:
        cluster.start_cluster_sync()
        rc = cluster.connect_client_sync()
        try:
            rc.wait_for_engines(n, timeout=120)
        finally:
            rc.close()
        procs = _cluster_processes()
        yield cluster
    finally:
        try:
            cluster.stop_cluster_sync()
        finally:
            procs += [p for p in _cluster_processes() if p not in procs]
            _, alive = psutil.wait_procs(procs, timeout=1)
            for signal in ("terminate", "kill"):
                for p in alive:
                    with contextlib.suppress(psutil.Error):
                        getattr(p, signal)()
                _, alive = psutil.wait_procs(alive, timeout=5)
