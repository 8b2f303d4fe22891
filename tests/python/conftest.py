"""Builds pxkernel and installs its kernelspec into a throw-away Jupyter path, so the
conformance suites start the real binary by kernel name without touching the user's setup."""
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
_jupyter = tempfile.mkdtemp(prefix="px-jupyter-")
os.environ["JUPYTER_PATH"] = os.path.join(_jupyter, "share", "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(_jupyter, "data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(_jupyter, "runtime")
os.environ["IPYTHONDIR"] = os.path.join(_jupyter, "ipython")

subprocess.run(
    ["cargo", "build", "--quiet", "-p", "px-kernel", "--bin", "pxkernel"],
    cwd=ROOT,
    check=True,
)
PXKERNEL = ROOT / "target" / "debug" / "pxkernel"
subprocess.run(
    [str(PXKERNEL), "install", "--prefix", _jupyter, "--python", sys.executable],
    check=True,
    stdout=subprocess.DEVNULL,
)
