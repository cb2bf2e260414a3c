"""Is the BasicMotions walking excess of the rendered mocap made by how gravity is removed? (docs/realism.md §18)

BasicMotions has gravity removed on the watch; `imusim realism` removes it from synthetic windows by subtracting a
low-pass (Butterworth 0.3 Hz) gravity estimate (imusim.har.real.remove_gravity), which leaves the gravity that the
wrist's swing rotates between the axes faster than 0.3 Hz. A watch's fused "linear acceleration" tracks orientation
with the gyroscope instead. This probe recomputes the comparison with a gyro-aided estimate: the orientation of every
sample relative to the window's first from the integrated gyroscope (exact for noise-free synthetic rates up to the
integration error), the gravity direction in the first frame as the normalised mean of the specific force rotated into
it, and gravity subtracted in every frame. Tested on a constructed spinning sensor (residual < 1e-6 m/s²).

    python scripts/gravity_removal_probe.py --synthetic mocap=out/realism/mocap_store --sensor wrist_r \\
        --json docs/realism/reference/gravity_removal_probe.json
"""
from __future__ import annotations

import argparse
import json

import numpy as np


def rodrigues(v: np.ndarray) -> np.ndarray:
    th = np.linalg.norm(v, axis=-1, keepdims=True)
    k = np.where(th > 1e-12, v / np.maximum(th, 1e-12), 0.0)
    K = np.zeros(v.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    K[..., 1, 0], K[..., 2, 0], K[..., 2, 1] = k[..., 2], -k[..., 1], k[..., 0]
    s, c = np.sin(th)[..., None], np.cos(th)[..., None]
    return np.eye(3) + s * K + (1 - c) * K @ K


def remove_gravity_gyro(X, channels, rate, cutoff=0.3):
    """Like imusim.har.real.remove_gravity (same signature; ``cutoff`` unused), with a gyro-aided gravity estimate."""
    from imusim.har.real import G
    X = X.copy()
    ia = [i for i, c in enumerate(channels) if c.startswith("acc")]
    ig = [i for i, c in enumerate(channels) if c.startswith("gyro")]
    if not ig:
        raise ValueError(f"gyro-aided gravity removal needs gyro channels, got {list(channels)}")
    f, w = X[..., ia].astype(np.float64), X[..., ig].astype(np.float64)
    N, T, _ = f.shape
    Q = np.empty((N, T, 3, 3))
    Q[:, 0] = np.eye(3)
    for k in range(T - 1):  # frame k+1 → frame 0, midpoint rate
        Q[:, k + 1] = Q[:, k] @ rodrigues(0.5 * (w[:, k] + w[:, k + 1]) / rate)
    s = np.einsum("ntij,ntj->ni", Q, f)
    u0 = s / np.linalg.norm(s, axis=-1, keepdims=True)
    X[..., ia] = (f - G * np.einsum("ntji,nj->nti", Q, u0)).astype(X.dtype)
    return X


def self_test() -> float:
    from imusim.har.real import G
    rate, T, w = 50.0, 128, np.array([2.0, 0.5, -1.0])
    u = [np.array([0.3, 0.2, 0.93]) / np.linalg.norm([0.3, 0.2, 0.93])]
    for _ in range(T - 1):
        u.append(rodrigues(-w[None] / rate)[0] @ u[-1])
    X = np.concatenate([G * np.array(u), np.tile(w, (T, 1))], 1)[None].astype(np.float32)
    out = remove_gravity_gyro(X, ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"], rate)
    return float(np.abs(out[0, :, :3]).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--synthetic", action="append", required=True, metavar="NAME=STORE[,STORE]")
    ap.add_argument("--sensor", default="wrist_r")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    import imusim.har.real as real
    from imusim.har.realism import realism
    resid = self_test()
    assert resid < 1e-5, f"gyro-aided removal self-test residual {resid}"
    syn = {s.split("=", 1)[0]: s.split("=", 1)[1].split(",") for s in a.synthetic}
    out = {"self_test_residual_m_s2": resid, "sensor": a.sensor, "reference": "basicmotions", "removal": {}}
    low_pass = real.remove_gravity
    for name, fn in (("low_pass_0.3Hz", low_pass), ("gyro_aided", remove_gravity_gyro)):
        real.remove_gravity = fn  # harmonise() looks it up at call time
        try:
            r = realism(syn, "basicmotions", sensors=[a.sensor], bootstrap=0)
        finally:
            real.remove_gravity = low_pass
        rows = {}
        for act, e in r["sensors"][a.sensor]["per_activity"].items():
            for n, st in e["sets"].items():
                v = st["vs_reference"] or {}
                rows[f"{act}/{n}"] = {"ratio_median": v.get("acc_ratio_median"), "ratio_p90": v.get("acc_ratio_p90"),
                                      "band_power_ratio": v.get("band_power_ratio")}
        out["removal"][name] = rows
        print(name, json.dumps(rows))
    with open(a.json, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
