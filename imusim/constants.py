"""Physical and data-set constants shared by every layer (ground layer: imports nothing of imusim).

* ``GRAVITY``: standard gravity g₀ = 9.80665 m/s² (ISO 80000-3; also what "1 g" means in every IMU
  datasheet), the one gravity constant of the project. ``gravity_vector(up)`` is the world-frame
  acceleration of gravity: ``(0, −g₀, 0)`` for y-up worlds (HumanML3D, BVH), ``(0, 0, −g₀)`` for z-up ones.
  An accelerometer at rest reads the specific force ``R_wsᵀ (p̈ − g)``, i.e. +g₀ along the world up axis.
* ``HUMANML3D_FPS``: the frame rate of HumanML3D features and of the diffusion models (20 fps).
"""

from __future__ import annotations

from typing import Optional

GRAVITY = 9.80665  # m/s², standard gravity
HUMANML3D_FPS = 20.0  # Hz
UP_AXES = ("y", "z")


def gravity_vector(up: str = "y", g: Optional[float] = None) -> tuple:
    """World-frame gravity ``(gx, gy, gz)`` in m/s² for a ``"y"``- or ``"z"``-up world (``g``: its magnitude,
    default ``GRAVITY``, read at call time)."""
    g = GRAVITY if g is None else float(g)
    if up == "y":
        return (0.0, -g, 0.0)
    if up == "z":
        return (0.0, 0.0, -g)
    raise ValueError(f"up must be one of {list(UP_AXES)}, got {up!r}")
