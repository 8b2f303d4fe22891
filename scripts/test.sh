#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust tests (many against stock ipyparallel running
# from .venv), and the Python suites. Sets up .venv/ on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v cargo >/dev/null; then
  echo "error: cargo not found; install the Rust toolchain (https://rustup.rs) first" >&2
  exit 1
fi

echo "== python test environment (.venv)"
bash scripts/setup-venv.sh
export PX_PYTHON="$root/.venv/bin/python"
# Stock ipyparallel tools (ipcontroller, ipengine) are found on PATH by tests.
export PATH="$root/.venv/bin:$PATH"

# pxsh's terminal tests drive it in tmux; without tmux they are skipped (and say so).
if ! command -v tmux >/dev/null; then
  echo "== installing tmux (for pxsh's terminal tests)"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # A fresh machine may have no package lists yet: update once if the install fails.
    { apt-get install -y -qq tmux >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq tmux >/dev/null; }; } || echo "note: could not install tmux; pxsh's terminal tests will be skipped" >&2
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then
    { sudo apt-get install -y -qq tmux >/dev/null 2>&1 ||
      { sudo apt-get update -qq >/dev/null && sudo apt-get install -y -qq tmux >/dev/null; }; } || echo "note: could not install tmux; pxsh's terminal tests will be skipped" >&2
  else
    echo "note: tmux is not installed (apt-get install tmux); pxsh's terminal tests will be skipped" >&2
  fi
fi

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== cargo test"
cargo test --workspace

if [ -d tests/python ] && compgen -G "tests/python/test_*.py" >/dev/null; then
  echo "== pytest"
  "$PX_PYTHON" -m pytest -q tests/python
fi

# The example notebooks, re-run with the kernel (each against its own fresh 4-engine
# cluster, see notebooks/conftest.py) and compared with their saved outputs.
echo "== notebooks (nbval)"
"$PX_PYTHON" -m pytest -q --nbval --nbval-kernel-name parallel-rust \
  --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 120 notebooks

# Stock ipyparallel's own test suite (from the installed wheel) with our controller, then our
# engines, then both in place of stock's: every test that passes with stock must pass with
# ours, but for the known differences (tests/stock_suite/README.md).
cargo build --quiet -p px-controller --bin pxcontroller -p px-engine --bin pxengine
echo "== stock ipyparallel suite with pxcontroller"
"$PX_PYTHON" tests/stock_suite/run.py --controller target/debug/pxcontroller
echo "== stock ipyparallel suite with pxengine"
"$PX_PYTHON" tests/stock_suite/run.py --engine target/debug/pxengine
echo "== stock ipyparallel suite with pxcontroller and pxengine"
"$PX_PYTHON" tests/stock_suite/run.py --controller target/debug/pxcontroller --engine target/debug/pxengine

# Our own suites that run on stock clusters, again on a cluster of our controller and our
# engines (no stock process): the kernel's differential test and the client's scenarios.
echo "== differential test and client scenarios on pxcontroller + pxengine"
export PX_CONTROLLER_CMD="$PWD/target/debug/pxcontroller" PX_ENGINE_CMD="$PWD/target/debug/pxengine"
"$PX_PYTHON" -m pytest -q tests/python/test_differential.py
cargo test -p px-client --test stock_cluster
