"""Shared test fixtures: available backends per device, per-dtype tolerances, data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# Triton kernels are tested on CPU through the interpreter; it must be set before triton.jit runs.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

import imusim  # noqa: E402

# caches the CLI writes (e.g. imusim evaluate's upper bounds) go to a throw-away directory, not ~/.cache
if "IMUSIM_CACHE" not in os.environ:
    import tempfile
    os.environ["IMUSIM_CACHE"] = tempfile.mkdtemp(prefix="imusim-test-cache-")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

from tests.harness import TOL, devices  # noqa: E402,F401  (the one harness: tests/harness.py)


def require_data(*parts: str) -> Path:
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not found: {p}")
    return p


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found: {SHARED_DATA}")
    return SHARED_DATA
