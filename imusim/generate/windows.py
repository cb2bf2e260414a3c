"""Sliding windows over IMU streams."""

from __future__ import annotations

import numpy as np


def window_params(rate: float, window_s: float, stride_s: float) -> tuple[int, int]:
    """(W, stride) in samples; both ≥ 1."""
    import math
    import numbers

    for name, v in (("rate", rate), ("window", window_s), ("stride", stride_s)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    W = int(round(window_s * rate))
    st = int(round(stride_s * rate))
    if W < 1:
        raise ValueError(f"window must be at least one sample at {rate} Hz, got {window_s} s")
    if st < 1:
        raise ValueError(f"stride must be at least one sample at {rate} Hz, got {stride_s} s")
    return W, st


def sliding_windows(x: np.ndarray, W: int, stride: int) -> np.ndarray:
    """``[T, ...] -> [N, W, ...]`` windows starting at 0, stride, ... (only complete windows; N may be 0)."""
    _, _, first = window_index(np.array([0, x.shape[0]]), W, stride)
    return x[first[:, None] + np.arange(W)[None, :]]


def window_index(offsets: np.ndarray, W: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For renderings with row ``offsets`` ``[R + 1]``: (rendering of each window, its number k within the
    rendering, its first row). Only complete windows, starting at 0, stride, ..."""
    n = np.diff(offsets)
    nw = np.where(n >= W, 1 + (n - W) // stride, 0)
    rid = np.repeat(np.arange(len(n)), nw)
    k = np.arange(int(nw.sum())) - np.repeat(np.cumsum(nw) - nw, nw)
    return rid, k, offsets[:-1][rid] + k * stride
