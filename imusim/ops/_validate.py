"""The one validation module of the public ops (and of the IMU functions built on them): tensors, shapes, dims,
motions on a skeleton, rates, the sample-count rule. Every message names the argument, the expected and the
actual value."""

from __future__ import annotations

import contextlib
import threading
from typing import Iterable, Optional, Sequence

import numpy as np
import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def fmt_shape(shape: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def check_tensor(name: str, x, *, op: str, dtypes: Sequence[torch.dtype] = FLOAT_DTYPES,
                 min_dim: int = 0) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in dtypes:
        raise TypeError(f"{op}: {name} must have a floating dtype in "
                        f"{[str(d).replace('torch.', '') for d in dtypes]}, got {str(x.dtype).replace('torch.', '')}")
    if x.dim() < min_dim:
        raise ValueError(f"{op}: {name} must have at least {min_dim} dims, got shape {fmt_shape(x.shape)}")


def check_same(name: str, x: torch.Tensor, ref_name: str, ref: torch.Tensor, *, op: str,
               shape: bool = True) -> None:
    if x.device != ref.device:
        raise ValueError(f"{op}: {name} must be on {ref_name}'s device {ref.device}, got {x.device}")
    if x.dtype != ref.dtype:
        raise TypeError(f"{op}: {name} must have {ref_name}'s dtype {str(ref.dtype).replace('torch.', '')}, "
                        f"got {str(x.dtype).replace('torch.', '')}")
    if shape and x.shape != ref.shape:
        raise ValueError(f"{op}: {name} must have {ref_name}'s shape {fmt_shape(ref.shape)}, "
                         f"got {fmt_shape(x.shape)}")


def norm_dim(name: str, dim: int, ndim: int, *, op: str) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: {name} must be an int, got {type(dim).__name__}")
    if not -ndim <= dim < ndim:
        raise ValueError(f"{op}: {name} must be in [{-ndim}, {ndim - 1}] for a {ndim}-d input, got {dim}")
    return dim % ndim


def check_positive(name: str, v: Optional[float], *, op: str) -> None:
    if v is None:
        return
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise TypeError(f"{op}: {name} must be a positive float or None, got {type(v).__name__}")
    if not v > 0:
        raise ValueError(f"{op}: {name} must be > 0, got {v}")


def check_choice(name: str, v, choices: Sequence[str], *, op: str) -> None:
    if v not in choices:
        raise ValueError(f"{op}: {name} must be one of {list(choices)}, got {v!r}")


def check_rate(name: str, v, *, op: str, optional: bool = False) -> Optional[float]:
    """A frame or sample rate: a finite number > 0 (Hz), or None when ``optional``; returns it as a float.
    The one rate check of the ops and of the IMU functions built on them."""
    import math
    import numbers

    if v is None and optional:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v > 0):
        raise ValueError(f"{op}: {name} must be a positive number (Hz){' or None' if optional else ''}, got {v!r}")
    return float(v)


def resampled_frames(length, fps, rate):
    """Frames of a motion of ``length`` frames at ``fps`` Hz once resampled to ``rate`` Hz: the times
    ``k / rate``, k = 0 .. up to the last frame, i.e. ``floor((length − 1) / fps · rate + 1e-6) + 1`` (the
    1e-6 absorbs the rounding of exact multiples); ``length`` itself when ``fps == rate`` (to 1e-9 Hz).
    Scalars give an int, arrays an int64 array. The one sample-count rule of synthesize_imu, render_imu,
    synthesize_imu_mesh and the references (outputs: this minus 2, the second differences' edges)."""
    import math
    import numbers

    import numpy as np

    if isinstance(length, numbers.Integral) and isinstance(fps, numbers.Real):  # plain Python (torch.compile)
        if abs(float(fps) - rate) <= 1e-9:
            return int(length)
        return int(math.floor((length - 1) / float(fps) * rate + 1e-6)) + 1
    L = np.asarray(length, dtype=np.float64)
    f = np.asarray(fps, dtype=np.float64)
    same = np.abs(f - rate) <= 1e-9
    n = np.where(same, L, np.floor((L - 1) / f * rate + 1e-6) + 1).astype(np.int64)
    return n


def validate_motion(local_rot, root_pos, skeleton, rot_format: str, op: str, convert: bool = True) -> torch.Tensor:
    """Check (local_rot, root_pos, skeleton, rot_format) and return rotation matrices ``[..., J, 3, 3]``
    (``convert=False``: return ``local_rot`` unchanged after the checks)."""
    from ..kinematics.rotations import ROT_FORMATS, to_matrix
    from ..kinematics.skeleton import Skeleton

    _OP = op

    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"{_OP}: skeleton must be an imusim Skeleton, got {type(skeleton).__name__}")
    check_tensor("local_rot", local_rot, op=_OP, dtypes=(torch.float32, torch.float64), min_dim=2)
    check_tensor("root_pos", root_pos, op=_OP, dtypes=(torch.float32, torch.float64), min_dim=1)
    check_same("root_pos", root_pos, "local_rot", local_rot, op=_OP, shape=False)
    if rot_format not in ROT_FORMATS:
        raise ValueError(f"{_OP}: rot_format must be one of {list(ROT_FORMATS)}, got {rot_format!r}")
    tail = ROT_FORMATS[rot_format]
    J = skeleton.num_joints
    want = (J, *tail)
    if local_rot.dim() < len(want) + 1 or tuple(local_rot.shape[-len(want):]) != want:
        raise ValueError(f"{_OP}: local_rot must be [..., T, {', '.join(map(str, want))}] for rot_format="
                         f"{rot_format!r} and skeleton {skeleton.name!r} (J={J}), got {fmt_shape(local_rot.shape)}")
    lead = local_rot.shape[: local_rot.dim() - len(want)]
    if tuple(root_pos.shape) != (*lead, 3):
        raise ValueError(f"{_OP}: root_pos must have shape {fmt_shape((*lead, 3))} (local_rot's leading dims + 3), "
                         f"got {fmt_shape(root_pos.shape)}")
    if rot_format == "matrix":
        check_rotation_matrices("local_rot", local_rot, op=_OP)
    return to_matrix(local_rot, rot_format) if convert else local_rot


#: Largest accepted |R Rᵀ − I| entry for rotation-matrix input (float32 products of a few
#: rotations stay below 1e-5; a BVH Euler conversion below 1e-6).
ROTATION_TOL = 1e-3
#: Matrices checked per call: an even stride through the batch (the check costs O(this), not O(N)).
ROTATION_SAMPLES = 4096


_TRUSTED = threading.local()


@contextlib.contextmanager
def trusted_rotations():
    """Within this block the public ops skip the orthonormality check of rotation-matrix input.

    For rotations the caller builds itself as proper rotations (e.g. IK output in a training step), where the
    check's read-back of a few values to the host would break a device-resident hot loop."""
    prev = getattr(_TRUSTED, "on", False)
    _TRUSTED.on = True
    try:
        yield
    finally:
        _TRUSTED.on = prev


def check_rotation_matrices(name: str, R: torch.Tensor, *, op: str, tol: float = ROTATION_TOL,
                            samples: int = ROTATION_SAMPLES) -> None:
    """Raise ``ValueError`` when the rotation matrices ``R [..., 3, 3]`` are not proper rotations.

    Checks up to ``samples`` matrices taken at an even stride through the flattened batch (always the
    first and the last): ``max |R Rᵀ − I| <= tol``, ``det R > 0`` and finite entries. Non-orthonormal
    "rotations" (scaled, sheared, reflected, uninitialised padding) would otherwise give silently wrong
    accelerations and angular rates. Skipped under ``torch.compile`` tracing and inside ``torch.func``
    transforms, where a value check cannot run, and inside :func:`trusted_rotations`.
    """
    if R.numel() == 0 or getattr(_TRUSTED, "on", False):
        return
    try:
        if torch.compiler.is_compiling():
            return
    except AttributeError:  # pragma: no cover - old torch
        pass
    lead = tuple(R.shape[:-2])
    n = int(np.prod(lead, dtype=np.int64))
    # the sampled matrices, gathered without copying the whole (possibly strided) tensor; the rounded stride
    # is at least 1, so the indices are distinct and increasing
    sel = np.arange(n) if n <= samples else np.linspace(0, n - 1, samples).round().astype(np.int64)
    Rd = R.detach()
    if n <= samples:
        sub = Rd.reshape(-1, 3, 3)
    elif Rd.is_contiguous():  # a view: one index
        sub = Rd.view(-1, 3, 3)[torch.from_numpy(sel).to(R.device)]
    else:
        sub = Rd[tuple(torch.from_numpy(i).to(R.device) for i in np.unravel_index(sel, lead))]
    if sub.device.type == "cpu":  # numpy on component-major arrays: ~0.1 ms for 4096 matrices
        try:
            a = sub.to(torch.float64).numpy()
        except RuntimeError:  # a functorch transform (vmap/grad): values are not observable here
            return
        r = np.ascontiguousarray(a.reshape(-1, 9).T).reshape(3, 3, -1)  # r[i, k, m] = R_m[i, k]
        err = np.abs((r[:, None] * r[None]).sum(2) - np.eye(3)[..., None]).max(axis=(0, 1))  # |R Rᵀ − I|
        det = (r[0, 0] * (r[1, 1] * r[2, 2] - r[1, 2] * r[2, 1]) - r[0, 1] * (r[1, 0] * r[2, 2] - r[1, 2] * r[2, 0])
               + r[0, 2] * (r[1, 0] * r[2, 1] - r[1, 1] * r[2, 0]))
        bad_at = np.flatnonzero(~np.isfinite(err) | (err > tol) | ~(det > 0))
        if not len(bad_at):
            return
        k = int(bad_at[0])
    else:
        with torch.no_grad():
            eye = torch.eye(3, dtype=sub.dtype, device=sub.device)
            err = (sub @ sub.transpose(-1, -2) - eye).abs().amax(dim=(-1, -2))
            det = torch.linalg.det(sub)
            bad = ~torch.isfinite(err) | (err > tol) | ~(det > 0)
            try:
                any_bad = bool(bad.any())
            except RuntimeError:  # a functorch transform (vmap/grad): values are not observable here
                return
            if not any_bad:
                return
            k = int(torch.nonzero(bad)[0, 0])
    pos = tuple(int(i) for i in np.unravel_index(int(sel[k]), lead))
    raise ValueError(
        f"{op}: {name} must hold rotation matrices (R Rᵀ = I within {tol:g}, det R = +1); "
        f"{name}[{', '.join(map(str, pos))}] has max |R Rᵀ − I| = {float(err[k]):.3g} and det = "
        f"{float(det[k]):.3g}. Orthonormalise it first (e.g. "
        f"imusim.kinematics.rotations.rot6d_to_matrix(matrix_to_rot6d(R))) or pass another rot_format")
