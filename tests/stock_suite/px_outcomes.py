"""Pytest plugin: writes one line per finished test to ``$PX_OUTCOMES_FILE``.

Line format: ``OUTCOME<TAB>TEST_ID<TAB>SECONDS``, where TEST_ID is the node id without the
folder (``test_client.py::TestClient::test_ids``), so ids do not depend on where the
package is installed, and OUTCOME is one of passed, failed, error (setup or teardown
failed), skipped, xfailed, xpassed. The line is written and flushed as soon as the test's
teardown ends, so a run killed midway still leaves what it finished.

Before the tests run, every selected test gets a ``collected`` line and every test that
``-k`` or ``--deselect`` dropped a ``deselected`` line (SECONDS 0), so the runner can
tell a test that vanished (a module that failed to import, a renamed test) from one
that was left out on purpose.
"""

import os

_pending = {}


def test_id(nodeid):
    """The node id with its file reduced to the file name."""
    path, sep, rest = nodeid.partition("::")
    return os.path.basename(path) + sep + rest


def _outcome_of(report, current):
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        return report.outcome  # passed, failed or skipped
    if report.failed:
        # A setup failure means the test never ran; a teardown failure spoils a pass.
        return "error" if current in (None, "passed") else current
    if report.skipped:
        return "xfailed" if hasattr(report, "wasxfail") else "skipped"
    return current


def _write(outcome, nodeid, seconds):
    path = os.environ.get("PX_OUTCOMES_FILE", "").strip()
    if not path:
        return
    with open(path, "a") as f:
        f.write(f"{outcome}\t{test_id(nodeid)}\t{seconds:.2f}\n")


def pytest_deselected(items):
    for item in items:
        _write("deselected", item.nodeid, 0.0)


def pytest_collection_finish(session):
    for item in session.items:
        _write("collected", item.nodeid, 0.0)


def pytest_runtest_logreport(report):
    entry = _pending.setdefault(report.nodeid, {"outcome": None, "seconds": 0.0})
    entry["outcome"] = _outcome_of(report, entry["outcome"])
    entry["seconds"] += getattr(report, "duration", 0.0) or 0.0


def pytest_runtest_logfinish(nodeid, location):
    entry = _pending.pop(nodeid, None)
    if entry is not None:
        _write(entry["outcome"] or "error", nodeid, entry["seconds"])
