"""Skeletons, rotation conversions, forward and inverse kinematics."""
from .presets import SMPL22, SMPL24
from .skeleton import Skeleton

__all__ = ["Skeleton", "SMPL22", "SMPL24"]
