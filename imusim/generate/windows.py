"""Sliding windows over IMU streams."""

from __future__ import annotations

import numpy as np


def window_params(rate: float, window_s: float, stride_s: float) -> tuple[int, int]:
    """(W, stride) in samples; both ≥ 1."""
    W = int(round(window_s * rate))
    st = int(round(stride_s * rate))
    if W < 1:
        raise ValueError(f"window must be at least one sample at {rate} Hz, got {window_s} s")
    if st < 1:
        raise ValueError(f"stride must be at least one sample at {rate} Hz, got {stride_s} s")
    return W, st


def sliding_windows(x: np.ndarray, W: int, stride: int) -> np.ndarray:
    """``[T, ...] -> [N, W, ...]`` windows starting at 0, stride, ... (only complete windows; N may be 0)."""
    T = x.shape[0]
    if T < W:
        return np.zeros((0, W, *x.shape[1:]), dtype=x.dtype)
    n = 1 + (T - W) // stride
    view = np.lib.stride_tricks.sliding_window_view(x, W, axis=0)[::stride][:n]  # [n, ..., W]
    return np.ascontiguousarray(np.moveaxis(view, -1, 1))
