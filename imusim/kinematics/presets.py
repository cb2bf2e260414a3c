"""Skeleton presets: SMPL24 (the SMPL kinematic tree) and SMPL22 (HumanML3D's 22-joint body).

SMPL22 rest offsets = HumanML3D's raw bone directions (``paramUtil.t2m_raw_offsets``: y-up, the
body faces +z, its left is +x, legs and arms hang straight down, head and toes point forward) times
the bone lengths of HumanML3D's uniform target skeleton. The lengths were measured on
``../shared/data/humanml3d_sample/new_joints/012314.npy`` (HumanML3D retargets every clip to that
skeleton, so they are constant over frames to 2.5e-7 m; ``tests/kinematics/test_skeleton.py``
re-measures them). Units: metres.

SMPL24 adds ``left_hand``/``right_hand`` (children of the wrists, 8.5 cm further along the forearm
direction, an average SMPL neutral hand-joint distance) to SMPL22.
"""

from __future__ import annotations

import torch

from .skeleton import Skeleton
from .smpl import SMPL_NAMES, SMPL_PARENTS  # noqa: F401  (re-exported)

T2M_RAW_DIRECTIONS = (
    (0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0),
    (0, 1, 0), (0, 0, 1), (0, 0, 1), (0, 1, 0), (1, 0, 0), (-1, 0, 0), (0, 0, 1), (0, -1, 0), (0, -1, 0),
    (0, -1, 0), (0, -1, 0), (0, -1, 0), (0, -1, 0),
)
HUMANML3D_BONE_LENGTHS = (
    0.0, 0.10307, 0.10988, 0.13157, 0.39362, 0.39019, 0.14319, 0.43243, 0.42564, 0.05736, 0.14338, 0.14942,
    0.21936, 0.13749, 0.14338, 0.10304, 0.13161, 0.12298, 0.25684, 0.26309, 0.26601, 0.26988,
)
HAND_LENGTH = 0.085

_off22 = torch.tensor(T2M_RAW_DIRECTIONS, dtype=torch.float64) * torch.tensor(HUMANML3D_BONE_LENGTHS,
                                                                              dtype=torch.float64)[:, None]
SMPL22 = Skeleton(SMPL_NAMES[:22], SMPL_PARENTS[:22], _off22, "SMPL22")
SMPL24 = Skeleton(SMPL_NAMES, SMPL_PARENTS,
                  torch.cat([_off22, torch.tensor([[0, -HAND_LENGTH, 0], [0, -HAND_LENGTH, 0]], dtype=torch.float64)]),
                  "SMPL24")

PRESETS = {"SMPL22": SMPL22, "SMPL24": SMPL24}


def get_preset(name: str) -> Skeleton:
    try:
        return PRESETS[name.upper()]
    except KeyError:
        from ..errors import UnknownNameError
        raise UnknownNameError(f"unknown skeleton preset {name!r}; presets: {list(PRESETS)}") from None
