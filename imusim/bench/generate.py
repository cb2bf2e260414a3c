"""``imusim bench generate``: windows per second of the bulk generator.

IMU stage (``bench``): motions already in memory → ``imusim generate``'s own path — ``render_imu`` with
the default augmentation (per-rendering speed, mirroring, sensor jitter, mount rotation, the sensor error
model ``--noise`` drawn from each rendering's seed) → sliding windows (one gather into the shard buffer) →
atomic HDF5 shards written and fsync'd by the background writer (``run_items``). Workload: M motions of
``--seconds`` s (items cycling over at most 1,024 distinct motions, each with its own seed) on SMPL22 (smooth random trajectories as float32 rotation matrices, the form the
generator holds mocap clips and IK output in) at ``--fps`` (20 = the diffusion model's rate, resampled
to 50 Hz; 50 = no resampling), 2 sensors, 2.56 s windows, 1.28 s stride. Reports windows/s of the
whole stage and the time split (render / windowing / waiting for the writer), best of ``--repeats``.

End to end (``bench_end_to_end``, needs a checkpoint): text → DDIM sampling with CFG → IK → the same
IMU stage, per DDIM step count and per ``--e2e-variants`` (renderings per sampled motion, the lever
that reuses one sample for several windows).
"""

from __future__ import annotations

import itertools
import math
import tempfile
import time

import numpy as np
import torch

from ..constants import HUMANML3D_FPS

NAME = "generate"


def _motions(B, T, seed=0, fps=50.0):
    """Smooth random axis-angle trajectories ``[B, T, 22, 3]`` and a walking root ``[B, T, 3]``."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T, dtype=torch.float32)[None, :, None, None] / fps
    amp = 0.5 * torch.rand(B, 1, 22, 3, generator=g)
    f = 0.5 + 2 * torch.rand(B, 1, 22, 3, generator=g)
    aa = amp * torch.sin(2 * math.pi * f * t)
    root = torch.stack([1.2 * t[..., 0, 0], 0.9 + 0.02 * torch.sin(10 * t[..., 0, 0]), 0 * t[..., 0, 0]], -1)
    return aa.expand(B, T, 22, 3).contiguous(), root.expand(B, T, 3).contiguous()


def _pool(motions, seconds, fps):
    from ..kinematics.rotations import axis_angle_to_matrix

    T = int(round(seconds * fps))
    aa, root = _motions(motions, T, fps=fps)
    L = axis_angle_to_matrix(aa).reshape(motions * T, 22, 3, 3).contiguous()
    return L, root.reshape(motions * T, 3).contiguous(), T


LEGACY = ("noise_density", "bias_std", "bias_rw", "scale_std", "misalignment_std", "range", "resolution")


def noise_model(name):
    """``on`` = the BMI160 profile (every term), ``off`` = ideal sensors, ``bmi160-legacy`` = the BMI160
    profile restricted to the terms of the first error model (white noise, bias, random walk, scale,
    misalignment, range, resolution: what the earlier RESULTS.md rows measured), or any profile name."""
    from dataclasses import fields, replace

    from ..imu.profiles import get_noise_model
    if name in ("on", True):
        return get_noise_model("bmi160")
    if name in ("off", False, None, "none"):
        return None
    if name == "bmi160-legacy":
        m = get_noise_model("bmi160")
        strip = lambda a: replace(a, **{f.name: f.default for f in fields(a) if f.name not in LEGACY})  # noqa: E731
        return replace(m, acc=strip(m.acc), gyro=strip(m.gyro), name="BMI160 (legacy terms)")
    return get_noise_model(name)


def bench(motions=4096, batch=512, seconds=10.0, sensors="wrist_r,thigh_r", fps=HUMANML3D_FPS, noise=True, variants=1,
          repeats=3, shard_windows=16384, out_dir=None, device="cpu", channels=("acc", "gyro")):
    """One row: the generator's IMU stage on in-memory motions (see the module docstring): the library
    pipeline :func:`imusim.generate.generate` with a :class:`~imusim.generate.sources.PoolSource`. ``device``:
    where the frame pool lives and ``render_imu`` runs (``cuda``: the Triton renderer; finished streams are
    copied to the host once per batch)."""
    from ..generate import GenerateConfig, generate
    from ..generate.pipeline import augmentation
    from ..generate.sources import PoolSource
    from ..kinematics import SMPL22

    distinct = min(motions, 1024)  # items cycle over a pool of distinct motions (memory), own seeds
    L, root, T = _pool(distinct, seconds, fps)
    L, root = L.to(device), root.to(device)
    model = noise_model(noise)
    best = None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(dir=out_dir) as d:
            cfg = GenerateConfig(out=d, activities={"walking": ["bench"]}, per_activity=motions, sensors=sensors,
                                 rate=50.0, window=2.56, stride=1.28, seconds=(seconds, seconds), batch=batch,
                                 variants=variants, shard_windows=shard_windows, noise=model or "none",
                                 channels=",".join(channels), progress=False)
            src = PoolSource(L, root, SMPL22, np.arange(distinct) * T, T, fps, sensors, 50.0,
                             augment=augmentation(cfg), variants=variants, channels=channels, label="bench")
            s = generate(cfg, source=src, log=lambda msg: None)
        split = s.time_split_s
        row = {"device": device, "motions": motions, "fps_in": fps, "variants": variants,
               "noise+aug": model.name if model is not None else "off (aug on)", "channels": ",".join(channels),
               "windows": s.windows, "windows/s": round(s.windows_per_s_this_run),
               "render_s": round(src.t_render, 3), "window_s": split["windowing"],
               "wait_write_s": split["waiting_for_writes"], "total_s": round(s.windows / max(s.windows_per_s_this_run, 1e-9), 3),
               "render_only_windows/s": round(s.windows / max(src.t_render, 1e-9)),
               "MB_written/s": round(s.bytes / 1e6 * s.windows_per_s_this_run / max(s.windows, 1))}
        if best is None or row["windows/s"] > best["windows/s"]:
            best = row
    return best


# the prompts of the end-to-end measurement (scripts/cached_text.py stores their embeddings for GPU machines)
E2E_PROMPTS = ["a person walks forward.", "a person runs forward.", "a person jumps up.", "a person waves."]


def bench_end_to_end(checkpoint, motions=64, batch=32, seconds=9.8, steps=(50, 20, 10), sensors="wrist_r,thigh_r",
                     guidance=2.5, device=None, variants=(1,), precisions=("fp32",)):
    """Text → DDIM sampling (CFG) → IK → IMU stage → windows in a store, one row per (steps, variants):
    windows/s, ms per window and the split sampling / IK / IMU. Each motion of ``seconds`` s yields
    ``variants · (floor((s − 2.56)/1.28) + 1)`` windows."""
    from ..generate import GenerateConfig, generate
    from ..generate.pipeline import augmentation
    from ..generate.sources import DiffusionSource

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    prompts = E2E_PROMPTS
    rows = []
    for prec, k, v in itertools.product(precisions, steps, variants):
        with tempfile.TemporaryDirectory() as d:
            cfg = GenerateConfig(out=d, checkpoint=checkpoint, activities={"a": prompts}, per_activity=motions,
                                 sensors=sensors, rate=50.0, window=2.56, stride=1.28, seconds=(seconds, seconds),
                                 batch=batch, variants=v, steps=k, guidance=guidance, precision=prec, progress=False)
            src = DiffusionSource(checkpoint, sensors, 50.0, steps=k, guidance=guidance, device=device, variants=v,
                                  precision=prec, augment=augmentation(cfg))
            s = generate(cfg, source=src, log=lambda msg: None)
        tot = s.windows / max(s.windows_per_s_this_run, 1e-9)
        rows.append({"precision": prec, "ddim_steps": k, "variants": v, "motions": motions, "batch": batch,
                     "seconds_each": seconds, "windows": s.windows, "windows/s": round(s.windows_per_s_this_run, 1),
                     "ms/window": round(1000 * tot / max(s.windows, 1), 2), "sample_s": round(src.t_sample, 2),
                     "ik_s": round(src.t_ik, 2), "imu_s": round(src.t_imu, 3), "device": device})
    return rows


def add_arguments(p):
    p.add_argument("--motions", type=int, default=4096)
    p.add_argument("--batch", type=int, default=512, help="motions per render_imu call")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each motion")
    p.add_argument("--fps", default="20,50", help="input frame rates to measure (20: resampled to 50 Hz)")
    p.add_argument("--sensors", default="wrist_r,thigh_r")
    p.add_argument("--noise", default="on,off",
                   help="comma list: 'on' (the BMI160 profile, every term), 'off' (ideal sensors), 'bmi160-legacy' "
                        "(BMI160 with the first model's terms only: white, bias, random walk, scale, misalignment, "
                        "range, resolution) or any profile name; augmentation is on in every case")
    p.add_argument("--channels", default="acc,gyro", help="channel groups rendered and stored (acc,gyro[,mag])")
    p.add_argument("--variants", default="1", help="renderings per motion (comma list)")
    p.add_argument("--repeats", type=int, default=3, help="best of")
    p.add_argument("--device", default="cpu", help="where motions live and are rendered (and sampled, end to end)")
    p.add_argument("--json", help="also write the rows to this JSON file")
    p.add_argument("--checkpoint", help="also measure end to end (diffusion sampling → IK → IMU → windows)")
    p.add_argument("--e2e-motions", type=int, default=64, help="end to end: motions sampled per step count")
    p.add_argument("--e2e-batch", type=int, default=32, help="end to end: sampling batch")
    p.add_argument("--e2e-seconds", type=float, default=9.8, help="end to end: motion length (s)")
    p.add_argument("--e2e-steps", default="50,20,10", help="end to end: DDIM step counts")
    p.add_argument("--e2e-variants", default="1,4", help="end to end: renderings per sampled motion")
    p.add_argument("--e2e-precision", default="fp32,bf16", help="end to end: diffusion network precisions")


def run(args):
    from ._util import report

    from ..generate.sources import channel_groups

    groups = channel_groups(args.channels)
    rows = [bench(args.motions, args.batch, args.seconds, args.sensors, float(f), n, int(v), args.repeats,
                  device=args.device, channels=groups)
            for f in args.fps.split(",") for n in args.noise.split(",") for v in args.variants.split(",")]
    report(rows, list(rows[0]), args.json)
    if args.checkpoint:
        e2e = bench_end_to_end(args.checkpoint, args.e2e_motions, args.e2e_batch, args.e2e_seconds,
                               [int(x) for x in args.e2e_steps.split(",")], args.sensors, device=args.device,
                               variants=[int(x) for x in args.e2e_variants.split(",")],
                               precisions=args.e2e_precision.split(","))
        report(e2e, list(e2e[0]), args.json and args.json.replace(".json", "_e2e.json"))
    return 0
