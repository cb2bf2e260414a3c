#!/usr/bin/env bash
# Set up .venv, build imusim from this checkout, run the whole test suite (CPU; CUDA tests skip
# without a GPU; Triton kernels run under TRITON_INTERPRET=1 in their own tests).
# The suite runs in one pytest worker per core (pytest-xdist; at most 4, IMUSIM_TEST_WORKERS overrides, 0 = in
# this process), each with one OpenMP/torch thread: on CI's two cores that halves the wall time, where two threads
# per worker would oversubscribe the cores (OpenMP's spinning threads then slow every test several-fold). Tests
# of thread-count independence set their own thread counts.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
N="${IMUSIM_TEST_WORKERS:-$(python -c 'import os; print(min(len(os.sched_getaffinity(0)), 4))')}"
if [ "$N" -gt 1 ]; then export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"; fi
python -m pytest -q -p no:cacheprovider -n "$N" tests "$@"
