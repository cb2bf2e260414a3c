"""``imusim bench render``: ``render_imu`` alone (the generator's kernel), error models and backends side by side.

Workload: ``--motions`` motions of ``--seconds`` s at ``--fps`` (smooth random SMPL22 trajectories as float32
rotation matrices, one frame pool), 2 sensors, rendered at 50 Hz in calls of ``--batch`` motions, each motion
with its own seed; no augmentation, no windowing, no storage (``imusim bench generate`` measures the whole
stage). For each backend (``triton`` on CUDA tensors, ``cpp`` on the host) and error model: median seconds
of a pass over all motions (CUDA synchronised), output rows per second (one row = one 50 Hz sample of
every sensor) and the equivalent 2.56 s windows at 1.28 s stride per second, and the ratio to the same
backend with ideal sensors. Error models: ``off`` (ideal), ``bmi160-legacy`` (white, bias, random walk,
scale, misalignment, range, resolution), ``on`` (the BMI160 profile: every term it has — flicker,
low-pass, cross-axis, g-sensitivity, temperature coefficients), ``all`` (``on`` plus a Gauss–Markov bias on
every group: every recursive term of the kernel), or any profile name. ``--mag`` adds the magnetometer;
``--block`` sweeps the Triton renderer's rows per program (imusim/triton/render.py ``BLOCK_ROWS``).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch

NAME = "render"
RATE = 50.0


def _model(name):
    from .generate import noise_model

    if name != "all":
        return noise_model(name)
    m = noise_model("on")
    gm = lambda a, s: replace(a, bias_gm_std=s, bias_gm_tau=100.0)  # noqa: E731
    return replace(m, acc=gm(m.acc, m.acc.bias_instability), gyro=gm(m.gyro, m.gyro.bias_instability),
                   mag=gm(m.mag, 1.0), name="BMI160 + Gauss-Markov")


def bench(motions=4096, batch=1024, seconds=10.0, fps=20.0, noise="on", backend="triton", device="cuda", mag=False,
          block=None, repeats=5):
    """One row: a pass of ``render_imu`` over every motion (see the module docstring)."""
    from ..imu.render import output_samples, render_imu
    from ..kinematics import SMPL22
    from ._util import timeit
    from .generate import _pool

    distinct = min(motions, 1024)
    L, root, T = _pool(distinct, seconds, fps)
    dev = device if backend == "triton" else "cpu"
    L, root = L.to(dev), root.to(dev)
    model = _model(noise)
    starts = (np.arange(motions) % distinct) * T
    calls = [(starts[i:i + batch], np.arange(i, min(i + batch, motions)) + 1) for i in range(0, motions, batch)]

    def one_pass():
        for st, seeds in calls:
            render_imu(L, root, SMPL22, start=st, length=[T] * len(st), fps=fps, rate=RATE,
                       sensors=["wrist_r", "thigh_r"], noise=model, seeds=seeds, mag_field=True if mag else None,
                       backend=backend)

    from ..triton import render as trr

    attr = "BLOCK_ROWS" if torch.device(dev).type == "cuda" else "BLOCK_INTERPRET"  # CPU: the interpreter's
    old = getattr(trr, attr)
    if block:
        setattr(trr, attr, int(block))
    try:
        t = timeit(one_pass, repeats=repeats, warmup=1, device=dev)
    finally:
        setattr(trr, attr, old)
    n = int(output_samples([T], [fps], RATE)[0])
    wins = max(0, (n - 128) // 64 + 1)
    return {"backend": backend, "device": dev, "noise": noise if model is None else model.name, "mag": mag,
            "block": (block or old) if backend == "triton" else "", "motions": motions, "fps_in": fps,
            "s/pass": round(t, 4), "Mrows/s": round(motions * n / t / 1e6, 3),
            "windows/s": round(motions * wins / t)}


def add_arguments(p):
    p.add_argument("--motions", type=int, default=4096)
    p.add_argument("--batch", type=int, default=1024, help="motions per render_imu call")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each motion")
    p.add_argument("--fps", type=float, default=20.0, help="input frame rate (20: resampled to 50 Hz)")
    p.add_argument("--noise", default="off,bmi160-legacy,on,all",
                   help="comma list of error models: off, bmi160-legacy, on (BMI160, every term), all (+ Gauss-Markov), "
                        "or profile names")
    p.add_argument("--backends", default=None,
                   help="comma list of render backends (default: triton,cpp with --device cuda, cpp otherwise)")
    p.add_argument("--device", default="cpu", help="cuda: the Triton renderer on the GPU (cpp runs on host copies)")
    p.add_argument("--mag", default="off", help="'off', 'on' or 'off,on': render the magnetometer too")
    p.add_argument("--block", default="", help="comma list of Triton rows per program to sweep (default: its own)")
    p.add_argument("--repeats", type=int, default=5, help="median of")
    p.add_argument("--json", help="also write the rows to this JSON file")


def run(args):
    from ._util import report

    backends = (args.backends or ("triton,cpp" if args.device.startswith("cuda") else "cpp")).split(",")
    blocks = [int(b) for b in args.block.split(",") if b] or [None]
    mags = [m.strip() == "on" for m in args.mag.split(",")]
    rows = []
    for be in backends:
        for mg in mags:
            base = None
            bl = blocks if be == "triton" else [None]
            for nz in args.noise.split(","):
                for blk in bl:
                    r = bench(args.motions, args.batch, args.seconds, args.fps, nz, be, args.device, mg, blk,
                              args.repeats)
                    if nz == "off" and blk == bl[0]:
                        base = r["s/pass"]
                    r["vs_off"] = round(base / r["s/pass"], 3) if base else ""
                    rows.append(r)
    for r in rows:  # triton against the CPU kernel, same model
        c = [x for x in rows if x["backend"] == "cpp" and x["noise"] == r["noise"] and x["mag"] == r["mag"]]
        r["vs_cpp"] = round(c[0]["s/pass"] / r["s/pass"], 2) if c and r["backend"] == "triton" else ""
    report(rows, list(rows[0]), args.json)
    if not math.isfinite(sum(r["s/pass"] for r in rows)):
        return 1
    return 0
