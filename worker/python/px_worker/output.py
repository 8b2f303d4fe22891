"""Python-level output: sys.stdout/sys.stderr write straight to fds 1 and 2, and events.

The fds are pipes read by the supervisor, so anything written there (C code, subprocesses) is
captured without our help. What this module adds is promptness (no buffering) and order:
events and stream switches from the main thread during an execution are sync points.
"""

import io
import os
import sys

from px_worker.state import is_main_thread, state

# The interpreter's own stream objects close fds 1 and 2 when collected: keep them alive.
_original_streams = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)


def emit(msg, buffers=()):
    """Send an event (with binary ``buffers``); from the main thread during an execution,
    as a sync point."""
    if state.chan is None:
        return
    if state.executing and is_main_thread() and not state.critical:
        flush_c_stdio()
        state.chan.sync_point(msg, buffers)
    else:
        state.chan.send(msg, buffers)


def flush_c_stdio():
    """C code's printf output sits in libc's buffer while fd 1 is a pipe: flush it."""
    global _libc
    try:
        if _libc is None:
            import ctypes

            _libc = ctypes.CDLL(None)
        _libc.fflush(None)
    except Exception:
        _libc = False


_libc = None


def before_write(name):
    previous = state.last_stream
    if previous == name:
        return
    state.last_stream = name
    if (
        previous is not None
        and state.executing
        and state.chan is not None
        and not state.critical
        and is_main_thread()
    ):
        # Switching between stdout and stderr: let the supervisor drain the other pipe first
        # so the two streams interleave as they were written.
        state.chan.sync_point({"type": "sync"})


class _RawFd(io.RawIOBase):
    """``sys.stdout.buffer``: bytes straight to the file descriptor."""

    def __init__(self, fd, name):
        self._fd = fd
        self._name = name

    def writable(self):
        return True

    def fileno(self):
        return self._fd

    def write(self, data):
        before_write(self._name)
        view = memoryview(data).cast("B")
        total = len(view)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        return total


class FdStream(io.TextIOBase):
    """``sys.stdout``/``sys.stderr``: every write goes to the pipe at once, so Python output
    and fd-level output (``os.system``, C extensions) stay in the order they happened."""

    def __init__(self, fd, name):
        self._fd = fd
        self._name = name
        self.buffer = _RawFd(fd, name)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "replace"

    @property
    def name(self):
        return "<%s>" % self._name

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def flush(self):
        pass

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if text:
            self.buffer.write(text.encode("utf-8", "replace"))
        return len(text)


def install_streams():
    for stream in _original_streams:
        try:
            stream.flush()
        except Exception:
            pass
    sys.stdout = sys.__stdout__ = FdStream(1, "stdout")
    sys.stderr = sys.__stderr__ = FdStream(2, "stderr")
    try:
        import faulthandler

        # A segfault then leaves a Python stack on stderr, which the supervisor reports.
        faulthandler.enable(file=_original_streams[1])
    except Exception:
        pass


def error_event(etype, evalue, stb):
    return {"type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb}
