#!/usr/bin/env bash
# Set up .venv, build imusim, and run the main job on built-in defaults (imusim demo).
# Extra arguments go to 'imusim demo' (see 'bash run.sh --help').
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup_env.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
python -m imusim demo "$@"
