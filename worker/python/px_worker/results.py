"""Result objects of the parallel magics (`%%px -o NAME`, `%pxresult -o NAME`) in the
local namespace.

The submission itself lives in the kernel; what Python sees is a snapshot of it, which the
kernel brings up to date between cells while it is pending. It reads like stock's
`AsyncResult`: `<AsyncResult(%px): finished>`, `ready()`, `successful()`, `get()`,
`stdout`, `stderr`, `outputs`, `execute_result`, `engine_id`.
"""

import json

# Snapshots by token, so the kernel updates the object itself, whatever names it has now.
_objects = {}


class RemoteError(Exception):
    """An engine's error (an int target's failure)."""


class CompositeError(Exception):
    """The errors of several engines."""


def _error(content):
    cls = CompositeError if content.get("ename") == "CompositeError" else RemoteError
    err = cls(content.get("evalue", ""))
    err.ename = content.get("ename", "")
    err.evalue = content.get("evalue", "")
    err.traceback = list(content.get("traceback") or [])
    # IPython shows this instead of a local traceback: the engines' own.
    err._render_traceback_ = lambda: err.traceback
    return err


class _Value:
    """One engine's value as `get()` gives it: shows as `Out[N:k]: value`."""

    def __init__(self, text):
        self._text = text

    def __repr__(self):
        return self._text


class AsyncResult:
    """A submission of the parallel magics, as far as the kernel has seen it."""

    def __init__(self, snapshot):
        self._snapshot = snapshot

    def _engines(self, key):
        values = [engine.get(key) for engine in self._snapshot["engines"]]
        return values[0] if self._snapshot.get("single") and values else values

    def __repr__(self):
        return "<AsyncResult(%%px): %s>" % self._snapshot["state"]

    def ready(self):
        """Whether every engine replied (as of the last cell)."""
        return self._snapshot["state"] != "pending"

    def successful(self):
        """Whether every engine succeeded; only once ready."""
        assert self.ready()
        return self._snapshot["state"] == "finished"

    def get(self, timeout=None):
        """The engines' values (a list, or one value for an int target); raises the
        engines' error if any failed. The snapshot is brought up to date between cells, so
        a pending result raises TimeoutError: wait for it with `%pxresult`."""
        if not self.ready():
            raise TimeoutError("result not ready")
        if self._snapshot.get("error"):
            raise _error(self._snapshot["error"])
        values = self._engines("value")
        if self._snapshot.get("single"):
            return _Value(values)
        return [_Value(text) for text in values]

    @property
    def engine_id(self):
        return self._engines("engine_id")

    @property
    def stdout(self):
        return self._engines("stdout")

    @property
    def stderr(self):
        return self._engines("stderr")

    @property
    def outputs(self):
        return self._engines("outputs")

    @property
    def execute_result(self):
        return self._engines("execute_result")


def bind(namespace, name, token, snapshot):
    """Puts a new result object under `name`; later snapshots go to it by `token`."""
    obj = AsyncResult(json.loads(snapshot))
    _objects[token] = obj
    namespace[name] = obj


def update(token, snapshot):
    """Brings the object of `token` up to date; forgets it once it is no longer pending."""
    obj = _objects.get(token)
    if obj is None:
        return
    obj._snapshot = json.loads(snapshot)
    if obj.ready():
        del _objects[token]
