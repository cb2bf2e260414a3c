"""Retargeting any loaded skeleton onto the SMPL22 body (HumanML3D's 22 joints).

Pipeline (``retarget_to_smpl22``):
1. FK of the source motion → source joint positions (m, y-up).
2. Joint map → SMPL22 positions: each SMPL22 joint is a source joint, a blend of source joints
   (``{"lerp": [A, B, w]}`` = (1−w)·A + w·B), or a point fixed in a source joint's frame
   (``{"joint": A, "offset": [x, y, z]}`` m, for joints the source lacks, e.g. DeepMimic's head top or toes).
3. Bone directions kept, lengths set to the canonical SMPL22 skeleton (``rescale_positions``).
4. IK (``imusim.kinematics.ik``) → SMPL22 local rotations; root position = pelvis.
5. Feet on the floor: the lowest foot/ankle height over the clip is moved to y = 0.
6. Resampling to ``fps`` (default 20, HumanML3D's rate): root by cubic interpolation, local rotations
   by slerp.

Built-in maps: ``BANDAI_MAP`` (Bandai Namco sets 1 and 2) and ``DEEPMIMIC_MAP`` (humanoid3d).
"""

from __future__ import annotations

from typing import Dict, Optional, Union

import numpy as np
import torch

from ..constants import HUMANML3D_FPS
from ..kinematics.ik import positions_to_rotations, rescale_positions
from ..reference.fk import forward_kinematics

MapValue = Union[str, dict]

BANDAI_MAP: Dict[str, MapValue] = {
    "pelvis": "Hips", "left_hip": "UpperLeg_L", "right_hip": "UpperLeg_R", "spine1": "Spine",
    "left_knee": "LowerLeg_L", "right_knee": "LowerLeg_R", "spine2": {"lerp": ["Spine", "Chest", 0.5]},
    "left_ankle": "Foot_L", "right_ankle": "Foot_R", "spine3": "Chest", "left_foot": "Toes_L",
    "right_foot": "Toes_R", "neck": "Neck", "left_collar": "Shoulder_L", "right_collar": "Shoulder_R",
    "head": "Head", "left_shoulder": "UpperArm_L", "right_shoulder": "UpperArm_R", "left_elbow": "LowerArm_L",
    "right_elbow": "LowerArm_R", "left_wrist": "Hand_L", "right_wrist": "Hand_R",
}

# DeepMimic humanoid3d: x forward, y up, z right (right hip at +z); no spine chain, collars, head top or
# toes: those are points fixed in the chest/neck/ankle frames (offsets in metres, from the character's
# rest proportions).
DEEPMIMIC_MAP: Dict[str, MapValue] = {
    "pelvis": "root", "left_hip": "left_hip", "right_hip": "right_hip",
    "spine1": {"joint": "root", "offset": [0.0, 0.10, 0.0]},
    "left_knee": "left_knee", "right_knee": "right_knee",
    "spine2": {"joint": "chest", "offset": [0.0, 0.0, 0.0]},
    "left_ankle": "left_ankle", "right_ankle": "right_ankle",
    "spine3": {"joint": "chest", "offset": [0.0, 0.08, 0.0]},
    "left_foot": {"joint": "left_ankle", "offset": [0.14, -0.06, 0.0]},
    "right_foot": {"joint": "right_ankle", "offset": [0.14, -0.06, 0.0]},
    "neck": {"joint": "chest", "offset": [-0.01, 0.21, 0.0]},
    "left_collar": {"joint": "chest", "offset": [-0.02, 0.19, -0.07]},
    "right_collar": {"joint": "chest", "offset": [-0.02, 0.19, 0.07]},
    "head": {"joint": "neck", "offset": [0.02, 0.09, 0.0]},
    "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow", "right_elbow": "right_elbow",
    "left_wrist": "left_wrist", "right_wrist": "right_wrist",
}


def builtin_map(skeleton) -> Optional[Dict[str, MapValue]]:
    names = set(skeleton.names)
    if {"Hips", "UpperLeg_L", "Hand_R"} <= names:
        return BANDAI_MAP
    if {"root", "chest", "left_wrist", "right_ankle"} <= names:
        return DEEPMIMIC_MAP
    return None


def mapped_positions(global_rot: torch.Tensor, positions: torch.Tensor, skeleton, joint_map) -> torch.Tensor:
    """SMPL22 joint positions ``[T, 22, 3]`` from source global rotations/positions via ``joint_map``."""
    from ..kinematics.presets import SMPL22

    out = []
    for name in SMPL22.names:
        if name not in joint_map:
            from ..errors import UnknownNameError
            raise UnknownNameError(f"joint_map has no entry for SMPL22 joint {name!r}")
        v = joint_map[name]
        if isinstance(v, str):
            out.append(positions[:, skeleton.index(v)])
        elif "lerp" in v:
            a, b, w = v["lerp"]
            out.append((1 - w) * positions[:, skeleton.index(a)] + w * positions[:, skeleton.index(b)])
        elif "joint" in v:
            j = skeleton.index(v["joint"])
            off = torch.tensor(v.get("offset", [0, 0, 0]), dtype=positions.dtype)
            out.append(positions[:, j] + (global_rot[:, j] @ off.view(3, 1)).squeeze(-1))
        else:
            raise ValueError(f"joint_map[{name!r}]: expected a joint name, {{'lerp': [A, B, w]}} or "
                             f"{{'joint': A, 'offset': [x, y, z]}}, got {v!r}")
    return torch.stack(out, dim=1)


def resample_motion(local_rot: torch.Tensor, root: torch.Tensor, fps_in: float, fps_out: float):
    """Resample ``[T, J, 3, 3]`` rotations (slerp) and ``[T, 3]`` root (cubic) from fps_in to fps_out."""
    from scipy.interpolate import CubicSpline
    from scipy.spatial.transform import Rotation, Slerp

    T, J = local_rot.shape[:2]
    if abs(fps_in - fps_out) < 1e-9 or T < 2:
        return local_rot, root
    t_in = np.arange(T) / fps_in
    t_out = np.arange(0, t_in[-1] + 1e-9, 1.0 / fps_out)
    root_out = CubicSpline(t_in, root.numpy(), axis=0)(t_out)
    R = local_rot.numpy()
    out = np.empty((len(t_out), J, 3, 3))
    for j in range(J):
        out[:, j] = Slerp(t_in, Rotation.from_matrix(R[:, j]))(t_out).as_matrix()
    return torch.from_numpy(out), torch.from_numpy(root_out)


def retarget_to_smpl22(motion, joint_map: Optional[Dict[str, MapValue]] = None, fps: float = HUMANML3D_FPS,
                       floor: bool = True):
    """Retarget a :class:`imusim.data.Motion` onto SMPL22. Returns a new Motion (float64)."""
    from ..kinematics.presets import SMPL22
    from ..motion.clip import Motion

    sk = motion.skeleton
    jm = joint_map or builtin_map(sk)
    if jm is None:
        raise ValueError(f"no built-in joint map for skeleton {sk.name!r} (joints {list(sk.names)[:8]}...): "
                         f"pass joint_map={{smpl22_joint: source_joint, ...}}")
    rot = motion.local_rot.double()
    G, P = forward_kinematics(rot, motion.root_pos.double(), sk.parents, sk.offsets)
    pos = mapped_positions(G, P, sk, jm)
    pos = rescale_positions(pos, SMPL22)
    local, root = positions_to_rotations(pos, SMPL22)
    local, root = resample_motion(local, root, float(motion.fps), fps)
    if floor:
        _, P2 = forward_kinematics(local, root, SMPL22.parents, SMPL22.offsets)
        feet = [SMPL22.index(n) for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")]
        root = root.clone()
        root[:, 1] -= P2[:, feet, 1].min()
    labels = dict(motion.labels)
    return Motion(skeleton=SMPL22, local_rot=local, root_pos=root, fps=fps,
                  source=f"{motion.source} (retargeted to SMPL22)", labels=labels)
