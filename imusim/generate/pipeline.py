"""The bulk generator as one library call: ``generate(GenerateConfig(...)) -> GenerateSummary``.

``imusim generate`` only parses its arguments into a :class:`GenerateConfig` and calls :func:`generate`;
``imusim demo``, ``imusim realism --reference mocap:DIR`` and ``imusim bench generate`` call it as well, so
the pipeline exists once::

    config  --validate-->  sensors (parsed once)  +  augmentation  +  source (diffusion | mocap | yours)
            --make_plan (once, over the activities the source can serve)-->  work items of this rank
            --run_items-->  renderings → windows → shards  --finalize-->  summary.json

From Python, without argv::

    from imusim.generate import GenerateConfig, generate
    s = generate(GenerateConfig(out="store/", from_mocap="../shared/data", per_activity=50,
                                sensors="wrist_l,thigh_r", noise="bmi160"))
    s.windows, s.per_activity, s.seconds

Under ``torchrun`` (``WORLD_SIZE``/``RANK`` in the environment) each rank generates the items with
``index % world == rank``; rank 0 writes ``meta.json`` and merges the manifests. A caller may pass its own
``source`` (anything with ``produce(items) -> Rendered``, see :mod:`imusim.generate.sources`), e.g. motions
already in memory (:class:`~imusim.generate.sources.PoolSource`, what ``imusim bench generate`` times).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

Pair = Tuple[float, float]

# Fields that do not change the content of a store (the rest must match on resume).
NOT_CONTENT = ("out", "resume", "overwrite", "verify", "batch", "shard_windows", "func", "progress")
# Fields given as "lo,hi" on the command line (older stores recorded them as that text).
PAIRS = ("speed", "seconds", "mag_field", "temperature")


def parse_pair(value, name: str, allow_single: bool = False) -> Optional[Pair]:
    """``"lo,hi"``, ``(lo, hi)`` (or, with ``allow_single``, one number ``t`` → ``(t, t)``) → two finite floats;
    a ValueError names ``name`` and the value otherwise. None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parts = [value]
    else:
        parts = list(value)
    try:
        v = [float(x) for x in parts]
    except (TypeError, ValueError):
        v = []
    if len(v) == 1 and allow_single:
        v = [v[0], v[0]]
    if len(v) != 2 or not all(math.isfinite(x) for x in v):
        raise ValueError(f"{name} must be two numbers 'lo,hi'{' or one number' if allow_single else ''}, "
                         f"got {value!r}")
    return (v[0], v[1])


def parse_styles(value) -> List[str]:
    """Acting styles as ``mocap_styles`` takes them: ``"normal,masculine"`` or a list → sorted unique names."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out = sorted({str(x).strip() for x in items if str(x).strip()})
    if not out:
        raise ValueError(f"mocap_styles must name at least one style (e.g. 'normal'), got {value!r}")
    return out


def _txt(pair) -> str:
    """A (lo, hi) pair as the command line writes it: ``'9,4'``."""
    return f"'{pair[0]:g},{pair[1]:g}'"


@dataclass
class GenerateConfig:
    """Everything a generation run depends on; the field names are ``imusim generate``'s options
    (``--per-activity`` → ``per_activity``), with their defaults and meaning (see ``imusim generate --help``).

    Motions: diffusion sampling from ``checkpoint`` (``steps`` DDIM steps, ``guidance``, ``precision``,
    ``smooth``, ``quality_filter`` None | ``"global"`` | ``"activity"``) or, with ``from_mocap`` (a data
    directory), seeded crops of retargeted mocap clips (``mocap_styles``: only the clips of these acting
    styles, e.g. ``"normal"``; None: every style). ``activities``: a YAML path, a dict activity →
    prompts, or None (the shipped list). ``seconds``: motion length range (s). Sensors: ``sensors`` (preset
    names, ``joint:NAME``, or :class:`~imusim.imu.Sensor` objects) at ``rate`` Hz, ``window``/``stride`` (s).
    Augmentation per rendering: ``speed`` (lo, hi), ``mirror`` probability, ``jitter_cm``, ``rot_deg``,
    ``noise`` (profile name, :class:`~imusim.imu.NoiseModel` or ``"none"``), ``temperature`` (°C, a number
    or (lo, hi)), ``channels`` (``"acc,gyro"`` or ``"acc,gyro,mag"``) and ``mag_field`` (µT, degrees).
    Store: ``out``, ``resume``/``overwrite``, ``shard_windows``, ``batch`` (None: 32 motions for diffusion,
    256 for mocap), ``variants`` renderings per motion, ``seed`` of the plan."""
    out: Union[str, Path]
    checkpoint: str = "refined"
    clip_weights: Optional[str] = None
    from_mocap: Optional[Union[str, Path]] = None
    mocap_styles: Optional[object] = None  # with from_mocap: only clips of these styles (names or "a,b" text)
    activities: Optional[Union[str, Path, Dict[str, List[str]]]] = None
    per_activity: int = 100
    sensors: object = "wrist_r,thigh_r"
    rate: float = 50.0
    window: float = 2.56
    stride: float = 1.28
    resume: bool = False
    overwrite: bool = False
    seed: int = 0
    seconds: object = (4.0, 9.8)
    shard_windows: int = 16384
    batch: Optional[int] = None
    variants: int = 1
    steps: int = 50
    guidance: Optional[float] = None  # None: the checkpoint's recorded scale (recommended_guidance)
    anchor_feet: Optional[int] = None  # None: the checkpoint's recorded value (recommended_anchor_feet)
    stop_t: Optional[int] = None  # where the DDIM chain ends; None: the checkpoint's recorded one (recommended_stop_t)
    precision: str = "fp32"
    smooth: float = 0.0
    quality_filter: Optional[str] = None
    noise: object = "bmi160"
    channels: object = "acc,gyro"
    mag_field: object = (50.0, 60.0)
    temperature: object = None
    jitter_cm: float = 2.0
    rot_deg: float = 10.0
    mirror: float = 0.5
    speed: object = (0.85, 1.15)
    progress: bool = True

    def __post_init__(self):
        self.speed = parse_pair(self.speed, "speed")
        self.seconds = parse_pair(self.seconds, "seconds")
        self.mag_field = parse_pair(self.mag_field, "mag_field")
        try:
            self.temperature = parse_pair(self.temperature, "temperature", allow_single=True)
        except ValueError:
            raise ValueError(f"temperature must be a number or 'lo,hi' (°C, lo <= hi), got {self.temperature!r}") \
                from None

    def validate(self) -> None:
        """Every value in its range; a ValueError names the field, the expected and the actual value."""
        from ..imu.profiles import get_noise_model
        from .sources import channel_groups

        if self.mocap_styles is not None:
            self.mocap_styles = parse_styles(self.mocap_styles)
            if not self.from_mocap:
                raise ValueError(f"mocap_styles {','.join(self.mocap_styles)!r} needs from_mocap (it selects mocap "
                                 f"clips; diffusion samples are styled by their prompts)")

        for name, lo in (("per_activity", 1), ("shard_windows", 1), ("batch", 1), ("steps", 1)):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
                raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
            if v is not None and v < lo:
                raise ValueError(f"{name} must be >= {lo}, got {v}")
        if isinstance(self.variants, bool) or not isinstance(self.variants, int):
            raise ValueError(f"variants must be an integer in 1..256, got {self.variants!r}")
        if not 1 <= self.variants <= 256:
            raise ValueError(f"variants must be in 1..256, got {self.variants}")
        for name in ("rate", "window", "stride"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
        if self.anchor_feet is not None and (isinstance(self.anchor_feet, bool) or not isinstance(self.anchor_feet, int)
                                             or not 0 <= self.anchor_feet <= 1000):
            raise ValueError(f"anchor_feet must be an integer in [0, 1000], got {self.anchor_feet!r}")
        from ..diffusion.gaussian import is_timestep
        if self.stop_t is not None and not is_timestep(self.stop_t):
            raise ValueError(f"stop_t must be an integer step in [0, 999], got {self.stop_t!r}")
        for name in ("jitter_cm", "rot_deg", "smooth", "guidance"):
            v = getattr(self, name)
            if v is None and name == "guidance":
                continue
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        if not (isinstance(self.mirror, (int, float)) and 0 <= self.mirror <= 1):
            raise ValueError(f"mirror must be a probability in [0, 1], got {self.mirror!r}")
        if self.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be 'fp32' or 'bf16', got {self.precision!r}")
        if self.quality_filter not in (None, "global", "activity"):
            raise ValueError(f"quality_filter must be None, 'global' or 'activity', got {self.quality_filter!r}")
        try:
            get_noise_model(self.noise)
        except ValueError as e:
            raise ValueError(f"noise: {e}") from None
        try:
            channel_groups(self.channels)
        except ValueError as e:
            raise ValueError(f"channels: {e}") from None
        if self.temperature is not None and self.temperature[0] > self.temperature[1]:
            raise ValueError(f"temperature must be a number or 'lo,hi' (°C, lo <= hi), got {_txt(self.temperature)}")
        strength, incl = self.mag_field
        if not (strength > 0 and -90 <= incl <= 90):
            raise ValueError(f"mag_field must be 'strength,inclination' with strength > 0 µT and inclination in "
                             f"[-90, 90] degrees, got {_txt(self.mag_field)}")
        sp = self.speed
        if not 0 < sp[0] <= sp[1]:
            raise ValueError(f"speed must be 'lo,hi' with 0 < lo <= hi, got {_txt(sp)}")
        lo, hi = self.seconds
        if not 0 < lo <= hi:
            raise ValueError(f"seconds must be 'lo,hi' with 0 < lo <= hi, got {_txt(self.seconds)}")
        longest = hi / sp[0]  # the slowest playback stretches a motion
        if self.window > longest:
            raise ValueError(f"window {self.window:g} s is longer than the longest motion ({hi:g} s at speed "
                             f"x{sp[0]:g} = {longest:.3g} s, from seconds and speed): no window could be cut")

    def record(self) -> dict:
        """The configuration as meta.json records it (JSON types; sensors and noise models by name)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "sensors":
                from ..imu.sensors import sensors_from_names
                v = ",".join(s.name for s in sensors_from_names(v))
            elif f.name == "noise" and not (v is None or isinstance(v, str)):
                v = getattr(v, "name", str(v))
            elif f.name == "channels" and not isinstance(v, str):
                v = ",".join(v)
            elif isinstance(v, Path):
                v = str(v)
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out


def config_diff(old: dict, new: dict) -> list:
    """Differing content keys of two recorded configurations, after normalising "lo,hi" text (older stores)
    to numbers; a key only one side knows (an option added or removed since) is skipped."""
    def norm(k, v):
        if k in PAIRS and v is not None:
            try:
                return list(parse_pair(v, k, allow_single=k == "temperature"))
            except ValueError:
                return v
        return v

    keys = sorted((set(old) & set(new)) - set(NOT_CONTENT))
    return [(k, old.get(k), new.get(k)) for k in keys if norm(k, old.get(k)) != norm(k, new.get(k))]


@dataclass
class GenerateSummary:
    """What a run produced. ``windows``, ``per_activity``, ``bytes``, ``shards`` describe the whole store
    (rank 0; other ranks report their own windows only, ``store_wide=False``); ``seconds`` the run's wall
    time; ``time_split_s`` where it went; ``quality_filter`` the filter's counts when one ran."""
    out: str
    windows: int
    per_activity: Dict[str, int]
    bytes: int
    seconds: float
    windows_per_s_this_run: float
    shards: int
    time_split_s: Dict[str, float]
    items: int = 0
    no_window_items: int = 0
    skipped_activities: List[str] = field(default_factory=list)
    quality_filter: Optional[dict] = None
    store_wide: bool = True

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if k not in ("out", "items", "no_window_items",
                                                                "skipped_activities", "store_wide")}
        if d["quality_filter"] is None:
            d.pop("quality_filter")
        return d


def _load_activities(activities) -> Dict[str, List[str]]:
    from .plan import load_activities

    if isinstance(activities, dict):
        if not activities or not all(isinstance(v, list) and v and all(isinstance(p, str) and p.strip() for p in v)
                                     for v in activities.values()):
            raise ValueError(f"activities must map each activity to a non-empty list of prompts, got {activities!r:.200}")
        return {str(k): list(v) for k, v in activities.items()}
    return load_activities(activities)


def check_out(config: GenerateConfig) -> Path:
    """The store directory, refusing what would damage a store (a file there, an existing store without
    ``resume``/``overwrite``, both flags)."""
    if not config.out:
        raise ValueError("out (the store directory) is required")
    if config.resume and config.overwrite:
        raise ValueError("resume and overwrite exclude each other: continue the store, or replace it")
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out {out} exists and is not a directory")
    if out.exists() and any(out.glob("manifest-r*.jsonl")) and not (config.resume or config.overwrite):
        raise ValueError(f"out {out} already holds a store: pass resume to continue it, overwrite to replace "
                         f"it, or choose a new directory")
    return out


def _check_resume(out: Path, record: dict) -> None:
    if not (out / "meta.json").exists():
        return
    try:
        old = json.loads((out / "meta.json").read_text()).get("config", {})
    except ValueError as e:
        raise ValueError(f"{out / 'meta.json'}: not valid JSON ({e}); cannot check the configuration for resume") \
            from None
    diff = config_diff(old, record)
    if diff:
        raise ValueError(f"resume: {out} was generated with another configuration: "
                         + "; ".join(f"{k}: {o!r} in the store, {n!r} now" for k, o, n in diff)
                         + ". Resume with the store's arguments, or overwrite (or a new out) for a new run")


def augmentation(config: GenerateConfig):
    """The per-rendering augmentation of ``config`` (:class:`~imusim.generate.augment.Augment`)."""
    from ..imu.noise import active
    from ..imu.profiles import get_noise_model
    from .augment import Augment

    return Augment(mirror=config.mirror, speed=tuple(config.speed), jitter_cm=config.jitter_cm, rot_deg=config.rot_deg,
                   noise=active(get_noise_model(config.noise)), temperature=config.temperature,
                   mag_strength=config.mag_field[0], mag_inclination=config.mag_field[1])


def make_source(config: GenerateConfig, sensors, activities: List[str], aug, groups):
    """The motion source of ``config``: mocap under ``from_mocap``, else diffusion from ``checkpoint``."""
    from .sources import DiffusionSource, MocapSource

    if config.from_mocap:
        return MocapSource(Path(config.from_mocap), sensors, config.rate, activities, augment=aug,
                           variants=config.variants, channels=groups, styles=config.mocap_styles)
    from ..motion.quality import ActivityQualityFilter, QualityFilter

    qf = {"global": QualityFilter, "activity": ActivityQualityFilter.load}.get(config.quality_filter, lambda: None)()
    return DiffusionSource(config.checkpoint, sensors, config.rate, config.steps, config.guidance, augment=aug,
                           smooth=config.smooth, quality_filter=qf, variants=config.variants,
                           precision=config.precision, channels=groups, anchor_feet=config.anchor_feet,
                           stop_t=config.stop_t)


def _meta(config: GenerateConfig, sensors, groups, aug, acts, W: int, record: dict) -> dict:
    from .. import __version__
    from ..imu.noise import summary
    from .sources import channel_names

    model = aug.noise
    return {"version": __version__, "rate": config.rate, "window_s": config.window, "stride_s": config.stride, "W": W,
            "sensors": [{"name": s.name, "joint": s.joint, "offset_m": s.offset, "R_js": s.rotation} for s in sensors],
            "channels": channel_names(groups),
            "units": {k: v for k, v in (("acc", "m/s^2 (specific force, sensor frame)"),
                                        ("gyro", "rad/s (sensor frame)"), ("mag", "uT (sensor frame)")) if k in groups},
            "mag_field": {"strength_uT": config.mag_field[0], "inclination_deg": config.mag_field[1],
                          "heading": "uniform per rendering", "north": "+z (y up)"} if "mag" in groups else None,
            "noise": None if model is None else {"name": model.name, "source": model.source, "temp_ref": model.temp_ref,
                                                  "terms": summary(model)},
            "config": record, "activities": acts}


def generate(config: GenerateConfig, *, source=None, log=None) -> GenerateSummary:
    """Run the generator described by ``config`` (see the module docstring); returns its summary and writes
    it to ``out/summary.json`` (rank 0). ``source``: a motion source to use instead of the one ``config``
    names (it must render the configured sensors and channels); ``log``: where notes go (default stderr)."""
    from .store import ShardWriter, clear

    log = log or (lambda msg: print(f"imusim generate: {msg}", file=sys.stderr))
    if not isinstance(config, GenerateConfig):
        raise TypeError(f"generate: config must be a GenerateConfig, got {type(config).__name__}")
    out = check_out(config)
    config.validate()
    if config.clip_weights:
        os.environ["IMUSIM_CLIP_WEIGHTS"] = str(config.clip_weights)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    record = config.record()
    record["world"] = world
    if config.resume:
        _check_resume(out, record)
    if world > 1:
        import torch.distributed as dist
        if not dist.is_initialized():
            dist.init_process_group("gloo")
    if config.overwrite:
        if rank == 0:
            clear(out)
        if world > 1:
            dist.barrier()  # every rank starts after the old content is gone
    # this rank's writer lock, taken before any expensive setup and held until the end of the run
    writer = ShardWriter(out, rank=rank)
    try:
        return _generate(config, out, writer, record, world, rank, source, log)
    finally:
        writer.close()


def _generate(config, out, writer, record, world, rank, source, log) -> GenerateSummary:
    import numpy as np

    from ..imu.sensors import sensors_from_names
    from .plan import make_plan, rank_items
    from .run import run_items
    from .sources import channel_groups
    from .store import finalize, load
    from .windows import window_params

    for shard, why in writer.repaired:
        log(f"{out / shard}: {why}: removed, its work items are redone")
    sensors = sensors_from_names(config.sensors)  # parsed once: meta.json and the source use these mounts
    aug = augmentation(config)
    groups = channel_groups(config.channels)
    acts = _load_activities(config.activities)
    W, st = window_params(config.rate, config.window, config.stride)
    src = source if source is not None else make_source(config, sensors, list(acts), aug, groups)
    missing = [a for a in getattr(src, "missing", []) if a in acts]
    if missing:
        log(f"no mocap clips for {missing}: these activities are skipped (recorded in meta.json as "
            f"skipped_activities)")
        acts = {k: v for k, v in acts.items() if k not in missing}
    plan = make_plan(acts, config.per_activity, config.seed, tuple(config.seconds))  # made once
    meta = _meta(config, sensors, groups, aug, acts, W, record)
    mocap = f"mocap:{config.from_mocap}" + (f" (styles {','.join(config.mocap_styles)})" if config.mocap_styles else "")
    meta["source"] = getattr(src, "label", None) or (mocap if config.from_mocap else
                                                     f"diffusion:{getattr(src, 'name', config.checkpoint)}")
    if getattr(src, "guidance", None) is not None:
        meta["guidance"] = src.guidance  # the scale used (config.guidance None: the checkpoint's recorded one)
    if getattr(src, "anchor_feet", None) is not None:
        meta["anchor_feet"] = src.anchor_feet  # likewise
    if getattr(src, "stop_t", None) is not None:
        meta["stop_t"] = src.stop_t  # likewise
    if missing:
        meta["skipped_activities"] = missing
    writer.channels = tuple(meta["channels"])  # every rank's shards name their channels
    if rank == 0:
        writer.write_meta(meta)
    t0 = time.time()
    batch = config.batch or (256 if config.from_mocap else 32)
    stats = run_items(rank_items(plan, rank, world), src.produce, writer, W=W, stride=st,
                      shard_windows=config.shard_windows, batch=batch, label_names=sorted(acts),
                      sample_shape=(len(sensors), 3 * len(groups)), progress=config.progress)
    if stats["no_window_items"]:
        log(f"{stats['no_window_items']} of {stats['items']} motions were shorter than one window "
            f"({config.window:g} s after the speed change) and gave no window (recorded done)")
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
    split = {"motions_and_imu": round(stats["t_produce"], 2), "windowing": round(stats["t_window"], 2),
             "waiting_for_writes": round(stats["t_write"], 2)}
    if hasattr(src, "t_sample"):
        split.update(sampling=round(src.t_sample, 2), ik=round(src.t_ik, 2), imu=round(src.t_imu, 2))
    qf = None
    if getattr(src, "filter", None) is not None:
        qf = {"sampled": src.tries, "rejected": src.rejected, "mode": config.quality_filter,
              "limits": vars(src.filter) if not hasattr(src.filter, "for_activity") else
              {k: vars(v) for k, v in src.filter.limits.items()}}
    wps = round(stats["windows"] / max(stats["seconds"], 1e-9), 1)
    if rank != 0:
        return GenerateSummary(str(out), stats["windows"], {}, 0, round(time.time() - t0, 2), wps, 0, split,
                               stats["items"], stats["no_window_items"], missing, qf, store_wide=False)
    m = finalize(out)
    s = load(out)
    labels, counts = np.unique(s.labels, return_counts=True)
    size = sum(f.stat().st_size for f in (out / "shards").glob("*.h5"))
    summ = GenerateSummary(str(out), int(len(s)), dict(zip(labels.tolist(), counts.tolist())), int(size),
                           round(time.time() - t0, 2), wps, len(m["shards"]), split, stats["items"],
                           stats["no_window_items"], missing, qf)
    (out / "summary.json").write_text(json.dumps(summ.to_dict(), indent=1))
    return summ
