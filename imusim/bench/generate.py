"""``imusim bench generate``: windows per second of the generator's IMU stage (motion → windows → store).

Workload: B motions of ``--seconds`` s on SMPL22 at the IMU rate (50 Hz, so no resampling), smooth
random axis-angle trajectories, ``--sensors`` sensors; each batch goes through ``synthesize_imu`` (fused
kernel), sliding windows (2.56 s, stride 1.28 s) and one HDF5 shard write. Reports windows/s overall
and the time split between IMU synthesis, windowing and writing. End to end with diffusion sampling
needs a checkpoint (``--checkpoint``); its cost per window is reported when one is given.
"""

from __future__ import annotations

import math
import tempfile
import time

import numpy as np
import torch

NAME = "generate"


def _motions(B, T, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T, dtype=torch.float32)[None, :, None, None] / 50.0
    amp = 0.5 * torch.rand(B, 1, 22, 3, generator=g)
    f = 0.5 + 2 * torch.rand(B, 1, 22, 3, generator=g)
    aa = amp * torch.sin(2 * math.pi * f * t)
    root = torch.stack([1.2 * t[..., 0, 0], 0.9 + 0.02 * torch.sin(10 * t[..., 0, 0]), 0 * t[..., 0, 0]], -1)
    return aa.expand(B, T, 22, 3).contiguous(), root.expand(B, T, 3).contiguous()


def bench(motions=2048, batch=512, seconds=10.0, sensors="wrist_r,thigh_r", backend=None, repeats=3):
    from ..generate.store import ShardWriter
    from ..generate.windows import sliding_windows, window_params
    from ..imu import synthesize_imu
    from ..kinematics import SMPL22

    T = int(seconds * 50)
    W, st = window_params(50.0, 2.56, 1.28)
    aa, root = _motions(batch, T)
    best = None
    for _ in range(repeats):
        t_imu = t_win = t_write = 0.0
        n_win = 0
        with tempfile.TemporaryDirectory() as d:
            w = ShardWriter(d)
            for b0 in range(0, motions, batch):
                t0 = time.perf_counter()
                with torch.no_grad():
                    r = synthesize_imu(aa, root, SMPL22, sensors, 50.0, rot_format="axis_angle", backend=backend)
                x = r.stacked().numpy()
                t1 = time.perf_counter()
                wins = np.concatenate([sliding_windows(x[i], W, st) for i in range(x.shape[0])])
                t2 = time.perf_counter()
                n = len(wins)
                per = n // x.shape[0]
                ids = np.arange(b0 * per, b0 * per + n)
                w.write(wins, ["walking"] * n, ["bench"] * n, ["bench"] * n, ids, ids, np.repeat(np.arange(b0, b0 + x.shape[0]), per))
                t3 = time.perf_counter()
                t_imu, t_win, t_write, n_win = t_imu + t1 - t0, t_win + t2 - t1, t_write + t3 - t2, n_win + n
        total = t_imu + t_win + t_write
        row = {"motions": motions, "seconds_each": seconds, "sensors": sensors, "windows": n_win,
               "windows/s": round(n_win / total), "imu_s": round(t_imu, 3), "window_s": round(t_win, 3),
               "write_s": round(t_write, 3), "imu_only_windows/s": round(n_win / t_imu)}
        if best is None or row["windows/s"] > best["windows/s"]:
            best = row
    return [best]


def bench_end_to_end(checkpoint, motions=64, batch=32, seconds=9.8, steps=(50, 20, 10), sensors="wrist_r,thigh_r",
                     guidance=2.5, device=None):
    """Text → motion (DDIM, CFG) → IK → virtual IMU → 2.56 s windows at 50 Hz, per DDIM step count.

    One row per step count: windows/s, seconds per window and the time split (sampling / IK / IMU +
    windowing). Each sampled motion of ``seconds`` s yields floor((s − 2.56)/1.28) + 1 windows: longer
    motions are the main lever that reuses one sample for many windows."""
    from ..diffusion.checkpoint import load_checkpoint
    from ..diffusion.convert import features_to_rotations
    from ..diffusion.text import get_text_encoder
    from ..diffusion.train import sample
    from ..diffusion.zoo import resolve_checkpoint
    from ..generate.windows import sliding_windows, window_params
    from ..imu import synthesize_imu
    from ..kinematics import SMPL22

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model, mean, std, enc_name, _ = load_checkpoint(resolve_checkpoint(checkpoint), device)
    enc = get_text_encoder(enc_name, device=device)
    T = int(round(seconds * 20))
    W, st = window_params(50.0, 2.56, 1.28)
    prompts = ["a person walks forward.", "a person runs forward.", "a person jumps up.", "a person waves."]
    rows = []
    for k in steps:
        t_s = t_ik = t_imu = 0.0
        n_win = 0
        for b0 in range(0, motions, batch):
            B = min(batch, motions - b0)
            pr = [prompts[(b0 + i) % len(prompts)] for i in range(B)]
            t0 = time.perf_counter()
            feats, _ = sample(model, mean, std, enc, pr, [T] * B, steps=k, guidance=guidance,
                              seeds=list(range(b0, b0 + B)), device=device)
            t1 = time.perf_counter()
            local, root = features_to_rotations(feats.cpu())  # batched IK over [B, T]
            t2 = time.perf_counter()
            with torch.no_grad():
                r = synthesize_imu(local, root, SMPL22, sensors, 20.0, rate=50.0)
            x = r.stacked().float().numpy()
            n_win += sum(len(sliding_windows(x[i], W, st)) for i in range(B))
            t3 = time.perf_counter()
            t_s, t_ik, t_imu = t_s + t1 - t0, t_ik + t2 - t1, t_imu + t3 - t2
        tot = t_s + t_ik + t_imu
        rows.append({"ddim_steps": k, "motions": motions, "batch": batch, "seconds_each": seconds,
                     "windows": n_win, "windows/s": round(n_win / tot, 1), "ms/window": round(1000 * tot / n_win, 2),
                     "sample_s": round(t_s, 2), "ik_s": round(t_ik, 2), "imu_s": round(t_imu, 2),
                     "device": device})
    return rows


def add_arguments(p):
    p.add_argument("--motions", type=int, default=2048)
    p.add_argument("--batch", type=int, default=512, help="motions per synthesize_imu call")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each motion")
    p.add_argument("--sensors", default="wrist_r,thigh_r")
    p.add_argument("--backend", default=None)
    p.add_argument("--repeats", type=int, default=3, help="best of")
    p.add_argument("--json", help="also write the rows to this JSON file")
    p.add_argument("--checkpoint", help="also measure end to end (diffusion sampling → IK → IMU → windows)")
    p.add_argument("--e2e-motions", type=int, default=64, help="end to end: motions sampled per step count")
    p.add_argument("--e2e-batch", type=int, default=32, help="end to end: sampling batch")
    p.add_argument("--e2e-seconds", type=float, default=9.8, help="end to end: motion length (s)")
    p.add_argument("--e2e-steps", default="50,20,10", help="end to end: DDIM step counts")


def run(args):
    from ._util import report

    rows = bench(args.motions, args.batch, args.seconds, args.sensors, args.backend, args.repeats)
    report(rows, list(rows[0]), args.json)
    if args.checkpoint:
        e2e = bench_end_to_end(args.checkpoint, args.e2e_motions, args.e2e_batch, args.e2e_seconds,
                               [int(x) for x in args.e2e_steps.split(",")], args.sensors)
        report(e2e, list(e2e[0]), args.json and args.json.replace(".json", "_e2e.json"))
    return 0
