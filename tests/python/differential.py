"""Differential testing of the parallel magics: one list of cells, run through IPython's own
kernel with stock ipyparallel and through `parallel-rust`, each against a fresh stock cluster,
compared message by message.

Running
-------
`start_cluster` starts a stock `ipp.Cluster(n=4, cluster_id="")` in a private IPYTHONDIR (a
subprocess running this file, so that a dying test run cannot leave a cluster behind: the
runner stops its cluster when told to, and also when its parent goes away). Every engine's
execution count starts at 0. `run_cells` starts a kernel by name with that IPYTHONDIR, sends
each cell with `execute_request`, and keeps every IOPub message parented to the cell: from
`busy` to `idle`, plus a short grace period after `idle` (`GRACE`, longer for cells that ask
for it). A message parented to an earlier cell that arrives later is kept with that earlier
cell, marked late; so is anything arriving for a cell after its `idle`. The shell reply is
kept too.

Normalising
-----------
Only what differs between two runs of the same stock code is normalised (see the captures'
README, "What must be normalised"):

- msg ids, session ids, display ids: `transient.display_id` is replaced by a label naming
  the display it belongs to (`<display 0>`, or `<engine 2 display 0>` in streamed cells, by
  order of first appearance), so which `update_display_data` refers to which
  `display_data` is still compared.
- the `metadata` dict of `Out[N:k]` displays (a snapshot of the client's per-request
  record, partly null when streamed) becomes `<Out metadata>`.
- the state word of `<AsyncResult(%px): pending>` (a race between submission and replies).
- in every string: engine uuids and other uuids, ISO dates, `tcp://…:port` addresses,
  `0x…` object addresses, `pid NNN`.
- progress-bar redraws (`\\r%px:  25%|██▌ …`, the bar's closing newline): whether a bar is
  drawn at all depends on whether replies take longer than 2 s, which on a loaded machine is
  timing; the cells are written to finish well before that, and bars are dropped. A cell
  that draws a bar on purpose (`--progress-after 0`, marked `progress`) keeps each bar as
  its last frame without times and rate (`<bar: %px: 100%|██████████| 4/4>`): the number of
  redraws and the intermediate frames are timing too.
- local tracebacks through ipyparallel's own source (`--targets foo`, an unknown engine):
  absolute paths of the local install and frames we do not have; for cells marked
  `local_traceback`, only ename, evalue and the traceback's last line are compared.
- `engine_info` of error replies: ipykernel adds it to every error reply (a kernel
  convention for engines, not part of the magics; the spec says so); it is compared as
  present-or-absent only.

Stream text is compared after merging adjacent `stream` messages of the same name: ipykernel
buffers writes and publishes them on a timer or before the next display, so how text is cut
into messages is timing, not output.

Streamed cells
--------------
A blocking `%px` with streaming on (the default) shows each engine's output as it arrives,
so the interleaving of engines differs from run to run. For cells marked `streamed`, each
message is assigned to the engine it belongs to:

- a stream display `[stdout:N] …` / `[stderr:N] …` (and its updates),
- an `[output:N]` label, a re-published display (`metadata.engine == N`),
- an `Out[N:k]: …` display,
- the part of a stderr `stream` from a line starting with `[N:execute]` up to the next such
  line (a streamed traceback; ipykernel may publish several engines' tracebacks in one
  message, our kernel one per message).

Messages that belong to no engine (the verbose line, `%autopx enabled`, the final
`AlreadyDisplayedError`, a grouped `stream`, a local `execute_result`) stay in place as
barriers. Between two barriers, the engines' messages are compared as one sequence per
engine: the order within an engine is kept and compared, the interleaving across engines is
not. Cells that are not streamed (`--no-stream`, `%result`, `--local`, non-blocking, errors
in parsing) are deterministic and compared in order, message by message.

Deviations
----------
Where stock hides or loses output we deliberately show it. A cell hitting such a case says
so in its `deviation`: a function applied to our normalised output that removes exactly
what stock hides, and fails if there is nothing to remove. There is no global loosening.
One cell needs one: uneven `--group-outputs=order`, where stock drops the displays of
engines having fewer than the most. Stock published nothing for any cell after `idle`
(late output would show as `(late)` in a diff).
"""
import difflib
import json
import os
import re
import signal
import subprocess
import sys
import time
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from queue import Empty
from typing import Callable, Optional

GRACE = 0.3
N_ENGINES = 4

# --------------------------------------------------------------------------------------
# cells


@dataclass
class Cell:
    """One cell: `code` for both kernels, or `stock` / `ours` when they must differ."""

    name: str
    code: Optional[str] = None
    stock: Optional[str] = None
    ours: Optional[str] = None
    # Blocking with streaming on: per-engine comparison (see the module docstring).
    streamed: bool = False
    # Seconds to keep listening after idle.
    grace: float = GRACE
    # Our output -> what stock shows of it (a deliberate deviation; see above).
    deviation: Optional[Callable[[list], list]] = None
    # Stock raises locally with a traceback through ipyparallel's own source (absolute
    # paths of the local install, frames we do not have): compare ename, evalue and the
    # traceback's last line only.
    local_traceback: bool = False
    # The cell draws a progress bar on purpose (`--progress-after 0`): keep each bar as
    # its final frame, without rate and times, instead of dropping it.
    progress: bool = False

    def source(self, which):
        if which == "stock" and self.stock is not None:
            return self.stock
        if which == "ours" and self.ours is not None:
            return self.ours
        return self.code


@dataclass
class CellRun:
    code: str
    reply: dict
    messages: list = field(default_factory=list)  # (late, msg)


# --------------------------------------------------------------------------------------
# clusters


def start_cluster(ipython_dir, n=N_ENGINES, timeout=120):
    """A stock cluster of `n` engines in `ipython_dir`'s default profile; returns the
    runner process (stop it with `stop_cluster`)."""
    ready = os.path.join(ipython_dir, "cluster-ready")
    env = dict(os.environ, IPYTHONDIR=ipython_dir)
    env.pop("IPP_NONINTERACTIVE", None)
    log = open(os.path.join(ipython_dir, "cluster.log"), "ab")
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "cluster", str(n), ipython_dir, ready],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    proc.ready_file = ready
    proc.log = log
    return proc


def wait_cluster(proc, timeout=120):
    deadline = time.time() + timeout
    while not os.path.exists(proc.ready_file):
        if proc.poll() is not None:
            raise RuntimeError(f"cluster runner exited with {proc.returncode}; see {proc.log.name}")
        if time.time() > deadline:
            raise RuntimeError("cluster did not start in time")
        time.sleep(0.2)


def stop_cluster(proc, timeout=60):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # The runner's whole session: controller, engines, nannies.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    proc.log.close()


@contextmanager
def fresh_clusters(prefix, sides):
    """One fresh stock cluster per side, each in its own IPYTHONDIR (started together, so
    their start-up overlaps); yields {side: ipython_dir} and stops every cluster on exit,
    also on failure."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        dirs = {side: os.path.join(tmp, side) for side in sides}
        clusters = {}
        try:
            for side, path in dirs.items():
                os.makedirs(path)
                clusters[side] = start_cluster(path)
            for proc in clusters.values():
                wait_cluster(proc)
            yield dirs
        finally:
            for proc in clusters.values():
                stop_cluster(proc)


def _cluster_main(n, ipython_dir, ready):
    import threading

    import ipyparallel as ipp

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    parent = os.getppid()
    from traitlets.config import Config

    config = Config()
    # PX_CONTROLLER_CMD=target/debug/pxcontroller and PX_ENGINE_CMD=target/debug/pxengine run
    # the comparison on our controller and engines.
    if os.environ.get("PX_CONTROLLER_CMD"):
        config.LocalControllerLauncher.controller_cmd = os.environ["PX_CONTROLLER_CMD"].split()
    if os.environ.get("PX_ENGINE_CMD"):
        config.LocalEngineSetLauncher.engine_cmd = os.environ["PX_ENGINE_CMD"].split()
    cluster = ipp.Cluster(
        n=n,
        cluster_id="",
        controller_ip="127.0.0.1",
        profile_dir=os.path.join(ipython_dir, "profile_default"),
        log_level=40,
        config=config,
    )
    cluster.start_cluster_sync()
    try:
        rc = cluster.connect_client_sync()
        rc.wait_for_engines(n, timeout=90)
        rc.close()
        with open(ready + ".tmp", "w") as f:
            f.write(cluster.cluster_file)
        os.rename(ready + ".tmp", ready)
        # Until told to stop, or until the test process is gone.
        while not stop.wait(0.5) and os.getppid() == parent:
            pass
    finally:
        cluster.stop_cluster_sync()


# --------------------------------------------------------------------------------------
# kernels


def run_cells(kernel_name, ipython_dir, cells, which, timeout=90):
    """Runs `cells` (their `which` source; None skips) in a fresh kernel; returns one
    `CellRun` per cell (None for a skipped cell)."""
    from jupyter_client import KernelManager

    env = dict(os.environ, IPYTHONDIR=ipython_dir)
    for var in ("IPP_NONINTERACTIVE", "PX_CLUSTER", "PX_PROFILE", "IPP_CLUSTER_ID"):
        env.pop(var, None)
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(env=env, cwd=ipython_dir)
    kc = km.client()
    kc.start_channels()
    runs = []
    by_msg_id = {}
    try:
        kc.wait_for_ready(timeout=60)
        _drain(kc, 0.3)
        for cell in cells:
            code = cell.source(which)
            if code is None:
                runs.append(None)
                continue
            run = _run_one(kc, code, cell.grace, timeout, by_msg_id)
            runs.append(run)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return runs


def _drain(kc, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            kc.get_iopub_msg(timeout=max(0.01, end - time.time()))
        except Empty:
            break


def _run_one(kc, code, grace, timeout, by_msg_id):
    msg_id = kc.execute(code, allow_stdin=False)
    run = CellRun(code=code, reply={})
    by_msg_id[msg_id] = run
    t0 = time.time()
    idle_at = None
    while True:
        now = time.time()
        if idle_at is not None and now >= idle_at + grace:
            break
        if now - t0 > timeout:
            raise RuntimeError(f"timed out running {code!r}")
        wait = 0.05 if idle_at is None else max(0.01, idle_at + grace - now)
        try:
            msg = kc.get_iopub_msg(timeout=wait)
        except Empty:
            continue
        parent = msg["parent_header"].get("msg_id")
        owner = by_msg_id.get(parent)
        if owner is None:
            continue
        mt = msg["header"]["msg_type"]
        if mt == "status":
            if parent == msg_id and msg["content"]["execution_state"] == "idle":
                idle_at = time.time()
            continue
        if mt == "execute_input":
            continue
        late = owner is not run or idle_at is not None
        owner.messages.append((late, msg))
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    run.reply = reply["content"]
    return run


# --------------------------------------------------------------------------------------
# normalising

ANSI = re.compile(r"\x1b\[[0-9;]*m")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DATE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
ADDR = re.compile(r"tcp://[0-9.]+:\d+")
HEX = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
PID = re.compile(r"\bpid \d+")
BAR = re.compile(r"\r%px:[^\r\n]*")
BARS = re.compile(r"(?:\r%px:[^\r\n]*)+\n?")
BAR_TIMES = re.compile(r" \[[^\]]*\]$")
STREAM_LABEL = re.compile(r"^\[(?:stdout|stderr):(-?\d+)\] ")
OUTPUT_LABEL = re.compile(r"^\[output:(-?\d+)\]$")
OUT_PREFIX = re.compile(r"^Out\[(-?\d+):\d+\]: ")
EXECUTE_LABEL = re.compile(r"^\[(-?\d+):execute\]", re.M)
ASYNC_STATE = re.compile(r"^<AsyncResult\((.*)\): (?:pending|finished|failed)>$")


def scrub(value):
    """Volatile substrings in every string of `value`."""
    if isinstance(value, str):
        s = UUID.sub("<uuid>", value)
        s = DATE.sub("<date>", s)
        s = ADDR.sub("tcp://<addr>", s)
        s = HEX.sub("0x<addr>", s)
        return PID.sub("pid <pid>", s)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def strip_bars(text):
    """Removes progress-bar redraws and the newline that closes a bar."""
    out = []
    pos = 0
    for m in BAR.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        nxt = BAR.match(text, pos)
        if nxt is None and text.startswith("\n", pos):
            pos += 1
    out.append(text[pos:])
    return "".join(out)


def summarise_bars(text):
    """Each progress bar (its redraws and closing newline) as one line: its last frame,
    without elapsed time and rate."""

    def last_frame(m):
        frame = m.group(0).rstrip("\n").split("\r")[-1]
        return "<bar: " + BAR_TIMES.sub("", frame) + ">" + ("\n" if m.group(0).endswith("\n") else "")

    return BARS.sub(last_frame, text)


def plain(data):
    return ANSI.sub("", (data or {}).get("text/plain", "") or "")


def _is_out_display(content):
    return OUT_PREFIX.match(plain(content.get("data"))) is not None


def message_engine(msg):
    """The engine a streamed message belongs to, or None."""
    mt, c = msg["msg_type"], msg["content"]
    if mt in ("display_data", "update_display_data"):
        text = plain(c.get("data"))
        m = STREAM_LABEL.match(text)
        if m and (c.get("transient") or {}).get("display_id"):
            return int(m.group(1))
        m = OUTPUT_LABEL.match(text)
        if m and list(c.get("data", {})) == ["text/plain"]:
            return int(m.group(1))
        engine = (c.get("metadata") or {}).get("engine")
        if isinstance(engine, int):
            return engine
        m = OUT_PREFIX.match(text)
        if m:
            return int(m.group(1))
    if mt == "stream" and msg.get("engine") is not None:
        return msg["engine"]
    return None


def _split_streamed_errors(msgs):
    """stderr `stream` text cut at lines starting `[N:execute]`, each piece tagged with N."""
    out = []
    for m in msgs:
        if m["msg_type"] != "stream" or m["content"]["name"] != "stderr":
            out.append(m)
            continue
        text = m["content"]["text"]
        starts = [x.start() for x in EXECUTE_LABEL.finditer(text)]
        if not starts:
            out.append(m)
            continue
        bounds = ([0] if starts[0] > 0 else []) + starts + [len(text)]
        for a, b in zip(bounds, bounds[1:]):
            piece = text[a:b]
            lab = EXECUTE_LABEL.match(piece)
            out.append(
                {
                    **m,
                    "content": {**m["content"], "text": piece},
                    "engine": int(lab.group(1)) if lab else None,
                }
            )
    return out


def _merge_streams(msgs):
    out = []
    for m in msgs:
        if (
            m["msg_type"] == "stream"
            and out
            and out[-1]["msg_type"] == "stream"
            and out[-1]["content"]["name"] == m["content"]["name"]
            and out[-1].get("late") == m.get("late")
        ):
            prev = out[-1]
            out[-1] = {**prev, "content": {**prev["content"], "text": prev["content"]["text"] + m["content"]["text"]}}
        else:
            out.append(m)
    return out


def _shape(msg, display_label):
    """A message reduced to what is compared."""
    mt, c = msg["msg_type"], msg["content"]
    shaped = {"msg_type": mt}
    if msg.get("late"):
        shaped["late"] = True
    if mt == "stream":
        shaped.update(name=c["name"], text=c["text"])
    elif mt in ("display_data", "update_display_data", "execute_result"):
        data = dict(c.get("data", {}))
        text = data.get("text/plain")
        if isinstance(text, str):
            m = ASYNC_STATE.match(text)
            if m:
                data["text/plain"] = f"<AsyncResult({m.group(1)}): <state>>"
        shaped["data"] = data
        md = c.get("metadata", {})
        if mt != "execute_result" and _is_out_display(c) and md:
            md = "<Out metadata>"
        shaped["metadata"] = md
        did = (c.get("transient") or {}).get("display_id")
        if did is not None:
            shaped["display"] = display_label(did)
        elif c.get("transient"):
            shaped["transient"] = c["transient"]
        if mt == "execute_result":
            shaped["execution_count"] = c.get("execution_count")
    elif mt == "error":
        shaped.update(ename=c.get("ename"), evalue=c.get("evalue"), traceback=c.get("traceback"))
    else:
        shaped["content"] = c
    return scrub(shaped)


def _labeller(prefix=""):
    labels = {}

    def label(did):
        if did not in labels:
            labels[did] = f"<{prefix}display {len(labels)}>"
        return labels[did]

    return label


def normalise(run, cell):
    """A cell's run reduced to what is compared: {"reply": …, "output": […]}, where each
    output item is a message or, in a streamed cell, {"engines": {N: [messages]}}."""
    msgs = [
        {"msg_type": m["header"]["msg_type"], "content": m["content"], "late": late}
        for late, m in run.messages
    ]
    msgs = _merge_streams(msgs)
    kept = []
    for m in msgs:
        if m["msg_type"] == "stream":
            text = m["content"]["text"]
            text = summarise_bars(text) if cell.progress else strip_bars(text)
            if not text:
                continue
            m = {**m, "content": {**m["content"], "text": text}}
        kept.append(m)
    msgs = kept
    if cell.streamed:
        msgs = _split_streamed_errors(msgs)
        output = []
        labellers = {}
        unattributed = _labeller("unattributed ")
        for m in msgs:
            engine = message_engine(m)
            if engine is None:
                output.append(_shape(m, unattributed))
                continue
            if not output or not isinstance(output[-1], dict) or "engines" not in output[-1]:
                output.append({"engines": {}})
            output[-1]["engines"].setdefault(engine, []).append(m)
        for item in output:
            if "engines" in item:
                shaped = {}
                for e, ms in sorted(item["engines"].items()):
                    lab = labellers.setdefault(e, _labeller(f"engine {e} "))
                    shaped[e] = [_shape(x, lab) for x in _merge_streams(ms)]
                item["engines"] = shaped
    else:
        lab = _labeller()
        output = [_shape(m, lab) for m in msgs]
    reply = {k: v for k, v in run.reply.items() if k not in ("engine_info",)}
    if run.reply.get("status") == "error":
        reply["engine_info"] = "engine_info" in run.reply
    if cell.local_traceback:
        output = [_last_tb_line(x) for x in output]
        if "traceback" in reply:
            reply["traceback"] = _last_tb_line({"traceback": reply["traceback"]})["traceback"]
    return {"reply": scrub(reply), "output": output}


def _last_tb_line(item):
    if isinstance(item, dict) and "traceback" in item:
        tb = item["traceback"] or []
        return {**item, "traceback": [f"<local traceback> … {ANSI.sub('', tb[-1]) if tb else ''}"]}
    return item


# --------------------------------------------------------------------------------------
# showing a difference


def _fmt_message(m, indent):
    pad = " " * indent
    head = m["msg_type"] + (" (late)" if m.get("late") else "")
    rest = {k: v for k, v in m.items() if k not in ("msg_type", "late")}
    lines = [pad + head]
    for k, v in rest.items():
        if k in ("text",) and isinstance(v, str):
            lines.append(f"{pad}  {k}:")
            lines.extend(f"{pad}    | {line!r}" for line in v.splitlines(keepends=True) or [""])
        elif k == "traceback" and isinstance(v, list):
            lines.append(f"{pad}  {k}:")
            lines.extend(f"{pad}    | {line!r}" for line in v)
        else:
            lines.append(f"{pad}  {k}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}")
    return lines


def render(normalised):
    """Readable lines for a diff."""
    lines = ["reply: " + json.dumps(normalised["reply"], ensure_ascii=False, sort_keys=True)]
    for item in normalised["output"]:
        if isinstance(item, dict) and "engines" in item:
            lines.append("engines (each in its own order, interleaving ignored):")
            for e, ms in item["engines"].items():
                lines.append(f"  engine {e}:")
                for m in ms:
                    lines.extend(_fmt_message(m, 4))
        else:
            lines.extend(_fmt_message(item, 0))
    return lines


def diff(expected, got):
    return "\n".join(
        difflib.unified_diff(render(expected), render(got), "stock", "parallel-rust", lineterm="", n=4)
    )


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "cluster":
    _cluster_main(int(sys.argv[2]), sys.argv[3], sys.argv[4])
