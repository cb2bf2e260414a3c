"""``imusim generate``: activities → motions → labelled virtual-IMU windows in a sharded HDF5 store."""

import argparse
import json

from .sample import ANCHOR_FEET_HELP, STOP_T_HELP


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
    p.add_argument("--mocap-styles", metavar="STYLE[,STYLE]", default=None,
                   help="with --from-mocap: only clips of these acting styles (the file name's style: normal, "
                        "happy, active, elderly, ...; DeepMimic clips are 'normal'). Default: every style. Prompts "
                        "without a style word (\"a person walks forward.\") were trained on the 'normal' clips, so "
                        "--mocap-styles normal renders the reference that matches them (docs/realism.md §18)")
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
    p.add_argument("--guidance", type=float, default=None,
                   help="classifier-free guidance scale (default: the scale the checkpoint records as validated: 1 for the shipped refined, docs/realism.md §8; 2.5, MDM's, for the others)")
    p.add_argument("--anchor-feet", type=int, default=None, metavar="A",
                   help=ANCHOR_FEET_HELP)
    p.add_argument("--stop-t", type=int, default=None, metavar="T", help=STOP_T_HELP)
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


def config_from_args(a):
    """The :class:`~imusim.generate.GenerateConfig` of parsed ``imusim generate`` arguments."""
    from ..generate.pipeline import GenerateConfig

    names = {f for f in GenerateConfig.__dataclass_fields__ if f != "progress"}
    kw = {k: v for k, v in vars(a).items() if k in names}
    try:
        return GenerateConfig(**kw)
    except ValueError as e:  # name the option as the user typed it
        raise ValueError(_option(str(e))) from None


def _option(msg: str) -> str:
    from ..generate.pipeline import GenerateConfig

    head, sep, rest = msg.partition(" ")
    if head.rstrip(":") in GenerateConfig.__dataclass_fields__:
        return "--" + head.replace("_", "-") + sep + rest
    return msg


def _run(a):
    from ..generate.pipeline import generate

    if a.verify:
        return _verify(a.verify)
    if not a.out:
        raise ValueError("--out is required (the store directory), unless --verify DIR")
    if a.resume and a.overwrite:
        raise ValueError("--resume and --overwrite exclude each other: continue the store, or replace it")
    config = config_from_args(a)
    try:
        config.validate()
    except ValueError as e:
        raise ValueError(_option(str(e))) from None
    summary = generate(config)
    if summary.store_wide:
        print(json.dumps(summary.to_dict(), indent=1))
    return 0
