#!/usr/bin/env bash
# The main job: pxsh, the parallel Python REPL, on an embedded local cluster.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -f pxsh/Cargo.toml ]; then
  bash scripts/setup-venv.sh
  exec cargo run --quiet --release -p px-sh --bin pxsh -- "$@"
fi
echo "pxsh is not built yet: this command will start pxsh, a parallel Python REPL (%px, %%px, %autopx, %result) on an embedded local cluster." >&2
