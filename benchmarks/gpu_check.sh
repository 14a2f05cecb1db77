#!/usr/bin/env bash
# Every GPU measurement the catalogue declares, as one prepared script (see gpu_check.py).
# Usage: benchmarks/gpu_check.sh OUT_DIR   — prints one table, writes OUT_DIR/gpu_check.json;
# on a machine without a CUDA GPU it says so in one line and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then PYTHON=python3; [ -x .venv/bin/python ] && PYTHON=.venv/bin/python; fi
exec timeout 480 "$PYTHON" benchmarks/gpu_check.py "${1:-.}"
