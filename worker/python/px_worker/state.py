"""Process-wide flags, and the SIGINT handler that reads them.

SIGINT becomes KeyboardInterrupt only while user code runs; an interrupt that finds the worker
idle is dropped, and one that arrives while a frame is half-sent or half-parsed is deferred to
the end of that critical section, so the channel never gets out of step.
"""

import contextlib
import threading


class State:
    """Process-wide flags shared by the signal handler, the streams and the request loop."""

    # True while user code (or IPython's machinery around it) runs: only then does SIGINT
    # become KeyboardInterrupt. An interrupt that finds the worker idle is dropped.
    user_code = False
    # True from the moment a request is read until its reply is sent.
    busy = False
    # An interrupt arrived during a request but outside user code, or while a frame was
    # being sent or parsed: raise it at the next safe point.
    pending_interrupt = False
    # >0 while a frame is half-sent or half-parsed; an interrupt there would desynchronise
    # the channel, so it is deferred.
    critical = 0
    # True between the start and the end of an execute request.
    executing = False
    allow_stdin = False
    # The stream (``stdout``/``stderr``) the main thread wrote last since the last sync point.
    last_stream = None
    # The Channel to the supervisor, once the shell is ready to report events.
    chan = None


state = State()
_main_thread = threading.main_thread()


def on_sigint(signum, frame):
    if state.critical:
        state.pending_interrupt = True
        return
    if state.user_code:
        raise KeyboardInterrupt
    if state.busy:
        state.pending_interrupt = True


@contextlib.contextmanager
def critical():
    state.critical += 1
    try:
        yield
    finally:
        state.critical -= 1
    if state.critical == 0 and state.pending_interrupt and state.user_code:
        state.pending_interrupt = False
        raise KeyboardInterrupt


@contextlib.contextmanager
def running_user_code():
    state.user_code = True
    try:
        if state.pending_interrupt:
            # The interrupt came while the request was being set up: it is meant for this
            # code, which now fails with KeyboardInterrupt as if it had been running.
            state.pending_interrupt = False
            raise KeyboardInterrupt
        yield
    finally:
        state.user_code = False


def is_main_thread():
    return threading.current_thread() is _main_thread
