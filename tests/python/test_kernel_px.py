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


def result_text(outputs):
    return "".join(m["content"]["data"].get("text/plain", "")
                   for m in outputs if m["msg_type"] == "execute_result")


def test_out_binds_a_live_result_handle_in_the_local_namespace(stock_cluster):
    km, kc = start_new_kernel(kernel_name="parallel-rust")
    try:
        reply, _ = run(kc, "%%px -o ar\nimport os\nprint('pid', os.getpid() > 0)\n6 * 7")
        assert reply["status"] == "ok", reply
        reply, outputs = run(kc, "ar")
        assert result_text(outputs) == "<AsyncResult(%px): finished>"
        reply, outputs = run(kc, "[r.execution_count for r in ar.get()], ar.stdout")
        assert result_text(outputs) == "([1, 1], ['pid True\\n', 'pid True\\n'])", outputs
        reply, outputs = run(kc, "ar.get()[0]")
        assert result_text(outputs) == "\x1b[0;31mOut[0:1]: \x1b[0m42", outputs
        reply, outputs = run(kc, "ar.display_outputs()")
        # Shown again, as %result shows it (the stream headers continue the cell's own).
        text = text_of(outputs)
        assert "[stdout:1] \npid True\n" in text and "Out[1:1]: \x1b[0m42" in text, text

        # A non-blocking cell's handle sees the engines finish, and get() waits for them.
        reply, _ = run(kc, "%%px --noblock -o slow\nimport time; time.sleep(1.5); 'done'")
        assert reply["status"] == "ok", reply
        reply, outputs = run(kc, "slow.ready(), slow.get(timeout=0.1) if False else None")
        assert result_text(outputs) == "(False, None)", outputs
        reply, outputs = run(kc, "[r.data['text/plain'] for r in slow.get()], slow.ready()")
        assert result_text(outputs) == "([\"'done'\", \"'done'\"], True)", outputs

        # Failures raise as stock's would.
        reply, _ = run(kc, "%%px -o bad --noblock\n1/0")
        reply, outputs = run(kc, "try:\n    bad.get()\nexcept Exception as e:\n    print(type(e).__name__, e)")
        text = text_of(outputs)
        assert text.startswith("CompositeError one or more exceptions raised in: %px\n"
                               "[0:execute]ZeroDivisionError: division by zero"), text
        reply, outputs = run(kc, "bad.successful()")
        assert result_text(outputs) == "False"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_interrupt_ends_a_wait_on_a_bound_result(stock_cluster):
    km, kc = start_new_kernel(kernel_name="parallel-rust")
    try:
        run(kc, "%%px --noblock -o long\nimport time; time.sleep(20)")
        msg_id = kc.execute("long.get()")
        time.sleep(1.0)
        started = time.time()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt", reply["content"]
        assert time.time() - started < 5
        # The kernel goes on; the engines are stopped so the fixture can stop them.
        reply, _ = run(kc, "1 + 1")
        assert reply["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
