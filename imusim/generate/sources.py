"""Motion sources for the bulk generator: mocap with augmentation, or diffusion sampling.

Each source's ``produce(items)`` returns a :class:`~imusim.generate.run.Rendered` batch: ``variants``
renderings per work item, all rendered by one :func:`~imusim.imu.render.render_imu` call on a frame
pool (the fused, forward-only kernel; OpenMP over renderings). Every random draw of a rendering
(clip choice, mirroring, speed, sensor jitter and mount rotation, sensor noise) comes from its own
seed (``imusim.generate.augment``), so results do not depend on batching or on the number of processes.

Both sources get the same augmentation (:class:`~imusim.generate.augment.Augment`: speed ×0.85–1.15,
mirroring p = 0.5, placement jitter ±2 cm, mount rotation ≤ 10°, BMI160 error model), so that
diffusion and mocap sets differ only in their motions. ``channels`` picks the channel groups kept per
sensor, in the order acc, gyro, mag (``("acc", "gyro")`` by default; with ``mag`` the kernel also renders
the magnetometer, µT).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Dict, List, Optional

import numpy as np
import torch

from ..data.captions import ACTIVITY_GROUP, labels_from_path
from ..imu.render import Mounts, render_imu
from ..constants import HUMANML3D_FPS
from ..imu.sensors import sensors_from_names
from .augment import S_CLIP, S_CROP, Augment, hash_bits, hash_uniforms, rendering_seeds
from .run import Rendered


def _renderings(items, variants: int):
    """(item per rendering, variant per rendering, rendering seeds)."""
    its = [it for it in items for _ in range(variants)]
    var = np.tile(np.arange(variants, dtype=np.int64), len(items))
    seeds = rendering_seeds(np.array([it.seed for it in its], dtype=np.uint64), var)
    return its, var, seeds


GROUPS = ("acc", "gyro", "mag")


def channel_groups(channels) -> tuple:
    """``"acc,gyro,mag"`` / a sequence → the groups in canonical order (acc, gyro, mag); errors name the
    unknown ones."""
    g = [c.strip().lower() for c in (channels.split(",") if isinstance(channels, str) else channels) if c.strip()]
    bad = [c for c in g if c not in GROUPS]
    if bad or not g:
        raise ValueError(f"channels must be a non-empty subset of {','.join(GROUPS)}, got {channels!r}")
    return tuple(c for c in GROUPS if c in g)


def channel_names(groups) -> list:
    """Per-sensor channel names of the groups: acc_x .. mag_z."""
    return [f"{g}_{a}" for g in groups for a in "xyz"]


def _render(pool_L, pool_root, skeleton, starts, lengths, fps, its, var, seeds, aug: Augment, base: Mounts, rate,
            sources, channels=("acc", "gyro")):
    mounts, mirrored, speed = aug.draw(seeds, base, skeleton)
    temps, field = aug.environment(seeds, mag="mag" in channels)
    r = render_imu(pool_L, pool_root, skeleton, start=starts, length=lengths, fps=np.asarray(fps) * speed, rate=rate,
                   sensors=mounts, noise=aug.noise, seeds=seeds, mag_field=field,
                   temperature=None if temps is None or aug.noise is None else temps)
    src = [f"{s}{' mirrored' if m else ''} x{k:.2f}" for s, m, k in zip(sources, mirrored, speed)]
    # the finished streams are the only thing copied to the host (one copy per batch; windows are cut there)
    data = r.data.cpu().numpy()
    if tuple(channels) != GROUPS[:data.shape[-1] // 3]:  # a subset of the rendered groups
        cols = [3 * GROUPS.index(g) + a for g in channels for a in range(3)]
        data = np.ascontiguousarray(data[..., cols])
    return Rendered(its, data, r.offsets, src, var, seeds, mirrored, speed)


class MocapSource:
    """Retargeted mocap clips grouped by activity (``ACTIVITY_GROUP``), loaded on first use into one
    frame pool (float32 SMPL22 rotation matrices, native frame rate). A work item is a crop of
    ``item.seconds`` (the plan's length draw, as for diffusion) at a random start of a random clip of its
    activity (the whole clip when it is shorter), so activities with long clips do not dominate.

    ``styles``: only the clips of these acting styles (the file name's style, e.g. ``normal``; DeepMimic
    clips count as ``normal``), for a reference that matches prompts without a style word; None: all."""

    def __init__(self, root, sensors, rate: float, activities: List[str], augment: Augment = None,
                 variants: int = 1, channels=("acc", "gyro"), styles: Optional[List[str]] = None):
        from ..data.dataset import list_clips

        self.channels = channel_groups(channels)
        self.sensors = sensors_from_names(sensors)
        self.sensor_names = [s.name for s in self.sensors]
        self.rate, self.variants = rate, int(variants)
        self.aug = augment or Augment()
        self.by_activity: Dict[str, list] = defaultdict(list)
        self.styles = sorted(styles) if styles else None
        seen = set()
        for f in list_clips(root):
            lab = labels_from_path(f)
            grp = ACTIVITY_GROUP.get(lab["activity"])
            if grp in activities:
                seen.add(lab["style"])
                if self.styles is None or lab["style"] in self.styles:
                    self.by_activity[grp].append(f)
        if self.styles is not None:
            unknown = [s for s in self.styles if s not in seen]
            if unknown:
                raise ValueError(f"--mocap-styles: no clip of the activities {activities} under {root} has the "
                                 f"style(s) {unknown}; their styles are {sorted(seen)}")
        self.missing = [a for a in activities if not self.by_activity.get(a)]
        if len(self.missing) == len(activities):
            raise ValueError(f"--from-mocap: no clips for any of the activities {activities} under {root}")
        self._clips: Dict = {}  # path -> (start, length, fps) in the pool
        self._L: List[torch.Tensor] = []
        self._root: List[torch.Tensor] = []
        self._pool = None
        self._base = None

    def _ensure(self, paths):
        from ..data import load_motion
        from ..data.retarget import retarget_to_smpl22

        new = [p for p in dict.fromkeys(paths) if p not in self._clips]
        if not new:
            return
        n = sum(len(x) for x in self._L)
        for p in new:
            m = load_motion(p)
            m = retarget_to_smpl22(m, fps=m.fps)
            self._clips[p] = (n, int(m.root_pos.shape[0]), float(m.fps))
            self._L.append(m.local_rot.float())
            self._root.append(m.root_pos.float())
            n += int(m.root_pos.shape[0])
            if self._base is None:
                self.skeleton = m.skeleton
                self._base = Mounts.from_sensors(self.sensors, m.skeleton)
        self._pool = (torch.cat(self._L).contiguous(), torch.cat(self._root).contiguous())
        self._L, self._root = [self._pool[0]], [self._pool[1]]

    def clip_for(self, it) -> "Path":
        files = self.by_activity[it.activity]
        return files[int(hash_bits([it.seed], 1, S_CLIP)[0, 0] % np.uint64(len(files)))]

    def produce(self, items) -> Rendered:
        paths = [self.clip_for(it) for it in items]
        self._ensure(paths)
        its, var, seeds = _renderings(items, self.variants)
        u = hash_uniforms(np.array([it.seed for it in items], dtype=np.uint64), 1, S_CROP)[:, 0]
        st, ln, fp, names = [], [], [], []
        for it, p, uu in zip(items, paths, u):
            s0, n, fps = self._clips[p]
            k = min(n, max(2, int(round(it.seconds * fps))))
            a = int(uu * (n - k + 1))
            for _ in range(self.variants):
                st.append(s0 + a)
                ln.append(k)
                fp.append(fps)
                names.append(f"{p.name}[{a}:{a + k}]")
        return _render(*self._pool, self.skeleton, st, ln, fp, its, var, seeds, self.aug, self._base, self.rate, names,
                       self.channels)


class DiffusionSource:
    """Text → motion with a checkpoint (DDIM, per-item seeds, batched), then ``variants`` renderings of
    each sampled motion. Motion lengths are the plan's ``item.seconds`` capped at the checkpoint's
    training crop (``train_config.max_frames``, 120 frames = 6 s for the shipped ones). ``smooth`` (frames, Gaussian σ) smooths the sampled features in time: the
    baseline that lowers acceleration without L_acc."""

    def __init__(self, checkpoint, sensors, rate: float, steps: int = 50, guidance: Optional[float] = None, device=None,
                 augment: Augment = None, smooth: float = 0.0, quality_filter=None, max_tries: int = 4,
                 variants: int = 1, precision: str = "fp32", channels=("acc", "gyro"),
                 anchor_feet: Optional[int] = None, stop_t: Optional[int] = None):
        from ..diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
        from ..diffusion.text import get_text_encoder
        from ..diffusion.zoo import resolve_checkpoint
        from ..kinematics import SMPL22

        self.channels = channel_groups(channels)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        path = resolve_checkpoint(checkpoint)
        self.model, self.mean, self.std, enc, meta = load_checkpoint(path, self.device)
        guidance = recommended_guidance(meta or {}, path) if guidance is None else guidance  # None: the recorded
        self.anchor_feet = recommended_anchor_feet(meta or {}, path) if anchor_feet is None else int(anchor_feet)
        self.stop_t = int(self.model.sample_stop_t) if stop_t is None else int(stop_t)  # where the DDIM chain ends
        # sample at most the length the model was trained on (longer is extrapolation of its positions)
        self.max_frames = int(((meta or {}).get("train_config") or {}).get("max_frames") or 196)
        self.enc = get_text_encoder(enc, device=self.device)
        self.sensors = sensors_from_names(sensors)
        self.sensor_names = [s.name for s in self.sensors]
        self.rate, self.steps, self.guidance, self.variants = rate, steps, guidance, int(variants)
        self.precision = precision
        self.aug = augment or Augment()
        self.smooth = smooth
        self.name = str(checkpoint) + (f"+smooth{smooth:g}" if smooth else "") + (
            f"+stop{self.stop_t}" if stop_t else "") + (
            ("+filter-activity" if hasattr(quality_filter, "for_activity") else "+filter") if quality_filter else "")
        self.filter, self.max_tries = quality_filter, max_tries
        self.tries = self.rejected = 0  # motions sampled / rejected by the quality filter
        self.skeleton = SMPL22
        self._base = Mounts.from_sensors(self.sensors, SMPL22)
        self.t_sample = self.t_ik = self.t_imu = 0.0

    def _motions(self, items):
        """Accepted motions of ``items`` as a padded batch: (local [B, Tmax, 22, 3, 3], root [B, Tmax, 3],
        lengths). With a quality filter, a rejected motion is re-sampled from the seed (item.seed,
        attempt k); after ``max_tries`` the least implausible attempt is kept (so every item still yields
        its windows and the plan stays balanced)."""
        import time

        from ..motion.clip import Motion
        from ..diffusion.convert import features_to_rotations
        from ..diffusion.train import sample

        best = {}
        pending = list(items)
        for k in range(self.max_tries if self.filter else 1):
            if not pending:
                break
            lengths = [min(self.max_frames, max(24, int(round(it.seconds * HUMANML3D_FPS)))) for it in pending]
            seeds = [it.seed if k == 0 else (it.seed * 1_000_003 + k * 0x9E3779B1) % 2 ** 62 for it in pending]
            t0 = time.perf_counter()
            feats, _ = sample(self.model, self.mean, self.std, self.enc, [it.prompt for it in pending], lengths,
                              steps=self.steps, guidance=self.guidance, seeds=seeds, precision=self.precision,
                              anchor_feet=self.anchor_feet, stop_t=self.stop_t)
            t1 = time.perf_counter()
            # smooth each motion at its own length, then one batched IK over the padded batch (IK is per
            # frame; padding repeats the last frame and is cut off again)
            fs = []
            for f, T in zip(feats, lengths):
                f = f[:T]  # stays on the sampling device: IK and rendering run there too
                if self.smooth:
                    from ..diffusion.evaluate import smooth_features
                    f = smooth_features(f, self.smooth)
                fs.append(torch.cat([f, f[-1:].expand(max(lengths) - T, -1)]))
            local, root = features_to_rotations(torch.stack(fs))
            self.t_sample += t1 - t0
            self.t_ik += time.perf_counter() - t1
            nxt = []
            for i, (it, T) in enumerate(zip(pending, lengths)):
                self.tries += 1
                L, r = local[i, :T], root[i, :T]
                if self.filter is None:
                    best[it.index] = (L, r, 0.0)
                    continue
                flt = self.filter.for_activity(it.activity) if hasattr(self.filter, "for_activity") else self.filter
                ok, st = flt.check(Motion(self.skeleton, L, r, HUMANML3D_FPS).joint_positions(), HUMANML3D_FPS)
                # badness: the largest ratio of a statistic to its limit
                bad = max(st["foot_skating"] / max(flt.max_foot_skating, 1e-6), st["jerk"] / max(flt.max_jerk, 1e-6),
                          st["acc_p99"] / max(flt.max_acc_p99, 1e-6))
                if it.index not in best or bad < best[it.index][2]:
                    best[it.index] = (L, r, bad)
                if not ok:
                    self.rejected += 1
                    nxt.append(it)
            pending = nxt
        return [best[it.index][:2] for it in items]

    def produce(self, items) -> Rendered:
        import time

        mot = self._motions(items)
        t0 = time.perf_counter()
        lens = [int(L.shape[0]) for L, _ in mot]
        pool_L = torch.cat([L for L, _ in mot]).float().contiguous()
        pool_r = torch.cat([r for _, r in mot]).float().contiguous()
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        its, var, seeds = _renderings(items, self.variants)
        rep = lambda x: [v for v in x for _ in range(self.variants)]  # noqa: E731
        out = _render(pool_L, pool_r, self.skeleton, rep(starts), rep(lens), [HUMANML3D_FPS] * len(its), its, var, seeds,
                      self.aug, self._base, self.rate, [f"{self.name}: {it.prompt}" for it in its], self.channels)
        self.t_imu += time.perf_counter() - t0
        return out


class PoolSource:
    """Motions already in memory: a frame pool (``local_rot [F, J, 3, 3]`` or ``[F, J, 3]`` axis-angle,
    ``root_pos [F, 3]``, on any device) holding ``len(starts)`` motions of ``lengths`` frames at ``fps``;
    work item i renders motion ``i % len(starts)`` with the same augmentation as the other sources. What
    ``imusim bench generate`` times, and a way to run the generator on motions from elsewhere."""

    def __init__(self, local_rot, root_pos, skeleton, starts, lengths, fps, sensors, rate: float,
                 augment: Augment = None, variants: int = 1, channels=("acc", "gyro"), label: str = "pool"):
        self.L, self.root, self.skeleton = local_rot, root_pos, skeleton
        self.starts = np.asarray(starts, dtype=np.int64).reshape(-1)
        self.lengths = np.broadcast_to(np.asarray(lengths, dtype=np.int64), self.starts.shape).copy()
        self.fps = np.broadcast_to(np.asarray(fps, dtype=np.float64), self.starts.shape).copy()
        self.sensors = sensors_from_names(sensors)
        self.sensor_names = [s.name for s in self.sensors]
        self.rate, self.variants, self.label = rate, int(variants), label
        self.aug = augment or Augment()
        self.channels = channel_groups(channels)
        self._base = Mounts.from_sensors(self.sensors, skeleton)
        self.t_render = 0.0

    def produce(self, items) -> Rendered:
        import time

        t0 = time.perf_counter()
        its, var, seeds = _renderings(items, self.variants)
        m = np.array([it.index % len(self.starts) for it in its], dtype=np.int64)
        out = _render(self.L, self.root, self.skeleton, self.starts[m], self.lengths[m], self.fps[m], its, var, seeds,
                      self.aug, self._base, self.rate, [self.label] * len(its), self.channels)
        self.t_render += time.perf_counter() - t0
        return out
