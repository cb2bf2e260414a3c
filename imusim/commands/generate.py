"""``imusim generate``: activities → motions → labelled virtual-IMU windows in a sharded HDF5 store."""

import argparse
import math


def register(sub):
    p = sub.add_parser("generate", help="bulk-generate labelled IMU windows (sharded, resumable, torchrun-ready)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="For every activity of the activities file, N motions (diffusion sampling from "
                                   "--checkpoint, lengths capped at its training crop; or seeded crops of retargeted "
                                   "mocap clips under --from-mocap) are rendered --variants times each through the "
                                   "fused virtual-IMU kernel with their own augmentation (speed, mirroring, sensor "
                                   "jitter, mount rotation, the --noise sensor error model), cut into sliding windows and written to "
                                   "atomic HDF5 shards with per-rank manifests (load them with imusim.generate.load). "
                                   "--resume continues exactly where a killed run stopped. Under torchrun each rank "
                                   "takes the items with index mod world == rank; the content does not depend on the "
                                   "number of processes or the batch size. One writer per rank: a second process on "
                                   "the same --out fails at once, naming the first. Every shard's SHA-256 is recorded "
                                   "in the manifest; --verify DIR checks a store, --resume redoes bad shards.")
    p.add_argument("--checkpoint", default="refined",
                   help="diffusion checkpoint (name, path, or mdm:DIR for a pretrained MDM)")
    p.add_argument("--clip-weights", metavar="DIR", default=None,
                   help="local CLIP directory for checkpoints with the 'clip' text encoder (MDM's; default "
                        "$IMUSIM_CLIP_WEIGHTS)")
    p.add_argument("--from-mocap", metavar="DIR", help="use mocap under DIR (e.g. ../shared/data) instead of diffusion")
    p.add_argument("--activities", help="YAML activity -> prompts (default: imusim/generate/activities.yaml)")
    p.add_argument("--per-activity", type=int, default=100, help="motions per activity")
    p.add_argument("--sensors", default="wrist_r,thigh_r",
                   help="sensor presets (imusim.imu.sensors.PRESETS) or joint:NAME, comma-separated")
    p.add_argument("--rate", type=float, default=50.0, help="IMU rate (Hz)")
    p.add_argument("--window", type=float, default=2.56, help="window length (s)")
    p.add_argument("--stride", type=float, default=1.28, help="window stride (s)")
    p.add_argument("--out", help="store directory (required unless --verify)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out (the configuration must be the one of the store; "
                        "damaged shards are verified and redone)")
    p.add_argument("--overwrite", action="store_true",
                   help="delete the store in --out and start a new run there")
    p.add_argument("--verify", metavar="DIR",
                   help="check every shard of the store DIR (size, SHA-256, readable) and report the bad ones; "
                        "exit status 1 when any is bad. Nothing is generated")
    p.add_argument("--seed", type=int, default=0, help="global seed of the work plan (every draw derives from it)")
    p.add_argument("--seconds", default="4,9.8", help="motion length range (s) 'lo,hi'")
    p.add_argument("--shard-windows", type=int, default=16384,
                   help="windows per shard (shards hold whole motions; two shard buffers are kept in memory)")
    p.add_argument("--batch", type=int, default=None,
                   help="motions per batch (diffusion: sampling batch, default 32; mocap: default 256)")
    p.add_argument("--variants", type=int, default=1,
                   help="renderings per motion, each with its own augmentation (mirroring, speed, sensor "
                        "jitter, mount rotation, noise): reuses one sampled motion for several windows' worth")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--guidance", type=float, default=2.5, help="classifier-free guidance scale")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="diffusion network precision (bf16 autocast: ~1.6x faster on AVX512-BF16 CPUs and on GPUs)")
    p.add_argument("--smooth", type=float, default=0.0,
                   help="Gaussian temporal smoothing of sampled motions (σ in frames at 20 fps; baseline)")
    p.add_argument("--quality-filter", nargs="?", const="global", choices=["global", "activity"],
                   help="re-sample (up to 4 tries, else keep the least implausible) generated motions that fail "
                        "the physical plausibility test (foot skating, jerk, 99th-percentile joint acceleration): "
                        "'global' = 95th percentiles of all real clips (imusim.motion.quality.QualityFilter), "
                        "'activity' = of the real clips of the motion's activity (quality_limits.json)")
    p.add_argument("--noise", default="bmi160",
                   help="sensor error model: a datasheet profile (" + ", ".join(_profiles()) + ") or 'none'; see "
                        "imusim/imu/profiles.py for the sources and assumptions")
    p.add_argument("--channels", default="acc,gyro",
                   help="channel groups stored per sensor, in the order acc, gyro, mag: 'acc,gyro' (6 channels) or "
                        "'acc,gyro,mag' (9; magnetometer in µT: Earth field 50 µT, 60° inclination, a random "
                        "magnetic heading per rendering)")
    p.add_argument("--mag-field", default="50,60", metavar="UT,DEG",
                   help="Earth field for the magnetometer: strength (µT) and inclination (degrees below the horizon; "
                        "negative south of the magnetic equator); defaults for mid-latitudes")
    p.add_argument("--temperature", default=None,
                   help="sensor temperature (°C) for the error model's drift: a number, or 'lo,hi' drawn per rendering; "
                        "default: the profile's reference temperature (no drift)")
    p.add_argument("--jitter-cm", type=float, default=2.0, help="sensor placement jitter (± cm per axis)")
    p.add_argument("--rot-deg", type=float, default=10.0, help="sensor mount rotation noise (degrees)")
    p.add_argument("--mirror", type=float, default=0.5, help="probability of rendering a motion mirrored (left ↔ right)")
    p.add_argument("--speed", default="0.85,1.15", help="playback speed factor range 'lo,hi'")
    p.set_defaults(func=_run)


def _profiles():
    from ..imu.profiles import list_noise_models
    return list_noise_models()


# Arguments that do not change the content of a store (the rest must match on --resume).
NOT_CONTENT = ("out", "resume", "overwrite", "verify", "batch", "shard_windows", "func")


def _pair(text: str, name: str) -> tuple:
    try:
        v = [float(x) for x in text.split(",")]
    except ValueError:
        v = []
    if len(v) != 2 or not all(math.isfinite(x) for x in v):
        raise ValueError(f"{name} must be two numbers 'lo,hi', got {text!r}")
    return v[0], v[1]


def _check_args(a) -> None:
    """Every numeric argument in its range (a message naming the argument, expected and actual value)."""
    for name, v, lo in (("--per-activity", a.per_activity, 1), ("--shard-windows", a.shard_windows, 1),
                        ("--batch", a.batch, 1), ("--steps", a.steps, 1)):
        if v is not None and v < lo:
            raise ValueError(f"{name} must be >= {lo}, got {v}")
    if not 1 <= a.variants <= 256:
        raise ValueError(f"--variants must be in 1..256, got {a.variants}")
    for name, v in (("--rate", a.rate), ("--window", a.window), ("--stride", a.stride)):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v}")
    for name, v in (("--jitter-cm", a.jitter_cm), ("--rot-deg", a.rot_deg), ("--smooth", a.smooth),
                    ("--guidance", a.guidance)):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    if not 0 <= a.mirror <= 1:
        raise ValueError(f"--mirror must be a probability in [0, 1], got {a.mirror}")
    from ..generate.sources import channel_groups
    from ..imu.profiles import get_noise_model
    try:
        get_noise_model(a.noise)
    except ValueError as e:
        raise ValueError(f"--noise: {e}") from None
    try:
        channel_groups(a.channels)
    except ValueError as e:
        raise ValueError(f"--channels: {e}") from None
    _temperature(a.temperature)
    _mag_field(a.mag_field)
    sp = _pair(a.speed, "--speed")
    if not 0 < sp[0] <= sp[1]:
        raise ValueError(f"--speed must be 'lo,hi' with 0 < lo <= hi, got {a.speed!r}")
    lo, hi = _pair(a.seconds, "--seconds")
    if not 0 < lo <= hi:
        raise ValueError(f"--seconds must be 'lo,hi' with 0 < lo <= hi, got {a.seconds!r}")
    longest = hi / sp[0]  # the slowest playback stretches a motion
    if a.window > longest:
        raise ValueError(f"--window {a.window:g} s is longer than the longest motion ({hi:g} s at speed x{sp[0]:g} = "
                         f"{longest:.3g} s, from --seconds and --speed): no window could be cut")


def _temperature(text):
    """None, (t, t) or (lo, hi) °C from --temperature."""
    if text is None:
        return None
    parts = str(text).split(",")
    try:
        v = [float(x) for x in parts]
    except ValueError:
        v = []
    if len(v) not in (1, 2) or not all(math.isfinite(x) for x in v) or v[0] > v[-1]:
        raise ValueError(f"--temperature must be a number or 'lo,hi' (°C, lo <= hi), got {text!r}")
    return (v[0], v[-1])


def _mag_field(text):
    """(strength µT, inclination °) from --mag-field."""
    v = _pair(text, "--mag-field")
    if not (v[0] > 0 and -90 <= v[1] <= 90):
        raise ValueError(f"--mag-field must be 'strength,inclination' with strength > 0 µT and inclination in "
                         f"[-90, 90] degrees, got {text!r}")
    return v


def _config_diff(old: dict, new: dict) -> list:
    """Differing content keys; a key only one side knows (an argument added or removed since) is skipped."""
    keys = sorted((set(old) & set(new)) - set(NOT_CONTENT))
    return [(k, old.get(k, "<absent>"), new.get(k, "<absent>")) for k in keys
            if old.get(k, "<absent>") != new.get(k, "<absent>")]


def _verify(d) -> int:
    from ..generate.store import verify

    rows = verify(d, full=True, progress=True)
    bad = [r for r in rows if not r["ok"]]
    for r in bad:
        print(f"BAD {d}/{r['shard']} (rank {r['rank']}, {r['n']} windows): {r['problem']}")
    print(f"{len(rows) - len(bad)} of {len(rows)} shards ok, {sum(r['n'] for r in rows if r['ok'])} windows"
          + (f"; {len(bad)} bad: rerun the generator on this store with --resume (same arguments) to redo them"
             if bad else ""))
    return 1 if bad else 0


def _run(a):
    import json
    import os
    from pathlib import Path

    from ..generate.store import ShardWriter, clear

    if a.verify:
        return _verify(a.verify)
    if not a.out:
        raise ValueError("--out is required (the store directory), unless --verify DIR")
    if a.resume and a.overwrite:
        raise ValueError("--resume and --overwrite exclude each other: continue the store, or replace it")
    _check_args(a)
    if a.clip_weights:
        os.environ["IMUSIM_CLIP_WEIGHTS"] = a.clip_weights
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    out = Path(a.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a directory")
    if out.exists() and any(out.glob("manifest-r*.jsonl")) and not (a.resume or a.overwrite):
        raise ValueError(f"--out {out} already holds a store: pass --resume to continue it, --overwrite to replace "
                         f"it, or choose a new directory")
    config = {k: v for k, v in vars(a).items() if k != "func"}
    config["world"] = world
    if a.resume and (out / "meta.json").exists():
        try:
            old = json.loads((out / "meta.json").read_text()).get("config", {})
        except ValueError as e:
            raise ValueError(f"{out / 'meta.json'}: not valid JSON ({e}); cannot check the configuration "
                             f"for --resume") from None
        diff = _config_diff(old, config)
        if diff:
            raise ValueError(f"--resume: {out} was generated with another configuration: "
                             + "; ".join(f"{k}: {o!r} in the store, {n!r} now" for k, o, n in diff)
                             + ". Resume with the store's arguments, or pass --overwrite (or a new --out) "
                               "for a new run")
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("gloo")
    if a.overwrite:
        if rank == 0:
            clear(out)
        if world > 1:
            dist.barrier()  # every rank starts after the old content is gone
    # this rank's writer lock, taken before any expensive setup and held until the end of the run
    writer = ShardWriter(out, rank=rank)
    try:
        return _generate(a, out, writer, config, world, rank)
    finally:
        writer.close()


def _generate(a, out, writer, config, world, rank):
    import json
    import sys
    import time
    from pathlib import Path

    from .. import __version__
    from ..generate.augment import Augment
    from ..generate.plan import load_activities, make_plan, rank_items
    from ..generate.run import run_items
    from ..generate.store import finalize, load
    from ..generate.windows import window_params
    from ..generate.sources import channel_groups, channel_names
    from ..imu.noise import active, summary
    from ..imu.profiles import get_noise_model
    from ..imu.sensors import sensors_from_names

    for shard, why in writer.repaired:
        print(f"imusim generate: {out / shard}: {why}: removed, its work items are redone", file=sys.stderr)

    sp = _pair(a.speed, "--speed")
    model = active(get_noise_model(a.noise))
    mstr, minc = _mag_field(a.mag_field)
    aug = Augment(mirror=a.mirror, speed=(sp[0], sp[1]), jitter_cm=a.jitter_cm, rot_deg=a.rot_deg, noise=model,
                  temperature=_temperature(a.temperature), mag_strength=mstr, mag_inclination=minc)
    groups = channel_groups(a.channels)
    acts = load_activities(a.activities)
    lo, hi = _pair(a.seconds, "--seconds")
    plan = make_plan(acts, a.per_activity, a.seed, (lo, hi))
    W, st = window_params(a.rate, a.window, a.stride)
    sens = sensors_from_names(a.sensors)
    meta = {"version": __version__, "rate": a.rate, "window_s": a.window, "stride_s": a.stride, "W": W,
            "sensors": [{"name": s.name, "joint": s.joint, "offset_m": s.offset, "R_js": s.rotation} for s in sens],
            "channels": channel_names(groups),
            "units": {k: v for k, v in (("acc", "m/s^2 (specific force, sensor frame)"), ("gyro", "rad/s (sensor frame)"),
                                        ("mag", "uT (sensor frame)")) if k in groups},
            "mag_field": {"strength_uT": mstr, "inclination_deg": minc, "heading": "uniform per rendering",
                          "north": "+z (y up)"} if "mag" in groups else None,
            "noise": None if model is None else {"name": model.name, "source": model.source, "temp_ref": model.temp_ref,
                                                  "terms": summary(model)},
            "config": config, "activities": acts}
    if a.from_mocap:
        from ..generate.sources import MocapSource
        src = MocapSource(Path(a.from_mocap), a.sensors, a.rate, list(acts), augment=aug, variants=a.variants,
                          channels=groups)
        meta["source"] = f"mocap:{a.from_mocap}"
        if src.missing:
            print(f"imusim generate: no mocap clips for {src.missing}: these activities are skipped "
                  f"(recorded in meta.json as skipped_activities)", file=sys.stderr)
            meta["skipped_activities"] = src.missing
            acts = {k: v for k, v in acts.items() if k not in src.missing}
            plan = make_plan(acts, a.per_activity, a.seed, (lo, hi))
    else:
        from ..generate.sources import DiffusionSource
        from ..motion.quality import ActivityQualityFilter, QualityFilter

        qf = {"global": QualityFilter, "activity": ActivityQualityFilter.load}.get(a.quality_filter, lambda: None)()
        src = DiffusionSource(a.checkpoint, a.sensors, a.rate, a.steps, a.guidance, augment=aug, smooth=a.smooth,
                              quality_filter=qf, variants=a.variants,
                              precision=a.precision, channels=groups)
        meta["source"] = f"diffusion:{src.name}"
    writer.channels = tuple(meta["channels"])  # every rank's shards name their channels
    if rank == 0:
        writer.write_meta(meta)
    t0 = time.time()
    batch = a.batch or (256 if a.from_mocap else 32)
    stats = run_items(rank_items(plan, rank, world), src.produce, writer, W=W, stride=st,
                      shard_windows=a.shard_windows, batch=batch, label_names=sorted(acts),
                      sample_shape=(len(sens), 3 * len(groups)))
    if stats["no_window_items"]:
        print(f"imusim generate: {stats['no_window_items']} of {stats['items']} motions were shorter than one window "
              f"({a.window:g} s after the speed change) and gave no window (recorded done)", file=sys.stderr)
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
    if rank == 0:
        m = finalize(out)
        s = load(out)
        import numpy as np
        labels, counts = np.unique(s.labels, return_counts=True)
        size = sum(f.stat().st_size for f in (out / "shards").glob("*.h5"))
        summary = {"windows": int(len(s)), "per_activity": dict(zip(labels.tolist(), counts.tolist())),
                   "bytes": int(size), "seconds": round(time.time() - t0, 2),
                   "windows_per_s_this_run": round(stats["windows"] / max(stats["seconds"], 1e-9), 1),
                   "shards": len(m["shards"]),
                   "time_split_s": {"motions_and_imu": round(stats["t_produce"], 2),
                                    "windowing": round(stats["t_window"], 2),
                                    "waiting_for_writes": round(stats["t_write"], 2)}}
        if hasattr(src, "t_sample"):
            summary["time_split_s"].update(sampling=round(src.t_sample, 2), ik=round(src.t_ik, 2),
                                           imu=round(src.t_imu, 2))
        if getattr(src, "filter", None) is not None:
            summary["quality_filter"] = {"sampled": src.tries, "rejected": src.rejected, "mode": a.quality_filter,
                                         "limits": vars(src.filter) if not hasattr(src.filter, "for_activity") else
                                         {k: vars(v) for k, v in src.filter.limits.items()}}
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        print(json.dumps(summary, indent=1))
    return 0
