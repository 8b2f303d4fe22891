"""Function calls from ipyparallel clients (``apply_request``).

The supervisor passes the request's buffers as they came off the wire; they are unpacked
with ``ipyparallel.serialize`` in the user namespace, the function runs there as user code
(interruptible, its output captured like a cell's), and the result goes back serialized the
same way, as the reply's buffers. ipyparallel is imported on the first call only, so a
worker that never serves one does not pay for it; without it the call fails with an error
that names what to install.
"""

import os
import sys
import traceback

from px_worker.output import emit, error_event
from px_worker.state import running_user_code

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _serializer():
    """``(unpack_apply_message, serialize_object)``, or the ImportError explaining why not."""
    try:
        from ipyparallel.serialize import serialize_object, unpack_apply_message

        install_publish_data()
    except ImportError as exc:
        python = sys.executable or "python"
        message = (
            "running functions sent with apply/map/push/pull needs ipyparallel in the "
            "engine's Python (%s); install it with: %s -m pip install ipyparallel (%s)"
            % (python, python, exc)
        )
        return None, type(exc)(message)
    return (unpack_apply_message, serialize_object), None


def publish_data(data):
    """``ipyparallel.datapub.publish_data`` for code run here: the dict goes to the
    supervisor serialized as ipyparallel serializes it, and reaches clients as
    ``data_message`` (``AsyncResult.data``)."""
    functions, missing = _serializer()
    if missing is not None:
        raise missing
    _, serialize_object = functions
    emit({"type": "data_message", "keys": list(data.keys())}, serialize_object(data))


def install_publish_data():
    """Points ipyparallel's ``publish_data`` (which looks for ipykernel's shell) here."""
    import ipyparallel.datapub
    import ipyparallel.engine.datapub

    ipyparallel.datapub.publish_data = publish_data
    ipyparallel.engine.datapub.publish_data = publish_data


def load_ipyparallel():
    """Loads what apply requests need, before the first one, if ipyparallel is there."""
    _serializer()


def without_leading_worker_frames(tb):
    """``tb`` from the first frame that is not ours: tracebacks start in the user's code."""
    while tb is not None and os.path.dirname(
        os.path.abspath(tb.tb_frame.f_code.co_filename)
    ) == _PACKAGE_DIR:
        tb = tb.tb_next
    return tb


def _error_reply(exc, stb):
    try:
        evalue = str(exc)
    except Exception as str_error:
        evalue = "the exception could not be shown: %s" % str_error
    return {
        "type": "apply_reply",
        "status": "error",
        "ename": type(exc).__name__,
        "evalue": evalue,
        "traceback": stb,
    }


def apply(shell, buffers):
    """Runs one packed call; returns the reply frame, with the result's buffers under
    ``buffers`` when it succeeded."""
    functions, missing = _serializer()
    if missing is not None:
        stb = [line.rstrip("\n") for line in traceback.format_exception_only(type(missing), missing)]
        emit(error_event(type(missing), missing, stb))
        return _error_reply(missing, stb)
    unpack_apply_message, serialize_object = functions
    user_globals, _ = shell.namespaces()
    # Read-only views of the received bytes: arrays are built on them without a copy, and
    # are read-only as on a stock engine, whose arrays view the received message.
    buffers = [memoryview(b).toreadonly() for b in buffers]
    try:
        with running_user_code():
            f, args, kwargs = unpack_apply_message(buffers, user_globals, copy=False)
            result = f(*args, **kwargs)
            result_buffers = serialize_object(result)
    except BaseException as exc:  # KeyboardInterrupt and SystemExit too: the call failed
        return _error_reply(exc, shell.show_exception(exc))
    return {"type": "apply_reply", "status": "ok", "buffers": result_buffers}
