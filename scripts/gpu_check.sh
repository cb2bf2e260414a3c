#!/usr/bin/env bash
# One-shot GPU check for a session that is lent a GPU (< 8 min on an H100/H200): build with CUDA, every
# cuda/triton test, GPU benchmarks side by side with eager PyTorch and torch.compile, one JSON + one
# markdown table in out/gpu_check/. --dry-run prints the plan on any machine. Details: scripts/gpu_check.py.
#   bash scripts/gpu_check.sh [--dry-run] [--out DIR] [--skip STEP,..] [--cuda-arch 90] [--python PY]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" scripts/gpu_check.py --python "$PY" "$@"
