"""Classification metrics and distances between synthetic and real windows."""

from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np


def classification_metrics(y_true, y_pred, classes: List[str]) -> Dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    labels = list(range(len(classes)))
    f1 = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
            "per_class_f1": {c: float(v) for c, v in zip(classes, f1)},
            "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist()}


def mmd_rbf(a: np.ndarray, b: np.ndarray, gamma: Optional[float] = None, max_n: int = 1000, seed: int = 0) -> float:
    """Unbiased squared MMD with an RBF kernel between samples ``a`` ``[n, d]`` and ``b`` ``[m, d]``;
    bandwidth by the median heuristic on the pooled sample when ``gamma`` is None."""
    rng = np.random.default_rng(seed)
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if len(a) > max_n:
        a = a[rng.choice(len(a), max_n, replace=False)]
    if len(b) > max_n:
        b = b[rng.choice(len(b), max_n, replace=False)]
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    z = np.concatenate([a, b])
    d2 = np.maximum((z ** 2).sum(1)[:, None] + (z ** 2).sum(1)[None] - 2 * z @ z.T, 0)
    if gamma is None:
        med = np.median(d2[np.triu_indices(len(z), 1)])
        gamma = 1.0 / max(med, 1e-12)
    K = np.exp(-gamma * d2)
    n, m = len(a), len(b)
    kaa, kbb, kab = K[:n, :n], K[n:, n:], K[:n, n:]
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
                 - 2 * kab.mean())


def channel_wasserstein(a: np.ndarray, b: np.ndarray, channels: List[str]) -> Dict[str, float]:
    """1-D Wasserstein distance between the sample values of each channel (``[N, T, C]`` inputs)."""
    from scipy.stats import wasserstein_distance

    return {c: float(wasserstein_distance(a[..., i].ravel(), b[..., i].ravel())) for i, c in enumerate(channels)}
