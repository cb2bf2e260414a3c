#!/usr/bin/env bash
# Set up .venv, build imusim from this checkout, run the whole test suite (CPU; CUDA tests skip
# without a GPU; Triton kernels run under TRITON_INTERPRET=1 in their own tests).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
python -m pytest -q -p no:cacheprovider tests "$@"
