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


def static_allan(noise, seconds: float = 3600.0, rate: float = 100.0, repeats: int = 4, seed: int = 0,
                 mag: bool = False, taus=None, backend: Optional[str] = None) -> dict:
    """Allan deviation of a simulated static sensor with the error model ``noise`` (a profile name or a
    :class:`~imusim.imu.noise.NoiseModel`): ``repeats`` renderings (their own seeds) of a body at rest,
    one sensor with its axes along the pelvis' (acc reads +g on y), ``seconds`` s at ``rate`` Hz through
    :func:`~imusim.imu.render.render_imu`. Returns a JSON-able dict: ``taus`` (s) and per channel group
    (``acc``, ``gyro``[, ``mag``]) ``adev`` (root-mean-square over axes and repeats), ``adev_axes``
    ``[n_tau, 3]``, the profile's terms and the ``expected`` curve of :func:`expected_adev` (white noise
    including the quantisation's ``q²/12`` per sample, flicker floor, random walk, Gauss–Markov), and a
    ``fit`` of N, F, K to the measured curve for τ ≥ ``fit_taus_from`` (5 samples and 1 / cut-off: below,
    the low-pass lowers the white noise's deviation and the textbook model does not hold)."""
    import torch

    from ..kinematics import SMPL22
    from .noise import KINDS
    from .profiles import get_noise_model
    from .render import render_imu
    from .sensors import Sensor

    model = get_noise_model(noise)
    if model is None:
        raise ValueError(f"static_allan: noise must name an error model, got {noise!r}")
    if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"static_allan: seconds must be > 0, got {seconds!r}")
    if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
        raise ValueError(f"static_allan: rate must be > 0 (Hz), got {rate!r}")
    n = int(seconds * rate)
    if n < 16:
        raise ValueError(f"static_allan: need at least 16 samples, {seconds:g} s at {rate:g} Hz give {n}")
    if not (isinstance(repeats, int) and repeats >= 1):
        raise ValueError(f"static_allan: repeats must be an integer >= 1, got {repeats!r}")
    # three frames of a body at rest played over `seconds` and resampled to `rate`: n + 2 output samples
    fps = 2.0 / ((n + 1) / rate)
    L = torch.eye(3, dtype=torch.float32).expand(3 * repeats, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0]).expand(3 * repeats, 3).contiguous()
    seeds = [seed * 1_000_003 + k for k in range(repeats)]
    r = render_imu(L, root, SMPL22, start=np.arange(repeats) * 3, length=[3] * repeats, fps=fps, rate=float(rate),
                   sensors=[Sensor("static", "pelvis")], noise=model, seeds=seeds, mag_field=bool(mag),
                   backend=backend)
    x = r.data.double().numpy().reshape(repeats, -1, 3 * (3 if mag else 2))  # [R, T, C]
    T = x.shape[1]
    if taus is None:
        taus = default_taus(T, rate)
        taus = taus[taus <= (T // 4) / rate] if (T // 4) >= 1 else taus
    kinds = KINDS[:3 if mag else 2]
    out = {"model": model.name, "source": model.source, "seconds": T / rate, "rate": rate, "repeats": repeats,
           "seed": seed}
    for k, kind in enumerate(kinds):
        ch = x[:, :, 3 * k:3 * k + 3].transpose(1, 0, 2)  # [T, R, 3]
        t, ad = allan_deviation(ch, rate, taus=taus)
        out["taus"] = t.tolist()
        a = np.sqrt((ad ** 2).mean(1))  # [n_tau, 3] over repeats
        ax = getattr(model, kind)
        q = ax.resolution or 0.0
        white = math.sqrt(ax.noise_density ** 2 + q * q / (12.0 * rate))
        exp = expected_adev(t, white, ax.bias_instability, ax.bias_rw, ax.bias_gm_std, ax.bias_gm_tau or None)
        mean = np.sqrt((a ** 2).mean(1))
        # fit where the textbook terms hold: a few samples (the flicker generator's floor is within 7 % from
        # 5 samples) and beyond the low-pass's time constant (it lowers the white noise's short-τ deviation)
        fc = ax.cutoff(rate)
        t_fit = max(5.0 / rate, 1.0 / fc if fc else 0.0)
        sel = t >= t_fit
        out[kind] = {"unit": {"acc": "m/s^2", "gyro": "rad/s", "mag": "uT"}[kind], "adev": mean.tolist(),
                     "adev_axes": a.tolist(), "expected": exp.tolist(),
                     "profile": {"noise_density": ax.noise_density, "white_with_quantisation": white,
                                 "bias_instability": ax.bias_instability, "bias_rw": ax.bias_rw,
                                 "bias_gm_std": ax.bias_gm_std, "bias_gm_tau": ax.bias_gm_tau, "resolution": q,
                                 "cutoff_hz": fc},
                     "fit_taus_from": t_fit,
                     "fit": fit_noise_terms(t[sel], mean[sel]) if sel.sum() >= 3 and np.all(mean > 0) else None}
    return out


def plot_allan(res: dict, out) -> None:
    """Log-log PNG of :func:`static_allan`'s result: measured curves per axis, the expected curve, and the
    profile's terms as lines of slope −½ (white), 0 (bias instability) and +½ (random walk)."""
    from ..viz import _plt

    plt = _plt()
    kinds = [k for k in ("acc", "gyro", "mag") if k in res]
    t = np.asarray(res["taus"])
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 4.4), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        d = res[kind]
        a = np.asarray(d["adev_axes"])
        for i, c in enumerate("xyz"):
            ax.loglog(t, a[:, i], lw=0.8, alpha=0.6, label=f"{kind}_{c}")
        ax.loglog(t, d["adev"], "k", lw=1.8, label="measured (rms of axes)")
        ax.loglog(t, d["expected"], "r--", lw=1.2, label="expected (profile terms)")
        p = d["profile"]
        if p["white_with_quantisation"]:
            ax.loglog(t, p["white_with_quantisation"] / np.sqrt(t), ":", color="tab:blue", lw=1,
                      label=f"white N/√τ, N = {p['white_with_quantisation']:.3g}")
        if p["bias_instability"]:
            ax.loglog(t, np.full_like(t, p["bias_instability"]), ":", color="tab:green", lw=1,
                      label=f"bias instability {p['bias_instability']:.3g}")
        if p["bias_rw"]:
            ax.loglog(t, p["bias_rw"] * np.sqrt(t / 3), ":", color="tab:purple", lw=1,
                      label=f"random walk K√(τ/3), K = {p['bias_rw']:.3g}")
        if p["cutoff_hz"]:
            ax.axvline(1 / (2 * np.pi * p["cutoff_hz"]), color="0.6", lw=0.8)
        ax.set_xlabel("τ (s)")
        ax.set_ylabel(f"Allan deviation ({d['unit']})")
        ax.set_title(f"{res['model']}: {kind}", fontsize=9)
        ax.grid(True, which="both", lw=0.3)
        lo = min(np.min(d["adev"]), np.min(d["expected"]))
        ax.set_ylim(lo / 3, max(np.max(d["adev"]), np.max(d["expected"])) * 3)
        ax.legend(fontsize=6)
    fig.suptitle(f"static sensor, {res['seconds'] / 3600:.2f} h at {res['rate']:g} Hz, {res['repeats']} renderings",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)
