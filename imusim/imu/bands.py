"""The frequency bands in which imusim compares sensor signals: the realism report
(:mod:`imusim.har.realism`) and the training-time band-power term (:func:`imusim.diffusion.train.imu_spectrum_loss`)
share them, so a model is trained on the bands it is judged by."""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

# the last band (10 Hz to Nyquist) exists only above 20 Hz: where frame-to-frame jitter of a motion shows
BANDS_HZ: Tuple[Tuple[float, float], ...] = ((0.0, 1.0), (1.0, 3.0), (3.0, 6.0), (6.0, 10.0), (10.0, math.inf))


def band_edges(rate: float, bands: Sequence[Tuple[float, float]] = BANDS_HZ) -> List[Optional[Tuple[float, float]]]:
    """Bands capped at the Nyquist frequency ``rate / 2``; ``None`` for a band entirely above it."""
    ny = rate / 2
    return [(lo, min(hi, ny)) if lo < ny else None for lo, hi in bands]


def band_bins(f, rate: float, bands: Sequence[Tuple[float, float]] = BANDS_HZ) -> list:
    """Per band of :func:`band_edges`, the boolean selection of the frequency bins ``f`` (Hz; a numpy array or a
    torch tensor) that it sums: ``lo ≤ f < hi``, and the band that reaches the Nyquist frequency includes it;
    ``None`` for a band entirely above the Nyquist frequency."""
    ny = rate / 2
    out = []
    for e in band_edges(rate, bands):
        if e is None:
            out.append(None)
            continue
        lo, hi = e
        out.append((f >= lo) & ((f < hi) | ((hi >= ny - 1e-9) & (f <= ny + 1e-9))))
    return out
