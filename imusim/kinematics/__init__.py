"""Skeletons, rotation conversions and forward kinematics."""
from .skeleton import Skeleton

__all__ = ["Skeleton"]
