"""Backend registry: which compiled/JIT backends are available, and which one an op uses.

Backends, fastest first per device type:

* ``cuda``   -- hand-written CUDA kernels (``imusim._C_cuda``), CUDA tensors.
* ``triton`` -- Triton kernels (``imusim.triton``), CUDA tensors; also CPU tensors when
  ``TRITON_INTERPRET=1`` (the Triton interpreter, used to test the kernels without a GPU).
* ``cpp``    -- OpenMP C++ kernels (``imusim._C``), CPU tensors.
* ``torch``  -- the naive PyTorch reference (``imusim.reference``), any device, always available.

Choice order: the ``backend=`` argument of an op, else the ``IMUSIM_BACKEND`` environment variable,
else the first backend in the op's order of preference (``supported``) that is available for the
tensors' device. FK, the IMU op and ``render_imu`` prefer ``triton`` over ``cuda`` on CUDA tensors (the
path verified under the Triton interpreter, docs/design.md); L_acc keeps ``ALL_BACKENDS``' order. The compiled modules are imported lazily;
when they are missing everything still works on ``torch``.
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Optional

import torch

ALL_BACKENDS = ("cuda", "triton", "cpp", "torch")


@functools.lru_cache(maxsize=None)
def _load(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def cpu_module():
    """The compiled CPU module ``imusim._C`` or None."""
    return _load("imusim._C")


def cuda_module():
    """The compiled CUDA module ``imusim._C_cuda`` or None."""
    return _load("imusim._C_cuda")


@functools.lru_cache(maxsize=None)
def _triton_ok() -> bool:
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception:
        return False
    return True


def dtype_name(t: torch.Tensor) -> str:
    """The ``dtype`` argument of every compiled binding (python/bind_util.h): the scalar type as torch spells it,
    ``"float32"``, ``"float64"`` (``"float16"``/``"bfloat16"`` for the CUDA L_acc kernels)."""
    return str(t.dtype).replace("torch.", "")


def cuda_stream(t: torch.Tensor) -> int:
    """The current CUDA stream of ``t``'s device as the integer the CUDA bindings take last."""
    return torch.cuda.current_stream(t.device).cuda_stream


def triton_interpret() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def backends(device: "str | torch.device" = "cpu") -> list[str]:
    """List the backends available for tensors on ``device``, fastest first.

    >>> imusim.backends("cpu")
    ['cpp', 'torch']
    """
    dev = torch.device(device)
    out: list[str] = []
    if dev.type == "cuda":
        if cuda_module() is not None and torch.cuda.is_available():
            out.append("cuda")
        if _triton_ok() and torch.cuda.is_available():
            out.append("triton")
    elif dev.type == "cpu":
        if cpu_module() is not None:
            out.append("cpp")
        if _triton_ok() and triton_interpret():
            # Interpreter only: correct but slow, never the default on CPU.
            out.append("triton")
    out.append("torch")
    return out


def resolve(backend: Optional[str], device: "str | torch.device", op: str = "op",
            supported: tuple[str, ...] = ALL_BACKENDS) -> str:
    """Pick the backend for one call of ``op`` on ``device``.

    Raises ValueError naming the argument when the name is unknown or not available here.
    Under ``torch.compile`` the choice is evaluated once at trace time (a constant of the graph).
    """
    return _resolve(backend, str(torch.device(device)), op, tuple(supported))


@torch.compiler.assume_constant_result
def _resolve(backend: Optional[str], device: str, op: str, supported: tuple) -> str:
    source = "backend"
    if backend is None:
        env = os.environ.get("IMUSIM_BACKEND")
        if env:
            backend, source = env.strip(), "IMUSIM_BACKEND"
    have = backends(device)
    avail = [b for b in supported if b in have]  # the op's order of preference
    if backend is None:
        if triton_interpret() and torch.device(device).type == "cpu":
            avail = [b for b in avail if b != "triton"] or avail
        return avail[0]
    if backend not in ALL_BACKENDS:
        raise ValueError(f"{op}: {source} must be one of {list(ALL_BACKENDS)}, got {backend!r}")
    if backend not in avail:
        raise ValueError(
            f"{op}: {source}={backend!r} is not available for tensors on device {str(device)!r}; "
            f"available: {avail}")
    return backend
