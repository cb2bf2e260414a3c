"""Motion sources for the bulk generator: mocap with augmentation, or diffusion sampling.

Each source's ``produce(items)`` yields ``(item, stream [T', S, 6] float32, source_name)``; every random
draw for an item comes from a generator seeded by ``item.seed``, so results do not depend on batching
or on the number of processes.

Mocap augmentation (``MocapSource``): playback speed scaling (×0.85–1.15), left/right mirroring
(p = 0.5, mirrored sensor presets swap sides), sensor placement jitter (±``jitter_cm`` cm per axis),
mount rotation noise (``rot_deg`` degrees, random axis) and the sensor error model (BMI160 profile).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Dict, List

import numpy as np
import torch

from ..data.captions import ACTIVITY_GROUP, labels_from_path
from ..imu.noise import NoiseModel
from ..imu.sensors import PRESETS, Sensor, sensors_from_names
from ..kinematics.rotations import axis_angle_to_matrix


def _mirror_name(n: str) -> str:
    return n[:-2] + ("_l" if n.endswith("_r") else "_r") if n.endswith(("_r", "_l")) else n


def jitter_sensor(s: Sensor, rng: torch.Generator, jitter_cm: float, rot_deg: float) -> Sensor:
    off = torch.tensor(s.offset, dtype=torch.float64) + (torch.rand(3, generator=rng, dtype=torch.float64) * 2 - 1) * jitter_cm / 100
    axis = torch.nn.functional.normalize(torch.randn(3, generator=rng, dtype=torch.float64), dim=0)
    R = axis_angle_to_matrix(axis * (rot_deg * math.pi / 180) * float(torch.rand(1, generator=rng))) @ s.rotation_tensor()
    return Sensor(s.name, s.joint, tuple(off.tolist()), R.tolist())


class MocapSource:
    """Retargeted mocap clips grouped by activity (``ACTIVITY_GROUP``), cached in memory."""

    def __init__(self, root, sensors: str, rate: float, activities: List[str], noise: str = "bmi160",
                 jitter_cm: float = 2.0, rot_deg: float = 10.0, speed=(0.85, 1.15)):
        from ..data.dataset import list_clips

        self.sensor_names = [s.name for s in sensors_from_names(sensors)]
        self.rate, self.jitter, self.rot_deg, self.speed = rate, jitter_cm, rot_deg, speed
        self.noise = NoiseModel.bmi160() if noise == "bmi160" else None
        self.by_activity: Dict[str, list] = defaultdict(list)
        for f in list_clips(root):
            grp = ACTIVITY_GROUP.get(labels_from_path(f)["activity"])
            if grp in activities:
                self.by_activity[grp].append(f)
        self.missing = [a for a in activities if not self.by_activity.get(a)]
        if len(self.missing) == len(activities):
            raise ValueError(f"--from-mocap: no clips for any of the activities {activities} under {root}")
        self._cache = {}

    def _motion(self, path):
        if path not in self._cache:
            from ..data import load_motion
            from ..data.retarget import retarget_to_smpl22

            m = load_motion(path)
            self._cache[path] = retarget_to_smpl22(m, fps=m.fps)
        return self._cache[path]

    def produce(self, items):
        from ..imu import synthesize_imu

        for it in items:
            g = torch.Generator().manual_seed(it.seed % 2 ** 63)
            files = self.by_activity[it.activity]
            path = files[int(torch.randint(len(files), (1,), generator=g))]
            m = self._motion(path)
            mirror = bool(torch.rand(1, generator=g) < 0.5)
            names = [_mirror_name(n) if mirror else n for n in self.sensor_names]
            sens = [jitter_sensor(PRESETS[n], g, self.jitter, self.rot_deg) for n in names]
            speed = float(self.speed[0] + (self.speed[1] - self.speed[0]) * torch.rand(1, generator=g))
            L, root = m.local_rot, m.root_pos
            if mirror:  # mirror the body across x = 0: swap left/right joints, reflect rotations
                from ..kinematics import SMPL22
                perm = [SMPL22.index(n.replace("left", "@").replace("right", "left").replace("@", "right"))
                        for n in SMPL22.names]
                M = torch.diag(torch.tensor([-1.0, 1.0, 1.0], dtype=L.dtype))
                L = M @ L[:, perm] @ M
                root = root * torch.tensor([-1.0, 1.0, 1.0], dtype=root.dtype)
            r = synthesize_imu(L, root, m.skeleton, sens, m.fps * speed, rate=self.rate, noise=self.noise,
                               seed=int(torch.randint(2 ** 31, (1,), generator=g)))
            yield it, r.stacked().float().numpy(), f"{path.name}{' mirrored' if mirror else ''} x{speed:.2f}"


class DiffusionSource:
    """Text → motion with a checkpoint (DDIM, per-item seeds), then the virtual IMU.

    The IMU side gets the same augmentation as ``MocapSource`` (placement jitter, mount rotation noise,
    sensor error model), drawn from the item's seed, so that diffusion and mocap sets differ only in
    their motions. ``smooth`` (frames, Gaussian σ) smooths the sampled features in time: the baseline
    that lowers acceleration without L_acc."""

    def __init__(self, checkpoint, sensors: str, rate: float, steps: int = 50, guidance: float = 2.5, device=None,
                 noise: str = "bmi160", jitter_cm: float = 2.0, rot_deg: float = 10.0, smooth: float = 0.0,
                 quality_filter=None, max_tries: int = 4):
        from ..diffusion.checkpoint import load_checkpoint
        from ..diffusion.text import get_text_encoder
        from ..diffusion.zoo import resolve_checkpoint

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model, self.mean, self.std, enc, _ = load_checkpoint(resolve_checkpoint(checkpoint), self.device)
        self.enc = get_text_encoder(enc, device=self.device)
        self.sensor_names = [s.name for s in sensors_from_names(sensors)]
        self.rate, self.steps, self.guidance = rate, steps, guidance
        self.noise = NoiseModel.bmi160() if noise == "bmi160" else None
        self.jitter, self.rot_deg, self.smooth = jitter_cm, rot_deg, smooth
        self.name = str(checkpoint) + (f"+smooth{smooth:g}" if smooth else "") + ("+filter" if quality_filter else "")
        self.filter, self.max_tries = quality_filter, max_tries
        self.tries = self.rejected = 0  # motions sampled / rejected by the quality filter

    def _motions(self, items):
        """One accepted (item, Motion, tries) per item. With a quality filter, a rejected motion is
        re-sampled from the seed (item.seed, attempt k); after ``max_tries`` the least implausible
        attempt is kept (so every item still yields its windows and the plan stays balanced)."""
        from ..data.motion import Motion
        from ..diffusion.convert import features_to_rotations
        from ..diffusion.train import sample
        from ..kinematics import SMPL22

        best = {}
        pending = list(items)
        for k in range(self.max_tries if self.filter else 1):
            if not pending:
                break
            lengths = [max(24, int(round(it.seconds * 20))) for it in pending]
            seeds = [it.seed if k == 0 else (it.seed * 1_000_003 + k * 0x9E3779B1) % 2 ** 62 for it in pending]
            feats, _ = sample(self.model, self.mean, self.std, self.enc, [it.prompt for it in pending], lengths,
                              steps=self.steps, guidance=self.guidance, seeds=seeds)
            nxt = []
            # smooth each motion at its own length, then one batched IK over the padded batch (IK is per
            # frame; padding repeats the last frame and is cut off again)
            fs = []
            for f, T in zip(feats, lengths):
                f = f[:T].cpu()
                if self.smooth:
                    from ..diffusion.evaluate import smooth_features
                    f = smooth_features(f, self.smooth)
                fs.append(torch.cat([f, f[-1:].expand(max(lengths) - T, -1)]))
            local, root = features_to_rotations(torch.stack(fs))
            for i, (it, T) in enumerate(zip(pending, lengths)):
                m = Motion(SMPL22, local[i, :T], root[i, :T], 20.0, source=self.name)
                self.tries += 1
                if self.filter is None:
                    best[it.index] = (m, 0.0)
                    continue
                ok, st = self.filter.check(m.joint_positions(), 20.0)
                # badness: the largest ratio of a statistic to its limit
                bad = max(st["foot_skating"] / self.filter.max_foot_skating, st["jerk"] / self.filter.max_jerk,
                          st["acc_p99"] / self.filter.max_acc_p99)
                if it.index not in best or bad < best[it.index][1]:
                    best[it.index] = (m, bad)
                if not ok:
                    self.rejected += 1
                    nxt.append(it)
            pending = nxt
        return [(it, best[it.index][0]) for it in items]

    def produce(self, items):
        from ..imu import synthesize_imu

        for it, m in self._motions(items):
            g = torch.Generator().manual_seed((it.seed ^ 0x5EED) % 2 ** 63)
            sens = [jitter_sensor(PRESETS[n], g, self.jitter, self.rot_deg) for n in self.sensor_names]
            r = synthesize_imu(m.local_rot, m.root_pos, m.skeleton, sens, 20.0, rate=self.rate, noise=self.noise,
                               seed=int(torch.randint(2 ** 31, (1,), generator=g)))
            yield it, r.stacked().float().numpy(), f"{self.name}: {it.prompt}"
