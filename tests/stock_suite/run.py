"""Runs stock ipyparallel's own tests, from the installed package, with our controller
and/or engine in place of stock's, and compares the outcomes with what passes with stock.

    .venv/bin/python tests/stock_suite/run.py                      # all stock
    .venv/bin/python tests/stock_suite/run.py --controller target/debug/pxcontroller
    .venv/bin/python tests/stock_suite/run.py --engine target/debug/pxengine --modules client,view
    .venv/bin/python tests/stock_suite/run.py --runs 2 --write-expected   # re-baseline (stock only)

A regression is a test listed in expected-stock.txt (passes with stock on this machine)
that did not pass in every run here, unless known-differences.txt names it. Tests in
flaky-stock.txt are reported but never counted. Exit status: 0 clean, 1 regressions,
processes of ours left running, or the overall timeout; 2 usage error. (Leftovers of
stock's own controller or engine are killed and listed, but not counted.)
"""

import argparse
import importlib.util
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECTED = os.path.join(HERE, "expected-stock.txt")
KNOWN = os.path.join(HERE, "known-differences.txt")
FLAKY = os.path.join(HERE, "flaky-stock.txt")

# The black-box modules: each drives a real controller and real engines.
MODULES = [
    "test_client",
    "test_view",
    "test_view_broadcast",
    "test_lbview",
    "test_asyncresult",
    "test_dependency",
    "test_executor",
    "test_remotefunction",
    "test_label",
    "test_joblib",
    "test_magics",
    "test_cluster",
]

# Marks every process a run starts (children inherit it), so the ones still alive after
# pytest exits can be found even when they started their own session.
RUN_MARKER = "PX_STOCK_SUITE_RUN"


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--controller",
        default=os.environ.get("PX_CONTROLLER_CMD", ""),
        help="controller command line to use instead of stock's "
        "(default: $PX_CONTROLLER_CMD, else stock)",
    )
    p.add_argument(
        "--engine",
        default=os.environ.get("PX_ENGINE_CMD", ""),
        help="engine command line to use instead of stock's (default: $PX_ENGINE_CMD, else stock)",
    )
    p.add_argument(
        "--modules",
        default=",".join(MODULES),
        help="comma-separated test modules (default: all twelve; 'test_' may be left off)",
    )
    p.add_argument("-k", dest="keyword", help="pytest -k expression")
    p.add_argument("--runs", type=int, default=1, help="run the suite N times (default 1)")
    p.add_argument(
        "--timeout", type=int, default=120, help="per-test timeout in seconds (default 120)"
    )
    p.add_argument(
        "--overall-timeout",
        type=int,
        default=3600,
        help="seconds before one whole run is killed (default 3600)",
    )
    p.add_argument(
        "--out",
        default=os.path.join(ROOT, "target", "stock-suite"),
        help="folder for the pytest log, JUnit XML and outcomes of each run",
    )
    p.add_argument(
        "--record",
        metavar="FILE",
        help="append each controller/engine start (argv, env) to FILE as JSON lines",
    )
    p.add_argument(
        "--write-expected",
        action="store_true",
        help="stock only: rewrite expected-stock.txt from this invocation's runs "
        "(tests that passed every run) and add tests that passed only sometimes to flaky-stock.txt",
    )
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = p.parse_args(argv)
    args.controller = _absolute_command(args.controller)
    args.engine = _absolute_command(args.engine)
    args.modules = [
        m if m.startswith("test_") else f"test_{m}" for m in args.modules.split(",") if m
    ]
    if args.write_expected and (args.controller or args.engine):
        p.error("--write-expected records what passes with stock: drop --controller/--engine")
    whole_suite = not args.keyword and not args.pytest_args and set(args.modules) == set(MODULES)
    if args.write_expected and not whole_suite:
        p.error("--write-expected needs the whole suite: drop -k, --modules and pytest arguments")
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def site_packages():
    """The folder holding the installed ipyparallel package."""
    spec = importlib.util.find_spec("ipyparallel")
    if spec is None or not spec.submodule_search_locations:
        print(f"error: ipyparallel is not installed for {sys.executable}", file=sys.stderr)
        sys.exit(2)
    return os.path.dirname(list(spec.submodule_search_locations)[0])


def _absolute_command(cmd):
    """Makes a relative program path absolute, since tests may start it from elsewhere."""
    parts = shlex.split(cmd)
    if parts and os.sep in parts[0] and not os.path.isabs(parts[0]):
        parts[0] = os.path.abspath(parts[0])
    if parts and not shutil.which(parts[0]):
        print(f"error: {parts[0]}: not an executable", file=sys.stderr)
        sys.exit(2)
    return shlex.join(parts)


def read_list(path):
    """test id -> comment, from a file of `test_id  # comment` lines."""
    entries = {}
    if not os.path.exists(path):
        return entries
    with open(path) as f:
        for line in f:
            test, _, comment = line.partition("#")
            test = test.strip()
            if test:
                entries[test] = comment.strip()
    return entries


def read_outcomes(path):
    """(outcomes: test id -> outcome, collected: ids, deselected: ids) from px_outcomes."""
    outcomes, collected, deselected = {}, set(), set()
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) != 3:
                    continue
                outcome, test, _seconds = parts
                if outcome == "collected":
                    collected.add(test)
                elif outcome == "deselected":
                    deselected.add(test)
                else:
                    outcomes[test] = outcome
    return outcomes, collected, deselected


def marked_processes(token, group):
    """Processes this run started that are still alive: they carry our marker in their
    environment, or are in pytest's process group."""
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if os.getpgid(proc.pid) == group or proc.environ().get(RUN_MARKER) == token:
                found.append(proc)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return found


def describe(proc):
    """Pid, state, command line, and the test during which it started (a child's copy of
    PYTEST_CURRENT_TEST is the one of its start)."""
    try:
        with proc.oneshot():
            test = proc.environ().get("PYTEST_CURRENT_TEST", "?")
            return (
                f"pid {proc.pid} ({proc.status()}, parent {proc.ppid()}, started in {test}): "
                f"{shlex.join(proc.cmdline())}"
            )
    except psutil.Error as e:
        return f"pid {proc.pid} ({type(e).__name__})"


def leftovers_after_grace(token, group, exclude, grace=5.0):
    """Our processes still alive `grace` seconds after pytest exited: one that is only
    finishing its shutdown is not counted."""
    deadline = time.monotonic() + grace
    while True:
        procs = [p for p in marked_processes(token, group) if p.pid != exclude]
        procs = [p for p in procs if _alive(p)]
        if not procs or time.monotonic() >= deadline:
            return procs
        time.sleep(0.2)


def _alive(proc):
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


STOCK_MODULES = ("ipyparallel.controller", "ipyparallel.engine", "ipyparallel.engine.nanny")


def is_stock(proc):
    """Whether a process is stock's controller or engine (or a fork of one)."""
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return False
    return any(a == "-m" and b in STOCK_MODULES for a, b in zip(cmd, cmd[1:]))


def stop_all(procs):
    """SIGTERM, then SIGKILL after 3 s, for each of our processes."""
    for proc in procs:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(procs, timeout=3)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=3)


def run_once(args, number, out_dir):
    """One pytest run in its own session. Returns (outcomes, collected, deselected,
    leftovers, timed_out, seconds)."""
    token = uuid.uuid4().hex
    scratch = tempfile.mkdtemp(prefix="px-stock-suite-")
    outcomes_file = os.path.join(out_dir, f"outcomes-{number}.txt")
    log_file = os.path.join(out_dir, f"pytest-{number}.log")
    junit_file = os.path.join(out_dir, f"junit-{number}.xml")
    for path in (outcomes_file, log_file, junit_file):
        if os.path.exists(path):
            os.remove(path)

    env = dict(os.environ)
    for name in ("PX_CONTROLLER_CMD", "PX_ENGINE_CMD", "PX_RECORD_LAUNCHES"):
        env.pop(name, None)
    if args.controller:
        env["PX_CONTROLLER_CMD"] = args.controller
    if args.engine:
        env["PX_ENGINE_CMD"] = args.engine
    if args.record:
        env["PX_RECORD_LAUNCHES"] = os.path.abspath(args.record)
    env.update(
        {
            RUN_MARKER: token,
            "PX_OUTCOMES_FILE": outcomes_file,
            "PYTHONPATH": os.pathsep.join(filter(None, [HERE, env.get("PYTHONPATH")])),
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]),
            # The stock fixtures make a fresh IPYTHONDIR per module; this one catches the rest.
            "IPYTHONDIR": os.path.join(scratch, "ipython"),
            # test_cluster uses tempfile.gettempdir() as a profile folder.
            "TMPDIR": os.path.join(scratch, "tmp"),
            # As upstream's CI sets them.
            "IPP_DISABLE_JS": "1",
            "JUPYTER_PLATFORM_DIRS": "1",
        }
    )
    os.makedirs(env["TMPDIR"])

    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-c",
        os.path.join(HERE, "pytest.ini"),
        # node ids relative to site-packages: ipyparallel/tests/test_client.py::...
        "--rootdir",
        site_packages(),
        "-p",
        "no:cacheprovider",
        "-p",
        "px_swap",
        "-p",
        "px_outcomes",
        f"--timeout={args.timeout}",
        f"--junitxml={junit_file}",
        "-v",
        "-rfE",
    ]
    if args.keyword:
        cmd += ["-k", args.keyword]
    cmd += args.pytest_args
    cmd += ["--pyargs"] + [f"ipyparallel.tests.{m}" for m in args.modules]

    print(f"run {number}: pytest output in {os.path.relpath(log_file)}", flush=True)
    started = time.monotonic()
    timed_out = False
    with open(log_file, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=args.overall_timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            print(f"run {number}: killed after {args.overall_timeout}s", flush=True)
        except KeyboardInterrupt:
            stop_all(marked_processes(token, proc.pid))
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
    seconds = time.monotonic() - started

    leftovers = leftovers_after_grace(token, proc.pid, exclude=proc.pid)
    # Stock's controller sometimes leaves its forked schedulers behind (test_cluster_repr);
    # that is not ours to fix, so only the others count against the run.
    ours = [p for p in leftovers if not is_stock(p)]
    if leftovers:
        print(f"run {number}: {len(leftovers)} process(es) left behind, stopping them:")
        for p in leftovers:
            print(f"  {'' if p in ours else '(stock, not counted) '}{describe(p)}")
        stop_all(leftovers)
    shutil.rmtree(scratch, ignore_errors=True)
    outcomes, collected, deselected = read_outcomes(outcomes_file)
    return outcomes, collected, deselected, len(ours), timed_out, seconds


def count(outcomes):
    kinds = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
    totals = {k: 0 for k in kinds}
    for outcome in outcomes.values():
        totals[outcome] = totals.get(outcome, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in totals.items() if n)


def main(argv):
    args = parse_args(argv)
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    started = time.monotonic()

    runs = []
    for number in range(1, args.runs + 1):
        runs.append(run_once(args, number, out_dir))
    elapsed = time.monotonic() - started

    all_outcomes = [r[0] for r in runs]
    collected = set().union(*(r[1] for r in runs))
    deselected = set().union(*(r[2] for r in runs))
    leftovers = sum(r[3] for r in runs)
    timed_out = any(r[4] for r in runs)
    everywhere = set(all_outcomes[0]).union(*all_outcomes[1:])
    # A test passes only if it passed in every run.
    passed = {t for t in everywhere if all(o.get(t) == "passed" for o in all_outcomes)}
    sometimes = {t for t in everywhere if any(o.get(t) == "passed" for o in all_outcomes)} - passed

    expected = read_list(EXPECTED)
    known = read_list(KNOWN)
    flaky = read_list(FLAKY)
    selected_modules = {f"{m}.py" for m in args.modules}

    def in_scope(test):
        return test.split("::")[0] in selected_modules and test not in deselected

    def outcome_text(test):
        return "/".join(o.get(test, "missing") for o in all_outcomes)

    regressions = []
    known_hits = []
    for test in sorted(t for t in expected if in_scope(t) and t not in flaky):
        if test in passed:
            if test in known:
                print(f"known difference now passes (remove it from known-differences.txt): {test}")
            continue
        if test in known:
            known_hits.append(test)
        else:
            regressions.append(test)

    for test in known_hits:
        print(f"known   {test}  [{outcome_text(test)}]  # {known[test]}")
    for test in sorted(t for t in flaky if in_scope(t)):
        print(f"flaky   {test}  [{outcome_text(test)}]  (not counted)")
    for test in regressions:
        missing = test not in collected
        note = "  (not collected)" if missing else ""
        print(f"REGRESSION  {test}  [{outcome_text(test)}]{note}")
    newly = sorted(passed - set(expected) - set(flaky))
    if newly and (args.controller or args.engine):
        for test in newly:
            print(f"passes here but not in expected-stock.txt: {test}")

    if args.write_expected:
        write_expected(passed - set(flaky), sometimes, flaky, all_outcomes, everywhere)

    label = f"controller: {args.controller or 'stock'}, engine: {args.engine or 'stock'}"
    runs_text = f"{args.runs} runs, " if args.runs > 1 else ""
    per_run = " | ".join(count(o) for o in all_outcomes)
    print(
        f"stock-suite [{label}] {runs_text}{per_run}; "
        f"{len(regressions)} regressions of {sum(1 for t in expected if in_scope(t))} expected, "
        f"{len(known_hits)} known differences, "
        f"{sum(1 for t in flaky if in_scope(t))} flaky not counted; "
        f"{leftovers} leftover processes of ours{'; OVERALL TIMEOUT' if timed_out else ''}; "
        f"{elapsed:.0f}s"
    )
    return 1 if regressions or leftovers or timed_out else 0


def write_expected(passed, sometimes, flaky, all_outcomes, everywhere):
    """Rewrites expected-stock.txt, and adds newly flaky tests to flaky-stock.txt."""
    header = (
        "# Tests of stock ipyparallel's suite that pass with stock ipcontroller and ipengine\n"
        "# on this machine, in every run of `run.py --runs N --write-expected`.\n"
        "# Tests that passed only sometimes are in flaky-stock.txt instead.\n"
    )
    with open(EXPECTED, "w") as f:
        f.write(header)
        for test in sorted(passed):
            f.write(test + "\n")
    new_flaky = dict(flaky)
    for test in sorted(sometimes):
        if test not in new_flaky:
            seen = "/".join(o.get(test, "missing") for o in all_outcomes)
            new_flaky[test] = f"with stock: {seen}"
    with open(FLAKY, "w") as f:
        f.write(
            "# Tests that passed with stock in some runs and not in others; run.py reports\n"
            "# them but never counts them as regressions.\n"
        )
        for test in sorted(new_flaky):
            f.write(f"{test}  # {new_flaky[test]}\n")
    never = sorted(t for t in everywhere if t not in passed and t not in sometimes)
    print(f"wrote {len(passed)} tests to {os.path.relpath(EXPECTED)}")
    print(f"{len(new_flaky)} tests in {os.path.relpath(FLAKY)}")
    print(f"not passing with stock in any run: {len(never)} (skipped, xfailed or failed)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
