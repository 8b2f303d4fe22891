"""input() and getpass() through the channel: the supervisor asks its caller."""

import builtins

from px_worker.output import flush_c_stdio
from px_worker.state import is_main_thread, state


class StdinNotImplementedError(NotImplementedError):
    """input() was called but the caller of this execution does not accept input requests."""


def _request_input(prompt, password):
    if not state.allow_stdin:
        raise _stdin_error("raw_input was called, but this frontend does not support input requests.")
    if not is_main_thread() or state.chan is None:
        raise _stdin_error("input() is only supported from the main thread.")
    flush_c_stdio()
    value = state.chan.ask_input(str(prompt), password)
    if value is None:
        raise EOFError("no input was provided")
    return value


def _stdin_error(message):
    try:
        from IPython.core.error import StdinNotImplementedError as ipython_error

        return ipython_error(message)
    except Exception:
        return StdinNotImplementedError(message)


def _input(prompt=""):
    return _request_input(prompt, False)


def _getpass(prompt="Password: ", stream=None):
    return _request_input(prompt, True)


def install_input():
    builtins.input = _input
    try:
        import getpass

        getpass.getpass = _getpass
    except Exception:
        pass
