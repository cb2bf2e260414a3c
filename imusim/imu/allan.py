"""Allan deviation (overlapping estimator, IEEE Std 952 / 1554) of rate signals.

For rate samples ``x[0..N-1]`` at ``rate`` Hz (angular rate, specific force, field) and an averaging
time ``τ = m / rate``, the overlapping Allan variance is::

    σ²(τ) = 1 / (2 (N − 2m + 1)) · Σ_{k=0}^{N−2m} (ȳ_{k+m} − ȳ_k)²,   ȳ_k = (1/m) Σ_{i=k}^{k+m−1} x[i]

computed from one cumulative sum (O(N) per τ, vectorised over channels). Noise terms and their
slopes on a log-log plot: white noise density N → ``N/√τ`` (slope −½, N = σ(1 s)), flicker floor B_f
→ flat, bias random walk K → ``K·√(τ/3)`` (slope +½), first-order Gauss–Markov (σ, T_c) → a bump
with maximum ≈ 0.62 σ near τ ≈ 1.9 T_c.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np


def default_taus(n: int, rate: float, per_decade: int = 10) -> np.ndarray:
    """Log-spaced averaging times (s) from one sample to ``(n − 1) // 2`` samples (unique sample counts)."""
    mmax = (n - 1) // 2
    if mmax < 1:
        return np.zeros(0)
    m = np.unique(np.round(np.logspace(0, math.log10(mmax), max(2, int(per_decade * math.log10(max(mmax, 10))) + 1))))
    return m.astype(np.int64) / rate


def allan_deviation(x, rate: float, taus=None, axis: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Overlapping Allan deviation of rate data.

    Args:
        x: samples (numpy array or torch tensor), time along ``axis`` (default 0), any other dims are
            independent channels.
        rate: sampling rate (Hz).
        taus: averaging times (s); each is rounded to a whole number ``m`` of samples with
            ``1 ≤ m ≤ (N − 1) / 2``. Default: :func:`default_taus` (10 per decade).

    Returns:
        ``(taus, adev)``: the averaging times actually used ``[n_tau]`` (s, ``m / rate``) and the Allan
        deviation ``[n_tau, *channel dims]`` in the unit of ``x``.
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float64)
    if not isinstance(rate, (int, float)) or not rate > 0 or not math.isfinite(rate):
        raise ValueError(f"allan_deviation: rate must be a positive number (Hz), got {rate!r}")
    if x.ndim == 0:
        raise ValueError("allan_deviation: x must have a time axis, got a scalar")
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    if n < 3:
        raise ValueError(f"allan_deviation: need at least 3 samples along axis {axis}, got {n}")
    if not np.isfinite(x).all():
        raise ValueError("allan_deviation: x contains non-finite values")
    if taus is None:
        m = np.round(default_taus(n, rate) * rate).astype(np.int64)
    else:
        t = np.asarray(taus, dtype=np.float64).reshape(-1)
        if not np.isfinite(t).all() or (t <= 0).any():
            raise ValueError(f"allan_deviation: taus must be positive (s), got {t[~(np.isfinite(t) & (t > 0))][:3]}")
        m = np.round(t * rate).astype(np.int64)
        bad = (m < 1) | (m > (n - 1) // 2)
        if bad.any():
            raise ValueError(f"allan_deviation: every tau must span 1 .. (N − 1) // 2 = {(n - 1) // 2} samples at "
                             f"{rate:g} Hz (τ in [{1 / rate:g}, {((n - 1) // 2) / rate:g}] s), got "
                             f"{t[bad][:3].tolist()} s")
    flat = x.reshape(n, -1)
    # centre each channel: σ² is invariant to a constant, the cumulative sums stay small
    flat = flat - flat.mean(0, keepdims=True)
    c = np.zeros((n + 1, flat.shape[1]))
    np.cumsum(flat, axis=0, out=c[1:])
    out = np.empty((len(m), flat.shape[1]))
    for i, mm in enumerate(m):
        s = c[mm:] - c[:-mm]             # m·ȳ_k, k = 0 .. n − m
        d = s[mm:] - s[:-mm]             # m·(ȳ_{k+m} − ȳ_k), k = 0 .. n − 2m
        out[i] = np.sqrt(0.5 * np.mean(d * d, axis=0)) / mm
    return m / rate, out.reshape(len(m), *x.shape[1:])


def fit_noise_terms(taus: np.ndarray, adev: np.ndarray, flicker: bool = True) -> dict:
    """Least-squares fit of ``σ²(τ) = N²/τ + F² + K²τ/3`` (relative residuals) to an Allan curve ``[n_tau]``:
    white density N, flicker floor F, random walk K (IEEE Std 952, annex C; non-negative)."""
    from scipy.optimize import nnls

    taus = np.asarray(taus, dtype=np.float64)
    av = np.asarray(adev, dtype=np.float64) ** 2
    cols = [1 / taus, np.ones_like(taus), taus / 3] if flicker else [1 / taus, taus / 3]
    A = np.stack(cols, 1) / av[:, None]
    coef, _ = nnls(A, np.ones_like(av))
    if not flicker:
        coef = np.array([coef[0], 0.0, coef[1]])
    return {"noise_density": float(np.sqrt(coef[0])), "flicker_floor": float(np.sqrt(coef[1])),
            "random_walk": float(np.sqrt(coef[2]))}


def expected_adev(taus, noise_density: float = 0.0, floor: float = 0.0, random_walk: float = 0.0,
                  gm_std: float = 0.0, gm_tau: Optional[float] = None) -> np.ndarray:
    """The textbook Allan deviation of independent terms (IEEE Std 952): white ``N²/τ``, flat flicker
    floor, random walk ``K²τ/3`` and a first-order Gauss–Markov process (σ, T_c)::

        σ²_GM(τ) = (2σ²T_c/τ) · (1 − (T_c / 2τ)(3 − 4e^{−τ/T_c} + e^{−2τ/T_c}))
    """
    t = np.asarray(taus, dtype=np.float64)
    av = noise_density ** 2 / t + floor ** 2 + random_walk ** 2 * t / 3
    if gm_std and gm_tau:
        r = gm_tau / t
        av = av + 2 * gm_std ** 2 * r * (1 - 0.5 * r * (3 - 4 * np.exp(-1 / r) + np.exp(-2 / r)))
    return np.sqrt(av)
