"""From generated 263-d features to a body motion that the IMU synthesis accepts.

features ``[T, 263]`` → joint positions (HumanML3D ``recover_from_ric``) → SMPL22 local rotations by
IK (``imusim.kinematics.ik``; twist about single-child bones is not observable and is 0) → Motion.
"""

from __future__ import annotations

import torch


def features_to_motion(features: torch.Tensor, fps: float = 20.0, source: str = "generated", labels=None):
    from ..data.motion import Motion
    from ..kinematics.ik import positions_to_rotations, rescale_positions
    from ..kinematics.presets import SMPL22
    from ..motion.humanml import recover_from_ric

    P = recover_from_ric(torch.as_tensor(features).double(), 22)
    P = rescale_positions(P, SMPL22)
    local, root = positions_to_rotations(P, SMPL22)
    return Motion(skeleton=SMPL22, local_rot=local, root_pos=root, fps=fps, source=source, labels=dict(labels or {}))
