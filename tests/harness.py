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
* ``motions(lengths, seed)`` (axis-angle frame pool), ``motion_matrices`` (the same as matrices) and
  ``smooth_motion(T, fps, seed)`` (one motion, matrices) — sinusoids on SMPL22 with a walking root:
  differentiable, well inside every kernel's fast paths, reproducible; ``starts_of(lengths)`` for pools.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch

import imusim
from imusim import _backend
from imusim.kinematics.rotations import axis_angle_to_matrix

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


def motions(lengths, seed: int = 0, dtype=torch.float64):
    """Smooth random motions on SMPL22 back to back in one frame pool: axis-angle sinusoids (amplitude ≤ 0.6 rad,
    0.3–1.8 Hz at 30 fps, random phases) ``[F, 22, 3]`` and a walking root ``[F, 3]``; one generator seeded with
    ``seed`` draws the items in order."""
    g = torch.Generator().manual_seed(seed)
    Ls, rs = [], []
    for T in lengths:
        t = torch.arange(T, dtype=torch.float64)[:, None, None] / 30.0
        amp = 0.6 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        f = 0.3 + 1.5 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        ph = 6.28 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        Ls.append(amp * torch.sin(2 * math.pi * f * t + ph))
        tt = t[:, 0, 0]
        rs.append(torch.stack([1.1 * tt, 0.9 + 0.03 * torch.sin(9 * tt), 0.2 * torch.sin(2 * tt)], -1))
    return torch.cat(Ls).to(dtype), torch.cat(rs).to(dtype)


def motion_matrices(lengths, seed: int = 0, dtype=torch.float64):
    """:func:`motions` as rotation matrices ``[F, 22, 3, 3]`` (converted in float64, then cast)."""
    aa, root = motions(lengths, seed)
    return axis_angle_to_matrix(aa).to(dtype).contiguous(), root.to(dtype).contiguous()


def smooth_motion(T: int, fps: float, seed: int = 0):
    """One smooth motion as rotation matrices ``[T, 22, 3, 3]`` (sinusoids of amplitude ≤ 0.4 rad, 0.3–1.5 Hz) and
    a root ``[T, 3]`` walking at 0.8 m/s, float64."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T, dtype=torch.float64)[:, None, None] / fps
    amp = 0.4 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
    freq = 0.3 + 1.2 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
    L = axis_angle_to_matrix(amp * torch.sin(2 * math.pi * freq * t))
    root = torch.stack([0.8 * t[:, 0, 0], 0.9 + 0.03 * torch.sin(4 * t[:, 0, 0]), 0.1 * torch.cos(t[:, 0, 0])], -1)
    return L, root


def starts_of(lengths) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
