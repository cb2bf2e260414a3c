#!/usr/bin/env bash
# Source me: creates .venv (if missing), installs the pinned CPU PyTorch and the dev dependencies,
# and builds/installs imusim from this checkout (C++/OpenMP always; CUDA kernels when nvcc is found).
# Re-runs are cheap: dependencies install once (stamp file), the build directory is incremental.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IMUSIM_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
STAMP="$VENV/.imusim-deps-$(cat "$ROOT/requirements-dev.txt" | sha1sum | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
  echo "[setup] installing dependencies (pinned CPU torch first)"
  python -m pip install -q --upgrade pip
  python -m pip install -q "torch==2.13.0"
  python -m pip install -q -r "$ROOT/requirements-dev.txt"
  touch "$STAMP"
fi
HASH="$(cd "$ROOT" && { cat pyproject.toml CMakeLists.txt $(find csrc python -type f | sort); find imusim -name "*.py" | sort; } 2>/dev/null | sha1sum | cut -c1-12)"
BSTAMP="$VENV/.imusim-build-$HASH"
if [ ! -f "$BSTAMP" ] || ! python -c "import imusim._C" 2>/dev/null; then
  echo "[setup] building imusim (C++/OpenMP; CUDA when nvcc is found)"
  (cd "$ROOT" && flock /tmp/imusim-build.lock python -m pip install -q --no-build-isolation --no-deps -e . )
  rm -f "$VENV"/.imusim-build-*
  touch "$BSTAMP"
fi
