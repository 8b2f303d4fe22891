"""The stdlib-only shell: exec/eval with IPython's cell semantics, codeop, rlcompleter."""

import ast
import builtins
import codeop
import linecache
import re
import sys
import traceback
import types
import warnings

from px_worker.output import emit, error_event
from px_worker.state import running_user_code


def _indent_for(code):
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    if last.rstrip().endswith(":"):
        indent += "    "
    return indent


def is_complete_codeop(code):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compiled = codeop.compile_command(code, "<input>", "exec")
        except (SyntaxError, OverflowError, ValueError):
            return {"status": "invalid", "indent": ""}
    if compiled is None:
        return {"status": "incomplete", "indent": _indent_for(code)}
    if "\n" in code.rstrip("\n") and code.splitlines()[-1][:1] in (" ", "\t"):
        # A block ending on an indented line wants a blank line, as at the REPL.
        return {"status": "incomplete", "indent": _indent_for(code)}
    return {"status": "complete", "indent": ""}


def mime_bundle(obj):
    """What IPython's formatter would give for the common ``_repr_*_`` methods."""
    data, metadata = {}, {}
    method = getattr(obj, "_repr_mimebundle_", None)
    if callable(method) and not isinstance(obj, type):
        try:
            result = method()
            if isinstance(result, tuple):
                result, metadata = result
            if isinstance(result, dict):
                data.update(result)
        except Exception:
            pass
    reprs = [
        ("text/html", "_repr_html_"),
        ("text/markdown", "_repr_markdown_"),
        ("text/latex", "_repr_latex_"),
        ("image/svg+xml", "_repr_svg_"),
        ("image/png", "_repr_png_"),
        ("image/jpeg", "_repr_jpeg_"),
        ("application/json", "_repr_json_"),
        ("application/javascript", "_repr_javascript_"),
    ]
    if not isinstance(obj, type):
        for mime, name in reprs:
            method = getattr(obj, name, None)
            if mime in data or not callable(method):
                continue
            try:
                value = method()
            except Exception:
                continue
            if value is not None:
                data[mime] = value
    if "text/plain" not in data:
        try:
            import pprint

            data["text/plain"] = pprint.pformat(obj)
        except Exception:
            data["text/plain"] = object.__repr__(obj)
    return data, metadata or {}


def display(*objs, raw=False, display_id=None, update=False, metadata=None, **kwargs):
    """``display()`` for the stdlib-only shell: the common ``_repr_*_`` methods, no IPython."""
    transient = {"display_id": display_id} if display_id else {}
    for obj in objs:
        if raw:
            data, md = obj, {}
        else:
            data, md = mime_bundle(obj)
        md = dict(md, **(metadata or {}))
        kind = "update_display_data" if update else "display_data"
        emit({"type": kind, "data": data, "metadata": md, "transient": transient})


class BasicShell:
    """Runs cells with ``exec``/``eval`` only: the last expression's value is the result,
    tracebacks are the standard library's."""

    kind = "basic"

    def __init__(self):
        self.execution_count = 1
        module = types.ModuleType("__main__")
        module.__dict__["__builtins__"] = builtins
        module.__dict__["display"] = display
        sys.modules["__main__"] = module
        self.ns = module.__dict__
        self.payload = []

    def _traceback(self, exc):
        tb = exc.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
            tb = tb.tb_next
        lines = traceback.format_exception(type(exc), exc, tb)
        return [line.rstrip("\n") for line in lines]

    def _run(self, code, filename, silent, count):
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        tree = compile(code, filename, "exec", ast.PyCF_ONLY_AST | flags)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not silent:
            last = tree.body.pop()
        for node in (ast.Module(tree.body, []), ast.Expression(last.value) if last else None):
            if node is None:
                continue
            mode = "exec" if isinstance(node, ast.Module) else "eval"
            compiled = compile(node, filename, mode, flags)
            value = eval(compiled, self.ns)
            if compiled.co_flags & 0x80:  # CO_COROUTINE: top-level await
                import asyncio

                value = asyncio.new_event_loop().run_until_complete(value)
            if mode == "eval" and value is not None:
                self.ns["_"] = value
                data, metadata = mime_bundle(value)
                emit(
                    {
                        "type": "execute_result",
                        "execution_count": count,
                        "data": data,
                        "metadata": metadata,
                    }
                )

    def execute(self, code, silent, store_history, user_expressions, execution_count=None, syntax_only=False):
        if execution_count is not None:
            self.execution_count = execution_count
        count = self.execution_count
        if store_history:
            self.execution_count += 1
        filename = "<cell-%d>" % count
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        reply = {"type": "execute_reply", "status": "ok", "execution_count": self.execution_count - 1}
        try:
            with running_user_code():
                if syntax_only:
                    compile(code, filename, "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                else:
                    self._run(code, filename, silent, count)
        except BaseException as exc:  # SystemExit too: a cell never ends the worker
            stb = self._traceback(exc)
            if isinstance(exc, SyntaxError):
                stb = [line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc)]
            emit(error_event(type(exc), exc, stb))
            reply.update(status="error", ename=type(exc).__name__, evalue=str(exc), traceback=stb)
            return reply
        reply["user_expressions"] = self.user_expressions(user_expressions)
        return reply

    def namespaces(self):
        return self.ns, self.ns

    def show_exception(self, exc):
        """Publishes ``exc`` with the standard library's formatting; returns the lines."""
        from px_worker.apply import without_leading_worker_frames

        tb = without_leading_worker_frames(exc.__traceback__)
        stb = [line.rstrip("\n") for line in traceback.format_exception(type(exc), exc, tb)]
        emit(error_event(type(exc), exc, stb))
        return stb

    def reset(self):
        keep = {k: self.ns[k] for k in ("__name__", "__doc__", "__builtins__", "display") if k in self.ns}
        self.ns.clear()
        self.ns.update(keep)

    def user_expressions(self, expressions):
        out = {}
        for key, expr in (expressions or {}).items():
            try:
                with running_user_code():
                    value = eval(expr, self.ns)
                data, metadata = mime_bundle(value)
                out[key] = {"status": "ok", "data": data, "metadata": metadata}
            except BaseException as exc:
                out[key] = {
                    "status": "error",
                    "ename": type(exc).__name__,
                    "evalue": str(exc),
                    "traceback": self._traceback(exc),
                }
        return out

    def is_complete(self, code):
        return is_complete_codeop(code)

    def complete(self, code, cursor_pos):
        import rlcompleter

        token = re.search(r"[\w.]*$", code[:cursor_pos]).group(0)
        matches = []
        if token:
            completer = rlcompleter.Completer(self.ns)
            state = 0
            while True:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    match = completer.complete(token, state)
                if match is None:
                    break
                match = match.rstrip("(: ")
                if match not in matches:
                    matches.append(match)
                state += 1
        return {
            "matches": matches,
            "cursor_start": cursor_pos - len(token),
            "cursor_end": cursor_pos,
            "metadata": {},
        }

    def _lookup(self, name):
        parts = name.split(".")
        if parts[0] in self.ns:
            obj = self.ns[parts[0]]
        elif hasattr(builtins, parts[0]):
            obj = getattr(builtins, parts[0])
        else:
            raise KeyError(name)
        for part in parts[1:]:
            try:
                obj = getattr(obj, part)
            except Exception:
                raise KeyError(name)
        return obj

    def inspect(self, code, cursor_pos, detail_level):
        import inspect

        name = _name_at(code, cursor_pos)
        try:
            obj = self._lookup(name) if name else None
        except KeyError:
            obj = None
            name = ""
        if not name:
            return {"found": False, "data": {}, "metadata": {}}
        lines = ["Type:        %s" % type(obj).__name__]
        text = repr(obj)
        lines.append("String form: %s" % (text if len(text) < 200 else text[:200] + "..."))
        try:
            lines.append("Signature:   %s%s" % (name, inspect.signature(obj)))
        except (TypeError, ValueError):
            pass
        try:
            lines.append("File:        %s" % inspect.getfile(obj))
        except TypeError:
            pass
        doc = inspect.getdoc(obj)
        if doc:
            lines.append("Docstring:\n%s" % doc)
        if detail_level:
            try:
                lines.append("Source:\n%s" % inspect.getsource(obj))
            except (OSError, TypeError):
                pass
        return {"found": True, "data": {"text/plain": "\n".join(lines)}, "metadata": {}}

    def read_payload(self):
        payload, self.payload = self.payload, []
        return payload


def _name_at(code, cursor_pos):
    """The dotted name under the cursor, or the callee when the cursor is inside a call."""
    before, after = code[:cursor_pos], code[cursor_pos:]
    name = re.search(r"[\w.]*$", before).group(0) + re.match(r"\w*", after).group(0)
    name = name.strip(".")
    if name:
        return name
    depth = 0
    for i in range(len(before) - 1, -1, -1):
        ch = before[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                return re.search(r"[\w.]*$", before[:i]).group(0).strip(".")
            depth -= 1
    return ""
