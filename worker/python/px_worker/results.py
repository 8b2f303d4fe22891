"""What ``%%px -o NAME`` binds in the local namespace: a handle on the cell's engines'
results, with the parts of ipyparallel's ``AsyncResult`` a notebook uses (``get``, ``wait``,
``ready``, ``successful``, ``stdout``/``stderr``/``outputs``/``execute_result`` and the other
metadata keys, ``display_outputs``). The results stay with the host; every access asks it
for their current state, so a handle from a ``--noblock`` cell sees the engines finish."""

import datetime

from px_worker import host

__all__ = ["AsyncResult", "ExecuteReply", "RemoteError", "CompositeError"]

try:
    # The same exception classes as stock, when ipyparallel is importable locally, so
    # `except ipp.error.CompositeError` works as it would with a stock client.
    from ipyparallel.error import CompositeError, RemoteError
except Exception:  # pragma: no cover - exercised where ipyparallel is absent

    class RemoteError(Exception):
        """An exception raised on an engine."""

        def __init__(self, ename, evalue, traceback, engine_info=None):
            self.ename = ename
            self.evalue = evalue
            self.traceback = traceback
            self.engine_info = engine_info or {}
            self.args = (ename, evalue)

        @staticmethod
        def _get_engine_str(engine_info):
            if not engine_info:
                return "[Engine Exception]"
            return f"[{engine_info['engine_id']}:{engine_info['method']}]"

        def __str__(self):
            return f"{self._get_engine_str(self.engine_info)} {self.ename}: {self.evalue}"

        def render_traceback(self):
            return [self._get_engine_str(self.engine_info)] + (
                self.traceback or "No traceback available"
            ).splitlines()

        _render_traceback_ = render_traceback

    class CompositeError(RemoteError):
        """Errors from several engines."""

        tb_limit = 4

        def __init__(self, message, elist):
            Exception.__init__(self, message, elist)
            self.msg = message
            self.elist = elist
            self.args = [e[0] for e in elist]

        def __str__(self):
            s = str(self.msg)
            for en, ev, _tb, ei in self.elist[: self.tb_limit]:
                s += "\n" + self._get_engine_str(ei) + en + ": " + str(ev)
            if len(self.elist) > self.tb_limit:
                s += f"\n.... {len(self.elist) - self.tb_limit} more exceptions ..."
            return s

        def render_traceback(self, excid=None):
            lines = []
            for en, ev, etb, ei in self.elist[: self.tb_limit]:
                lines.append(self._get_engine_str(ei) + ":")
                lines.extend((etb or "No traceback available").splitlines())
                lines.append("")
            if len(self.elist) > self.tb_limit:
                lines.append(f"... {len(self.elist) - self.tb_limit} more exceptions ...")
            return lines

        _render_traceback_ = render_traceback


_DATES = ("submitted", "started", "completed", "received")


def _date(value):
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _colored():
    """Whether the local shell colours its output (IPython's `colors` setting)."""
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except Exception:
        return False
    return ip is not None and str(getattr(ip, "colors", "nocolor")).lower() != "nocolor"


def _remote_error(e):
    return RemoteError(e["ename"], e["evalue"], "\n".join(e.get("traceback") or []), e.get("engine_info"))


class ExecuteReply:
    """One engine's finished execution: its count and metadata (stdout, outputs, …)."""

    def __init__(self, msg_id, content, metadata):
        self.msg_id = msg_id
        self._content = content
        self.execution_count = content.get("execution_count")
        self.metadata = metadata

    @property
    def data(self):
        return (self.metadata.get("execute_result") or {}).get("data", {})

    def __getitem__(self, key):
        return self.metadata[key]

    def __getattr__(self, key):
        if key.startswith("__") or key not in self.__dict__.get("metadata", {}):
            raise AttributeError(key)
        return self.metadata[key]

    def __repr__(self):
        text = self.data.get("text/plain", "")
        if len(text) > 32:
            text = text[:29] + "..."
        return f"<ExecuteReply[{self.execution_count}]: {text}>"

    def _plaintext(self):
        text = self.data.get("text/plain", "")
        if not text:
            return ""
        if "\n" in text and not text.startswith("\n"):
            text = "\n" + text
        red, normal = ("\x1b[0;31m", "\x1b[0m") if _colored() else ("", "")
        return f"{red}Out[{self.metadata.get('engine_id')}:{self.execution_count}]: {normal}{text}"

    def _repr_pretty_(self, p, cycle):
        p.text(self._plaintext())

    def _repr_mimebundle_(self, *args, **kwargs):
        data = dict(self.data)
        if "text/plain" in data:
            data["text/plain"] = self._plaintext()
        return data, {}


class AsyncResult:
    """The results of one ``%px`` submission, as the host holds them."""

    def __init__(self, key, fname="%px", single=False):
        self._key = key
        self._fname = fname
        self._single = single

    def _state(self, timeout=0):
        """The host's snapshot after waiting up to ``timeout`` s (-1 or None: no limit)."""
        if timeout is None or timeout < 0:
            timeout = -1
        return host.call("px_result", key=self._key, timeout=timeout)

    def __repr__(self):
        return f"<AsyncResult({self._fname}): {self._state()['state']}>"

    def ready(self):
        """Whether every engine has replied."""
        return self._state()["state"] != "pending"

    def wait(self, timeout=-1):
        """Wait up to ``timeout`` seconds (-1: for ever); return whether all replied."""
        return self._state(timeout)["state"] != "pending"

    def successful(self):
        """Whether no engine failed; RuntimeError while pending, as stock."""
        state = self._state()["state"]
        if state == "pending":
            raise RuntimeError("Cannot check successful() if not done.")
        return state == "finished"

    def _results(self, snapshot, return_exceptions=False):
        results = []
        for md in snapshot["metadata"]:
            md = self._metadata(md)
            if md.get("error") is not None:
                results.append(md["error"])
            else:
                results.append(ExecuteReply(md["msg_id"], {"execution_count": md.get("execution_count")}, md))
        errors = [r for r in results if isinstance(r, RemoteError)]
        if errors and not return_exceptions:
            raise errors[0] if self._single else self._composite(errors)
        return results

    def _composite(self, errors):
        elist = [(e.ename, e.evalue, e.traceback, e.engine_info) for e in errors]
        return CompositeError(f"one or more exceptions raised in: {self._fname}", elist)

    @staticmethod
    def _metadata(md):
        md = dict(md)
        for key in _DATES:
            md[key] = _date(md.get(key))
        if md.get("error") is not None:
            md["error"] = _remote_error(md["error"])
        return md

    def get(self, timeout=None, return_exceptions=False):
        """The engines' results (ExecuteReply each), raising their errors as stock does;
        TimeoutError if they are not all in after ``timeout`` seconds."""
        snapshot = self._state(-1 if timeout is None else timeout)
        if snapshot["state"] == "pending":
            raise TimeoutError("Result not ready.")
        results = self._results(snapshot, return_exceptions)
        return results[0] if self._single else results

    @property
    def r(self):
        return self.get()

    def get_dict(self, timeout=-1):
        """The results keyed by engine id."""
        results = self.get(timeout)
        if self._single:
            results = [results]
        ids = [md["engine_id"] for md in self._state()["metadata"]]
        return dict(zip(ids, results))

    @property
    def msg_ids(self):
        return list(self._state()["msg_ids"])

    @property
    def metadata(self):
        mds = [self._metadata(md) for md in self._state()["metadata"]]
        return mds[0] if self._single else mds

    def __len__(self):
        return len(self._state()["msg_ids"])

    def __iter__(self):
        if self._single:
            raise TypeError("AsyncResults with a single result are not iterable.")
        yield from self.get()

    def __getitem__(self, key):
        if isinstance(key, (int, slice)):
            snapshot = self._state()
            if snapshot["state"] == "pending":
                raise TimeoutError("Result not ready.")
            results = self._results(snapshot, return_exceptions=True)[key]
            picked = results if isinstance(key, slice) else [results]
            errors = [r for r in picked if isinstance(r, RemoteError)]
            if errors:
                raise self._composite(errors)
            return results
        if isinstance(key, str):
            values = [self._metadata(md)[key] for md in self._state()["metadata"]]
            return values[0] if self._single else values
        raise TypeError(f"Invalid key type {type(key)!r}, must be 'int','slice', or 'str'")

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except (TimeoutError, KeyError):
            raise AttributeError(f"'AsyncResult' object has no attribute {key!r}") from None

    def _seconds(self, start, end):
        mds = [self._metadata(md) for md in self._state()["metadata"]]
        starts = [md[start] for md in mds if md[start]]
        ends = [md[end] for md in mds if md[end]]
        if not starts or not ends:
            return None
        return (max(ends) - min(starts)).total_seconds()

    @property
    def wall_time(self):
        """Seconds from the first submission to the last reply."""
        return self._seconds("submitted", "received")

    @property
    def elapsed(self):
        """Seconds since the first submission (the wall time once finished)."""
        if self.ready():
            return self.wall_time
        subs = [_date(md["submitted"]) for md in self._state()["metadata"] if md.get("submitted")]
        if not subs:
            return 0.0
        return (datetime.datetime.now(datetime.timezone.utc) - min(subs)).total_seconds()

    @property
    def serial_time(self):
        """The engines' summed run times."""
        total = 0.0
        for md in self._state()["metadata"]:
            started, completed = _date(md.get("started")), _date(md.get("completed"))
            if started and completed:
                total += (completed - started).total_seconds()
        return total

    def display_outputs(self, groupby="type"):
        """Show every engine's output as ``%result`` does (groupby: type, engine, order)."""
        if groupby not in ("type", "engine", "order"):
            raise ValueError(f"groupby must be one of 'type', 'engine', 'order', not {groupby!r}")
        self.wait()
        host.call("px_display", key=self._key, groupby=groupby)
