"""Start-up and the request loop."""

import os
import signal
import sys
import threading
import traceback

import px_worker.results  # noqa: F401  (importable by cells once the package leaves sys.path)
from px_worker.apply import apply
from px_worker.basic_shell import BasicShell
from px_worker.channel import Channel, watch_parent
from px_worker.ipython_shell import make_ipython_shell
from px_worker.output import flush_c_stdio, install_streams
from px_worker.stdin import install_input

# Imported now because the package's directory is gone once the worker runs: user code
# reaches these later (`-o NAME` handles of the parallel magics).
import px_worker.host  # noqa: F401
import px_worker.results  # noqa: F401
from px_worker.state import on_sigint, state


def make_shell():
    """IPython's shell when importable (and not refused), else the stdlib one."""
    colors = os.environ.pop("PX_WORKER_COLORS", None)
    if os.environ.pop("PX_WORKER_SHELL", "auto") != "basic":
        try:
            import importlib.util

            if "MPLBACKEND" not in os.environ and importlib.util.find_spec("matplotlib_inline"):
                os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
            adapter, shell = make_ipython_shell(colors)
            import IPython

            return adapter, IPython.__version__
        except ImportError:
            pass
        except Exception:
            # A broken IPython must not leave the user without a Python at all.
            traceback.print_exc()
            print("px-worker: IPython failed to start; using the basic shell", file=sys.stderr)
    return BasicShell(), None


def _handle(shell, msg):
    kind = msg.get("type")
    if kind == "execute":
        silent = bool(msg.get("silent"))
        store_history = bool(msg.get("store_history", True)) and not silent
        state.allow_stdin = bool(msg.get("allow_stdin"))
        state.executing = True
        state.last_stream = None
        try:
            reply = shell.execute(
                msg.get("code", ""),
                silent,
                store_history,
                msg.get("user_expressions"),
                execution_count=msg.get("execution_count"),
                syntax_only=bool(msg.get("syntax_only")),
            )
            reply["payload"] = shell.read_payload()
        finally:
            flush_c_stdio()
            state.executing = False
        return reply
    if kind == "apply":
        state.allow_stdin = False
        state.executing = True
        state.last_stream = None
        try:
            return apply(shell, msg.get("buffers", []))
        finally:
            flush_c_stdio()
            state.executing = False
    if kind == "reset":
        shell.reset()
        return {"type": "reset_reply"}
    if kind == "is_complete":
        return dict(shell.is_complete(msg["code"]), type="is_complete_reply")
    if kind == "complete":
        return dict(shell.complete(msg["code"], msg["cursor_pos"]), type="complete_reply")
    if kind == "inspect":
        reply = shell.inspect(msg["code"], msg["cursor_pos"], msg.get("detail_level", 0))
        return dict(reply, type="inspect_reply")
    return {"type": "failed", "message": "unknown request %r" % kind}


def _serve(chan, shell):
    while True:
        state.busy = False
        msg = chan.recv()
        state.busy = True
        state.pending_interrupt = False
        kind = msg.get("type")
        if kind in ("ack", "input_reply"):
            continue  # late answer to a wait that an interrupt ended
        if kind == "shutdown":
            chan.send({"type": "shutdown_reply"})
            return
        try:
            reply = _handle(shell, msg)
        except BaseException as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            if kind == "apply":
                reply = {
                    "type": "apply_reply",
                    "status": "error",
                    "ename": type(exc).__name__,
                    "evalue": str(exc),
                    "traceback": [detail],
                }
            elif kind == "execute":
                reply = {
                    "type": "execute_reply",
                    "status": "error",
                    "execution_count": getattr(shell, "execution_count", 1) - 1,
                    "ename": type(exc).__name__,
                    "evalue": str(exc),
                    "traceback": [detail],
                    "payload": [],
                }
            else:
                reply = {"type": "failed", "message": detail}
        chan.send(reply, reply.pop("buffers", ()))


def main():
    path = os.environ.pop("PX_WORKER_SOCKET")
    token = os.environ.pop("PX_WORKER_TOKEN")
    sys.argv = [""]
    signal.signal(signal.SIGINT, on_sigint)
    chan = Channel(path)
    threading.Thread(target=watch_parent, name="px-worker-watchdog", daemon=True).start()
    install_streams()
    install_input()
    for key, value in (("PAGER", "cat"), ("GIT_PAGER", "cat")):
        os.environ.setdefault(key, value)
    shell, ipython_version = make_shell()
    if ipython_version is not None:
        # As ipykernel does, so that tools run from cells colour their output.
        os.environ.update(TERM="xterm-color", CLICOLOR="1", FORCE_COLOR="1", CLICOLOR_FORCE="1")
    state.chan = chan
    chan.send(
        {
            "type": "hello",
            "token": token,
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "ipython": ipython_version,
            "shell": shell.kind,
        }
    )
    _serve(chan, shell)
