"""The batched renderer's kernels behind one ``{backend: launcher}`` table (the op under
:func:`imusim.imu.render.render_imu`, which validates the request and turns sensors, noise models, fields and
temperatures into the arrays below).

Backends, chosen by :func:`imusim._backend.resolve` with the order ``RENDER_BACKENDS``: ``triton`` (CUDA
tensors; CPU tensors only under ``TRITON_INTERPRET=1`` and only when asked for), ``cpp`` (CPU tensors,
csrc/imu_render, OpenMP over items), ``torch`` (the per-item PyTorch reference in imusim/imu/render.py, any
device). The op is forward-only: the generator's renderer, not a training loss (``synthesize_imu`` is the
differentiable one).

Frame pool and outputs (csrc/imu_render/imu_render.h): ``local_rot [F, J, 9 | 3]`` (matrices or axis-angle),
``root [F, 3]``; per item b (host arrays) ``start``, ``length`` frames at ``fps``, ``rows`` output rows from
``out_offsets[b]``, mounts ``joints [B, S]``, ``mount_offsets [B, S, 3]``, ``mount_rotations [B, S, 3, 3]``,
``seeds`` uint64; the error model as float64 rows ``axes [3, AXIS_FIELDS]`` (acc, gyro, mag) or None;
``mag_field [B, 3]`` µT, ``dtemp_item [B]`` / ``dtemp_row [N]`` K; results into ``out [N, S, 3K]``, ``ori
[N, S, 3, 3]`` (optional) and ``errors [B, S, K, ERR_FIELDS]`` (optional).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .. import _backend
from ._validate import resampled_frames

_OP = "render_imu"
RENDER_BACKENDS = ("triton", "cpp", "torch")  # order of preference (see _backend.resolve)
AXIS_FIELDS = 44  # csrc/imu_render/imu_render.h: kAxisFields
ERR_FIELDS = 27   # kErrFields


def output_samples(length, fps, rate: float) -> np.ndarray:
    """Samples per item after resampling to ``rate`` and differentiating: ``max(resampled_frames − 2, 0)``."""
    return np.maximum(np.asarray(resampled_frames(np.asarray(length), np.asarray(fps, dtype=np.float64),
                                                  float(rate))) - 2, 0)


def resolve(backend: Optional[str], device) -> str:
    """The backend of one call: ``backend`` if given (refused by name when unknown or unavailable for ``device``),
    else ``IMUSIM_BACKEND``, else the first of ``RENDER_BACKENDS`` available there."""
    if backend is not None and backend not in RENDER_BACKENDS:
        raise ValueError(f"{_OP}: backend must be one of {list(RENDER_BACKENDS)}, got {backend!r}")
    return _backend.resolve(backend, device, op=_OP, supported=RENDER_BACKENDS)


@dataclass
class RenderArgs:
    """One call's inputs in the kernels' layout (see the module docstring)."""
    local_rot: torch.Tensor
    root: torch.Tensor
    skeleton: object
    start: np.ndarray
    length: np.ndarray
    fps: np.ndarray
    rate: float
    rows: np.ndarray
    out_offsets: np.ndarray
    joints: np.ndarray
    mount_offsets: np.ndarray
    mount_rotations: np.ndarray
    seeds: np.ndarray
    axes: Optional[np.ndarray]
    flicker_k: int
    g: tuple
    axis_angle: bool
    mag_field: Optional[np.ndarray] = None
    dtemp_item: Optional[np.ndarray] = None
    dtemp_row: Optional[np.ndarray] = None


def _cpp(a: RenderArgs, out: torch.Tensor, ori: Optional[torch.Tensor], err: Optional[np.ndarray]) -> None:
    L = a.local_rot.detach().contiguous()
    R0 = a.root.detach().contiguous()
    dt_ = L.dtype
    J, S = a.skeleton.num_joints, a.joints.shape[1]
    parents = torch.tensor(a.skeleton.parents, dtype=torch.int32)
    offs = a.skeleton.offsets.to(dt_).contiguous()
    arr = lambda x, d: np.ascontiguousarray(x, dtype=d)  # noqa: E731
    npdt = np.float64 if dt_ == torch.float64 else np.float32
    st, ln, fp = arr(a.start, np.int64), arr(a.length, np.int64), arr(a.fps, np.float64)
    no, oo = arr(a.rows + 2, np.int64), arr(a.out_offsets[:-1], np.int64)
    sj, so, sr = arr(a.joints, np.int32), arr(a.mount_offsets, npdt), arr(a.mount_rotations, npdt)
    sd = arr(a.seeds, np.uint64)
    axes = a.axes if a.axes is not None else np.zeros((3, AXIS_FIELDS))
    ptr = lambda x: 0 if x is None else x.ctypes.data  # noqa: E731
    _backend.cpu_module().imu_render(
        dtype=_backend.dtype_name(L), joints=J, sensors=S, parents=parents.data_ptr(), offsets=offs.data_ptr(),
        rot_dim=3 if a.axis_angle else 9, rate=float(a.rate), g=tuple(a.g), mag=a.mag_field is not None,
        noise=a.axes is not None, flicker_k=int(a.flicker_k), acc_noise=[float(v) for v in axes[0]],
        gyro_noise=[float(v) for v in axes[1]], mag_noise=[float(v) for v in axes[2]], batch=len(st),
        local_rot=L.data_ptr(), root=R0.data_ptr(), start=st.ctypes.data, length=ln.ctypes.data, fps=fp.ctypes.data,
        n_out=no.ctypes.data, out_offsets=oo.ctypes.data, sensor_joints=sj.ctypes.data,
        sensor_offsets=so.ctypes.data, sensor_rotations=sr.ctypes.data, seeds=sd.ctypes.data,
        mag_field=ptr(a.mag_field), dtemp_item=ptr(a.dtemp_item), dtemp_row=ptr(a.dtemp_row), out=out.data_ptr(),
        ori=0 if ori is None else ori.data_ptr(), errors=ptr(err))


def _triton(a: RenderArgs, out: torch.Tensor, ori: Optional[torch.Tensor], err: Optional[np.ndarray]) -> None:
    from ..triton import render as trr

    trr.render(a.local_rot, a.root, a.skeleton, a.start, a.length, a.fps, float(a.rate), a.rows, a.out_offsets,
               a.joints, a.mount_offsets, a.mount_rotations, a.seeds, a.axes, a.flicker_k, a.g, out, ori,
               a.axis_angle, mag_field=a.mag_field, dtemp_item=a.dtemp_item, dtemp_row=a.dtemp_row, errors=err)


LAUNCHERS = {"cpp": _cpp, "triton": _triton}  # "torch": imusim/imu/render.py, _render_reference


def launch(backend: str, a: RenderArgs, out: torch.Tensor, ori: Optional[torch.Tensor],
           err: Optional[np.ndarray]) -> None:
    """Run the ``backend`` kernel (``cpp`` or ``triton``) of one render call."""
    LAUNCHERS[backend](a, out, ori, err)
