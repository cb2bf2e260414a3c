#!/usr/bin/env bash
# Set up .venv, build imusim from this checkout, run the whole test suite (CPU; CUDA tests skip
# without a GPU; Triton kernels run under TRITON_INTERPRET=1 in their own tests).
# The suite runs in one pytest worker per core (pytest-xdist; at most 4, IMUSIM_TEST_WORKERS overrides, 0 = in
# this process), each with one OpenMP/torch thread, so that two workers do not oversubscribe two cores: on a free
# 2-core machine 497 s against 678-718 s in one process (docs/realism.md §38.4). Tests of thread-count independence
# set their own thread counts.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
N="${IMUSIM_TEST_WORKERS:-$(python -c 'import os; print(min(len(os.sched_getaffinity(0)), 4))')}"
if [ "$N" -gt 1 ]; then export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"; fi
python -m pytest -q -p no:cacheprovider -n "$N" tests "$@"
