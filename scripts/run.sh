#!/usr/bin/env bash
# The main job: pxsh, the parallel Python REPL, on an embedded local cluster.
#   bash scripts/run.sh                 # a local cluster of one engine per core, stopped on exit
#   bash scripts/run.sh -n 8            # any pxsh options instead (see --help)
#   bash scripts/run.sh -c '%px import os; print(os.getpid())'
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The local Python and the engines come from .venv (IPython, stock ipyparallel).
bash scripts/setup-venv.sh
args=("$@")
case " $* " in
  *" -n "* | *" --engines"* | *" --file"* | *" --profile"* | *" -n"[0-9]*) ;;
  *) args=(-n "$(nproc 2>/dev/null || echo 2)" "${args[@]}") ;;
esac
case " $* " in
  *" --python"*) ;;
  *) args=(--python "$root/.venv/bin/python" "${args[@]}") ;;
esac
cargo build --quiet --release -p px-sh --bin pxsh
exec "$root/target/release/pxsh" "${args[@]}"
