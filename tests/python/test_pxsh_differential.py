"""pxsh's output against IPython's terminal with stock ipyparallel 9.2, for the cells of the
kernel's differential test (`test_differential.CELLS`), each side on a fresh stock 4-engine
cluster; the text compared cell by cell after normalising only what varies between runs.

Feeding the cells
-----------------
IPython's terminal (`ipython --simple-prompt --colors=NoColor`) reads its input from a pipe
as it reads typed lines: each complete line is a cell of its own, and a `%%px` cell runs
until two empty lines (as the terminal captures were typed: `../shared/spec/magics-captures/
terminal`). So a kernel cell becomes its lines, one input each, or for `%%px` the whole cell
followed by two empty lines. stdout and stderr go into one pipe (unbuffered), interleaved
as a terminal shows them.

pxsh runs the same inputs as a script piped on stdin, each input a cell of its own between
`# %%` markers (a `%%px` cell keeps its two trailing empty lines, so the engines run the same
code: the body with one trailing empty line). Its stdout and stderr go into one pipe too; stdout is not a terminal, so it prints no
colour codes and no prompts. It finds the cluster as the kernel does: the running cluster of
the default profile of its `IPYTHONDIR`.

Cutting the output into cells
-----------------------------
Before every compared cell, both sides run the same local cell `print('<<<cell N>>>')`; its
line separates the cells' output (it takes an execution count on both sides alike). On the
stock side the prompts (`In [n]: `, `   ...: `) and the empty line IPython prints before
each prompt (with the prompt) are removed. While autopx is on every cell goes to the engines, so the autopx
cells run without separators and are compared as one.

Normalising
-----------
Only what differs between two runs of the same stock code: colour codes on the stock side
(IPython's terminal writes the red `Out[n:k]: ` and the engines' coloured tracebacks even
into a pipe; pxsh must not, which is checked on its raw output), uuids, dates, addresses,
`0x…` addresses, pids (`differential.scrub`), the state word of `<AsyncResult(%px): …>`,
and in streamed cells the order in which engines' output arrives and how it was cut into
messages: the text is cut into per-engine blocks (from a `[stdout:N] `, `[stderr:N] `,
`[N:execute]`, `[output:N]` or `Out[N:k]: ` to the next such header or to a line that
belongs to no engine, such as `4 errors` or the verbose line), and between two such lines
each engine's blocks are compared in their own order (see `per_engine`). Local tracebacks through ipyparallel's source are compared by their last
line (as in the kernel's test).
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import differential as d
from test_differential import CELLS as KERNEL_CELLS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PXSH = os.path.join(ROOT, "target", "debug", "pxsh")
IPYTHON = os.path.join(os.path.dirname(sys.executable), "ipython")
RUN_TIMEOUT = 90

SETUP = ["import ipyparallel as ipp", "rc = ipp.Client()", "rc.wait_for_engines(4, timeout=60)"]

# Kernel cells that cannot run the same way typed into a terminal.
LEFT_OUT = {
    # The kernel's setup cell: both sides run `SETUP` instead, line by line.
    "setup",
    # `print('a'` is an incomplete line in a terminal: the prompt waits for more input
    # instead of running it (in a notebook the cell is sent as it is).
    "autopx local syntax check",
}

SEPARATOR = "print('<<<cell {}>>>')"
SEPARATOR_LINE = re.compile(r"<<<cell (\d+)>>>\n")


def terminal_inputs(code):
    """What is typed for a kernel cell: a `%%` cell whole, else each line on its own."""
    if code.startswith("%%"):
        return [code]
    return code.split("\n")


class Segment:
    """One compared unit: one kernel cell, or the cells run while autopx is on."""

    def __init__(self, cells):
        self.cells = cells
        self.name = cells[0].name if len(cells) == 1 else " / ".join(c.name for c in cells)
        self.inputs = [i for c in cells for i in terminal_inputs(c.code)]
        self.streamed = any(c.streamed for c in cells)
        self.local_traceback = any(c.local_traceback for c in cells)
        self.progress = any(c.progress for c in cells)


def segments():
    out = []
    autopx = None
    for cell in KERNEL_CELLS:
        if cell.name in LEFT_OUT:
            continue
        assert cell.code is not None, cell.name
        if autopx is not None:
            autopx.append(cell)
            if cell.code.strip() == "%autopx":
                out.append(Segment(autopx))
                autopx = None
        elif cell.code.strip() == "%autopx":
            autopx = [cell]
        else:
            out.append(Segment([cell]))
    assert autopx is None
    return out


SEGMENTS = segments()


def stock_script():
    lines = list(SETUP)
    for n, seg in enumerate(SEGMENTS):
        lines.append(SEPARATOR.format(n))
        for i in seg.inputs:
            # A cell magic ends at two empty lines.
            lines.append(i + "\n\n" if i.startswith("%%") else i)
    lines.append(SEPARATOR.format(len(SEGMENTS)))
    return "\n".join(lines) + "\n"


def pxsh_script():
    chunks = list(SETUP)
    for n, seg in enumerate(SEGMENTS):
        chunks.append(SEPARATOR.format(n))
        # The empty line ending a `%%px` cell stays in it, as in the terminal's cell.
        chunks.extend(i + "\n" if i.startswith("%%") else i for i in seg.inputs)
    chunks.append(SEPARATOR.format(len(SEGMENTS)))
    return "".join(c + "\n# %%\n" for c in chunks)


def run(argv, ipython_dir, stdin, env_extra=None):
    env = dict(os.environ, IPYTHONDIR=ipython_dir, **(env_extra or {}))
    for var in ("IPP_NONINTERACTIVE", "PX_CLUSTER", "PX_PROFILE", "IPP_CLUSTER_ID", "NO_COLOR"):
        env.pop(var, None)
    proc = subprocess.Popen(
        argv,
        cwd=ipython_dir,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(stdin.encode(), timeout=RUN_TIMEOUT)
    finally:
        # The whole session: the program and whatever it started (pxsh's local Python).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return proc.returncode, out.decode("utf-8", "replace")


PROMPTS = re.compile(r"\n?In \[\d+\]: (?: +\.\.\.: )*")


def cut(text, strip_prompts):
    """The output between separators, one text per segment."""
    if strip_prompts:
        text = PROMPTS.sub("", text)
    marks = list(SEPARATOR_LINE.finditer(text))
    assert [int(m.group(1)) for m in marks] == list(range(len(SEGMENTS) + 1)), text
    return [text[a.end() : b.start()] for a, b in zip(marks, marks[1:])]


# --------------------------------------------------------------------------------------
# expected differences: (side, function) removing from that side's normalised text exactly
# what the other side does not show; each fails if there is nothing to remove.


def order_hides_fewer_displays(text):
    """Stock's `--group-outputs=order` shows only the engines having the most displays
    (README, deviations; as in the kernel's test): remove the others' from pxsh's."""
    pairs = re.findall(r"\[output:(\d+)\]\n(.*\n)", text)
    assert "".join(f"[output:{e}]\n{line}" for e, line in pairs) == text, text
    counts = {}
    for e, _ in pairs:
        counts[e] = counts.get(e, 0) + 1
    fewer = {e for e, n in counts.items() if n < max(counts.values())}
    assert fewer, "the deviation is gone: every engine has as many displays"
    return "".join(f"[output:{e}]\n{line}" for e, line in pairs if e not in fewer)


# Stock's tqdm bar, its redraws summarised as its last frame by `scrub`.
STOCK_BAR = re.compile(r"\A<bar: %px: 100%\|[^>\n]*>\n")


def pxsh_draws_no_bar_into_a_pipe(text):
    """pxsh draws its progress bar only on a terminal, and takes it away when the wait ends;
    stock's tqdm writes its frames (`\\r%px: …`) into a pipe too and leaves the last one on
    screen: remove it from stock's."""
    bar = STOCK_BAR.match(text)
    assert bar, "stock drew no bar"
    return text[bar.end() :]


EXPECTED_DIFFERENCES = {
    "order grouping, uneven displays": ("pxsh", order_hides_fewer_displays),
    "progress bar": ("stock", pxsh_draws_no_bar_into_a_pipe),
}

# --------------------------------------------------------------------------------------
# normalising

# The start of an engine's block: a stream header, a streamed traceback's label, a display's
# label, a value's prefix. Also in mid-line: a display or traceback printed while a stream's
# last line is unfinished goes on after its text.
ENGINE_HEADER = re.compile(
    r"\[(?P<stream>stdout|stderr):(?P<a>\d+)\] \n|\[(?P<b>\d+):execute\]:?\n|\[output:(?P<c>\d+)\]\n|Out\[(?P<d>\d+):\d+\]: "
)
# Lines of a streamed cell that belong to no engine.
BARRIER = re.compile(
    r"^(?:\d+ errors?$|Parallel execution on engine|%autopx (?:enabled|disabled)$|Out\[\d+\]: |<<<)"
)
ASYNC_STATE = re.compile(r"<AsyncResult\((.*?)\): (?:pending|finished|failed)>")
LAST_ERROR_LINE = re.compile(r"^\w+(?:Error|Exception)\b.*$", re.M)


def scrub(text):
    text = d.ANSI.sub("", text)
    text = d.summarise_bars(text) if "\r%px:" in text else text
    text = ASYNC_STATE.sub(r"<AsyncResult(\1): <state>>", text)
    return d.scrub(text)


def per_engine(text):
    """A streamed cell's text as barrier lines and, between them, each engine's blocks in
    its own order.

    How an engine's output is cut into messages is timing (`print` writes its text and
    its newline separately, and the engine may send them apart); stock and pxsh print each
    piece as it comes (a new `[stderr:N] ` header when another engine printed in between,
    a newline first when the previous piece did not end with one). So an engine's adjacent
    pieces of one stream are joined, and a stream's text is compared by its non-empty
    lines; other blocks (values, displays, tracebacks) by their text without trailing
    newlines. Whether the cell's text ends with a newline is compared on its own."""
    output = []
    unfinished = not text.endswith("\n")
    run = ""

    def end_run():
        if not run:
            return
        heads = list(ENGINE_HEADER.finditer(run))
        if not heads or heads[0].start() > 0:
            output.append(run[: heads[0].start() if heads else len(run)])
        engines = {}
        for h, nxt in zip(heads, heads[1:] + [None]):
            engine = int(next(h.group(g) for g in "abcd" if h.group(g) is not None))
            kind = h.group("stream") or h.group(0)
            body = run[h.end() : nxt.start() if nxt else len(run)]
            blocks = engines.setdefault(engine, [])
            if h.group("stream") and blocks and blocks[-1][0] == kind:
                blocks[-1][1] += body
            else:
                blocks.append([kind, body])
        output.append(
            {
                e: [
                    f"[{h}] " + "".join("\n" + x for x in body.split("\n") if x)
                    if h in ("stdout", "stderr")
                    else h + body.rstrip("\n")
                    for h, body in blocks
                ]
                for e, blocks in sorted(engines.items())
            }
        )

    for line in text.splitlines(keepends=True):
        if BARRIER.match(line):
            end_run()
            run = ""
            output.append(line)
        else:
            run += line
    end_run()
    return output + (["<the last line is unfinished>"] if unfinished else [])


def normalise(text, seg, deviation=None):
    text = scrub(text)
    if deviation is not None:
        text = deviation(text)
    if seg.local_traceback:
        errors = LAST_ERROR_LINE.findall(text)
        return errors[-1:] if errors else text
    if seg.streamed:
        return per_engine(text)
    return text


def render(norm):
    if isinstance(norm, str):
        return norm.splitlines(keepends=True)
    lines = []
    for item in norm:
        if isinstance(item, dict):
            lines.append("engines (each in its own order, interleaving ignored):\n")
            for e, blocks in item.items():
                for b in blocks:
                    lines.extend(f"  {e}| {x}" for x in b.splitlines(keepends=True))
        else:
            lines.append(item)
    return [line if line.endswith("\n") else line + "⏎\n" for line in lines]


# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outputs():
    subprocess.run(["cargo", "build", "--quiet", "-p", "px-sh", "--bin", "pxsh"], cwd=ROOT, check=True)
    started = time.time()
    with d.fresh_clusters("pxsh-diff-", ("stock", "pxsh")) as dirs:
        _, stock = run(
            [IPYTHON, "--simple-prompt", "--colors=NoColor", "--no-banner", "--no-confirm-exit",
             "--HistoryManager.enabled=False"],
            dirs["stock"],
            stock_script(),
            {"PYTHONUNBUFFERED": "1"},
        )
        _, ours = run([PXSH, "--python", sys.executable], dirs["pxsh"], pxsh_script())
    print(f"pxsh differential runs took {time.time() - started:.1f}s")
    dump = os.environ.get("PX_DIFF_DUMP")
    if dump:
        with open(dump, "w") as f:
            f.write("=== stock\n" + stock + "\n=== pxsh\n" + ours)
    return stock, ours


def test_no_colour_into_a_pipe(outputs):
    assert "\x1b" not in outputs[1]


@pytest.mark.parametrize("index", range(len(SEGMENTS)), ids=[s.name for s in SEGMENTS])
def test_cell_matches_stock_terminal(outputs, index):
    import difflib

    seg = SEGMENTS[index]
    stock = cut(outputs[0], strip_prompts=True)[index]
    ours = cut(outputs[1], strip_prompts=False)[index]
    side, deviation = EXPECTED_DIFFERENCES.get(seg.name, (None, None))
    expected = normalise(stock, seg, deviation if side == "stock" else None)
    got = normalise(ours, seg, deviation if side == "pxsh" else None)
    assert got == expected, "cell {!r} differs from IPython's terminal:\n{}\n\n{}".format(
        seg.name,
        "\n".join(seg.inputs),
        "".join(difflib.unified_diff(render(expected), render(got), "stock", "pxsh", n=4)),
    )
