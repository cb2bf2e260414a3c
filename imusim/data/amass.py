"""AMASS-style ``.npz`` motions (SMPL / SMPL-H / SMPL-X parameters) → :class:`Motion` on the 22-joint body.

File fields (AMASS release layout; read with ``allow_pickle=False``):

* ``poses`` ``[T, 3·K]`` axis-angle (rad), K = 24 (SMPL, 72 values), 52 (SMPL-H, 156) or 55 (SMPL-X,
  165): joint 0 is the global root orientation, joints 1–21 the body. Only the first 22 joints
  (66 values) are used — they are the same joints in all three models (the SMPL-22 / HumanML3D body);
  hands, jaw and eyes are dropped.
* ``trans`` ``[T, 3]`` (m), ``mocap_framerate`` or ``mocap_frame_rate`` (Hz, scalar), optional
  ``gender`` (string; kept in ``labels``) and ``betas`` (only used with ``model_path``).

Frames: AMASS worlds are **z-up**; SMPL's own model frame is y-up, facing +z, left = +x. The loader
rotates the world by −90° about x, ``C = [[1,0,0],[0,0,1],[0,−1,0]]`` ((x, y, z) → (x, z, −y)), so the
result is y-up like every other :class:`Motion`: ``local_rot[:, 0] = C · R_root`` and
``root_pos = C · (trans + J_pelvis)`` (SMPL rotates about the rest pelvis ``J_pelvis`` and then adds
``trans``). Other joints' local rotations are used as they are.

Skeleton: the SMPL pose rotations are relative to SMPL's rest (T-)pose, so the rest offsets must be
SMPL-like. With ``model_path`` (a user-owned SMPL/SMPL-H/SMPL-X model file) the exact rest skeleton
for the file's ``betas`` comes from :meth:`Skeleton.from_smpl`. Without it, :func:`smpl22_tpose`
is used: SMPL22's bone lengths (HumanML3D's canonical body) along T-pose directions (legs and spine
straight, arms horizontal along ±x) — an approximation of the SMPL mean shape good to a few degrees
per bone, and a constant ``DEFAULT_PELVIS_REST`` for ``J_pelvis`` (a constant translation only).
To put the result on the canonical ``SMPL22`` (arms-down rest) use
``imusim.data.retarget.retarget_to_smpl22(m, joint_map={n: n for n in SMPL22.names})``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..kinematics.rotations import axis_angle_to_matrix
from .motion import Motion

Z_UP_TO_Y_UP = ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, -1.0, 0.0))
#: approximate rest pelvis of the SMPL neutral mean shape in the model frame (m); only shifts root_pos
DEFAULT_PELVIS_REST = (0.0, -0.23, 0.03)

# T-pose bone directions in SMPL's model frame (y up, +z forward, +x = body left), SMPL joint order
_TPOSE_DIRECTIONS = (
    (0, 0, 0), (1, -1.5, 0), (-1, -1.5, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0),
    (0, 1, 0), (0, -0.4, 1), (0, -0.4, 1), (0, 1, 0), (1, 0.3, 0), (-1, 0.3, 0), (0, 1, 0.2), (1, 0, 0),
    (-1, 0, 0), (1, 0, 0), (-1, 0, 0), (1, 0, 0), (-1, 0, 0),
)
_MODEL_TYPES = {72: "smpl", 156: "smplh", 165: "smplx"}


def smpl22_tpose():
    """SMPL-22 names/parents, SMPL22 bone lengths, T-pose directions (see module docstring)."""
    from ..kinematics.presets import SMPL22
    from ..kinematics.skeleton import Skeleton

    d = torch.tensor(_TPOSE_DIRECTIONS, dtype=torch.float64)
    d = d / d.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    off = d * SMPL22.bone_lengths()[:, None]
    return Skeleton(SMPL22.names, SMPL22.parents, off, "SMPL22-tpose")


def _field(z, path, *names):
    for n in names:
        if n in z.files:
            return z[n]
    raise ValueError(f"{path}: AMASS-style .npz needs field {' or '.join(map(repr, names))}; "
                     f"fields present: {sorted(z.files)}")


def load_amass(path, model_path: Optional[str] = None, fps: Optional[float] = None,
               labels: Optional[dict] = None) -> Motion:
    """Load an AMASS-style ``.npz`` into a y-up float64 :class:`Motion` on 22 SMPL body joints.

    Args:
        path: the ``.npz`` file.
        model_path: optional SMPL/SMPL-H/SMPL-X model file for the exact rest skeleton (its type from
            the ``poses`` width; ``betas`` from the file when present).
        fps: override the frame rate (else ``mocap_framerate`` / ``mocap_frame_rate``).
        labels: extra labels merged over ``{"dataset": "amass", "gender": ..., "activity": "unknown"}``.

    Raises ``ValueError`` naming the file and field for missing/ill-shaped fields.
    """
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read as .npz ({e})") from None
    with z:
        poses = np.asarray(_field(z, path, "poses"), dtype=np.float64)
        trans = np.asarray(_field(z, path, "trans"), dtype=np.float64)
        if fps is None:
            fr = _field(z, path, "mocap_framerate", "mocap_frame_rate")
            try:
                fps = float(np.asarray(fr).reshape(-1)[0])
            except (ValueError, IndexError):
                raise ValueError(f"{path}: mocap_framerate must be a number, got {fr!r}") from None
        gender = str(np.asarray(z["gender"]).reshape(-1)[0]) if "gender" in z.files else "neutral"
        betas = np.asarray(z["betas"], dtype=np.float64).reshape(-1) if "betas" in z.files else None
    if poses.ndim != 2 or poses.shape[1] < 66 or poses.shape[1] % 3:
        raise ValueError(f"{path}: field 'poses' must be [T, 3*K] with K >= 22 joints (72 SMPL, 156 SMPL-H, "
                         f"165 SMPL-X), got shape {list(poses.shape)}")
    T = poses.shape[0]
    if trans.shape != (T, 3):
        raise ValueError(f"{path}: field 'trans' must be [{T}, 3] (one row per pose), got {list(trans.shape)}")
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise ValueError(f"{path}: 'poses'/'trans' contain non-finite values")
    if not fps > 0:
        raise ValueError(f"{path}: frame rate must be > 0, got {fps}")
    if model_path is not None:
        from ..kinematics.skeleton import Skeleton

        mt = _MODEL_TYPES.get(poses.shape[1], "smpl")
        sk = Skeleton.from_smpl(model_path, betas=None if betas is None else betas[:10], num_joints=22,
                                model_type=mt, gender=gender if gender in ("male", "female") else "neutral")
        pelvis = _pelvis_rest(model_path, mt, gender, betas)
    else:
        sk = smpl22_tpose()
        pelvis = torch.tensor(DEFAULT_PELVIS_REST, dtype=torch.float64)
    rot = axis_angle_to_matrix(torch.from_numpy(poses[:, :66].reshape(T, 22, 3)))
    C = torch.tensor(Z_UP_TO_Y_UP, dtype=torch.float64)
    rot[:, 0] = C @ rot[:, 0]
    root = (torch.from_numpy(trans) + pelvis) @ C.T
    lab = {"dataset": "amass", "gender": gender, "content": path.stem, "style": "normal", "activity": "unknown"}
    lab.update(labels or {})
    return Motion(sk, rot, root, float(fps), str(path), lab)


def _pelvis_rest(model_path, model_type, gender, betas) -> torch.Tensor:
    """Rest pelvis of the user's model (m, model frame): root offset + the skeleton's absolute root."""
    import smplx
    from smplx.lbs import blend_shapes, vertices2joints

    if str(model_path).endswith(".npz"):
        from smplx.utils import Struct

        with np.load(model_path, allow_pickle=False) as zz:
            data = Struct(**{k: zz[k] for k in zz.files})
        cls_ = {"smpl": smplx.SMPL, "smplh": smplx.SMPLH, "smplx": smplx.SMPLX}[model_type]
        model = cls_(model_path=str(model_path), data_struct=data, num_betas=data.shapedirs.shape[-1])
    else:
        model = smplx.create(str(model_path), model_type=model_type, gender=gender, ext="pkl")
    nb = model.shapedirs.shape[-1]
    b = torch.zeros(1, nb, dtype=model.shapedirs.dtype)
    if betas is not None:
        k = min(nb, len(betas), 10)
        b[0, :k] = torch.as_tensor(betas[:k], dtype=b.dtype)
    v = model.v_template[None] + blend_shapes(b, model.shapedirs)
    return vertices2joints(model.J_regressor, v)[0, 0].double()
