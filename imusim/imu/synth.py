"""``synthesize_imu``: body motion → virtual accelerometer and gyroscope signals.

Physics (DESIGN.md): specific force in the sensor frame ``f = R_wsᵀ (p̈ − g)`` with
``g = (0, −g₀, 0)`` for ``up="y"`` (``(0, 0, −g₀)`` for ``up="z"``), g₀ = 9.80665 m/s² (standard gravity,
:data:`imusim.constants.GRAVITY`) — at rest it reads +g₀ along the sensor's world-up axis; angular velocity in the sensor frame
``ω = (log(R[t−1]ᵀR[t]) + log(R[t]ᵀR[t+1])) / 2dt`` (exact for a constant-rate rotation).

Edges: second differences need both neighbours, so the output covers frames 1..T−2 of the
(resampled) motion: ``T' = T − 2`` samples starting one sample after the first frame.

Resampling (``rate`` ≠ ``fps``): the sensor poses are computed at the motion's own frames, then
sensor positions are interpolated by a cubic Hermite spline with centred (Catmull-Rom) tangents and
second-order one-sided tangents at the two ends (C¹: accelerations are piecewise linear, no spikes at
the original frames; measured interior error for a 30 fps → 60 Hz smooth motion ≈ 3 % of |acc|) and sensor orientations by quaternion slerp, at times
``k / rate`` for ``k = 0 ..`` up to the last frame; then differentiated at ``1/rate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

import numpy as np
import torch

from ..kinematics.rotations import matrix_to_quaternion, quaternion_slerp, quaternion_to_matrix
from .._consts import cached
from ..constants import GRAVITY, gravity_vector  # noqa: F401  (GRAVITY re-exported)
from ..ops import imu as imu_op
from ..ops._validate import check_rate, resampled_frames, validate_motion
from ..reference import imu as ref
from .magnetic import earth_field
from .noise import active, apply_noise
from .profiles import get_noise_model
from .sensors import Sensor, sensors_from_names

_OP = "synthesize_imu"


@dataclass
class IMUResult:
    """acc ``[..., T', S, 3]`` m/s² (specific force, sensor frame), gyro ``[..., T', S, 3]`` rad/s
    (sensor frame), orientation ``[..., T', S, 3, 3]`` (R_ws), ``rate`` Hz, ``sensor_names``; ``mag``
    ``[..., T', S, 3]`` µT (sensor frame) when a magnetometer was asked for."""
    acc: torch.Tensor
    gyro: torch.Tensor
    orientation: torch.Tensor
    rate: float
    sensor_names: List[str]
    units: tuple = (("acc", "m/s^2"), ("gyro", "rad/s"))
    mag: Optional[torch.Tensor] = None

    def stacked(self) -> torch.Tensor:
        """``[..., T', S, 6]`` (acc xyz, gyro xyz) — the generator's window layout — or ``[..., T', S, 9]``
        (+ mag xyz) with a magnetometer."""
        return torch.cat([self.acc, self.gyro] + ([self.mag] if self.mag is not None else []), -1)


def _tangents(p: torch.Tensor) -> torch.Tensor:
    """Per-frame tangents (per frame index): centred inside, second-order one-sided at the ends."""
    T = p.shape[1]
    m = torch.empty_like(p)
    m[:, 1:-1] = (p[:, 2:] - p[:, :-2]) / 2
    if T >= 3:
        m[:, 0] = (-3 * p[:, 0] + 4 * p[:, 1] - p[:, 2]) / 2
        m[:, -1] = (3 * p[:, -1] - 4 * p[:, -2] + p[:, -3]) / 2
    else:
        m[:, 0] = m[:, -1] = p[:, -1] - p[:, 0]
    return m


def _catmull_rom(p: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Cubic Hermite interpolation of p ``[B, T, ...]`` at fractional frame indices t ``[K]``
    (0 ≤ t ≤ T−1) with the tangents of :func:`_tangents`."""
    T = p.shape[1]
    k = t.floor().long().clamp(0, T - 2)
    m = _tangents(p)
    sh = (1, -1, *[1] * (p.dim() - 2))
    u = (t - k.to(t.dtype)).to(p.dtype).view(sh)
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * p[:, k] + (u3 - 2 * u2 + u) * m[:, k] + (-2 * u3 + 3 * u2) * p[:, k + 1]
            + (u3 - u2) * m[:, k + 1])


def _slerp_rot(R: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """R ``[B, T, S, 3, 3]`` at fractional indices t ``[K]``."""
    T = R.shape[1]
    q = matrix_to_quaternion(R)
    # make successive quaternions sign-consistent (shortest path is also enforced in slerp)
    k = t.floor().long().clamp(0, T - 2)
    u = (t - k.to(t.dtype)).to(R.dtype).view(1, -1, 1, 1)
    return quaternion_to_matrix(quaternion_slerp(q[:, k], q[:, k + 1], u))


def resample_poses(R: torch.Tensor, p: torch.Tensor, fps: float, rate: float):
    """Sensor poses ``R [B, T, S, 3, 3]``, ``p [B, T, S, 3]`` at ``fps`` → at ``rate`` (``resampled_frames``
    samples): slerp orientations, cubic Hermite positions."""
    n = resampled_frames(R.shape[1], fps, rate)
    t = torch.arange(n, dtype=torch.float64, device=R.device) * (fps / rate)
    return _slerp_rot(R, t), _catmull_rom(p, t)


def poses_to_imu(R: torch.Tensor, p: torch.Tensor, fps: float, rate: float, g: torch.Tensor):
    """Sensor poses at ``fps`` → (acc, gyro, orientation) at ``rate``: resampled when the rates differ, then the
    reference differences and log maps (imusim/reference/imu.py). The one path from poses to signals of
    ``synthesize_imu(rate=...)``, ``synthesize_imu_mesh`` and the per-item reference renderer. ``R [B, T, S, 3, 3]``,
    ``p [B, T, S, 3]``; ``g`` world gravity ``[3]``."""
    if abs(float(fps) - float(rate)) > 1e-9:
        R, p = resample_poses(R, p, float(fps), float(rate))
    return ref.imu_from_poses(R, p, 1.0 / float(rate), g.to(R.dtype).to(R.device))


def synthesize_imu(local_rot: torch.Tensor, root_pos: torch.Tensor, skeleton, sensors: Union[str, Sequence], fps: float,
                   *, rate: Optional[float] = None, up: str = "y", noise=None, rot_format: str = "matrix",
                   backend: Optional[str] = None, seed: Optional[int] = None, mag_field=None,
                   temperature=None) -> IMUResult:
    """Virtual IMU signals of ``sensors`` on a moving body.

    Args:
        local_rot: ``[..., T, J, 3, 3]`` local joint rotations (or rot6d/axis-angle/quaternion by
            ``rot_format``), float32/float64.
        root_pos: ``[..., T, 3]`` root positions (m).
        skeleton: the :class:`~imusim.kinematics.Skeleton` (J joints).
        sensors: preset names (``"wrist_r,thigh_r"``), ``joint:NAME``, or :class:`Sensor` objects.
        fps: frame rate of the motion (Hz).
        rate: output rate (Hz); None keeps ``fps``. See the module docstring for the interpolation.
        up: world up axis, ``"y"`` (default) or ``"z"``.
        noise: None (ideal sensor), a profile name (``"bmi160"``, ``"mti630"``, ...
            :func:`imusim.imu.list_noise_models`) or a :class:`NoiseModel` (every term of
            :mod:`imusim.imu.noise`, applied by its PyTorch reference).
        backend: ``triton``, ``cuda``, ``cpp`` or ``torch``; default: ``triton`` (then ``cuda``) for CUDA tensors,
            ``cpp`` for CPU tensors.
        seed: noise seed.
        mag_field: None (no magnetometer), True (:func:`imusim.imu.earth_field` defaults: 50 µT, 60°
            inclination, north along +z for ``up="y"``) or a world-frame field ``[3]`` (µT): adds
            ``IMUResult.mag = R_wsᵀ m_w``.
        temperature: sensor temperature for the error model's drift (°C): None (the model's reference,
            no drift), a number, ``[T']`` or ``[B, T']`` (B = the flattened leading dims).

    Returns:
        :class:`IMUResult` with ``T' = T_rate − 2`` samples (frames 1..T−2 of the resampled motion).
    """
    validate_motion(local_rot, root_pos, skeleton, rot_format, _OP, convert=False)
    fps = check_rate("fps", fps, op=_OP)
    rate = check_rate("rate", rate, op=_OP, optional=True)
    if up not in ("y", "z"):
        raise ValueError(f"{_OP}: up must be 'y' or 'z', got {up!r}")
    sens: List[Sensor] = sensors_from_names(sensors)
    try:
        sj = [skeleton.index(s.joint) for s in sens]
    except KeyError as e:
        raise ValueError(f"{_OP}: sensors: {e.args[0]}") from None
    from ..kinematics.rotations import to_matrix

    T = root_pos.shape[-2]
    be = imu_op.resolve(backend, local_rot.device, op=_OP)
    resample = rate is not None and abs(float(rate) - fps) > 1e-9
    # the fused kernel converts axis-angle itself: no [..., J, 3, 3] buffer is materialised
    direct_aa = rot_format == "axis_angle" and be != "torch" and not resample
    L = local_rot if direct_aa else to_matrix(local_rot, rot_format)
    out_rate = rate if rate is not None else fps
    n_out = resampled_frames(T, fps, out_rate)
    if T < 2 or n_out < 3:
        raise ValueError(f"{_OP}: need at least 3 samples at {out_rate} Hz to differentiate, motion has {T} frames "
                         f"at {fps} Hz")
    lead = root_pos.shape[:-2]
    Lb = L.reshape(-1, T, skeleton.num_joints, 3) if direct_aa else L.reshape(-1, T, skeleton.num_joints, 3, 3)
    rb = root_pos.reshape(-1, T, 3)
    dev, dt_ = L.device, L.dtype
    soff, srot = cached(("mounts", tuple(sens), dt_, str(dev)),
                        lambda: (torch.stack([s.offset_tensor(dt_) for s in sens]).to(dev),
                                 torch.stack([s.rotation_tensor(dt_) for s in sens]).to(dev)))
    gv = gravity_vector(up)
    g = cached(("g", gv), lambda: torch.tensor(gv, dtype=torch.float64))  # host: the kernels take its values
    if not resample:
        acc, gyro, ori = imu_op.sensor_signals(Lb, rb, skeleton, sj, soff, srot, 1.0 / fps, g, be)
    else:
        R, p = imu_op.sensor_poses(Lb, rb, skeleton, sj, soff, srot, be)
        acc, gyro, ori = poses_to_imu(R, p, fps, out_rate, cached(("g", gv, dt_, str(dev)), lambda: g.to(dt_).to(dev)))
    mag = None
    if mag_field is not None and mag_field is not False:
        mw = earth_field(up=up) if mag_field is True else np.asarray(mag_field, dtype=np.float64)
        if mw.shape != (3,) or not np.isfinite(mw).all():
            raise ValueError(f"{_OP}: mag_field must be True or a finite world-frame field [3] (µT), got {mag_field!r}")
        mag = ori.transpose(-1, -2) @ torch.as_tensor(mw, dtype=ori.dtype, device=ori.device)
    model = active(get_noise_model(noise))
    if model is not None:
        out = apply_noise(acc, gyro, out_rate, model, seed=seed, mag=mag, temperature=temperature)
        acc, gyro = out[0], out[1]
        mag = out[2] if mag is not None else None
    Tn = acc.shape[1]
    S = len(sens)
    units = (("acc", "m/s^2"), ("gyro", "rad/s")) + ((("mag", "uT"),) if mag is not None else ())
    return IMUResult(acc.reshape(*lead, Tn, S, 3), gyro.reshape(*lead, Tn, S, 3), ori.reshape(*lead, Tn, S, 3, 3),
                     out_rate, [s.name for s in sens], units, None if mag is None else mag.reshape(*lead, Tn, S, 3))
