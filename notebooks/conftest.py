"""nbval runs each example notebook against its own fresh 4-engine stock cluster.

nbval's cells are plain pytest items, not functions, so fixtures (autouse or not) never
reach them; the cluster is therefore tied to the notebook with runtest hooks instead: it
is started before the notebook's first cell and stopped after its last one (after nbval
has shut the notebook's kernel down), whatever the cells did. Anything still running when
the session ends (an interrupted run) is stopped then.
"""
import contextlib
import shutil

import pytest

import harness

_base = harness.isolate_jupyter_and_ipython()
harness.install_kernel(_base)

# The running cluster of each notebook, by its collector node.
_clusters = {}
_failed = set()


def _stop(notebook):
    stack = _clusters.pop(notebook, None)
    if stack is not None:
        stack.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    notebook = item.parent
    if notebook not in _clusters:
        stack = contextlib.ExitStack()
        _clusters[notebook] = stack
        try:
            stack.enter_context(harness.fresh_cluster())
        except BaseException:
            _failed.add(notebook)
            raise
    elif notebook in _failed:
        # Without its cluster the kernel would start one of its own, of another size.
        raise RuntimeError("this notebook's cluster did not start")
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.parent is not item.parent:
            _stop(item.parent)


def pytest_sessionfinish(session):
    for notebook in list(_clusters):
        _stop(notebook)


def pytest_unconfigure(config):
    shutil.rmtree(_base, ignore_errors=True)
