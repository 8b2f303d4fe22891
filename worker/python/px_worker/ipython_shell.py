"""IPython's InteractiveShell, with its display, tracebacks and pager sent to the supervisor.

Imported only when IPython is importable; the adapter gives it the same interface as
BasicShell.
"""

import os
import tempfile
import traceback

from px_worker.output import emit, error_event
from px_worker.state import running_user_code


def murmur2_x86(data, seed):
    """MurmurHash2 (x86, 32 bit) of `data`'s UTF-8 bytes: how ipykernel names cell files."""
    m = 0x5BD1E995
    raw = data.encode("utf8")
    length = len(raw)
    h = (seed ^ length) & 0xFFFFFFFF
    rounded_end = length & 0xFFFFFFFC
    for i in range(0, rounded_end, 4):
        k = raw[i] | (raw[i + 1] << 8) | (raw[i + 2] << 16) | (raw[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    tail = length & 0x03
    k = 0
    if tail == 3:
        k = raw[rounded_end + 2] << 16
    if tail in (2, 3):
        k |= raw[rounded_end + 1] << 8
    if tail:
        k |= raw[rounded_end]
        h ^= k
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def cell_file_name(code):
    """ipykernel's name for a cell's code: `<tmp>/ipykernel_<pid>/<murmur2 of code>.py`.

    It shows in SyntaxError messages (`incomplete input (1144531680.py, line 1)`) and
    warnings, and with it IPython's tracebacks come out as in a notebook: the code line is
    syntax-coloured instead of the failing expression being highlighted.
    """
    name = os.environ.get("IPYKERNEL_CELL_NAME")
    if name is None:
        folder = os.path.join(tempfile.gettempdir(), "ipykernel_%d" % os.getpid())
        name = os.path.join(folder, "%d.py" % murmur2_x86(code, 0xC70F6907))
    return name


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def without_worker_frames(tb):
    """`tb` ending at the user's last frame: an interrupt lands in the worker's own code
    (its signal handler, the wait of `input()`), which the user did not write and a
    terminal IPython would not show."""
    prev, cur = None, tb
    while cur is not None:
        if os.path.dirname(os.path.abspath(cur.tb_frame.f_code.co_filename)) == _PACKAGE_DIR:
            if prev is None:
                return tb
            prev.tb_next = None
            return tb
        prev, cur = cur, cur.tb_next
    return tb


def make_ipython_shell(colors=None):
    from IPython.core import page, payloadpage
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.compilerop import CachingCompiler
    from IPython.core.completer import provisionalcompleter, rectify_completions
    from IPython.utils.tokenutil import token_at_cursor
    from traitlets.config import Config

    class PxDisplayPublisher(DisplayPublisher):
        """Sends display()/update_display()/clear_output() to the supervisor."""

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            self._validate_data(data, metadata)
            emit(
                {
                    "type": "update_display_data" if update else "display_data",
                    "data": data,
                    "metadata": metadata or {},
                    "transient": transient or {},
                }
            )

        def clear_output(self, wait=False):
            emit({"type": "clear_output", "wait": bool(wait)})

    class PxDisplayHook(DisplayHook):
        """Sends the last expression's value as an execute_result."""

        def start_displayhook(self):
            self.px_msg = {"type": "execute_result", "data": {}, "metadata": {}}

        def write_output_prompt(self):
            self.px_msg["execution_count"] = self.prompt_count

        def write_format_data(self, format_dict, md_dict=None):
            self.px_msg["data"] = format_dict
            self.px_msg["metadata"] = md_dict or {}

        def finish_displayhook(self):
            msg, self.px_msg = self.px_msg, None
            if msg and msg["data"]:
                emit(msg)

    class PxCompiler(CachingCompiler):
        """Names cells as ipykernel does."""

        def get_code_name(self, raw_code, transformed_code, number):
            return cell_file_name(raw_code)

    async def run_nothing(*args, **kwargs):
        """`run_ast_nodes` for a cell that is only checked: nothing raised."""
        return False

    class PxShell(InteractiveShell):
        """InteractiveShell whose tracebacks, exits and pager go to the supervisor."""

        px_last_traceback = None

        def _showtraceback(self, etype, evalue, stb):
            self.px_last_traceback = stb
            emit(error_event(etype, evalue, stb))

        def _get_exc_info(self, exc_tuple=None):
            etype, value, tb = super()._get_exc_info(exc_tuple)
            if etype is not None and issubclass(etype, KeyboardInterrupt):
                tb = without_worker_frames(tb)
            return etype, value, tb

        def ask_exit(self):
            self.exit_now = True
            self.payload_manager.write_payload({"source": "ask_exit", "keepkernel": False})

        def enable_gui(self, gui=None):
            pass

    config = Config()
    # Engines run by the dozen: an on-disk history database would be a lock contention point
    # and a file written into the user's profile. In/Out/_i still work from memory.
    config.HistoryManager.hist_file = ":memory:"
    if colors:
        config.InteractiveShell.colors = colors
    shell = PxShell.instance(
        config=config,
        displayhook_class=PxDisplayHook,
        display_pub_class=PxDisplayPublisher,
        compiler_class=PxCompiler,
    )
    shell.set_hook("show_in_pager", page.as_hook(payloadpage.page), 99)

    class IPythonAdapter:
        kind = "ipython"

        @property
        def execution_count(self):
            return shell.execution_count

        def execute(self, code, silent, store_history, user_expressions, execution_count=None, syntax_only=False):
            shell.px_last_traceback = None
            if execution_count is not None:
                shell.execution_count = execution_count
            result = None
            if syntax_only:
                # IPython's whole front half (transform, history, count, syntax check),
                # then nothing runs.
                shell.run_ast_nodes = run_nothing
            try:
                with running_user_code():
                    result = shell.run_cell(code, store_history=store_history, silent=silent)
            except BaseException as exc:
                # An interrupt that hit IPython's machinery outside run_code.
                stb = [line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc)]
                emit(error_event(type(exc), exc, stb))
                return {
                    "type": "execute_reply",
                    "status": "error",
                    "execution_count": shell.execution_count - 1,
                    "ename": type(exc).__name__,
                    "evalue": str(exc),
                    "traceback": stb,
                }
            finally:
                shell.__dict__.pop("run_ast_nodes", None)
            reply = {"type": "execute_reply", "execution_count": shell.execution_count - 1}
            if result.success:
                reply["status"] = "ok"
                with running_user_code():
                    reply["user_expressions"] = shell.user_expressions(user_expressions or {})
            else:
                err = result.error_before_exec or result.error_in_exec
                reply.update(
                    status="error",
                    ename=type(err).__name__,
                    evalue=str(err),
                    traceback=shell.px_last_traceback or [],
                )
            return reply

        def namespaces(self):
            return shell.user_global_ns, shell.user_ns

        def show_exception(self, exc):
            """Publishes ``exc`` as IPython shows errors; returns the traceback lines."""
            from px_worker.apply import without_leading_worker_frames

            shell.px_last_traceback = None
            tb = without_leading_worker_frames(exc.__traceback__)
            try:
                shell.showtraceback((type(exc), exc, tb))
            except Exception:
                stb = [line.rstrip("\n") for line in traceback.format_exception(type(exc), exc, tb)]
                emit(error_event(type(exc), exc, stb))
                return stb
            return shell.px_last_traceback or []

        def reset(self):
            # As an engine's clear_request: the namespace goes, the count stays.
            shell.reset(new_session=False)

        def read_payload(self):
            payload = shell.payload_manager.read_payload()
            shell.payload_manager.clear_payload()
            return payload

        def is_complete(self, code):
            status, indent = shell.input_transformer_manager.check_complete(code)
            return {"status": status, "indent": " " * (indent or 0)}

        def complete(self, code, cursor_pos):
            # ipykernel's default path: typed completions (Jedi when installed), whose
            # ranges may start before the token; the legacy shell.complete() finds
            # nothing when Jedi is on.
            with provisionalcompleter():
                raw = shell.Completer.completions(code, cursor_pos)
                completions = list(rectify_completions(code, raw))
            types = [
                {"start": c.start, "end": c.end, "text": c.text, "type": c.type, "signature": c.signature}
                for c in completions
            ]
            start = completions[0].start if completions else cursor_pos
            end = completions[0].end if completions else cursor_pos
            return {
                "matches": [c.text for c in completions],
                "cursor_start": start,
                "cursor_end": end,
                "metadata": {"_jupyter_types_experimental": types},
            }

        def inspect(self, code, cursor_pos, detail_level):
            name = token_at_cursor(code, cursor_pos)
            try:
                bundle = shell.object_inspect_mime(name, detail_level=detail_level)
            except KeyError:
                return {"found": False, "data": {}, "metadata": {}}
            bundle.pop("text/html", None)
            return {"found": True, "data": bundle, "metadata": {}}

    return IPythonAdapter(), shell
