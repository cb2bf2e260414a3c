"""How realistic are synthetic IMU windows? Intensity, spectra and distances to a reference, per activity.

``compare(sets, reference)`` puts one or more synthetic :class:`~imusim.har.real.IMUSet` s (one sensor
placement each) side by side with a reference set (real recordings, or mocap rendered through the
generator) and returns, per activity, for the reference and every synthetic set:

* **acc intensity** of each window (:func:`window_intensity`): with gravity included, the RMS over
  samples of ``|acc| − g`` (g = 9.80665 m/s²; a still sensor gives 0 whatever its orientation); with
  gravity removed (linear acceleration, e.g. BasicMotions), the RMS of ``|acc|``. The output says which.
  Its median, 10/25/75/90th percentiles and mean; the synthetic/reference ratios of the median and of
  the 90th percentile (the target band of issue 14 is 0.75–1.33×) with cluster-bootstrap intervals
  (resampling whole recordings / generated motions, not windows); the Wasserstein-1 distance between
  the per-window intensity distributions (m/s²).
* **crest factor** of each window (:func:`window_crest`: the peak of the same per-sample magnitude over its
  RMS): how impulsive the signal is (a sine √2; spikes far more), its quantiles and the median's ratio.
* **|gyro|** per window (RMS over samples of the angular-rate norm, rad/s) with the same statistics,
  when both sides have a gyroscope.
* **|acc| percentiles** 5/50/95 over all samples of the activity's windows (m/s²).
* **spectra**: Welch PSD of the acceleration *vector* — the sum over the three axes of the PSD of each
  axis, mean removed per window and axis, Hann taper, one segment per window (the whole window),
  averaged over the activity's windows; (m/s²)²/Hz. Summing the axes makes it independent of how the
  sensor is mounted (a constant rotation of the sensor frame), which matters for watches whose frame is
  aligned to no body axis, and unlike a PSD of ``|acc|`` it keeps frequencies where they are (the norm
  of a gravity-free oscillation is rectified and shows at twice its frequency). Orientation changes
  inside a window move gravity between the axes and show as low-frequency power, as on a real sensor.
  Band powers over 0–1, 1–3, 3–6, 6–10 Hz and 10 Hz–Nyquist (capped at the Nyquist frequency; a band
  above it is null),
  their fractions of the total and synthetic/reference ratios.
* window counts.
* optionally (``tags``, e.g. each window's prompt or its mocap clip's acting style) the intensity ratios
  per tag within each activity: which prompts or styles make a set too intense or too weak.

Harmonisation is ``imusim evaluate``'s (:mod:`imusim.har.real`, :mod:`imusim.har.evaluate`): SI units;
label mapping real label → synthetic activity (:func:`~imusim.har.evaluate.map_labels`); reference
recordings longer than 1.2× the synthetic windows cut into windows of the synthetic length
(:func:`~imusim.har.real.rewindow`); each synthetic set brought to the reference's channels, gravity
convention (a low-pass gravity estimate subtracted when the reference has gravity removed), rate
(polyphase anti-aliased resampling) and window length (:func:`~imusim.har.real.harmonise`). An optional
analysis ``rate`` below the reference's first resamples the reference the same way.

:func:`realism` loads generator stores and a reference spec (``basicmotions``, a ``.npz``/``.yaml``
real file, ``mocap:DIR`` rendered through ``imusim generate --from-mocap``, or ``store:DIR``) and runs
:func:`compare` per sensor; :func:`realism_report` writes the JSON, ``summary.md`` and one PNG per sensor.

Shapes: acc/gyro windows ``[N, T, 3]`` (m/s², rad/s), time-major; an IMUSet's ``X`` is ``[N, T, C]``.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .evaluate import inverse_label_map, map_labels, mapped_windows
from ..imu.bands import BANDS_HZ, band_bins, band_edges
from .real import G, IMUSet, harmonise, load_basicmotions, load_csv, load_npz, resample, rewindow

def band_key(lo: float, hi: float) -> str:
    return f"{lo:g}-{'nyquist' if math.isinf(hi) else f'{hi:g}'}"
TARGET_RATIO = (0.75, 1.33)
ACC = ("acc_x", "acc_y", "acc_z")
GYRO = ("gyro_x", "gyro_y", "gyro_z")
DEFAULT_REFERENCE_SEED = 1000003  # mocap reference crops differ from a store generated with --seed 0


# ---------------------------------------------------------------------------------------------- metrics
def _check_vec3(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise ValueError(f"{name} must be [N, T, 3], got shape {list(x.shape)}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x.astype(np.float64)


def _magnitude(acc, gravity_included: bool) -> np.ndarray:
    """``[N, T]``: ``|a_t| − g`` (gravity included: specific force) or ``|a_t|`` (removed) of ``acc [N, T, 3]``."""
    n = np.linalg.norm(_check_vec3(acc, "acc"), axis=-1)
    return n - G if gravity_included else n


def window_intensity(acc, gravity_included: bool) -> np.ndarray:
    """Per-window acceleration intensity ``[N]`` (m/s²) of ``acc [N, T, 3]`` (m/s²).

    ``gravity_included=True`` (specific force, reads +g at rest): ``sqrt(mean_t (|a_t| − g)²)``;
    ``False`` (linear acceleration, reads 0 at rest): ``sqrt(mean_t |a_t|²)``."""
    n = _magnitude(acc, gravity_included)
    return np.sqrt(np.mean(n * n, axis=1)) if n.shape[1] else np.full(len(n), np.nan)


def window_crest(acc, gravity_included: bool) -> np.ndarray:
    """Per-window crest factor ``[N]`` of ``acc [N, T, 3]`` (m/s²): the largest ``|n_t|`` over the window's RMS,
    with ``n_t`` = ``|a_t| − g`` (gravity included) or ``|a_t|`` (removed), as :func:`window_intensity`. A sine
    reads √2, a smooth swing 1.5–2.5, an impulsive (spiky) signal more (one spike in T samples: √T); a window
    without any acceleration reads NaN."""
    n = _magnitude(acc, gravity_included)
    if not n.shape[1]:
        return np.full(len(n), np.nan)
    rms = np.sqrt(np.mean(n * n, axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rms > 0, np.abs(n).max(1) / np.where(rms > 0, rms, 1.0), np.nan)


def gyro_intensity(gyro) -> np.ndarray:
    """Per-window angular-rate intensity ``[N]``: RMS over samples of ``|ω|`` (rad/s), ``gyro [N, T, 3]``."""
    w = _check_vec3(gyro, "gyro")
    return np.sqrt(np.mean(np.sum(w * w, axis=-1), axis=1))


def acc_psd(acc, rate: float) -> Tuple[np.ndarray, np.ndarray]:
    """Welch PSD of the acceleration vector per window: ``(f [F] Hz, psd [N, F] (m/s²)²/Hz)``, the sum over
    the three axes of each axis' one-sided density (mean removed, Hann taper, one segment = the window).
    Integrating it over f gives the summed per-axis variance."""
    from scipy.signal import welch

    a = _check_vec3(acc, "acc")
    if not rate > 0:
        raise ValueError(f"rate must be > 0 Hz, got {rate}")
    T = a.shape[1]
    if T < 4:
        raise ValueError(f"acc windows must have at least 4 samples for a spectrum, got T={T}")
    f, p = welch(a, fs=rate, window="hann", nperseg=T, noverlap=0, detrend="constant", axis=1,
                 scaling="density")  # p [N, F, 3]
    return f, p.sum(axis=-1)


def band_powers(f, psd, rate: float, bands: Sequence[Tuple[float, float]] = BANDS_HZ) -> np.ndarray:
    """Power in each band ``[..., B]`` ((m/s²)²): Σ psd·Δf over the bins with lo ≤ f < hi (the last band
    that reaches the Nyquist frequency includes it); NaN for a band above the Nyquist frequency."""
    f = np.asarray(f, dtype=np.float64)
    psd = np.asarray(psd, dtype=np.float64)
    if psd.shape[-1] != len(f):
        raise ValueError(f"psd's last dimension must match f ({len(f)} bins), got shape {list(psd.shape)}")
    df = f[1] - f[0] if len(f) > 1 else 0.0
    out = np.full(psd.shape[:-1] + (len(bands),), np.nan)
    for i, sel in enumerate(band_bins(f, rate, bands)):
        if sel is None:
            continue
        out[..., i] = psd[..., sel].sum(-1) * df
    return out


def wasserstein1(a, b) -> float:
    """Wasserstein-1 distance between two 1-D empirical distributions (same unit as the values)."""
    from scipy.stats import wasserstein_distance

    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if not len(a) or not len(b):
        return float("nan")
    return float(wasserstein_distance(a, b))


def _quantiles(x) -> Dict[str, Optional[float]]:
    if not len(x):
        return {k: None for k in ("median", "p10", "p25", "p75", "p90", "mean")}
    q = np.percentile(x, [50, 10, 25, 75, 90])
    return {"median": float(q[0]), "p10": float(q[1]), "p25": float(q[2]), "p75": float(q[3]), "p90": float(q[4]),
            "mean": float(np.mean(x))}


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    if a is None or b is None or not np.isfinite(a) or not np.isfinite(b) or b <= 0:
        return None
    return float(a / b)


def _cluster_bootstrap(x, gx, y, gy, qs=(50, 90), n: int = 500, seed: int = 0) -> Dict[int, Optional[List[float]]]:
    """95 % percentile intervals of ``percentile(x, q) / percentile(y, q)``, resampling whole groups
    (recordings, generated motions) of each side with replacement: windows of one recording are not
    independent, so resampling windows would give too narrow intervals."""
    out = {q: None for q in qs}
    if n <= 0 or len(x) == 0 or len(y) == 0:
        return out
    gx = np.arange(len(x)) if gx is None else np.asarray(gx)
    gy = np.arange(len(y)) if gy is None else np.asarray(gy)
    ux, ix = np.unique(gx, return_inverse=True)
    uy, iy = np.unique(gy, return_inverse=True)
    if len(ux) < 2 or len(uy) < 2:
        return out
    ox, oy = np.argsort(ix, kind="stable"), np.argsort(iy, kind="stable")
    cx, cy = np.bincount(ix), np.bincount(iy)
    sx, sy = np.concatenate([[0], np.cumsum(cx)]), np.concatenate([[0], np.cumsum(cy)])
    xs, ys = np.asarray(x)[ox], np.asarray(y)[oy]
    rng = np.random.default_rng(seed)
    r = np.empty((n, len(qs)))
    for k in range(n):
        px = rng.integers(0, len(ux), len(ux))
        py = rng.integers(0, len(uy), len(uy))
        bx = np.concatenate([xs[sx[i]:sx[i + 1]] for i in px])
        by = np.concatenate([ys[sy[i]:sy[i + 1]] for i in py])
        qx, qy = np.percentile(bx, qs), np.percentile(by, qs)
        r[k] = np.where(qy > 0, qx / np.where(qy > 0, qy, 1), np.nan)
    for j, q in enumerate(qs):
        v = r[:, j][np.isfinite(r[:, j])]
        out[q] = [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] if len(v) else None
    return out


# ---------------------------------------------------------------------------------------------- comparison
def _channels(s: IMUSet, names) -> Optional[List[int]]:
    return [s.channels.index(c) for c in names] if all(c in s.channels for c in names) else None


def _set_stats(s: IMUSet, label: str, rate: float, gravity_included: bool, gyro: bool) -> Dict:
    k = s.y == label
    X = s.X[k]
    ia = _channels(s, ACC)
    acc = X[..., ia].astype(np.float64)
    out = {"windows": int(k.sum())}
    if not len(X):
        return {**out, "acc_intensity": _quantiles([]), "acc_crest": _quantiles([]),
                "acc_norm_percentiles": {"p5": None, "p50": None, "p95": None},
                "gyro_intensity": _quantiles([]) if gyro else None, "band_power": None, "band_fraction": None,
                "psd": None, "_intensity": np.zeros(0), "_gyro": np.zeros(0), "_groups": None}
    inten = window_intensity(acc, gravity_included)
    norm = np.linalg.norm(acc, axis=-1).ravel()
    p = np.percentile(norm, [5, 50, 95])
    f, P = acc_psd(acc, rate)
    mean_psd = P.mean(0)
    bp = band_powers(f, mean_psd, rate)
    total = float(mean_psd.sum() * (f[1] - f[0]))
    keys = [band_key(lo, hi) for lo, hi in BANDS_HZ]
    g_int = gyro_intensity(X[..., _channels(s, GYRO)]) if gyro else np.zeros(0)
    groups = None if s.groups is None else np.asarray(s.groups)[k]
    crest = window_crest(acc, gravity_included)
    return {**out, "acc_intensity": _quantiles(inten), "acc_crest": _quantiles(crest[np.isfinite(crest)]),
            "acc_norm_percentiles": {"p5": float(p[0]), "p50": float(p[1]), "p95": float(p[2])},
            "gyro_intensity": _quantiles(g_int) if gyro else None,
            "band_power": {kk: (None if np.isnan(v) else float(v)) for kk, v in zip(keys, bp)},
            "band_fraction": {kk: (None if np.isnan(v) or total <= 0 else float(v / total)) for kk, v in zip(keys, bp)},
            "total_power": total,
            "psd": {"f_hz": f.tolist(), "mean": mean_psd.tolist()},
            "_intensity": inten, "_gyro": g_int, "_groups": groups}


def _versus(st: Dict, ref: Dict, bootstrap: int, seed: int) -> Dict:
    a, r = st["acc_intensity"], ref["acc_intensity"]
    out = {"acc_ratio_median": _ratio(a["median"], r["median"]), "acc_ratio_p90": _ratio(a["p90"], r["p90"]),
           "acc_w1": wasserstein1(st["_intensity"], ref["_intensity"]) if st["windows"] else None}
    ci = _cluster_bootstrap(st["_intensity"], st["_groups"], ref["_intensity"], ref["_groups"], n=bootstrap, seed=seed)
    out["acc_ratio_median_ci95"], out["acc_ratio_p90_ci95"] = ci[50], ci[90]
    lo, hi = TARGET_RATIO
    out["acc_crest_ratio_median"] = _ratio((st.get("acc_crest") or {}).get("median"),
                                           (ref.get("acc_crest") or {}).get("median"))
    out["acc_in_target"] = (None if out["acc_ratio_median"] is None or out["acc_ratio_p90"] is None else
                            bool(lo <= out["acc_ratio_median"] <= hi and lo <= out["acc_ratio_p90"] <= hi))
    if st.get("gyro_intensity") is not None and st["windows"]:
        g, gr = st["gyro_intensity"], ref["gyro_intensity"]
        out["gyro_ratio_median"] = _ratio(g["median"], gr["median"])
        out["gyro_ratio_p90"] = _ratio(g["p90"], gr["p90"])
        out["gyro_w1"] = wasserstein1(st["_gyro"], ref["_gyro"])
    if st["band_power"] and ref["band_power"]:
        out["band_power_ratio"] = {k: _ratio(v, ref["band_power"][k]) for k, v in st["band_power"].items()}
    return out


def _public(d):
    """JSON-ready copy: no private ``_`` keys, NaN → null, numpy scalars → Python."""
    if isinstance(d, dict):
        return {k: _public(v) for k, v in d.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(d, (list, tuple)):
        return [_public(v) for v in d]
    if isinstance(d, (np.floating, float)):
        return None if not np.isfinite(d) else float(d)
    if isinstance(d, np.integer):
        return int(d)
    if isinstance(d, np.bool_):
        return bool(d)
    return d


def _inverse(label_map) -> Dict[str, str]:
    """synthetic activity → reference label, from a reference → synthetic map (as map_labels reads it), as text."""
    return {str(k): str(v) for k, v in inverse_label_map(label_map).items()}


def _by_tag(inten: np.ndarray, tags: np.ndarray, groups: np.ndarray, ref: Dict) -> List[Dict]:
    """Per tag (prompt, style) of one activity's windows: windows, motions, intensity median / p90 and their
    ratios to the reference's; sorted by the median ratio, highest first."""
    rows = []
    for t in sorted(set(tags.tolist())):
        k = tags == t
        q = _quantiles(inten[k])
        rows.append({"tag": str(t), "windows": int(k.sum()), "motions": int(len(set(groups[k].tolist()))),
                     "acc_intensity_median": q["median"], "acc_intensity_p90": q["p90"],
                     "acc_ratio_median": _ratio(q["median"], ref["acc_intensity"]["median"]),
                     "acc_ratio_p90": _ratio(q["p90"], ref["acc_intensity"]["p90"])})
    return sorted(rows, key=lambda r: -(r["acc_ratio_median"] or 0.0))


def compare(sets: Dict[str, Union[IMUSet, Sequence[IMUSet]]], reference: IMUSet, *,
            label_map: Optional[Dict[str, Union[str, Sequence[str]]]] = None, rate: Optional[float] = None,
            bootstrap: int = 500, seed: int = 0, map_reference: bool = False,
            tags: Optional[Dict[str, Sequence[np.ndarray]]] = None, tag_kind: str = "tag") -> Dict:
    """Intensity, spectra and distances of synthetic sets against ``reference``, per activity (one sensor).

    ``sets[name]`` is an IMUSet or a list of them (e.g. stores generated with different seeds: pooled for
    the distributions, and also reported one by one under ``per_store``). ``label_map`` maps reference
    label → synthetic activity (or a list), as ``imusim evaluate --labels``; ``map_reference`` also
    applies it to the reference (when the reference is itself rendered in the synthetic label space).
    ``rate`` (Hz, ≤ the reference's rate) resamples everything to a lower analysis rate. ``bootstrap``
    replicates for the ratio intervals (0: none). ``tags[name]``: one ``[N]`` array of strings per IMUSet of
    ``sets[name]`` (e.g. each window's prompt), which adds ``by_<tag_kind>`` rows per activity and set
    (:func:`_by_tag`). Returns a dict (see the module docstring); keys starting
    with ``_`` hold arrays for plotting and are dropped from the JSON."""
    if not isinstance(reference, IMUSet):
        raise TypeError(f"reference must be an IMUSet, got {type(reference).__name__}")
    if not sets:
        raise ValueError("sets: at least one synthetic set is needed")
    sets = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in sets.items()}
    for name, v in sets.items():
        for s in v:
            if not isinstance(s, IMUSet):
                raise TypeError(f"sets[{name!r}] must hold IMUSet objects, got {type(s).__name__}")
    tags = dict(tags or {})
    for name, tv in tags.items():
        if name not in sets:
            raise ValueError(f"tags: {name!r} is not a synthetic set (sets: {list(sets)})")
        if len(tv) != len(sets[name]) or any(len(t) != len(s.y) for t, s in zip(tv, sets[name])):
            raise ValueError(f"tags[{name!r}] must hold one array per set of sets[{name!r}], each with one entry per "
                             f"window: got {[len(t) for t in tv]} for {[len(s.y) for s in sets[name]]} windows")
    ref = reference.to_si()
    if _channels(ref, ACC) is None:
        raise ValueError(f"reference {ref.name} must have the channels {list(ACC)}, it has {ref.channels}")
    native_rate = ref.rate
    if rate is not None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0 Hz, got {rate}")
        if rate > ref.rate + 1e-9:
            raise ValueError(f"rate {rate:g} Hz exceeds the reference's rate {ref.rate:g} Hz: the reference has no "
                             f"content above {ref.rate / 2:g} Hz, so it cannot be compared at a higher rate")
        if abs(rate - ref.rate) > 1e-9:
            ref = replace(ref, X=resample(ref.X, ref.rate, rate), rate=float(rate))
    if map_reference and label_map:
        ref = map_labels(ref, label_map)
    # long real recordings → windows of the synthetic length (evaluate's rule)
    native_T = ref.X.shape[1]
    durations = [s.X.shape[1] / s.rate for v in sets.values() for s in v]
    rewindowed = bool(durations and ref.X.shape[1] / ref.rate > 1.2 * min(durations))
    if rewindowed:
        ref = rewindow(ref, min(durations))
    gyro = _channels(ref, GYRO) is not None
    gravity_included = ref.gravity == "included"
    prepared, dropped, per_store_sets, pooled_tags = {}, {}, {}, {}
    for name, syns in sets.items():
        hs = []
        if name in tags:  # the windows map_labels keeps, in order
            pooled_tags[name] = np.concatenate([np.asarray(t).astype(str)[mapped_windows(s.y, label_map)]
                                                for t, s in zip(tags[name], syns)])
        for i, s in enumerate(syns):
            m = map_labels(s, label_map)
            try:
                h = harmonise(m, ref)
            except ValueError as e:
                raise ValueError(f"synthetic set {name!r}: {e}") from None
            g = np.asarray(h.groups) if h.groups is not None and len(h.groups) == len(h.y) else np.arange(len(h.y))
            hs.append(replace(h, groups=np.array([f"{i}:{x}" for x in g])))
        dropped[name] = sorted(set().union(*[set(s.y.tolist()) for s in syns]) - set(_inverse(label_map))) \
            if label_map else []
        per_store_sets[name] = hs
        prepared[name] = replace(hs[0], X=np.concatenate([h.X for h in hs]), y=np.concatenate([h.y for h in hs]),
                                 groups=np.concatenate([h.groups for h in hs]))
    ref_classes = ref.classes
    syn_classes = sorted(set().union(*[set(p.y.tolist()) for p in prepared.values()]))
    activities = [c for c in ref_classes if c in syn_classes]
    if not activities:
        raw = sorted(set().union(*[set(s.y.tolist()) for v in sets.values() for s in v]))
        raise ValueError(f"no activity in common between the reference {ref.name} (labels {ref_classes}) and the "
                         f"synthetic sets (labels {raw}" + (f", mapped by the label map to {syn_classes}" if label_map
                                                            else "") + "): pass a label map (--labels) such as "
                         "'jogging: running' from reference labels to synthetic activities")
    per_activity = {}
    for act in activities:
        rs = _set_stats(ref, act, ref.rate, gravity_included, gyro)
        entry = {"reference": rs, "sets": {}}
        for j, (name, p) in enumerate(prepared.items()):
            st = _set_stats(p, act, ref.rate, gravity_included, gyro)
            st["vs_reference"] = _versus(st, rs, bootstrap, seed + j) if st["windows"] else None
            if name in pooled_tags and st["windows"]:
                k = p.y == act
                st["by_" + tag_kind] = _by_tag(st["_intensity"], pooled_tags[name][k], np.asarray(p.groups)[k], rs)
            if len(per_store_sets[name]) > 1:
                ps = []
                for h in per_store_sets[name]:
                    k = h.y == act
                    x = window_intensity(h.X[k][..., _channels(h, ACC)], gravity_included) if k.any() else np.zeros(0)
                    q = _quantiles(x)
                    ps.append({"store": h.name, "windows": int(k.sum()),
                               "acc_ratio_median": _ratio(q["median"], rs["acc_intensity"]["median"]),
                               "acc_ratio_p90": _ratio(q["p90"], rs["acc_intensity"]["p90"]),
                               "acc_w1": wasserstein1(x, rs["_intensity"]) if len(x) else None})
                st["per_store"] = ps
            entry["sets"][name] = st
        if label_map:
            entry["synthetic_activities"] = sorted(k for k, v in _inverse(label_map).items() if v == act)
        per_activity[act] = entry
    syn_info = {}
    for name, syns in sets.items():
        syn_info[name] = {"stores": [s.name for s in syns], "sensor": syns[0].placement,
                          "native_rate_hz": sorted({float(s.rate) for s in syns}),
                          "native_window_s": sorted({round(s.X.shape[1] / s.rate, 4) for s in syns}),
                          "native_gravity": sorted({s.gravity for s in syns}),
                          "windows": int(len(prepared[name].y)), "labels_not_mapped": dropped[name]}
    T = ref.X.shape[1]
    warnings = []
    for name, syns in sets.items():
        for s in syns:
            if s.rate < ref.rate - 1e-9:
                warnings.append(f"{name}: {s.name} is at {s.rate:g} Hz, below the analysis rate {ref.rate:g} Hz: "
                                f"upsampled, it has no content above {s.rate / 2:g} Hz (compare at --rate {s.rate:g})")
            if s.X.shape[1] / s.rate < T / ref.rate - 0.5 / ref.rate:
                warnings.append(f"{name}: {s.name} has windows of {s.X.shape[1] / s.rate:.2f} s, shorter than the "
                                f"reference's {T / ref.rate:.2f} s: padded with their last sample, which lowers "
                                f"their intensity")
    return {
        "reference": {"name": ref.name, "placement": ref.placement, "native_rate_hz": native_rate,
                      "native_window_samples": int(native_T), "gravity": ref.gravity,
                      "channels": list(ref.channels), "windows": int(len(ref.y)),
                      "rewindowed_to_synthetic_length": rewindowed},
        "analysis": {"rate_hz": float(ref.rate), "window_samples": int(T), "window_s": T / ref.rate,
                     "gravity": ref.gravity,
                     "acc_intensity": ("RMS over samples of (|acc| - g), g = 9.80665 m/s^2 (gravity included)"
                                       if gravity_included else "RMS over samples of |acc| (gravity removed)"),
                     "gyro": gyro, "gyro_intensity": "RMS over samples of |gyro| (rad/s)" if gyro else None,
                     "psd": "Welch PSD of the acc vector: sum over axes of each axis' one-sided density, mean "
                            "removed, Hann taper, one segment per window, averaged over windows; (m/s^2)^2/Hz",
                     "bands_hz": [band_key(*b) for b in BANDS_HZ],
                     "bands_effective_hz": [list(e) if e else None for e in band_edges(ref.rate)],
                     "target_ratio": list(TARGET_RATIO), "bootstrap": int(bootstrap),
                     "bootstrap_unit": "groups (recordings / subjects of the reference, generated motions of a store)",
                     "label_map": label_map or None},
        "synthetic": syn_info,
        "activities": activities,
        "reference_only_activities": [c for c in ref_classes if c not in activities],
        "warnings": warnings,
        "per_activity": per_activity,
    }


# ---------------------------------------------------------------------------------------------- loading
def _from_store(path, sensor: str, name: str) -> IMUSet:
    from .synthetic import from_store

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"synthetic store {p} does not exist")
    try:
        return from_store(p, sensor, name=f"{name}:{p}")
    except ValueError as e:
        raise ValueError(f"{e}, or choose another --sensor") from None


def render_mocap_reference(root, activities: Sequence[str], sensors: Sequence[str], rate: float, window_s: float,
                           stride_s: float, per_activity: int = 100, seed: int = DEFAULT_REFERENCE_SEED,
                           workdir=None, styles: Optional[Sequence[str]] = None) -> Tuple[Dict[str, IMUSet], Dict]:
    """Render the retargeted mocap clips under ``root`` exactly as ``imusim generate --from-mocap`` does
    (the same library call, :func:`imusim.generate.generate`, with its defaults and augmentation; a temporary
    store) and return one gravity-included IMUSet per sensor, plus the equivalent generate command.
    ``styles``: only the clips of these acting styles (``generate --mocap-styles``)."""
    import tempfile

    from ..generate import GenerateConfig, generate
    from ..generate.plan import load_activities

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"--reference mocap:{root}: {root} is not a directory")
    defaults = load_activities()
    acts = {a: defaults.get(a, [f"a person does {a}."]) for a in activities}
    with tempfile.TemporaryDirectory(prefix="imusim_realism_", dir=workdir) as tmp:
        generate(GenerateConfig(out=Path(tmp) / "store", from_mocap=root, activities=acts,
                                per_activity=int(per_activity), sensors=",".join(sensors), rate=float(rate),
                                window=float(window_s), stride=float(stride_s), seed=int(seed), progress=False,
                                mocap_styles=list(styles) if styles else None))
        sets = {s: _from_store(Path(tmp) / "store", s, "mocap") for s in sensors}
        for s, v in sets.items():
            sets[s] = replace(v, name=f"mocap:{root}")
    args = ["generate", "--from-mocap", str(root), "--activities", "ACTIVITIES.yaml",
            "--per-activity", str(int(per_activity)), "--sensors", ",".join(sensors), "--rate", f"{rate:g}",
            "--window", f"{window_s:g}", "--stride", f"{stride_s:g}", "--seed", str(int(seed))]
    if styles:
        args += ["--mocap-styles", ",".join(styles)]
    cmd = "imusim " + " ".join(args) + " --out STORE"
    return sets, {"generate_command": cmd, "activities_yaml": acts, "per_activity": int(per_activity),
                  "seed": int(seed), "styles": list(styles) if styles else None}


BY_KINDS = ("prompt", "style", "position")


def window_positions(window_ids) -> np.ndarray:
    """``[N]`` strings: each window's place in the rendering it was cut from, ``"first"``, ``"middle"`` or ``"last"``
    (``"only"`` for a rendering cut into one window), from generator window ids (:func:`imusim.generate.plan.window_id`:
    the rendering in the bits above 12, the window's index in it below). A diffusion model's motion ends where the
    sampled sequence ends; a mocap rendering where its clip segment does."""
    w = np.asarray(window_ids, dtype=np.int64)
    ren, k = w >> 12, w & 4095
    last = {}
    for r, i in zip(ren.tolist(), k.tolist()):
        last[r] = max(last.get(r, 0), i)
    kmax = np.array([last[r] for r in ren.tolist()], dtype=np.int64)
    return np.where(kmax == 0, "only", np.where(k == 0, "first", np.where(k == kmax, "last", "middle")))


def store_tags(path, by: str) -> np.ndarray:
    """``[N]`` strings, one per window of the store at ``path`` (its window order): the window's prompt
    (``by="prompt"``), the acting style of the mocap clip it was cut from (``by="style"``, parsed from the
    clip's file name; ``"generated"`` for windows sampled by a diffusion model), or its place in its motion
    (``by="position"``, :func:`window_positions`: are a motion's first and last windows like its middle ones?)."""
    from ..data.captions import labels_from_path
    from ..generate import load

    if by not in BY_KINDS:
        raise ValueError(f"by must be one of {list(BY_KINDS)}, got {by!r}")
    st = load(path)
    if by == "prompt":
        return np.asarray(st.prompts).astype(str)
    if by == "position":
        return window_positions(st.window_ids)
    src = str(st.meta.get("source") or "")
    if not src.startswith("mocap:"):
        return np.full(len(st.prompts), "generated")
    # a rendering's source reads "CLIP.bvh.gz[a:b] mirrored x1.03": the clip's file name comes first
    return np.array([labels_from_path(x.split("[")[0])["style"] for x in np.asarray(st.sources).astype(str)])


def _is_real(spec: str) -> bool:
    return spec == "basicmotions" or spec.endswith((".npz", ".yaml", ".yml"))


def load_real(spec: str) -> IMUSet:
    """``basicmotions``, a generic ``.npz`` or a ``.yaml`` CSV description (as ``imusim evaluate --real``)."""
    import zipfile

    if spec == "basicmotions":
        return load_basicmotions()
    p = Path(spec)
    if not p.exists():
        raise FileNotFoundError(f"--reference {spec}: no such file")
    if p.suffix != ".npz":
        return load_csv(p)
    if not zipfile.is_zipfile(p):
        raise ValueError(f"--reference {p}: not a readable .npz file (not a zip archive of arrays)")
    try:
        return load_npz(p)
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"--reference {p}: not a readable .npz file ({type(e).__name__}: {e})") from None
    except ValueError as e:
        raise ValueError(e if str(p) in str(e) else f"--reference {p}: {e}") from None


def load_reference(spec: str, *, sensors: Optional[Sequence[str]], activities: Sequence[str] = (), rate: Optional[float] = None,
                   window_s: float = 2.56, stride_s: float = 1.28, per_activity: int = 100,
                   seed: int = DEFAULT_REFERENCE_SEED, styles: Optional[Sequence[str]] = None
                   ) -> Tuple[Dict[str, IMUSet], Dict]:
    """``spec`` → (sensor → reference IMUSet, info). ``basicmotions``; a real ``.npz`` (generic format) or
    ``.yaml`` (CSV description) — one sensor, by default the recording's placement; ``mocap:DIR`` (rendered
    at ``rate``, the synthetic ``window_s``/``stride_s``, ``per_activity`` motions per activity);
    ``store:DIR`` (a generator store used as the reference). ``styles``: mocap only, the acting styles rendered."""
    spec = str(spec)
    if styles and not spec.startswith("mocap:"):
        raise ValueError(f"reference styles {list(styles)} apply to a 'mocap:DIR' reference, got {spec!r} (render a "
                         f"store with imusim generate --from-mocap DIR --mocap-styles ... and pass store:STORE)")
    if _is_real(spec):
        ref = load_real(spec)
        sensors = list(sensors) if sensors else [ref.placement]
        if len(sensors) != 1:
            raise ValueError(f"a real reference ({ref.name}) has one placement ({ref.placement}); --sensor must name "
                             f"one synthetic sensor to compare with it, got {list(sensors)}")
        return {sensors[0]: ref}, {"kind": "real", "spec": spec}
    if not sensors:
        raise ValueError(f"reference {spec}: name the sensor(s) to compare (--sensor)")
    if spec.startswith("mocap:"):
        if not activities:
            raise ValueError("mocap reference: no activities to render")
        if rate is None:
            raise ValueError("mocap reference: a rendering rate is needed")
        sets, info = render_mocap_reference(spec[len("mocap:"):], activities, sensors, rate, window_s, stride_s,
                                            per_activity, seed, styles=styles)
        return sets, {"kind": "mocap", "spec": spec, **info}
    if spec.startswith("store:"):
        path = spec[len("store:"):]
        return {s: _from_store(path, s, "reference") for s in sensors}, {"kind": "store", "spec": spec}
    raise ValueError(f"unknown reference {spec!r}: expected 'basicmotions', a real .npz (or .yaml CSV description) "
                     f"file, 'mocap:DIR' (retargeted mocap rendered like imusim generate --from-mocap) or 'store:DIR'")


def realism(synthetic: Dict[str, Union[str, Path, Sequence[Union[str, Path]]]], reference: str, *,
            sensors: Optional[Sequence[str]] = None, label_map=None, rate: Optional[float] = None,
            reference_per_activity: int = 100, reference_seed: int = DEFAULT_REFERENCE_SEED, bootstrap: int = 500,
            seed: int = 0, by: Optional[str] = None, reference_styles: Optional[Sequence[str]] = None) -> Dict:
    """Load generator stores (``synthetic[name]`` = a store path or a list of them, e.g. one per seed) and a
    reference spec (see :func:`load_reference`), and :func:`compare` them per sensor.

    ``sensors``: synthetic sensors to analyse. A real reference takes one (default: its placement); a
    mocap/store reference may take several (default: the sensors every store has). ``rate``: analysis
    rate (real reference: ≤ its rate, default its rate; mocap: the rendering rate, default the stores').
    ``by``: ``"prompt"`` (each window's prompt), ``"style"`` (the acting style of a mocap store's clip;
    ``"generated"`` for diffusion windows) or ``"position"`` (first / middle / last window of its motion) adds
    intensity ratios per tag within each activity.
    ``reference_styles``: a ``mocap:DIR`` reference rendered from these acting styles only."""
    if by is not None and by not in BY_KINDS:
        raise ValueError(f"by must be None or one of {list(BY_KINDS)}, got {by!r}")
    if not synthetic:
        raise ValueError("synthetic: at least one NAME=STORE set is needed")
    synthetic = {k: ([v] if isinstance(v, (str, Path)) else list(v)) for k, v in synthetic.items()}
    for name, paths in synthetic.items():
        if not paths:
            raise ValueError(f"synthetic set {name!r} names no store")
        for p in paths:
            if not Path(p).exists():
                raise FileNotFoundError(f"synthetic set {name!r}: store {p} does not exist")
    from ..generate import load

    metas = {str(p): load(p).meta for ps in synthetic.values() for p in ps}
    first = next(iter(metas.values()))
    spec = str(reference)
    is_real = _is_real(spec)
    refs = info = None
    if is_real:
        refs, info = load_reference(spec, sensors=sensors)
        sensors = list(refs)
    elif sensors is None:
        have = {k: [x["name"] for x in m.get("sensors", [])] for k, m in metas.items()}
        sensors = [n for n in next(iter(have.values())) if all(n in v for v in have.values())]
        if not sensors:
            raise ValueError(f"the synthetic stores have no sensor in common ({have}); pass --sensor")
    sensors = list(sensors)
    for p, m in metas.items():
        names = [x["name"] for x in m.get("sensors", [])]
        miss = [s for s in sensors if s not in names]
        if miss:
            raise ValueError(f"synthetic store {p} has no sensor {miss} (it has {names}); generate it with "
                             f"--sensors {','.join(sensors)} or choose --sensor among {names}")
    labels = sorted({str(a) for m in metas.values() for a in (m.get("activities") or {})} -
                    {str(a) for m in metas.values() for a in (m.get("skipped_activities") or [])})
    render_rate = rate if rate is not None else float(first.get("rate", 50.0))
    if refs is None:
        refs, info = load_reference(spec, sensors=sensors, activities=labels, rate=render_rate,
                                    window_s=float(first.get("window_s", 2.56)),
                                    stride_s=float(first.get("stride_s", 1.28)),
                                    per_activity=reference_per_activity, seed=reference_seed, styles=reference_styles)
    elif reference_styles:
        raise ValueError(f"reference_styles {list(reference_styles)} apply to a 'mocap:DIR' reference, got {spec!r}")
    tags = {name: [store_tags(p, by) for p in paths] for name, paths in synthetic.items()} if by else None
    per_sensor = {}
    for sensor in sensors:
        ref = refs[sensor]
        sets = {name: [_from_store(p, sensor, name) for p in paths] for name, paths in synthetic.items()}
        res = compare(sets, ref, label_map=label_map, rate=None if info["kind"] == "mocap" else rate,
                      bootstrap=bootstrap, seed=seed,
                      map_reference=not is_real, tags=tags, tag_kind=by or "tag")
        res["reference"]["synthetic_sensor"] = sensor
        if is_real and sensor != ref.placement:
            res["reference"]["placement_mismatch"] = (f"synthetic sensor {sensor} compared with a reference worn at "
                                                      f"{ref.placement}")
        per_sensor[sensor] = res
    config = {"synthetic": {name: [{"store": str(p), "seed": (metas[str(p)].get("config") or {}).get("seed"),
                                    "source": metas[str(p)].get("source"), "rate_hz": metas[str(p)].get("rate"),
                                    "window_s": metas[str(p)].get("window_s")} for p in paths]
                            for name, paths in synthetic.items()},
              "reference": info, "sensors": sensors, "rate_hz": rate, "label_map": label_map or None,
              "bootstrap": bootstrap, "seed": seed, "by": by}
    if info["kind"] == "mocap":
        config["reference"]["render_rate_hz"] = render_rate
    return {"config": config, "sensors": per_sensor}


# ---------------------------------------------------------------------------------------------- report
def _fmt(x, f="{:.2f}"):
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f.format(x)


def _summary_md(res: Dict) -> str:
    lines = ["# Synthetic IMU realism", ""]
    cfg = res.get("config")
    if cfg:
        rc = cfg["reference"]
        lines += [f"Reference: `{rc['spec']}`" + (f" (rendered with `{rc['generate_command']}`, ACTIVITIES.yaml = "
                                                 f"{', '.join(rc.get('activities_yaml') or {})} with the default prompts)"
                                                 if rc.get("generate_command") else ""), ""]
        syn = "; ".join(f"{n}: " + ", ".join(f"`{x['store']}` (seed {x['seed']}, {x['source']})" for x in v)
                        for n, v in cfg["synthetic"].items())
        lines += [f"Synthetic: {syn}", ""]
    for sensor, r in res["sensors"].items():
        an, rf = r["analysis"], r["reference"]
        lines += [f"## Sensor {sensor} vs {rf['name']} ({rf['placement']})", "",
                  f"Analysis at {an['rate_hz']:g} Hz, windows of {an['window_s']:.2f} s ({an['window_samples']} samples), "
                  f"gravity {an['gravity']}: acc intensity = {an['acc_intensity']}. Ratios are synthetic / reference "
                  f"(target {an['target_ratio'][0]}–{an['target_ratio'][1]}×, **bold** when both the median and "
                  f"the 90th percentile are in it); intervals are 95 % cluster-bootstrap intervals.", ""]
        if rf.get("placement_mismatch"):
            lines += [f"Note: {rf['placement_mismatch']}.", ""]
        for w in r.get("warnings", []):
            lines += [f"Warning: {w}.", ""]
        keys = an["bands_hz"]
        head = ("| activity | set | windows | intensity median / p90 (m/s²) | ratio median | ratio p90 | W1 (m/s²) "
                "| crest median | \\|acc\\| p5/p50/p95 | band power ratio " + " / ".join(keys) + " Hz |")
        sep = "|---|---|---|---|---|---|---|---|---|---|"
        if an["gyro"]:
            head += " \\|gyro\\| ratio median / p90 |"
            sep += "---|"
        lines += [head, sep]
        for act, e in r["per_activity"].items():
            rows = [("reference", e["reference"])] + list(e["sets"].items())
            for name, st in rows:
                ai, ap = st["acc_intensity"], st["acc_norm_percentiles"]
                v = st.get("vs_reference") or {}
                ok = v.get("acc_in_target")
                rm = _fmt(v.get("acc_ratio_median")) + (f" [{_fmt(v['acc_ratio_median_ci95'][0])}, "
                                                         f"{_fmt(v['acc_ratio_median_ci95'][1])}]"
                                                         if v.get("acc_ratio_median_ci95") else "")
                rp = _fmt(v.get("acc_ratio_p90")) + (f" [{_fmt(v['acc_ratio_p90_ci95'][0])}, "
                                                      f"{_fmt(v['acc_ratio_p90_ci95'][1])}]"
                                                      if v.get("acc_ratio_p90_ci95") else "")
                if ok:
                    rm, rp = f"**{rm}**", f"**{rp}**"
                if name == "reference":
                    rm = rp = "1"
                bpr = " / ".join(_fmt(x) for x in (v.get("band_power_ratio") or {}).values()) if name != "reference" \
                    else " / ".join(_fmt(x, "{:.3g}") for x in (st["band_power"] or {}).values()) + " (m/s²)²"
                row = (f"| {act} | {name} | {st['windows']} | {_fmt(ai['median'])} / {_fmt(ai['p90'])} | {rm} | {rp} | "
                       f"{_fmt(v.get('acc_w1')) if name != 'reference' else '0'} | "
                       f"{_fmt((st.get('acc_crest') or {}).get('median'))} | "
                       f"{_fmt(ap['p5'], '{:.1f}')} / {_fmt(ap['p50'], '{:.1f}')} / {_fmt(ap['p95'], '{:.1f}')} | {bpr} |")
                if an["gyro"]:
                    row += (" 1 |" if name == "reference" else
                            f" {_fmt(v.get('gyro_ratio_median'))} / {_fmt(v.get('gyro_ratio_p90'))} |")
                lines.append(row)
        kind = (cfg or {}).get("by")
        tagged = [(act, name, st["by_" + kind]) for act, e in r["per_activity"].items() for name, st in e["sets"].items()
                  if kind and st.get("by_" + kind)]
        if tagged:
            lines += ["", f"By {kind} (ratios to the reference's median / p90 of the same activity, highest first):", "",
                      f"| activity | set | {kind} | windows | motions | ratio median | ratio p90 |",
                      "|---|---|---|---|---|---|---|"]
            for act, name, rows in tagged:
                for t in rows:
                    lines.append(f"| {act} | {name} | {t['tag']} | {t['windows']} | {t['motions']} | "
                                 f"{_fmt(t['acc_ratio_median'])} | {_fmt(t['acc_ratio_p90'])} |")
        if r["reference_only_activities"]:
            lines += ["", f"Reference activities without synthetic windows: {', '.join(r['reference_only_activities'])}."]
        for name, s in r["synthetic"].items():
            if s["labels_not_mapped"]:
                lines.append(f"Synthetic activities of {name} with no reference label (left out): "
                             f"{', '.join(s['labels_not_mapped'])}.")
        lines += ["", f"![{sensor}](realism_{sensor}.png)", ""]
    return "\n".join(lines)


def _logx(ax):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_sensor(r: Dict, path, title: str = "") -> Path:
    """One PNG: a row per activity; intensity ECDFs of every set against the reference (log axis when the
    values span more than 3×, so that ratios read as distances), the acc PSDs beside them (log scale, band
    edges dotted), and |gyro| ECDFs when there is a gyroscope."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acts = list(r["per_activity"])
    gyro = r["analysis"]["gyro"]
    ncol = 3 if gyro else 2
    fig, axes = plt.subplots(len(acts), ncol, figsize=(5.0 * ncol, 2.7 * len(acts) + 0.6), squeeze=False)
    names = list(r["synthetic"])
    colors = plt.cm.tab10.colors
    an = r["analysis"]

    def ecdf(ax, x, **kw):
        if len(x):
            xs = np.sort(x)
            ax.step(np.r_[xs[0], xs], np.arange(0, len(xs) + 1) / len(xs), where="post", **kw)

    for i, act in enumerate(acts):
        e = r["per_activity"][act]
        ref = e["reference"]
        ax, axp = axes[i, 0], axes[i, 1]
        ecdf(ax, ref["_intensity"], color="k", lw=2.2, label=f"reference (n={ref['windows']})")
        for j, n in enumerate(names):
            st = e["sets"][n]
            v = st.get("vs_reference") or {}
            ecdf(ax, st["_intensity"], color=colors[j % 10], lw=1.3,
                 label=f"{n} (n={st['windows']}; ×{_fmt(v.get('acc_ratio_median'))} med, "
                       f"×{_fmt(v.get('acc_ratio_p90'))} p90)")
        syn_acts = e.get("synthetic_activities")
        shown = f"{act} (synthetic: {', '.join(syn_acts)})" if syn_acts and syn_acts != [act] else act
        ax.set_ylabel(f"{shown}\nfraction of windows", fontsize=8)
        allx = np.concatenate([ref["_intensity"]] + [e["sets"][n]["_intensity"] for n in names])
        allx = allx[np.isfinite(allx) & (allx > 0)]
        if len(allx) and allx.max() > 3 * np.percentile(allx, 1):  # ratios read as distances on a log axis
            _logx(ax)
            ax.set_xlim(max(np.percentile(allx, 0.5), allx.max() * 1e-3) / 1.2, allx.max() * 1.2)
        ax.set_xlabel("acc intensity " + ("RMS(|acc| − g)" if an["gravity"] == "included" else "RMS(|acc|)") + " (m/s²)",
                      fontsize=7)
        if i == 0:
            ax.set_title("per-window acc intensity (ECDF)", fontsize=8)
        ax.legend(fontsize=6, loc="lower right")
        if ref["psd"]:
            axp.semilogy(ref["psd"]["f_hz"], ref["psd"]["mean"], color="k", lw=2.2, label="reference")
        for j, n in enumerate(names):
            st = e["sets"][n]
            if st["psd"]:
                axp.semilogy(st["psd"]["f_hz"], st["psd"]["mean"], color=colors[j % 10], lw=1.3, label=n)
        for b in an["bands_effective_hz"]:
            if b:
                axp.axvline(b[1], color="0.6", ls=":", lw=0.8)
        axp.set_xlabel("frequency (Hz)", fontsize=7)
        axp.set_ylabel("acc PSD ((m/s²)²/Hz)", fontsize=7)
        if i == 0:
            axp.set_title("acc vector PSD (Welch, sum of axes; dotted: band edges)", fontsize=8)
        axp.legend(fontsize=6)
        if gyro:
            axg = axes[i, 2]
            ecdf(axg, ref["_gyro"], color="k", lw=2.2, label="reference")
            for j, n in enumerate(names):
                st = e["sets"][n]
                v = st.get("vs_reference") or {}
                ecdf(axg, st["_gyro"], color=colors[j % 10], lw=1.3,
                     label=f"{n} (×{_fmt(v.get('gyro_ratio_median'))} med)")
            axg.set_xlabel("RMS |gyro| (rad/s)", fontsize=7)
            gx = np.concatenate([ref["_gyro"]] + [e["sets"][n]["_gyro"] for n in names])
            gx = gx[np.isfinite(gx) & (gx > 0)]
            if len(gx) and gx.max() > 3 * np.percentile(gx, 1):
                _logx(axg)
            if i == 0:
                axg.set_title("per-window angular rate (ECDF)", fontsize=8)
            axg.legend(fontsize=6, loc="lower right")
        for a in axes[i]:
            a.tick_params(labelsize=7)
            a.grid(alpha=0.3)
    fig.suptitle(title or f"{r['reference']['synthetic_sensor'] if 'synthetic_sensor' in r['reference'] else ''} vs "
                 f"{r['reference']['name']} at {an['rate_hz']:g} Hz, gravity {an['gravity']}", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))  # room for the title
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def realism_report(res: Dict, out_dir, json_path=None) -> Dict[str, Path]:
    """Write ``realism.json`` (or ``json_path``), ``summary.md`` and ``realism_<sensor>.png`` per sensor.
    ``res`` is a :func:`realism` result, or a :func:`compare` result (one sensor)."""
    if "sensors" not in res:
        res = {"config": None, "sensors": {res["reference"].get("synthetic_sensor", res["reference"]["placement"]): res}}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for sensor, r in res["sensors"].items():
        files[f"png_{sensor}"] = plot_sensor(r, out / f"realism_{sensor}.png",
                                             title=f"{sensor} vs {r['reference']['name']} "
                                                   f"({r['analysis']['rate_hz']:g} Hz, gravity {r['analysis']['gravity']})")
    (out / "summary.md").write_text(_summary_md(res))
    files["summary"] = out / "summary.md"
    jp = Path(json_path) if json_path else out / "realism.json"
    jp.parent.mkdir(parents=True, exist_ok=True)
    jp.write_text(json.dumps(_public(res), indent=1))
    files["json"] = jp
    return files
