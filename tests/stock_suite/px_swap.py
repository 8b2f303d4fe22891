"""Pytest plugin: start our controller and/or engine binaries wherever stock
ipyparallel's test fixtures would start its own.

Loaded with ``-p px_swap`` (the runner puts this folder on ``PYTHONPATH``).
Configured only by the environment, so a plain ``pytest`` run is unaffected:

``PX_CONTROLLER_CMD``
    command line of the controller to use instead of ``python -m ipyparallel.controller``
    (split like a shell would; unset or empty = stock).
``PX_ENGINE_CMD``
    the same for the engine instead of ``python -m ipyparallel.engine``.
``PX_RECORD_LAUNCHES``
    a file: every controller and engine start (stock or ours) appends one JSON line to it
    with its argv and the environment variables that matter to it (see record_launch.py).

Stock starts these processes from three places, and all three must be covered:

* ``ipyparallel.cluster.launcher.ipcontroller_cmd_argv`` / ``ipengine_cmd_argv``, module
  lists which ``ipyparallel.tests`` imports by name for its module-scoped ``cluster``
  fixture (``setup()`` / ``add_engines()``). They are edited in place, so every name bound
  to them sees the change whatever the import order.
* ``ControllerLauncher.controller_cmd``, a traitlets default copied from the list when the
  class was defined; used by ``LocalControllerLauncher`` (the ``Cluster`` fixture,
  ``ipp.Cluster(...)`` in test_label and test_cluster).
* ``EngineLauncher.engine_cmd``, whose default is used by ``LocalEngineLauncher`` and
  copied by ``LocalEngineSetLauncher`` into each engine it starts.
"""

import os
import shlex
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

# The stock values, kept to check the swap and to undo it.
_saved = {}


def _command_from_env(name):
    """The command named by an environment variable, or None when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return shlex.split(value) if value else None


def _recorded(kind, cmd):
    """Wraps a command so that its start is logged before it replaces the wrapper (exec
    keeps the pid, so the launchers still watch the real process)."""
    record_file = os.environ.get("PX_RECORD_LAUNCHES", "").strip()
    if not record_file:
        return cmd
    return [
        sys.executable,
        os.path.join(HERE, "record_launch.py"),
        record_file,
        kind,
        "--",
        *cmd,
    ]


def wanted_commands():
    """The controller and engine commands this run should use: ours where configured,
    stock otherwise, each wrapped for recording when asked."""
    from ipyparallel.cluster import launcher

    controller = _command_from_env("PX_CONTROLLER_CMD") or list(
        _saved.get("controller", launcher.ipcontroller_cmd_argv)
    )
    engine = _command_from_env("PX_ENGINE_CMD") or list(
        _saved.get("engine", launcher.ipengine_cmd_argv)
    )
    return _recorded("controller", controller), _recorded("engine", engine)


def _apply(controller, engine):
    from ipyparallel.cluster import launcher

    launcher.ipcontroller_cmd_argv[:] = controller
    launcher.ipengine_cmd_argv[:] = engine
    # traitlets builds each instance's default as list(*default_args): a fresh copy.
    launcher.ControllerLauncher.controller_cmd.default_args = (list(controller),)
    launcher.EngineLauncher.engine_cmd.default_args = (list(engine),)


def _swap_requested():
    return any(
        os.environ.get(name, "").strip()
        for name in ("PX_CONTROLLER_CMD", "PX_ENGINE_CMD", "PX_RECORD_LAUNCHES")
    )


def pytest_configure(config):
    if not _swap_requested():
        return
    from ipyparallel.cluster import launcher

    _saved["controller"] = list(launcher.ipcontroller_cmd_argv)
    _saved["engine"] = list(launcher.ipengine_cmd_argv)
    _saved["controller_default"] = launcher.ControllerLauncher.controller_cmd.default_args
    _saved["engine_default"] = launcher.EngineLauncher.engine_cmd.default_args
    controller, engine = wanted_commands()
    _apply(controller, engine)


def pytest_unconfigure(config):
    if "controller" not in _saved:
        return
    from ipyparallel.cluster import launcher

    launcher.ipcontroller_cmd_argv[:] = _saved["controller"]
    launcher.ipengine_cmd_argv[:] = _saved["engine"]
    launcher.ControllerLauncher.controller_cmd.default_args = _saved["controller_default"]
    launcher.EngineLauncher.engine_cmd.default_args = _saved["engine_default"]
    _saved.clear()


def pytest_report_header(config):
    if not _swap_requested():
        return "px_swap: stock controller and engine"
    controller, engine = wanted_commands()
    return [
        f"px_swap: controller = {shlex.join(controller)}",
        f"px_swap: engine     = {shlex.join(engine)}",
    ]


def pytest_collection_finish(session):
    """Stops the run before any test if a place stock starts processes from (checked
    after collection, when the test modules have bound their names) still holds a
    command this plugin did not set: a newer ipyparallel may have moved it."""
    if "controller" not in _saved:
        return
    from ipyparallel.cluster import launcher

    controller, engine = wanted_commands()
    places = {
        "launcher.ipcontroller_cmd_argv": (launcher.ipcontroller_cmd_argv, controller),
        "launcher.ipengine_cmd_argv": (launcher.ipengine_cmd_argv, engine),
        "LocalControllerLauncher().controller_cmd": (
            launcher.LocalControllerLauncher().controller_cmd,
            controller,
        ),
        "LocalEngineLauncher().engine_cmd": (launcher.LocalEngineLauncher().engine_cmd, engine),
        "LocalEngineSetLauncher().engine_cmd": (
            launcher.LocalEngineSetLauncher().engine_cmd,
            engine,
        ),
    }
    tests_pkg = sys.modules.get("ipyparallel.tests")
    if tests_pkg is not None:
        places["ipyparallel.tests.ipcontroller_cmd_argv"] = (
            tests_pkg.ipcontroller_cmd_argv,
            controller,
        )
        places["ipyparallel.tests.ipengine_cmd_argv"] = (tests_pkg.ipengine_cmd_argv, engine)
    wrong = [f"{where} = {value}" for where, (value, want) in places.items() if list(value) != want]
    if wrong:
        pytest.exit("px_swap: commands not swapped: " + "; ".join(wrong), returncode=3)
