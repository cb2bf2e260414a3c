"""Per-rendering augmentation drawn from seeds, vectorised over a batch.

Every random draw of a rendering comes from counter-based hashing of its own 64-bit seed (splitmix64 of
``seed + stream · φ + k``), so a rendering does not depend on the batch it is in, the batch size or the
number of processes, and no per-item Python RNG objects are made (they would cost more than the IMU
maths at the generator's rates). ``rendering_seeds(item_seeds, variants)`` derives one seed per
rendering (variant k of a motion); the sensor error model draws from the same seed inside the kernel.

Augmentations (``Augment``), as in the mocap-to-IMU literature (e.g. IMUTube, IMUGPT, UniMTS):
playback speed ×U(lo, hi) (``fps · k``), left/right mirroring with probability ``mirror`` (the body
reflected across its sagittal plane, :func:`imusim.imu.render.mirror_mounts`), sensor placement jitter
±``jitter_cm`` per axis (uniform, joint frame), mount rotation noise (a random axis, angle
U(0, ``rot_deg``)) and the sensor error model (``noise``, BMI160 by default, every term of
:mod:`imusim.imu.noise`), at a sensor temperature drawn per rendering from ``temperature`` (°C, uniform
in (lo, hi); None: the model's reference temperature, no drift). With a magnetometer the Earth field
(``mag_strength`` µT, ``mag_inclination`` °) gets a random magnetic heading per rendering (declination
uniform in [0°, 360°)): motions start facing arbitrary directions relative to north.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np
import torch

from ..kinematics.rotations import axis_angle_to_matrix
from ..imu.magnetic import DEFAULT_INCLINATION_DEG, DEFAULT_STRENGTH_UT, earth_field
from ..imu.noise import NoiseModel
from ..imu.profiles import get_noise_model
from ..imu.render import Mounts, mirror_mounts

_PHI = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
# streams (fixed: changing one changes every store)
S_CLIP, S_MIRROR, S_SPEED, S_JITTER, S_AXIS, S_ANGLE, S_VARIANT, S_CROP = 1, 2, 3, 4, 5, 6, 7, 8
S_TEMPERATURE, S_HEADING = 9, 10


def _mix(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def hash_bits(seeds, n: int, stream: int) -> np.ndarray:
    """``[R, n]`` uint64 random bits: splitmix64 of ``seed + (stream · 2³² + k + 1) · φ``."""
    s = np.asarray(seeds, dtype=np.uint64).reshape(-1, 1)
    k = (np.uint64(stream) << np.uint64(32)) + np.arange(1, n + 1, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        return _mix(s + k * _PHI)


def hash_uniforms(seeds, n: int, stream: int) -> np.ndarray:
    """``[R, n]`` float64 uniforms in (0, 1)."""
    return ((hash_bits(seeds, n, stream) >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)


def hash_normals(seeds, n: int, stream: int) -> np.ndarray:
    """``[R, n]`` standard normals (Box–Muller on :func:`hash_uniforms`)."""
    m = (n + 1) // 2
    u = hash_uniforms(seeds, 2 * m, stream)
    r = np.sqrt(-2.0 * np.log(u[:, :m]))
    z = np.concatenate([r * np.cos(2 * np.pi * u[:, m:]), r * np.sin(2 * np.pi * u[:, m:])], 1)
    return z[:, :n]


def rendering_seeds(item_seeds, variants) -> np.ndarray:
    """One 64-bit seed per (motion seed, variant)."""
    v = np.asarray(variants, dtype=np.uint64).reshape(-1)
    s = np.asarray(item_seeds, dtype=np.uint64).reshape(-1)
    return hash_bits(s ^ (v * _M2), 1, S_VARIANT)[:, 0]


@dataclass
class Augment:
    mirror: float = 0.5
    speed: Tuple[float, float] = (0.85, 1.15)
    jitter_cm: float = 2.0
    rot_deg: float = 10.0
    noise: Optional[NoiseModel] = field(default_factory=lambda: get_noise_model("bmi160"))
    temperature: Optional[Tuple[float, float]] = None
    mag_strength: float = DEFAULT_STRENGTH_UT
    mag_inclination: float = DEFAULT_INCLINATION_DEG

    def __post_init__(self):
        if self.temperature is not None:
            lo, hi = (float(v) for v in self.temperature)
            if not (np.isfinite([lo, hi]).all() and lo <= hi):
                raise ValueError(f"Augment.temperature must be (lo, hi) °C with lo <= hi, got {self.temperature!r}")
            self.temperature = (lo, hi)

    def environment(self, seeds: np.ndarray, mag: bool = False, up: str = "y"):
        """Per rendering: (sensor temperature ``[R]`` °C or None, world-frame Earth field ``[R, 3]`` µT or
        None)."""
        temps = None
        if self.temperature is not None:
            lo, hi = self.temperature
            temps = lo + (hi - lo) * hash_uniforms(seeds, 1, S_TEMPERATURE)[:, 0]
        field = None
        if mag:
            decl = 360.0 * hash_uniforms(seeds, 1, S_HEADING)[:, 0]
            field = np.stack([earth_field(self.mag_strength, self.mag_inclination, d, up) for d in decl]) \
                if len(decl) else np.zeros((0, 3))
        return temps, field

    def draw(self, seeds: np.ndarray, base: Mounts, skeleton):
        """Per rendering: (mounts ``[R, S]``, mirrored ``[R]``, speed factor ``[R]``)."""
        R, S = len(seeds), base.joints.shape[1]
        mirrored = hash_uniforms(seeds, 1, S_MIRROR)[:, 0] < self.mirror
        lo, hi = self.speed
        speed = lo + (hi - lo) * hash_uniforms(seeds, 1, S_SPEED)[:, 0]
        j = np.broadcast_to(base.joints[:1], (R, S)).copy()
        off = np.broadcast_to(base.offsets[:1], (R, S, 3)).copy()
        rot = np.broadcast_to(base.rotations[:1], (R, S, 3, 3)).copy()
        if self.jitter_cm:
            off = off + (2 * hash_uniforms(seeds, 3 * S, S_JITTER).reshape(R, S, 3) - 1) * (self.jitter_cm / 100)
        if self.rot_deg:
            ax = hash_normals(seeds, 3 * S, S_AXIS).reshape(R, S, 3)
            ax /= np.maximum(np.linalg.norm(ax, axis=-1, keepdims=True), 1e-12)
            ang = np.deg2rad(self.rot_deg) * hash_uniforms(seeds, S, S_ANGLE).reshape(R, S, 1)
            rot = axis_angle_to_matrix(torch.from_numpy(ax * ang)).numpy() @ rot
        m = mirror_mounts(Mounts(j, off, rot, list(base.names)), mirrored, skeleton)
        return m, mirrored, speed
