"""A local namespace for the magics tests: what the kernel's local worker will provide.

Reads one JSON request a line on stdin and answers one JSON line on stdout:

    {"op": "check", "code": ...}  ->  {"ok": true} | {"ok": false, "error": {...}}
    {"op": "run", "code": ...}    ->  {"ok": ..., "stdout": ..., "stderr": ..., "value": repr | null,
                                       "error": {"ename", "evalue", "traceback"} | null}

`check` transforms and compiles the cell as IPython's `run_cell` does (so `!cmd` and
magics pass, `print('a'` fails with "incomplete input"); `run` executes it in one
persistent namespace, IPython-style: the value of a final expression is its repr.
"""

import ast
import contextlib
import io
import json
import sys
import traceback

from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
namespace = shell.user_ns


def error_of(e):
    return {
        "ename": type(e).__name__,
        "evalue": str(e),
        "traceback": traceback.format_exception_only(type(e), e),
    }


def check(code):
    source = shell.transform_cell(code)
    try:
        shell.compile.ast_parse(source)
    except SyntaxError as e:
        return {"ok": False, "error": error_of(e)}
    return {"ok": True}


def run(code):
    out, err = io.StringIO(), io.StringIO()
    value, error = None, None
    try:
        tree = ast.parse(shell.transform_cell(code))
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compile(tree, "<cell>", "exec"), namespace)
            if last is not None:
                result = eval(compile(last, "<cell>", "eval"), namespace)
                if result is not None:
                    value = repr(result)
    except Exception as e:  # the cell's own exception, reported to the caller
        error = error_of(e)
    return {
        "ok": error is None,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "value": value,
        "error": error,
    }


def main():
    for line in sys.stdin:
        request = json.loads(line)
        handler = check if request["op"] == "check" else run
        print(json.dumps(handler(request["code"])), flush=True)


if __name__ == "__main__":
    main()
