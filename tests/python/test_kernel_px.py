"""%px through the parallel-rust kernel against a stock cluster: the kernel finds the default
profile's cluster, or starts (and at shutdown stops) a local one when none is running."""
import os
import subprocess
import time

import ipyparallel as ipp
import pytest
from jupyter_client.manager import start_new_kernel


def run(kc, code, timeout=60):
    """Executes `code`; returns the reply content and the IOPub messages up to idle."""
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=timeout)
    assert reply["parent_header"]["msg_id"] == msg_id
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return reply["content"], outputs
        outputs.append(msg)


def text_of(outputs):
    parts = []
    for m in outputs:
        c = m["content"]
        if m["msg_type"] == "stream":
            parts.append(c["text"])
        elif m["msg_type"] in ("display_data", "update_display_data", "execute_result"):
            parts.append(c["data"].get("text/plain", ""))
        elif m["msg_type"] == "error":
            parts.append("\n".join(c["traceback"]))
    return "".join(parts)


@pytest.fixture
def stock_cluster():
    # The default cluster id, so it is the default profile's running cluster.
    cluster = ipp.Cluster(n=2, cluster_id="", controller_ip="127.0.0.1", log_level=40)
    cluster.start_cluster_sync()
    try:
        rc = cluster.connect_client_sync()
        rc.wait_for_engines(2, timeout=60)
        rc.close()
        yield cluster
    finally:
        cluster.stop_cluster_sync()


def test_px_runs_on_the_default_profiles_cluster(stock_cluster):
    km, kc = start_new_kernel(kernel_name="parallel-rust")
    try:
        reply, outputs = run(kc, "%px print('hi from', 'engine')")
        assert reply["status"] == "ok", reply
        text = text_of(outputs)
        assert "[stdout:0] hi from engine" in text, text
        assert "[stdout:1] hi from engine" in text, text
        assert "started a local one" not in text, "the running cluster should have been used"

        reply, outputs = run(kc, "x = 5\nx * 2")
        assert reply["status"] == "ok"
        assert any(m["msg_type"] == "execute_result" and m["content"]["data"]["text/plain"] == "10"
                   for m in outputs)

        reply, outputs = run(kc, "%px 1/0")
        assert reply["status"] == "error"
        assert "ZeroDivisionError" in text_of(outputs)

        reply, outputs = run(kc, "%%px --bogus\npass")
        assert reply["status"] == "error"
        assert reply["ename"] == "UsageError", reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_px_without_a_cluster_starts_a_local_one_and_stops_it():
    km, kc = start_new_kernel(kernel_name="parallel-rust")
    pid = km.provisioner.process.pid if km.provisioner else None
    try:
        reply, outputs = run(kc, "%px import os; print(os.getpid() > 0)", timeout=120)
        assert reply["status"] == "ok", reply
        text = text_of(outputs)
        assert "started a local one" in text, text
        assert "[stdout:0] True" in text, text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    # The cluster the kernel started is gone with it.
    deadline = time.time() + 30
    tag = f"pxkernel-{pid}"
    while time.time() < deadline:
        left = subprocess.run(["pgrep", "-f", tag], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.5)
    assert not left, f"processes of cluster {tag} still running: {left}"
