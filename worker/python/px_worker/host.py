"""Calls from user code to the worker's host (the kernel or pxsh), for what only the host
has: the results of earlier ``%px`` cells, for example. Each call blocks until the host
answers; an interrupt ends the wait with KeyboardInterrupt."""

from px_worker.channel import HostError
from px_worker.output import flush_c_stdio
from px_worker.state import is_main_thread, state

__all__ = ["call", "HostError"]


def call(name, **args):
    """Ask the host for ``name`` with JSON-able keyword arguments; return its JSON answer."""
    if not state.executing or state.chan is None:
        raise HostError("the host can only be asked while a cell runs")
    if not is_main_thread():
        raise HostError("the host can only be asked from the main thread")
    flush_c_stdio()
    return state.chan.call_host(name, args)
