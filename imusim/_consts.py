"""Small constant tensors (skeleton parents/offsets/bone lengths, sensor mounts, index lists) built once per
device and reused.

Making them per call (``torch.tensor(..., device="cuda")``) is a host→device copy from pageable memory,
which waits for the stream: a hidden synchronisation in every training step. Keys hold the values
themselves (tuples, bytes), so equal constants share one entry whoever builds them. Under
``torch.compile`` tracing the tensors are built fresh (they become graph constants).
"""

from __future__ import annotations

from typing import Callable, Hashable

import torch

_CACHE: dict = {}
_MAX = 1024


def cached(key: Hashable, make: Callable[[], object]):
    """``make()`` once per ``key``."""
    if torch.compiler.is_compiling():
        return make()
    v = _CACHE.get(key)
    if v is None:
        if len(_CACHE) >= _MAX:
            _CACHE.clear()
        v = _CACHE[key] = make()
    return v


def skeleton_consts(skeleton, dtype: torch.dtype, device) -> tuple:
    """(parents int32 ``[J]``, offsets ``[J, 3]`` in ``dtype``) on ``device``."""
    dev = torch.device(device)
    make = lambda: (torch.tensor(skeleton.parents, dtype=torch.int32).to(dev), skeleton.offsets.to(dtype).to(dev))  # noqa: E731
    if torch.compiler.is_compiling():
        return make()
    key = ("skeleton", skeleton.parents, skeleton.offsets.numpy().tobytes(), dtype, str(dev))
    return cached(key, make)


def int_tensor(values, device, dtype=torch.int32) -> torch.Tensor:
    """A cached integer tensor of ``values`` on ``device``."""
    vals = tuple(int(v) for v in values)
    dev = torch.device(device)
    if torch.compiler.is_compiling():
        return torch.tensor(vals, dtype=dtype).to(dev)
    return cached(("ints", vals, dtype, str(dev)), lambda: torch.tensor(vals, dtype=dtype).to(dev))


def bone_lengths(skeleton, dtype: torch.dtype, device) -> torch.Tensor:
    """``skeleton.bone_lengths()`` in ``dtype`` on ``device``."""
    dev = torch.device(device)
    make = lambda: skeleton.bone_lengths().to(dtype).to(dev)  # noqa: E731
    if torch.compiler.is_compiling():
        return make()
    return cached(("bone_lengths", skeleton.parents, skeleton.offsets.numpy().tobytes(), dtype, str(dev)), make)
