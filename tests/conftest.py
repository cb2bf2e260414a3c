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

# (rtol, atol) per dtype for comparisons against the float64-exact reference
TOL = {
    torch.float64: (1e-10, 1e-12),
    torch.float32: (1e-5, 1e-6),
    torch.float16: (2e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
}


def devices() -> list[str]:
    out = ["cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    return out


def backend_params():
    """(device, backend) pairs for every available non-reference backend."""
    pairs = []
    for dev in devices():
        for be in imusim.backends(dev):
            if be != "torch":
                pairs.append(pytest.param(dev, be, id=f"{dev}-{be}"))
    return pairs


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
