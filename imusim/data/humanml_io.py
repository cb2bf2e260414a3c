"""HumanML3D ``new_joints`` / ``new_joint_vecs`` ``.npy`` files → :class:`Motion` on ``SMPL22``.

* ``new_joints/<id>.npy``: ``[T, 22, 3]`` joint positions (m, y-up, 20 fps), already retargeted by
  HumanML3D's pipeline to its uniform skeleton — whose bone lengths are exactly the ``SMPL22`` preset's.
* ``new_joint_vecs/<id>.npy``: ``[T, 263]`` features; positions come from
  :func:`imusim.motion.humanml.recover_from_ric` (the feature code lives there, not here).

Decision: positions alone carry no twist, but everything downstream (``synthesize_imu``, ``imusim
synth``) takes a :class:`Motion`, so :func:`load_humanml3d` returns a real Motion on ``SMPL22`` whose
local rotations come from :func:`imusim.kinematics.ik.positions_to_rotations` (Kabsch at branching
joints, swing-only elsewhere: twist about single-child bones is 0, leaf rotations identity) on SMPL22's
joints with rest offsets fitted to the clip at the branching joints (see :func:`load_humanml3d`); FK
of the result reproduces the file's positions. The positions as stored: ``load_humanml3d_positions``. Labels: ``dataset="humanml3d"``, ``content``
= the file's id; fps 20 unless given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..constants import HUMANML3D_FPS  # noqa: F401  (re-exported: imusim.data.humanml_io.HUMANML3D_FPS)
from ..motion.clip import Motion



def load_humanml3d_positions(path) -> torch.Tensor:
    """Joint positions ``[T, 22, 3]`` float64 (m) of a ``new_joints`` (``[T, 22, 3]``) or
    ``new_joint_vecs`` (``[T, 263]``) ``.npy``. ``ValueError`` naming the file and shape otherwise."""
    path = Path(path)
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read as .npy ({e})") from None
    if a.ndim == 3 and a.shape[1:] == (22, 3):
        P = torch.from_numpy(np.asarray(a, dtype=np.float64))
    elif a.ndim == 2 and a.shape[1] == 263:
        from ..motion.humanml import recover_from_ric

        P = recover_from_ric(torch.from_numpy(np.asarray(a, dtype=np.float64)), 22)
    else:
        raise ValueError(f"{path}: expected HumanML3D new_joints [T, 22, 3] or new_joint_vecs [T, 263], "
                         f"got shape {list(a.shape)}")
    if P.shape[0] < 1 or not torch.isfinite(P).all():
        raise ValueError(f"{path}: empty or non-finite motion")
    return P


def fit_branch_offsets(P: torch.Tensor, skeleton):
    """``skeleton`` with the rest offsets of the children of branching joints (≥ 2 children) replaced by
    their mean observed direction in the parent's Kabsch frame (lengths kept). ``P``: ``[T, J, 3]``."""
    from ..kinematics.ik import positions_to_rotations
    from ..kinematics.skeleton import Skeleton
    from ..reference.fk import forward_kinematics

    local, root = positions_to_rotations(P, skeleton)
    G, _ = forward_kinematics(local, root, skeleton.parents, skeleton.offsets)
    off = skeleton.offsets.clone()
    L = skeleton.bone_lengths()
    for j in range(skeleton.num_joints):
        kids = skeleton.children(j)
        if len(kids) < 2:
            continue
        for c in kids:
            d = (G[:, j].transpose(-1, -2) @ (P[:, c] - P[:, j])[..., None]).squeeze(-1)
            d = d / d.norm(dim=-1, keepdim=True).clamp_min(1e-12)
            m = d.mean(0)
            off[c] = m / m.norm().clamp_min(1e-12) * L[c]
    return Skeleton(skeleton.names, skeleton.parents, off, f"{skeleton.name}-fit")


def load_humanml3d(path, fps: float = HUMANML3D_FPS, labels: Optional[dict] = None,
                   fit_skeleton: bool = True) -> Motion:
    """HumanML3D ``.npy`` → float64 :class:`Motion` with ``SMPL22``'s joints (rotations by IK).

    HumanML3D's own IK gives every bone its own rotation, so the hips/spine1 around the pelvis (and
    neck/collars around spine3) do not sit along SMPL22's idealised rest directions (the mismatch
    is ~15° and costs up to 14 cm at the hands when FK is run on the preset). With ``fit_skeleton``
    (default) the rest offsets of those children are fitted to the clip (:func:`fit_branch_offsets`;
    same names, parents and bone lengths; skeleton name ``"SMPL22-fit"``), and FK of the result
    reproduces the file's positions (1.3e-5 m max on the shipped sample). With
    ``fit_skeleton=False`` the skeleton is the ``SMPL22`` preset itself.
    """
    from ..kinematics.ik import positions_to_rotations
    from ..kinematics.presets import SMPL22

    path = Path(path)
    P = load_humanml3d_positions(path)
    sk = fit_branch_offsets(P, SMPL22) if fit_skeleton else SMPL22
    local, root = positions_to_rotations(P, sk)
    lab = {"dataset": "humanml3d", "content": path.stem, "style": "normal", "activity": "unknown"}
    lab.update(labels or {})
    return Motion(sk, local, root, fps, str(path), lab)
