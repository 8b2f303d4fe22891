"""Re-runs the example notebooks with the parallel-rust kernel and saves them with their new
outputs, each against a fresh 4-engine cluster (as the nbval run in the test suite does).

    .venv/bin/python notebooks/execute.py                      # every notebook
    .venv/bin/python notebooks/execute.py notebooks/01-*.ipynb  # some of them

Outputs are recorded the way JupyterLab shows them: a display updated in place
(`update_display_data`, e.g. a streamed `[stdout:N]` block that grows) keeps its final
text, and consecutive stream messages are joined. The per-request record ipyparallel puts
in the metadata of `Out[N:k]` displays (message ids, timestamps) is left out, so that
re-running changes only what a reader can see. A cell that fails stops the run unless it
is tagged `raises-exception`.
"""
import argparse
import pathlib
import shutil
import sys
from queue import Empty

import nbformat
from jupyter_client.manager import KernelManager

import harness

CELL_TIMEOUT = 120
# Keys of ipyparallel's per-request record, which it attaches (complete or, while
# streaming, in part) to `Out[N:k]` displays.
_RECORD_KEYS = {"msg_id", "engine_id"}


class CellFailed(Exception):
    pass


def _clean_metadata(metadata):
    if _RECORD_KEYS <= set(metadata):
        return {}
    return metadata


class Outputs:
    """A cell's outputs, built from its IOPub messages as a notebook frontend does."""

    def __init__(self):
        self.items = []
        self.by_display_id = {}
        self.clear_pending = False

    def _append(self, out):
        if self.clear_pending:
            self.items.clear()
            self.by_display_id.clear()
            self.clear_pending = False
        self.items.append(out)

    def add(self, msg, execution_count):
        kind = msg["msg_type"]
        c = msg["content"]
        if kind == "stream":
            last = self.items[-1] if self.items and not self.clear_pending else None
            if last is not None and last.output_type == "stream" and last.name == c["name"]:
                last.text += c["text"]
            else:
                self._append(nbformat.v4.new_output("stream", name=c["name"], text=c["text"]))
        elif kind in ("display_data", "execute_result"):
            fields = dict(data=c["data"], metadata=_clean_metadata(c.get("metadata", {})))
            if kind == "execute_result":
                fields["execution_count"] = execution_count
            out = nbformat.v4.new_output(kind, **fields)
            self._append(out)
            display_id = c.get("transient", {}).get("display_id")
            if display_id:
                self.by_display_id.setdefault(display_id, []).append(out)
        elif kind == "update_display_data":
            display_id = c.get("transient", {}).get("display_id")
            for out in self.by_display_id.get(display_id, []):
                out.data = c["data"]
                out.metadata = _clean_metadata(c.get("metadata", {}))
        elif kind == "error":
            self._append(
                nbformat.v4.new_output(
                    "error", ename=c["ename"], evalue=c["evalue"], traceback=c["traceback"]
                )
            )
        elif kind == "clear_output":
            if c.get("wait"):
                self.clear_pending = True
            else:
                self.items.clear()
                self.by_display_id.clear()


def run_cell(kc, cell):
    msg_id = kc.execute(cell.source, allow_stdin=False)
    reply = None
    while reply is None:
        msg = kc.get_shell_msg(timeout=CELL_TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            reply = msg["content"]
    outputs = Outputs()
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=CELL_TIMEOUT)
        except Empty:
            raise CellFailed("no idle status from the kernel") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        outputs.add(msg, reply.get("execution_count"))
    cell.execution_count = reply.get("execution_count")
    cell.outputs = outputs.items
    if reply["status"] != "ok" and "raises-exception" not in cell.metadata.get("tags", []):
        raise CellFailed(f"{reply.get('ename')}: {reply.get('evalue')}")


def execute_notebook(path):
    nb = nbformat.read(path, as_version=4)
    with harness.fresh_cluster():
        km = KernelManager(kernel_name=harness.KERNEL_NAME)
        km.start_kernel(cwd=str(path.parent))
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            info = kc.kernel_info(reply=True, timeout=30)["content"]
            for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
                try:
                    run_cell(kc, cell)
                except CellFailed as e:
                    raise CellFailed(f"{path.name}, code cell {i}: {e}\n{cell.source}") from None
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
    spec = km.kernel_spec
    nb.metadata["kernelspec"] = {
        "name": harness.KERNEL_NAME,
        "display_name": spec.display_name,
        "language": spec.language,
    }
    nb.metadata["language_info"] = info["language_info"]
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(harness.NOTEBOOKS.glob("*.ipynb"))
    base = harness.isolate_jupyter_and_ipython()
    try:
        harness.install_kernel(base)
        for path in paths:
            print(f"executing {path.relative_to(harness.ROOT)}", flush=True)
            try:
                execute_notebook(path)
            except CellFailed as e:
                sys.exit(f"error: {e}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
