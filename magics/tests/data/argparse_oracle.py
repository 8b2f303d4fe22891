"""Regenerates argparse_oracle.json: what stock IPython's magic_arguments parser makes of
flag lines for %%px, %pxconfig and %pxresult. Run with the venv that holds ipyparallel 9.2:
    /work/main/.venv/bin/python tests/data/argparse_oracle.py > tests/data/argparse_oracle.json
"""
import json
from IPython.core import magic_arguments
from IPython.core.error import UsageError
from ipyparallel.client.magics import ParallelMagics as P

LINES = [
    "", "-b", "-a", "--block", "--noblock", "--block --noblock", "-a -b", "-ba", "-ab", "-bt0",
    "--stream", "--no-stream", "--no-s", "--no", "--no-v", "--nob", "--str", "--s",
    "-t 1", "-t=1", "-t1", "-t ::2", "-t=::2", "--targets ::2", "--targets=::2", "--targ ::2",
    "--t 1", "-t 0 -t 1", "-t -1", "-t -1:", "-t=-1:", "--targets '[0, 1]'", "--targets \"::2\"",
    "--targets [0, 1]", "--targets [0,1]", "-t", "--targets", "-t --block", "-t -- 1", "--",
    "--verbose", "--no-verbose", "--verb", "--progress-after 1", "--progress-after -1",
    "--progress-after=-1", "--progress-after abc", "--progress-after", "--progress-after 1e3",
    "--progress-after inf", "--progress-after nan", "--progress-after 1_000", "--progress-after .5",
    "--progress-after -.5", "--progress-after +2", "--progress-after 0x10", "--progress-after ''",
    "--progress-after -1.5", "--pro 3", "--signal-on-interrupt SIGKILL", "--signal-on-interrupt 9",
    "--signal-on-interrupt", "--signal-on-interrupt -2", "--signal-on-interrupt=0", "--sig 2",
    "--group-outputs=engine", "--group-outputs engine", "--group-outputs order", "--group-outputs type",
    "--group-outputs=bogus", "--group-outputs", "--group engine", "--g=order", "-e", "-r", "-e -r",
    "-r -e", "-er", "-e=x", "-o ar", "-o", "--out ar", "--out=ar", "--o ar", "-oar", "-o ar --noblock",
    "--local", "--loc", "--bogus", "--save-name x", "x", "1", "-2", "-2 --bogus y", "--bogus=1",
    "--block=1", "-b=1", "-bx", "-x", "- x", "-", "--local --block -t 1 --no-stream -e -o r",
    "--help", "-h", "-t 'a b'", "'-t' 1", "-t \"\"", "-t ''", "--targets=", "-t=", "x y z --block",
    "--block x --noblock y", "--stream=1", "--group-outputs=engine -e", "-e --group-outputs=type",
    "-t1 -t2 extra", "-t 'unterminated", "a'b c'd", "--targets\t1", "--o", "--out",
    "--progress-after 1 --progress-after 2", "-1", "-1.5", "--progress-after --block",
    "--signal-on-interrupt -b", "--group-outputs -e", "-o -e", "-o -1",
]

def run(f, line):
    out = {"line": line}
    try:
        from IPython.utils._process_common import arg_split
        out["split"] = arg_split(line)
    except Exception as e:
        out["split_error"] = f"{type(e).__name__}: {e}"
    try:
        ns = magic_arguments.parse_argstring(f, line)
        # JSON has no inf/nan: write those as strings.
        out["ok"] = {k: (repr(v) if isinstance(v, float) and v != v or v in (float("inf"), float("-inf")) else v)
                     for k, v in vars(ns).items()}
    except UsageError as e:
        out["usage_error"] = str(e)
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {e}"
    return out

table = {}
for name, f in (("cell_px", P.cell_px), ("pxconfig", P.pxconfig), ("result", P.result)):
    table[name] = [run(f, l) for l in LINES]
print(json.dumps(table, indent=1))
