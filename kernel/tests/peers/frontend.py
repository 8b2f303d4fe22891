"""Drives a kernel with jupyter_client, as a notebook frontend would, and prints what it saw
as JSON: the message types of each request's IOPub traffic and the replies."""
import json
import sys
import threading
import time

from jupyter_client import BlockingKernelClient

kc = BlockingKernelClient(connection_file=sys.argv[1])
kc.load_connection_file()
kc.start_channels()
report = {}


def iopub_until_idle(msg_id, timeout=10):
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=deadline - time.time())
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append({"msg_type": msg["msg_type"], "content": msg["content"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return seen
    raise TimeoutError(f"no idle for {msg_id}: {seen}")


try:
    kc.wait_for_ready(timeout=10)
    info = kc.kernel_info(reply=True, timeout=5)
    report["kernel_info"] = info["content"]

    msg_id = kc.execute("print:hello")
    report["execute_reply"] = kc.get_shell_msg(timeout=5)["content"]
    report["execute_iopub"] = iopub_until_idle(msg_id)

    msg_id = kc.execute("value")
    kc.get_shell_msg(timeout=5)
    report["value_iopub"] = iopub_until_idle(msg_id)

    kc.is_complete("for i in x:")
    report["is_complete"] = kc.get_shell_msg(timeout=5)["content"]
    report["complete"] = kc.complete("pri", 3, reply=True, timeout=5)["content"]

    # stop_on_error: the second cell is queued behind a failing one and must be aborted.
    first = kc.execute("slowfail")
    second = kc.execute("print:never")
    replies = {}
    while len(replies) < 2:
        m = kc.get_shell_msg(timeout=5)
        replies[m["parent_header"]["msg_id"]] = m["content"]
    report["fail_then_queued"] = [replies[first]["status"], replies[second]["status"]]
    report["error_reply"] = replies[first]

    # input(): answered through the stdin channel.
    msg_id = kc.execute("input:name? ", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=5)
    report["input_request"] = req["content"]
    kc.input("Ada")
    kc.get_shell_msg(timeout=5)
    report["input_iopub"] = iopub_until_idle(msg_id)

    # interrupt_request on control while a cell runs on shell.
    msg_id = kc.execute("sleep")
    time.sleep(0.3)
    started = time.time()
    interrupt = kc.session.msg("interrupt_request", {})
    kc.control_channel.send(interrupt)
    report["interrupt_reply"] = kc.get_control_msg(timeout=5)["content"]
    report["interrupted_reply"] = kc.get_shell_msg(timeout=5)["content"]["status"]
    report["interrupt_seconds"] = time.time() - started

    kc.shutdown()
    report["shutdown_reply"] = kc.get_control_msg(timeout=5)["content"]
finally:
    kc.stop_channels()
print(json.dumps(report))
