#!/usr/bin/env bash
# One-shot GPU check for a session that is lent a GPU (~9 min on an H100/H200): build with CUDA, every
# cuda/triton test, GPU benchmarks side by side with eager PyTorch and torch.compile, one JSON + one
# markdown table in out/gpu_check/. --dry-run prints the plan on any machine. Details: scripts/gpu_check.py.
#   bash scripts/gpu_check.sh [--dry-run] [--out DIR] [--skip STEP,..] [--cuda-arch 90] [--python PY]
#                             [--deadline S] [--text-embeddings FILE]
# Through the device tool (64 MiB in, 8 files back): move docs/ and the unused checkpoints aside, write the
# end-to-end prompts' embeddings here (python scripts/cached_text.py --write .gpu_carry/text_emb.pt, carried), run
# with --out /tmp/g and tar /tmp/g into $OUT (benchmarks/RESULTS.md, "First GPU run", has the command).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" scripts/gpu_check.py --python "$PY" "$@"
