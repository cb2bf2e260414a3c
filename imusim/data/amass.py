"""AMASS-style ``.npz`` motions (SMPL / SMPL-H / SMPL-X parameters).

Fields: ``poses`` ``[T, 3·K]`` axis-angle (K = 24 SMPL, 52 SMPL-H, 55 SMPL-X; the first 22 joints are
the body), ``trans`` ``[T, 3]`` (m), ``mocap_framerate`` or ``mocap_frame_rate`` (Hz), optional
``gender``. AMASS is z-up: world vectors are mapped to y-up with ``(x, y, z) → (x, z, −y)`` (the root
orientation and translation are rotated by that change of basis).

The poses are relative to SMPL's T-pose rest. Without the user's model file the rest skeleton is an
SMPL-like T-pose built from the canonical SMPL22 bone lengths (arms along ±x, legs and spine along y,
feet forward); pass ``skeleton=Skeleton.from_smpl(model_path, betas)`` for the subject's own rest
joints. The result is then re-expressed on the SMPL22 body (arms-down rest) through positions and IK,
so ``synthesize_imu``'s sensor presets apply directly. ``trans`` is the pelvis translation (as with
AMASS, up to the model's rest pelvis offset, which only shifts the whole motion).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..kinematics.rotations import axis_angle_to_matrix
from ..kinematics.skeleton import Skeleton
from ..motion.clip import Motion

Z_UP_TO_Y_UP = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]], dtype=torch.float64)


def smpl_tpose_skeleton() -> Skeleton:
    """SMPL22 names/parents with T-pose directions and HumanML3D bone lengths."""
    from ..kinematics.presets import HUMANML3D_BONE_LENGTHS, SMPL22

    d = {"left_hip": (1, -0.6, 0), "right_hip": (-1, -0.6, 0), "spine1": (0, 1, 0), "left_knee": (0, -1, 0),
         "right_knee": (0, -1, 0), "spine2": (0, 1, 0), "left_ankle": (0, -1, 0), "right_ankle": (0, -1, 0),
         "spine3": (0, 1, 0), "left_foot": (0, -0.5, 1), "right_foot": (0, -0.5, 1), "neck": (0, 1, 0),
         "left_collar": (1, 0.4, 0), "right_collar": (-1, 0.4, 0), "head": (0, 1, 0.2), "left_shoulder": (1, 0, 0),
         "right_shoulder": (-1, 0, 0), "left_elbow": (1, 0, 0), "right_elbow": (-1, 0, 0), "left_wrist": (1, 0, 0),
         "right_wrist": (-1, 0, 0)}
    off = torch.zeros(22, 3, dtype=torch.float64)
    for j, n in enumerate(SMPL22.names[1:], start=1):
        v = torch.tensor(d[n], dtype=torch.float64)
        off[j] = v / v.norm() * HUMANML3D_BONE_LENGTHS[j]
    return Skeleton(SMPL22.names, SMPL22.parents, off, "SMPL22-tpose")


def load_amass(path, skeleton: Optional[Skeleton] = None, to_smpl22: bool = True) -> Motion:
    from ..kinematics.ik import positions_to_rotations, rescale_positions
    from ..kinematics.presets import SMPL22
    from ..reference.fk import forward_kinematics

    from ..errors import CorruptFileError
    from .npz import read_npz, scalar

    path = Path(path)
    z = read_npz(path, ("poses", "trans"), what="AMASS file")
    try:
        poses = np.asarray(z["poses"], dtype=np.float64)
        trans = np.asarray(z["trans"], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise CorruptFileError(path, f"poses/trans must be numeric arrays ({e})") from None
    fps_key = "mocap_framerate" if "mocap_framerate" in z else ("mocap_frame_rate" if "mocap_frame_rate" in z else None)
    if fps_key is None:
        raise CorruptFileError(path, "missing 'mocap_framerate' (or 'mocap_frame_rate')")
    fps = scalar(path, z, fps_key, float)
    if not (np.isfinite(fps) and fps > 0):
        raise CorruptFileError(path, f"{fps_key} must be a finite number > 0, got {fps}")
    gender = scalar(path, z, "gender", str) if "gender" in z else "neutral"
    if poses.ndim != 2 or poses.shape[1] < 66 or poses.shape[1] % 3:
        raise CorruptFileError(path, f"poses must be [T, 3K] with K >= 22, got {list(poses.shape)}")
    if trans.shape != (poses.shape[0], 3):
        raise CorruptFileError(path, f"trans must be [{poses.shape[0]}, 3], got {list(trans.shape)}")
    if not (np.isfinite(poses).all() and np.isfinite(trans).all()):
        raise CorruptFileError(path, "poses/trans hold non-finite values")
    sk = skeleton or smpl_tpose_skeleton()
    aa = torch.from_numpy(poses[:, :66]).view(-1, 22, 3)
    L = axis_angle_to_matrix(aa)
    L[:, 0] = Z_UP_TO_Y_UP @ L[:, 0]
    root = torch.from_numpy(trans) @ Z_UP_TO_Y_UP.T
    labels = {"dataset": "amass", "gender": gender, "activity": "unknown", "content": path.stem}
    try:
        m = Motion(sk, L, root, fps, str(path), labels)
        if not to_smpl22:
            return m
        _, P = forward_kinematics(L, root, sk.parents, sk.offsets)
        local, r = positions_to_rotations(rescale_positions(P, SMPL22), SMPL22)
        return Motion(SMPL22, local, r, fps, str(path), labels)
    except ValueError as e:  # values too large for finite rotations/positions
        raise CorruptFileError(path, str(e).replace(f"Motion {path}: ", "")) from None
