"""The Python side of px-worker: runs user code for a Rust supervisor.

The Rust crate embeds this package, writes it into a private (0700) temporary directory at
each start, and runs ``python -c`` with a bootstrap that imports ``px_worker.serve`` from
there and calls ``main()``; the directory is deleted once the worker has said hello. Three
environment variables configure it, and are removed before any user code runs:

- ``PX_WORKER_SOCKET``: path of a Unix socket to connect to; requests and replies travel on it
  as frames of a 4-byte big-endian length followed by UTF-8 JSON (``channel``).
- ``PX_WORKER_TOKEN``: echoed in the ``hello`` frame so the supervisor knows it talks to the
  child it started.
- ``PX_WORKER_SHELL``: ``basic`` forces the stdlib-only shell even when IPython is importable.
- ``PX_WORKER_COLORS``: IPython's colour scheme (``nocolor`` for plain tracebacks).

File descriptors 1 and 2 are pipes read directly by the supervisor, so output of C code and
subprocesses is captured with no help from Python. This package only makes Python-level
writes reach those pipes at once (``output``), and tells the supervisor where the boundaries
are: every display, error, input request or stdout/stderr switch made by the main thread
during an execution is a *sync point*: the supervisor drains both pipes, emits what it found,
then acks, so output and rich events come out in the order the code produced them.

Everything here imports only the standard library at module level and is imported at start-up
(the directory it came from is gone afterwards); IPython is imported by ``ipython_shell`` when
available (``basic_shell`` otherwise).
"""
