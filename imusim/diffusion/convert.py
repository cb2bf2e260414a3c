"""From generated 263-d features to a body motion that the IMU synthesis accepts.

features ``[T, 263]`` → joint positions (HumanML3D ``recover_from_ric``) → SMPL22 local rotations by
IK (``imusim.kinematics.ik``; twist about single-child bones is not observable and is 0) → Motion.
"""

from __future__ import annotations

import torch

from ..constants import HUMANML3D_FPS


def features_to_rotations(features: torch.Tensor):
    """SMPL22 local rotations ``[..., T, 22, 3, 3]`` and root positions ``[..., T, 3]`` (float64) from
    features ``[..., T, 263]``. Batched: every step is per frame except the root integration, which
    runs forward in time, so padding at the end of a sequence does not change its valid frames."""
    from ..kinematics.ik import positions_to_rotations, rescale_positions
    from ..kinematics.presets import SMPL22
    from ..motion.humanml import recover_from_ric

    P = recover_from_ric(torch.as_tensor(features).double(), 22)
    P = rescale_positions(P, SMPL22)
    return positions_to_rotations(P, SMPL22)


def features_to_motion(features: torch.Tensor, fps: float = HUMANML3D_FPS, source: str = "generated", labels=None):
    """One :class:`Motion` from features ``[T, 263]``."""
    from ..motion.clip import Motion
    from ..kinematics.presets import SMPL22

    local, root = features_to_rotations(features)
    return Motion(skeleton=SMPL22, local_rot=local, root_pos=root, fps=fps, source=source, labels=dict(labels or {}))
