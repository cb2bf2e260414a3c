"""``render_imu``: many motions → virtual IMU streams in one call (the bulk generator's IMU stage).

:func:`~imusim.synthesize_imu` takes one batch of equal-length motions with one set of sensors. The
generator needs more: motions of different lengths and frame rates (playback-speed augmentation),
sensor mounts drawn per motion (placement jitter, mount rotation noise, mirroring) and a sensor error
model drawn from each motion's own seed. ``render_imu`` does all of that in one fused, forward-only
pass (``cpp``: csrc/imu_render, OpenMP over motions) on a *frame pool*::

    local_rot [F, J, 3, 3] (or [F, J, 3] axis-angle), root_pos [F, 3]   frames of all motions
    item b = frames start[b] .. start[b] + length[b] − 1, played at fps[b] Hz

so the same frames can be rendered many times (variants) without copies. The maths is that of
``synthesize_imu(..., rate=rate)`` (sensor poses → cubic Hermite positions / slerp orientations at
``rate`` → second differences and log maps; output samples 1 .. n_out−2 of the resampled motion, with
``n_out = floor((length − 1) / fps · rate) + 1``); with ``noise=None`` it matches ``synthesize_imu`` to
float precision (tests/imu/test_render.py).

Mirroring without a mirrored copy of the motion: reflecting the world across x = 0 (``M = diag(−1,1,1)``,
gravity unchanged) turns a sensor on joint j with mount (o, R_js) into one on the mirror joint j' of the
original motion with mount ``(M o, M R_js)``; acc and gyro come out exactly as for the reflected motion
(``mirror_mounts``). The kernel recognises such a mount by ``det < 0`` and computes that sensor's pose in
the reflected world (``R = M G_j' M R_js``, ``p = M(P_j' + G_j' M o)``), so ``orientation`` is the
mirrored body's sensor orientation and slerp sees proper rotations.

Magnetometer (``mag_field``): ``R_wsᵀ m_w`` (µT) per sensor after acc and gyro, so rows are
``[S, 9]`` instead of ``[S, 6]``; ``m_w`` is the world-frame field of each item
(:func:`imusim.imu.magnetic.earth_field`).

Noise: every term of :mod:`imusim.imu.noise` (white, bias, random walk, flicker, Gauss–Markov, scale,
misalignment, cross-axis, g-sensitivity, temperature drift, bandwidth, saturation, quantisation). The
``cpp`` backend draws from per-item xoshiro256** streams with ziggurat normals (its own realisations, same
statistics as :func:`imusim.imu.noise.apply_noise`; a draw depends on the seed, the sensor count and the
row only); the ``torch`` backend (the per-item reference, any device) uses ``apply_noise`` with a
``torch.Generator`` seeded per item. ``errors=True`` returns the constants each item drew. The ``triton``
backend (CUDA tensors; imusim/triton/render.py) implements every term, the magnetometer, temperatures and
``errors=True`` with Philox draws keyed by (seed, sensor channel, row): same statistics, its own realisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

import numpy as np
import torch

from ..constants import gravity_vector
from ..ops import render as _op
from ..ops.render import AXIS_FIELDS, ERR_FIELDS, RENDER_BACKENDS, output_samples  # noqa: F401  (re-exported)
from ..kinematics.skeleton import mirror_joint_map  # noqa: F401  (re-exported)
from .noise import KINDS, DrawnErrors, NoiseModel, active, apply_noise, flicker_components
from .profiles import get_noise_model
from .sensors import Sensor, sensors_from_names

_OP = "render_imu"
MIRROR = np.diag([-1.0, 1.0, 1.0])


@dataclass
class Mounts:
    """Per-item sensor mounts: ``joints`` int ``[B, S]``, ``offsets`` ``[B, S, 3]`` (m, joint frame),
    ``rotations`` ``[B, S, 3, 3]`` (R_js, or M R_js for a mirrored item), ``names`` ``[S]`` (the
    sensors' names as the caller wants them labelled)."""
    joints: np.ndarray
    offsets: np.ndarray
    rotations: np.ndarray
    names: List[str]

    @staticmethod
    def from_sensors(sensors: Sequence[Sensor], skeleton, B: int = 1) -> "Mounts":
        try:
            j = [skeleton.index(s.joint) for s in sensors]
        except KeyError as e:
            raise ValueError(f"{_OP}: sensors: {e.args[0]}") from None
        return Mounts(np.tile(np.array(j, dtype=np.int32), (B, 1)),
                      np.tile(np.array([s.offset for s in sensors], dtype=np.float64), (B, 1, 1)),
                      np.tile(np.array([s.rotation for s in sensors], dtype=np.float64), (B, 1, 1, 1)),
                      [s.name for s in sensors])


def mirror_mounts(m: Mounts, mirror: np.ndarray, skeleton) -> Mounts:
    """Mounts of items whose body is to be rendered reflected across x = 0 (``mirror`` bool ``[B]``)."""
    mirror = np.asarray(mirror, dtype=bool)
    jm = np.asarray(mirror_joint_map(skeleton))
    joints = np.where(mirror[:, None], jm[m.joints], m.joints).astype(np.int32)
    off = np.where(mirror[:, None, None], m.offsets @ MIRROR, m.offsets)  # M o (M symmetric)
    rot = np.where(mirror[:, None, None, None], MIRROR @ m.rotations, m.rotations)
    return Mounts(joints, off, rot, list(m.names))


CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
MAG_CHANNELS = ("mag_x", "mag_y", "mag_z")


@dataclass
class RenderBatch:
    """``data`` ``[N, S, C]`` of all items back to back, C = 6 (acc xyz m/s² specific force, gyro xyz rad/s,
    sensor frames) or 9 (+ mag xyz µT); item b is ``data[offsets[b]:offsets[b + 1]]``; ``orientation``
    ``[N, S, 3, 3]`` when asked for; ``rate`` Hz; ``sensor_names`` ``[S]``; ``channels`` ``[C]``;
    ``errors``: the constants the error model drew per item (:class:`~imusim.imu.noise.DrawnErrors`)."""
    data: torch.Tensor
    offsets: np.ndarray
    rate: float
    sensor_names: List[str]
    orientation: Optional[torch.Tensor] = None
    channels: tuple = CHANNELS
    errors: Optional[DrawnErrors] = None

    def __len__(self):
        return len(self.offsets) - 1

    def item(self, b: int) -> torch.Tensor:
        return self.data[int(self.offsets[b]):int(self.offsets[b + 1])]


MAX_SOS = 4


def _axis_fields(a, rate: float, where: str) -> List[float]:
    """One channel group's terms in the kernel's layout (NoiseAxisSpec, python/imu_render_bind.cpp)."""
    sos = a.sos(rate, where)
    if sos is not None and len(sos) > MAX_SOS:
        raise ValueError(f"{where}.filter_order: at most {2 * MAX_SOS} in the render kernel, got {a.filter_order}")
    phi = float(np.exp(-1.0 / (rate * a.bias_gm_tau))) if a.bias_gm_std else 0.0
    out = [a.noise_density * np.sqrt(rate), a.bias_std, a.bias_rw * np.sqrt(1.0 / rate), a.scale_std,
           a.misalignment_std, a.range or 0.0, a.resolution or 0.0, a.cross_axis_std,
           *(a.cross_axis if a.cross_axis is not None else [0.0] * 9), a.g_sensitivity, a.bias_tempco_std,
           a.scale_tempco_std, a.bias_instability / np.sqrt(2.0), a.bias_gm_std, phi,
           0.0 if sos is None else float(len(sos))]
    secs = np.zeros((MAX_SOS, 5))
    if sos is not None:
        secs[:len(sos)] = sos[:, [0, 1, 2, 4, 5]] / sos[:, 3:4]
    out += secs.ravel().tolist()
    assert len(out) == AXIS_FIELDS
    return [float(v) for v in out]


def _mag_fields(mag_field, B: int) -> Optional[np.ndarray]:
    """``[B, 3]`` float64 world-frame fields (µT), or None (no magnetometer)."""
    if mag_field is None or mag_field is False:
        return None
    if mag_field is True:
        from .magnetic import earth_field
        mag_field = earth_field()
    m = np.asarray(mag_field, dtype=np.float64)
    if m.shape == (3,):
        m = np.broadcast_to(m, (B, 3))
    if m.shape != (B, 3):
        raise ValueError(f"{_OP}: mag_field must be True, a world-frame field [3] or [B, 3] = [{B}, 3] (µT), got shape "
                         f"{list(m.shape)}")
    if not np.isfinite(m).all():
        raise ValueError(f"{_OP}: mag_field must be finite (µT), got {m[~np.isfinite(m).all(1)][:1].tolist()}")
    return np.array(m, dtype=np.float64, order="C")  # a writable copy (m may be a broadcast view)


def _temperatures(temperature, rows: np.ndarray, temp_ref: float):
    """(ΔT per item [B] or None, ΔT per row [N] or None) in K from None, a number, or B entries (each a
    number or an array of that item's rows), °C."""
    B = len(rows)
    if temperature is None:
        return None, None
    if np.ndim(temperature) == 0:
        t = float(temperature)
        if not np.isfinite(t):
            raise ValueError(f"{_OP}: temperature must be finite (°C), got {temperature!r}")
        return np.full(B, t - temp_ref), None
    items = list(temperature)
    if len(items) != B:
        raise ValueError(f"{_OP}: temperature must be a number or have B={B} entries (a number or [rows] each), got "
                         f"{len(items)}")
    if all(np.ndim(v) == 0 for v in items):
        t = np.asarray(items, dtype=np.float64)
        if not np.isfinite(t).all():
            raise ValueError(f"{_OP}: temperature must be finite (°C)")
        return t - temp_ref, None
    per = []
    for b, (v, n) in enumerate(zip(items, rows)):
        a = np.asarray(v, dtype=np.float64)
        if a.ndim == 0:
            a = np.full(int(n), float(a))
        if a.shape != (int(n),):
            raise ValueError(f"{_OP}: temperature[{b}] must be a number or [{int(n)}] (one per output row of item {b}), "
                             f"got shape {list(a.shape)}")
        per.append(a)
    t = np.concatenate(per) if per else np.zeros(0)
    if not np.isfinite(t).all():
        raise ValueError(f"{_OP}: temperature must be finite (°C)")
    return None, np.ascontiguousarray(t - temp_ref)


def render_imu(local_rot: torch.Tensor, root_pos: torch.Tensor, skeleton, *, start, length, fps, rate: float,
               sensors: Union[str, Sequence[Sensor], Sequence[Sequence[Sensor]], Mounts], up: str = "y", noise=None,
               seeds=None, orientation: bool = False, rot_format: str = "matrix",
               backend: Optional[str] = None, mag_field=None, temperature=None, errors: bool = False) -> RenderBatch:
    """Virtual IMU streams of B motions taken from one frame pool (see the module docstring).

    Args:
        local_rot: ``[F, J, 3, 3]`` local joint rotations (``[F, J, 3]`` with ``rot_format="axis_angle"``),
            float32/float64, the frames of all motions.
        root_pos: ``[F, 3]`` root positions (m).
        skeleton: :class:`~imusim.kinematics.Skeleton` with J joints (parents before children).
        start, length: int ``[B]``: item b is frames ``start[b] .. start[b] + length[b] − 1`` (length ≥ 2).
        fps: float or ``[B]``: playback rate of each item (Hz); a speed factor k is ``fps = k · native``.
        rate: output rate (Hz).
        sensors: preset names / :class:`Sensor` list (same for every item), a list of B such lists, or
            :class:`Mounts` (per-item joints, offsets, rotations).
        noise: None, a profile name (``"bmi160"``, ... :func:`imusim.imu.profiles.list_noise_models`) or a
            :class:`NoiseModel`; needs ``seeds``.
        seeds: int ``[B]`` (< 2⁶⁴): each item's noise comes from its own seed only.
        orientation: also return ``R_ws`` ``[N, S, 3, 3]``.
        backend: ``cpp`` (fused, CPU), ``triton`` (fused, CUDA; imusim/triton/render.py) or ``torch`` (per-item
            reference, any device); default ``cpp`` for CPU tensors, ``triton`` for CUDA tensors.
        mag_field: None (no magnetometer), True (:func:`~imusim.imu.magnetic.earth_field` defaults), a
            world-frame field ``[3]`` or one per item ``[B, 3]`` (µT): adds mag xyz to every sensor's row.
        temperature: None (the model's reference temperature: no drift), a number, or B entries each a
            number or an array of that item's output rows (°C).
        errors: also return the constants each item drew (``RenderBatch.errors``; needs ``noise``).

    Returns:
        :class:`RenderBatch`; item b has ``output_samples(length[b], fps[b], rate)`` samples.
    """
    if not isinstance(local_rot, torch.Tensor) or not isinstance(root_pos, torch.Tensor):
        raise TypeError(f"{_OP}: local_rot and root_pos must be torch tensors, got {type(local_rot).__name__} and "
                        f"{type(root_pos).__name__}")
    tail = {"matrix": (3, 3), "axis_angle": (3,)}.get(rot_format)
    if tail is None:
        raise ValueError(f"{_OP}: rot_format must be 'matrix' or 'axis_angle', got {rot_format!r}")
    J = skeleton.num_joints
    if local_rot.dim() != 2 + len(tail) or tuple(local_rot.shape[1:]) != (J, *tail):
        raise ValueError(f"{_OP}: local_rot must be [F, {J}, {', '.join(map(str, tail))}] (a frame pool for "
                         f"rot_format={rot_format!r}), got {list(local_rot.shape)}")
    F = local_rot.shape[0]
    if tuple(root_pos.shape) != (F, 3):
        raise ValueError(f"{_OP}: root_pos must be [F, 3] = [{F}, 3], got {list(root_pos.shape)}")
    if local_rot.dtype not in (torch.float32, torch.float64) or root_pos.dtype != local_rot.dtype:
        raise ValueError(f"{_OP}: local_rot and root_pos must share dtype float32 or float64, got {local_rot.dtype} "
                         f"and {root_pos.dtype}")
    if root_pos.device != local_rot.device:
        raise ValueError(f"{_OP}: root_pos is on {root_pos.device}, local_rot on {local_rot.device}")
    start = np.asarray(start, dtype=np.int64).reshape(-1)
    length = np.asarray(length, dtype=np.int64).reshape(-1)
    B = len(start)
    if length.shape != (B,):
        raise ValueError(f"{_OP}: length must have B={B} entries like start, got {length.shape[0]}")
    fps = np.broadcast_to(np.asarray(fps, dtype=np.float64), (B,)).copy()
    if B and ((length < 2).any() or (start < 0).any() or (start + length > F).any()):
        b = int(np.flatnonzero((length < 2) | (start < 0) | (start + length > F))[0])
        raise ValueError(f"{_OP}: item {b}: frames start={start[b]}, length={length[b]} must satisfy length >= 2 and "
                         f"0 <= start, start + length <= F={F}")
    if not (np.isfinite(fps).all() and (fps > 0).all()):
        raise ValueError(f"{_OP}: fps must be positive (Hz), got {fps[~(fps > 0)][:3].tolist()}")
    if not isinstance(rate, (int, float)) or not rate > 0:
        raise ValueError(f"{_OP}: rate must be a positive number (Hz), got {rate!r}")
    if up not in ("y", "z"):
        raise ValueError(f"{_OP}: up must be 'y' or 'z', got {up!r}")
    if any(p >= j for j, p in enumerate(skeleton.parents)):
        raise ValueError(f"{_OP}: skeleton joints must be in topological order (parents[j] < j)")
    # mounts
    if isinstance(sensors, Mounts):
        mounts = sensors
    elif isinstance(sensors, str) or (len(sensors) and isinstance(sensors[0], (Sensor, str))):
        mounts = Mounts.from_sensors(sensors_from_names(sensors), skeleton, B)
    else:
        if len(sensors) != B:
            raise ValueError(f"{_OP}: sensors: a list of per-item sensor lists must have B={B} entries, got {len(sensors)}")
        per = [Mounts.from_sensors(sensors_from_names(s), skeleton, 1) for s in sensors]
        if len({len(p.names) for p in per}) > 1:
            raise ValueError(f"{_OP}: sensors: every item needs the same number of sensors")
        mounts = Mounts(np.concatenate([p.joints for p in per]), np.concatenate([p.offsets for p in per]),
                        np.concatenate([p.rotations for p in per]), per[0].names if per else [])
    S = mounts.joints.shape[1] if mounts.joints.ndim == 2 else 0
    if mounts.joints.shape != (B, S) or mounts.offsets.shape != (B, S, 3) or mounts.rotations.shape != (B, S, 3, 3):
        raise ValueError(f"{_OP}: sensors: Mounts must be joints [B, S], offsets [B, S, 3], rotations [B, S, 3, 3] "
                         f"with B={B}, got {list(mounts.joints.shape)}, {list(mounts.offsets.shape)}, "
                         f"{list(mounts.rotations.shape)}")
    if S == 0 or S > 64:
        raise ValueError(f"{_OP}: sensors: need 1 to 64 sensors per item, got {S}")
    if ((mounts.joints < 0) | (mounts.joints >= J)).any():
        raise ValueError(f"{_OP}: sensors: joint indices must be in [0, {J}), got {mounts.joints.min()}..{mounts.joints.max()}")
    model = active(get_noise_model(noise))
    if model is not None:
        model.validate(float(rate))
        if seeds is None:
            raise ValueError(f"{_OP}: noise needs seeds (int [B], one per item)")
        # python ints may exceed int64: keep them exact (np.asarray would make floats of them)
        seeds = (np.array(list(seeds), dtype=object) if isinstance(seeds, (list, tuple)) else np.asarray(seeds)).reshape(-1)
        if seeds.shape != (B,):
            raise ValueError(f"{_OP}: seeds must have B={B} entries, got {seeds.shape[0]}")
        if seeds.dtype.kind not in "iu" and seeds.dtype != object:
            raise ValueError(f"{_OP}: seeds must be integers, got dtype {seeds.dtype}")
        seeds = seeds.astype(np.uint64) if seeds.dtype.kind in "iu" else np.array(
            [int(s) % (1 << 64) for s in seeds], dtype=np.uint64)
    else:
        seeds = np.zeros(B, dtype=np.uint64)
    be = _op.resolve(backend, local_rot.device) if backend is not None else _default_backend(local_rot.device)
    if errors and model is None:
        raise ValueError(f"{_OP}: errors=True needs a noise model (noise={noise!r} has no error terms)")
    rows = output_samples(length, fps, float(rate))
    offsets = np.zeros(B + 1, dtype=np.int64)
    np.cumsum(rows, out=offsets[1:])
    N = int(offsets[-1])
    mfield = _mag_fields(mag_field, B)
    dT_item, dT_row = _temperatures(temperature, rows, model.temp_ref if model is not None else 25.0)
    K = 3 if mfield is not None else 2
    dt_, dev = local_rot.dtype, local_rot.device
    g = gravity_vector(up)
    out = torch.empty((N, S, 3 * K), dtype=dt_, device=dev)
    ori = torch.empty((N, S, 3, 3), dtype=dt_, device=dev) if orientation else None
    err = np.zeros((B, S, K, ERR_FIELDS)) if errors else None
    if be in _op.LAUNCHERS:
        axes = None if model is None else np.array(
            [_axis_fields(getattr(model, k), float(rate), f"NoiseModel {model.name!r} {k}") for k in KINDS])
        args = _op.RenderArgs(local_rot, root_pos, skeleton, start, length, fps, float(rate), rows, offsets,
                              mounts.joints, mounts.offsets, mounts.rotations, seeds, axes, flicker_components(float(rate)),
                              g, rot_format == "axis_angle", mfield, dT_item, dT_row)
        _op.launch(be, args, out, ori, err)
        drawn = None if err is None else _drawn(err, K)
    else:
        drawn = _render_reference(local_rot, root_pos, skeleton, start, length, fps, float(rate), mounts, g, model,
                                  seeds, rows, offsets, rot_format, out, ori, mfield, dT_item, dT_row, errors)
    chans = CHANNELS + (MAG_CHANNELS if mfield is not None else ())
    return RenderBatch(out, offsets, float(rate), list(mounts.names), ori, chans, drawn)


def _default_backend(device: torch.device) -> str:
    """The backend of a call without ``backend=``: ``_backend.resolve`` over ``RENDER_BACKENDS`` (``cpp`` for CPU
    tensors, ``triton`` for CUDA tensors, else ``torch``; ``IMUSIM_BACKEND`` overrides)."""
    return _op.resolve(None, device)


def _drawn(err: np.ndarray, K: int) -> DrawnErrors:
    """The kernels' error records ``[B, S, K, 27]`` (csrc/imu_render/imu_render.h) as :class:`DrawnErrors`."""
    B, S = err.shape[:2]
    return DrawnErrors(KINDS[:K], err[..., :9].reshape(B, S, K, 3, 3), err[..., 9:12], err[..., 12:15], err[..., 15:18],
                       err[:, :, 1, 18:27].reshape(B, S, 3, 3))


def _render_reference(local_rot, root_pos, skeleton, start, length, fps, rate, mounts, g, model, seeds, rows, offsets,
                      rot_format, out, ori, mfield=None, dT_item=None, dT_row=None, errors=False):
    """Per-item loop over the PyTorch reference (poses → resample → differences → magnetometer) and
    ``apply_noise``; returns the drawn constants when ``errors``."""
    from ..kinematics.rotations import to_matrix
    from ..reference import imu as ref
    from .synth import poses_to_imu

    dt_, dev = local_rot.dtype, local_rot.device
    gv = torch.tensor(g, dtype=torch.float64)
    offs = skeleton.offsets.to(device=dev, dtype=dt_)
    S, K = out.shape[1], out.shape[2] // 3
    drawn = []
    with torch.no_grad():
        for b in range(len(start)):
            if rows[b] == 0:
                if errors:  # constants from the seed alone, as the kernel does
                    z = torch.zeros(1, 1, S, 3, dtype=torch.float64)
                    r = apply_noise(z, z, rate, model, seed=int(seeds[b]) % (1 << 63), mag=z if K == 3 else None,
                                    return_errors=True)
                    drawn.append(r[-1])
                continue
            sl = slice(int(start[b]), int(start[b] + length[b]))
            L = to_matrix(local_rot[sl], rot_format)[None]
            r = root_pos[sl][None]
            sj = [int(j) for j in mounts.joints[b]]
            so = torch.as_tensor(mounts.offsets[b], dtype=dt_, device=dev)
            sr = torch.as_tensor(mounts.rotations[b], dtype=dt_, device=dev)
            R, p = ref.sensor_poses(L, r, skeleton.parents, offs, sj, so, sr)
            refl = torch.linalg.det(sr.double()) < 0  # mirrored mounts: pose in the reflected world
            if refl.any():
                Mx = torch.tensor([-1.0, 1.0, 1.0], dtype=dt_, device=dev)
                k = refl.to(dev)[:, None]
                R = torch.where(k[..., None], Mx[:, None] * R, R)
                p = torch.where(k, Mx * p, p)
            acc, gyro, Rm = poses_to_imu(R, p, float(fps[b]), rate, gv)
            o0, o1 = int(offsets[b]), int(offsets[b + 1])
            mag = None
            if mfield is not None:
                mw = torch.as_tensor(mfield[b], dtype=Rm.dtype, device=dev)
                mag = (Rm.transpose(-1, -2) @ mw).contiguous()
            if model is not None:
                temp = None
                if dT_item is not None:
                    temp = float(dT_item[b]) + model.temp_ref
                elif dT_row is not None:
                    temp = torch.as_tensor(dT_row[o0:o1] + model.temp_ref)
                r = apply_noise(acc, gyro, rate, model, seed=int(seeds[b]) % (1 << 63), mag=mag, temperature=temp,
                                return_errors=errors)
                acc, gyro = r[0], r[1]
                if mag is not None:
                    mag = r[2]
                if errors:
                    drawn.append(r[-1])
            out[o0:o1, :, :3] = acc[0]
            out[o0:o1, :, 3:6] = gyro[0]
            if mag is not None:
                out[o0:o1, :, 6:9] = mag[0]
            if ori is not None:
                ori[o0:o1] = Rm[0]
    if not errors:
        return None
    if not drawn:  # no items
        z = np.zeros((0, S, K))
        return DrawnErrors(KINDS[:K], np.zeros((0, S, K, 3, 3)), z[..., None].repeat(3, -1), z[..., None].repeat(3, -1),
                           z[..., None].repeat(3, -1), np.zeros((0, S, 3, 3)))
    cat = lambda f: np.concatenate([getattr(d, f) for d in drawn])  # noqa: E731
    return DrawnErrors(drawn[0].kinds, cat("matrix"), cat("bias"), cat("bias_tempco"), cat("scale_tempco"),
                       cat("g_sensitivity"))
