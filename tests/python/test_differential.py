"""The parallel magics through `parallel-rust` against the same cells through IPython's own
kernel with stock ipyparallel 9.2, each on a fresh stock 4-engine cluster, IOPub compared
after normalising only what varies between runs (see `differential.py`).

The expected output is stock's, produced by this run: both kernels run the cells once (in
a module fixture), then each cell is compared on its own, so a failure names the cell and
shows a diff of its normalised output.
"""
import os
import time

import pytest

import differential as d
from differential import Cell

SETUP_STOCK = "import ipyparallel as ipp\nrc = ipp.Client()\nrc.wait_for_engines(4, timeout=60)"

OUT_ERR = """import sys
print("out1")
print("err1", file=sys.stderr)
print("out2")
a * 7"""

RICH = """import sys
from IPython.display import HTML, Markdown, display
print("stdout")
print("stderr", file=sys.stderr)
display(HTML("<b>first</b>"))
print("stdout2")
print("stderr2", file=sys.stderr)
display(Markdown("*second*"))
"final\""""

# Each engine writes its text in one call: a stock engine publishes what was written within
# 200 ms as one message, and on a loaded machine two prints can fall either side of that
# flush, which changes how both frontends show them.
ONE_FAILS = """import sys
if bad:
    sys.stdout.write('before\\n')
    raise ValueError('only engine 1')
sys.stdout.write('before\\nafter\\n')
'done'"""

TICKS = """import sys, time
for i in range(3):
    print('tick', i, flush=True)
    print('tock', i, file=sys.stderr, flush=True)
    time.sleep(0.3)"""

UNEVEN = """from IPython.display import HTML, display
for i in range(2 if bad else 1):
    display(HTML(f'<i>d{i}</i>'))"""


def order_hides_fewer_displays(output):
    """Stock's `--group-outputs=order` shows only the engines having the most displays
    (README, deviations): remove the others' `[output:N]` labels and displays from ours."""
    def engine_of(item):
        md = item.get("metadata")
        return md.get("engine") if isinstance(md, dict) else None

    counts = {}
    for item in output:
        if engine_of(item) is not None:
            counts[engine_of(item)] = counts.get(engine_of(item), 0) + 1
    most = max(counts.values())
    fewer = {e for e, n in counts.items() if n < most}
    assert fewer, "the deviation is gone: every engine has as many displays"
    labels = {f"[output:{e}]" for e in fewer}
    return [
        item
        for item in output
        if engine_of(item) not in fewer and item.get("data", {}).get("text/plain") not in labels
    ]


CELLS = [
    # The stock kernel needs a Client (creating it registers the magics); ours finds the
    # default profile's cluster itself and runs an equivalent local cell, so execution
    # counts stay aligned.
    Cell("setup", stock=SETUP_STOCK, ours="import ipyparallel as ipp"),
    Cell("result before any request", "%result"),
    Cell("print", "%px print('hi')", streamed=True),
    Cell("assignment", "%px a = 5", streamed=True),
    Cell("expression", "%px a * 2", streamed=True),
    Cell("multi-line repr", "%px list(range(25))", streamed=True),
    Cell("engine grouping, streamed", "%%px --block --group-outputs=engine\n" + OUT_ERR, streamed=True),
    Cell("engine grouping, no stream", "%%px --block --group-outputs=engine --no-stream\n" + OUT_ERR),
    Cell("engine grouping, rich", "%%px -e --no-stream\n" + RICH),
    Cell("order grouping", "%%px --group-outputs=order --no-stream\n" + RICH),
    Cell("type grouping", "%%px --group-outputs=type --no-stream\n" + RICH),
    Cell("type grouping, default", "%%px --no-stream\n" + OUT_ERR),
    Cell("rich, streamed", "%%px\n" + RICH, streamed=True),
    Cell(
        "rich display",
        "%px from IPython.display import HTML, display; display(HTML('<b>x</b>'))",
        streamed=True,
    ),
    Cell("targets ::2", "%%px --targets ::2\nprint('even', a)\na", streamed=True),
    Cell("targets ::2, no stream", "%%px --targets ::2 --no-stream\nprint('even', a)\na"),
    Cell("single int target", "%%px --targets 1 --no-stream\nprint('one')\na"),
    Cell("local", "%%px --local\nb = 3\nprint('local and remote', b)\nb * 2"),
    Cell("flag off everywhere", "%px bad = False", streamed=True),
    Cell("flag on engine 1", "%%px --targets 1\nbad = True", streamed=True),
    Cell(
        "order grouping, uneven displays",
        "%%px --group-outputs=order --no-stream\n" + UNEVEN,
        deviation=order_hides_fewer_displays,
    ),
    Cell("error on one engine, streamed", "%%px\n" + ONE_FAILS, streamed=True),
    Cell("error on one engine, no stream", "%%px --no-stream\n" + ONE_FAILS),
    Cell("error on one engine, engine grouping", "%%px --no-stream -e\n" + ONE_FAILS),
    Cell("error on all engines, streamed", "%px 1/0", streamed=True),
    Cell("error on all engines, no stream", "%%px --no-stream\n1/0"),
    Cell(
        "non-blocking",
        "%%px --noblock\nimport sys, time\ntime.sleep(0.2)\nprint('bg out')\nprint('bg err', file=sys.stderr)\n'x'",
        grace=0.5,
    ),
    Cell("result", "%result"),
    Cell("result, engine grouping", "%result --group-outputs=engine"),
    Cell("result, order grouping", "%result -r"),
    Cell("non-blocking error", "%%px --noblock\n1/0", grace=0.5),
    Cell("result of an error", "%result"),
    Cell("output over time", "%%px\n" + TICKS, streamed=True),
    Cell(
        "progress bar",
        "%%px --no-stream --progress-after 0\nimport time\ntime.sleep(0.5)\n'slow'",
        progress=True,
    ),
    Cell("no trailing newline", "%px print('no newline', end='')", streamed=True),
    Cell("carriage return", "%px print('abc\\rX')", streamed=True),
    Cell(
        "no trailing newlines, no stream",
        "%%px --no-stream\nimport sys\nprint('x', end='')\nprint('y', file=sys.stderr, end='')",
    ),
    Cell("empty", "%px "),
    Cell("verbose on", "%pxconfig --verbose"),
    Cell("verbose cell", "%%px --targets [0,2]\nprint('loud')", streamed=True),
    # %px parses no flags: this goes to the engines as code (a SyntaxError there).
    Cell("line magic flags are code", "%px --targets 0 print('x')", streamed=True),
    Cell("verbose off", "%pxconfig --no-verbose"),
    Cell("stored result", "%%px -o saved\nprint('saved')", streamed=True),
    Cell("stored result shown", "saved"),
    Cell("stored result's values", "saved.get()"),
    Cell("stored result's stdout", "saved.stdout"),
    Cell("stored, non-blocking", "%%px --noblock -o later\nimport time\ntime.sleep(0.3)\n5", grace=0.5),
    Cell("stored, waited for", "%result"),
    Cell("stored, finished later", "later, later.get()"),
    Cell("local, non-blocking", "%%px --local --noblock\nd = 4\nd"),
    Cell("local cell", "print('local')\n40 + 2"),
    Cell("local error", "1/0"),
    Cell("autopx on", "%autopx"),
    Cell("autopx assignment", "c = 10", streamed=True),
    Cell("autopx print and value", "print(c * 2)\nc", streamed=True),
    Cell("autopx error", "c / 0", streamed=True),
    Cell("autopx sends magics raw", "%px print(c)", streamed=True),
    Cell("autopx local syntax check", "print('a'"),
    Cell("autopx off", "%autopx"),
    Cell("local cell after autopx", "c = 'local'\nc"),
    Cell("unknown flag", "%%px --bogus\npass"),
    Cell("ambiguous flag", "%%px --no\npass"),
    Cell("bad choice", "%%px --group-outputs=bogus\npass"),
    Cell("result with an index", "%result -2"),
    Cell("targets not a name", "%%px --targets foo\npass", local_traceback=True),
    Cell("no such engine", "%%px --targets 99\npass", local_traceback=True),
]


@pytest.fixture(scope="module")
def runs():
    """Both kernels over the cells, each against its own fresh cluster; every cluster and
    kernel is stopped before the comparisons start, also on failure."""
    started = time.time()
    with d.fresh_clusters("px-diff-", ("stock", "ours")) as dirs:
        stock = d.run_cells("python3", dirs["stock"], CELLS, "stock")
        ours = d.run_cells("parallel-rust", dirs["ours"], CELLS, "ours")
    print(f"differential runs took {time.time() - started:.1f}s")
    dump = os.environ.get("PX_DIFF_DUMP")
    if dump:
        # Both sides, normalised, cell by cell: for looking at what is compared.
        with open(dump, "w") as f:
            for cell, s, o in zip(CELLS, stock, ours):
                f.write(f"=== {cell.name}\n{s.code}\n")
                for side, run in (("stock", s), ("parallel-rust", o)):
                    f.write(f"--- {side}\n")
                    f.write("\n".join(d.render(d.normalise(run, cell))) + "\n")
    return stock, ours


@pytest.mark.parametrize("index", range(len(CELLS)), ids=[c.name for c in CELLS])
def test_cell_matches_stock(runs, index):
    cell = CELLS[index]
    stock_run, our_run = runs[0][index], runs[1][index]
    expected = d.normalise(stock_run, cell)
    got = d.normalise(our_run, cell)
    if cell.deviation is not None:
        got = {**got, "output": cell.deviation(got["output"])}
    assert got == expected, (
        f"cell {cell.name!r} differs from stock:\n{our_run.code}\n\n{d.diff(expected, got)}"
    )
