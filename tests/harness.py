"""The one parity harness of tests/ops: which (device, backend) pairs an op runs on here, tolerances per
dtype, fixed seeds, small smooth motions.

* ``op_params(op)`` — every available (device, backend) pair of an op but its PyTorch reference: ``cpp`` on
  CPU tensors, ``cuda`` and ``triton`` on CUDA tensors when a GPU is present, ``triton`` on CPU tensors under
  ``TRITON_INTERPRET=1`` (tests/conftest.py sets it without a GPU). The op's own list (``OPS``) is its
  ``supported`` tuple in imusim/ops: a backend the op does not have is never asked for.
* ``grad_params(op)`` — the pairs whose backward is a kernel of that backend (gradcheck in float64).
* ``TOL[dtype]`` — ``(rtol, atol)`` of a result against the float64 reference, for O(1) values; ops that
  differentiate twice (acc = Δ²p / dt²) scale ``atol`` by the magnitude they produce (``tol(dtype, scale)``).
  float64 1e-10/1e-12 (rounding of a few dozen operations), float32 1e-5/1e-6 (a few ulp of the largest
  intermediate; the blocked kernels use Cephes polynomials of a few ulp), float16 2e-3/1e-3, bfloat16
  1.6e-2/1e-2.
* ``gen(*key)`` — a ``torch.Generator`` seeded from a stable hash of ``key`` (Python's ``hash`` of strings
  changes from run to run).
* ``smooth_motion(B, T, fps, seed)`` and ``motion_pool(lengths, seed)`` — axis-angle sinusoids on SMPL22 with
  a walking root: differentiable, well inside every kernel's fast paths, reproducible.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch

import imusim
from imusim import _backend

OPS = {
    "acc_loss": ("cuda", "triton", "cpp"),
    "fk": ("triton", "cuda", "cpp"),
    "imu": ("triton", "cuda", "cpp"),
    "render": ("triton", "cpp"),
}
GRAD = {"acc_loss": ("cuda", "triton", "cpp"), "fk": ("triton", "cuda", "cpp"), "imu": ("triton", "cuda", "cpp"),
        "render": ()}  # render_imu is forward-only (the generator's renderer)

TOL = {
    torch.float64: (1e-10, 1e-12),
    torch.float32: (1e-5, 1e-6),
    torch.float16: (2e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
}


def tol(dtype: torch.dtype, scale: float = 1.0) -> dict:
    """``assert_close`` keywords for ``dtype`` with ``atol`` scaled to values of magnitude ``scale``."""
    r, a = TOL[dtype]
    return {"rtol": r, "atol": a * scale}


def devices() -> list:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def op_params(op: str, include_torch: bool = False) -> list:
    out = []
    for dev in devices():
        have = imusim.backends(dev)
        for be in OPS[op] + (("torch",) if include_torch else ()):
            if be in have:
                out.append(pytest.param(dev, be, id=f"{dev}-{be}"))
    return out


def grad_params(op: str) -> list:
    return [p for p in op_params(op) if p.values[1] in GRAD[op]]


def small(backend: str) -> bool:
    """The Triton interpreter costs per operation: keep its shapes small."""
    return backend == "triton" and _backend.triton_interpret()


def gen(*key) -> torch.Generator:
    return torch.Generator().manual_seed(zlib.crc32(repr(key).encode()) & 0x7FFFFFFF)


def smooth_motion(B: int, T: int, fps: float = 30.0, seed: int = 0, dtype=torch.float64):
    """Axis-angle ``[B, T, 22, 3]`` sinusoids (amplitude ≤ 0.6 rad, 0.3–1.8 Hz) and a walking root ``[B, T, 3]``."""
    g = gen("smooth_motion", seed)
    t = torch.arange(T, dtype=torch.float64)[None, :, None, None] / fps
    amp = 0.6 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64)
    f = 0.3 + 1.5 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64)
    ph = 2 * math.pi * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64)
    aa = amp * torch.sin(2 * math.pi * f * t + ph)
    tt = t[..., 0, 0].expand(B, T)
    root = torch.stack([1.1 * tt, 0.9 + 0.03 * torch.sin(9 * tt), 0.2 * torch.sin(2 * tt)], -1)
    return aa.to(dtype).contiguous(), root.to(dtype).contiguous()


def motion_pool(lengths, seed: int = 0, dtype=torch.float64):
    """Motions of the given lengths back to back in one frame pool: axis-angle ``[F, 22, 3]``, root ``[F, 3]``."""
    parts = [smooth_motion(1, int(T), 30.0, seed * 1000 + i, dtype) for i, T in enumerate(lengths)]
    return torch.cat([a[0] for a, _ in parts]).contiguous(), torch.cat([r[0] for _, r in parts]).contiguous()


def starts_of(lengths) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
