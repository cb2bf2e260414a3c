#!/usr/bin/env python
"""Where does the IMU intensity of generated motion go wrong?  (issue 14, diagnosis)

Renders wrist IMU signals (both wrists, ideal sensors) at 50 Hz, resamples them anti-aliased to 20 Hz
(the WISDM watch's native rate), cuts 2.5 s windows (stride 1.25 s) and reports per activity the
per-window acceleration intensity RMS(|acc| − g) (median, 90th percentile) for:

* ``real``: WISDM 2019 watch accelerometer (walking, jogging → running), 5-s windows split in two;
* ``mocap``: the test split's source clips retargeted to SMPL22 at their native rate (rotations);
* ``gt_features``: the same clips' 263-d features (20 fps) → recover_from_ric → IK (the path every
  generated motion takes);
* each ``--checkpoint SPEC`` sampled from the test clips' captions and lengths, where SPEC is
  ``PATH[@key=value,...]`` with keys steps, guidance, sampler (ddim|ddpm), smooth, precision.

    python scripts/realism_probe.py --data runs/data --checkpoint imusim/checkpoints/refined.safetensors \
        --checkpoint imusim/checkpoints/refined.safetensors@guidance=1 --json runs/probe.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from imusim.constants import GRAVITY as G, HUMANML3D_FPS

ACTS = ("walk", "run")
SENSORS = "wrist_r,wrist_l"
RENDER_HZ, OUT_HZ, WIN_S, STRIDE_S = 50.0, 20.0, 2.5, 1.25


def intensities(acc: np.ndarray) -> np.ndarray:
    """acc ``[T, 3]`` at OUT_HZ → per-window RMS(|acc| − g) ``[W]``."""
    W, st = int(WIN_S * OUT_HZ), int(STRIDE_S * OUT_HZ)
    n = np.linalg.norm(acc, axis=-1) - G
    out = [np.sqrt(np.mean(n[a:a + W] ** 2)) for a in range(0, len(n) - W + 1, st)]
    return np.array(out)


def render_windows(local: torch.Tensor, root: torch.Tensor, fps: float) -> np.ndarray:
    """One motion ``[T, 22, 3, 3]``, ``[T, 3]`` → per-window intensities of both wrists (pooled)."""
    from imusim.har.real import resample
    from imusim.imu import synthesize_imu
    from imusim.kinematics import SMPL22

    r = synthesize_imu(local.double(), root.double(), SMPL22, SENSORS, fps, rate=RENDER_HZ)
    acc = r.acc.numpy()  # [T', S, 3]
    out = []
    for s in range(acc.shape[1]):
        a = resample(acc[None, :, s].astype(np.float32), RENDER_HZ, OUT_HZ)[0]
        a = a[2:-2]  # resampler edges
        out.append(intensities(a))
    return np.concatenate(out)


def summary(v: np.ndarray) -> dict:
    if len(v) == 0:
        return {"n": 0}
    return {"n": int(len(v)), "median": float(np.median(v)), "p90": float(np.percentile(v, 90)),
            "p10": float(np.percentile(v, 10)), "mean": float(np.mean(v))}


def real_wisdm(path: Path) -> dict:
    z = np.load(path)
    X, y = z["X"], z["y"].astype(str)
    res = {}
    for lab, act in (("walking", "walk"), ("jogging", "run")):
        Xs = X[y == lab]  # [N, 100, 3], 20 Hz
        v = np.concatenate([intensities(x) for x in Xs])
        res[act] = v
    return res


def parse(spec: str):
    path, _, opts = spec.partition("@")
    kw = {"steps": 50, "guidance": 2.5, "sampler": "ddim", "smooth": 0.0, "precision": "fp32"}
    for item in filter(None, opts.split(",")):
        k, _, v = item.partition("=")
        if k not in kw:
            raise SystemExit(f"--checkpoint {spec}: unknown option {k!r}; known {sorted(kw)}")
        kw[k] = type(kw[k])(v) if not isinstance(kw[k], str) else v
    return path, kw


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data set from `imusim data build`")
    ap.add_argument("--checkpoint", action="append", default=[], help="PATH[@steps=..,guidance=..,sampler=..,smooth=..]")
    ap.add_argument("--real", default=str(Path(__file__).resolve().parents[2] / "shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz"))
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=0, help="at most this many clips per activity (0 = all)")
    ap.add_argument("--samples", type=int, default=1, help="generated motions per clip")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-mocap", action="store_true", help="skip the mocap/gt_features references")
    ap.add_argument("--json", required=True)
    a = ap.parse_args(argv)

    from imusim.data import load_motion
    from imusim.data.dataset import load_split
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.convert import features_to_rotations
    from imusim.diffusion.evaluate import smooth_features
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample

    torch.set_grad_enabled(False)
    clips, dmean, dstd = load_split(a.data, a.split)
    clips = [c for c in clips if c["activity"] in ACTS]
    if a.limit:
        by = {k: [c for c in clips if c["activity"] == k][: a.limit] for k in ACTS}
        clips = [c for k in ACTS for c in by[k]]
    counts = {k: sum(c["activity"] == k for c in clips) for k in ACTS}
    print(f"{len(clips)} clips {counts}", file=sys.stderr)
    res = {"config": {"data": a.data, "split": a.split, "sensors": SENSORS, "render_hz": RENDER_HZ,
                      "out_hz": OUT_HZ, "window_s": WIN_S, "stride_s": STRIDE_S, "samples": a.samples,
                      "seed": a.seed, "limit": a.limit, "max_frames": 120},
           "sets": {}}
    per = {}
    real = real_wisdm(Path(a.real))
    per["real"] = real
    if not a.no_mocap:
        m_v, f_v = {k: [] for k in ACTS}, {k: [] for k in ACTS}
        for c in clips:
            if c.get("mirror_of"):
                continue
            m0 = load_motion(c["source"])
            m = retarget_to_smpl22(m0, fps=m0.fps)
            m_v[c["activity"]].append(render_windows(m.local_rot, m.root_pos, m.fps))
            L, r = features_to_rotations(torch.as_tensor(c["features"]).double())
            f_v[c["activity"]].append(render_windows(L, r, HUMANML3D_FPS))
        per["mocap"] = {k: np.concatenate(v) if v else np.zeros(0) for k, v in m_v.items()}
        per["gt_features"] = {k: np.concatenate(v) if v else np.zeros(0) for k, v in f_v.items()}
    for spec in a.checkpoint:
        path, kw = parse(spec)
        model, mean, std, enc_name, meta = load_checkpoint(path, "cpu")
        maxf = int(((meta or {}).get("train_config") or {}).get("max_frames") or 196)
        enc = get_text_encoder(enc_name)
        v = {k: [] for k in ACTS}
        t0 = time.time()
        jobs = [(s, i) for s in range(a.samples) for i in range(len(clips))]
        for b in range(0, len(jobs), 32):
            jb = jobs[b:b + 32]
            lens = [min(maxf, len(clips[i]["features"])) for _, i in jb]
            caps = [clips[i]["captions"][0] for _, i in jb]
            seeds = [a.seed * 1_000_003 + s * 100_003 + i for s, i in jb]
            if kw["sampler"] == "ddpm":
                feats, _ = sample(model, mean, std, enc, caps, lens, guidance=kw["guidance"], sampler="ddpm",
                                  seed=a.seed * 7919 + b, precision=kw["precision"])
            else:
                feats, _ = sample(model, mean, std, enc, caps, lens, steps=kw["steps"], guidance=kw["guidance"],
                                  seeds=seeds, precision=kw["precision"])
            for (s, i), f, T in zip(jb, feats, lens):
                f = f[:T].double()
                if kw["smooth"]:
                    f = smooth_features(f, kw["smooth"])
                L, r = features_to_rotations(f)
                v[clips[i]["activity"]].append(render_windows(L, r, HUMANML3D_FPS))
        per[spec] = {k: np.concatenate(x) if x else np.zeros(0) for k, x in v.items()}
        print(f"{spec}: {time.time() - t0:.0f} s", file=sys.stderr)
    for name, d in per.items():
        res["sets"][name] = {k: summary(d.get(k, np.zeros(0))) for k in ACTS}
        for k in ACTS:
            s, r = res["sets"][name][k], res["sets"]["real"][k]
            if s.get("n"):
                s["ratio_median"] = s["median"] / r["median"]
                s["ratio_p90"] = s["p90"] / r["p90"]
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print(f"{'set':60s} " + " ".join(f"{k + ' med':>9s} {k + ' p90':>9s} {'x med':>6s} {'x p90':>6s}" for k in ACTS))
    for name, d in res["sets"].items():
        row = []
        for k in ACTS:
            s = d[k]
            row.append(f"{s.get('median', float('nan')):9.2f} {s.get('p90', float('nan')):9.2f} "
                       f"{s.get('ratio_median', float('nan')):6.2f} {s.get('ratio_p90', float('nan')):6.2f}")
        print(f"{name[-60:]:60s} " + " ".join(row))


if __name__ == "__main__":
    main()
