"""The Earth's magnetic field in the world frame, for virtual magnetometers.

World frame conventions (DESIGN.md): y up (HumanML3D, BVH) or z up. Magnetic north lies along the
world's +z axis for ``up="y"`` (east is then −x, so that east, north, up is right-handed) and along +y
for ``up="z"`` (east +x, the ENU frame); ``declination`` (degrees, positive east) turns north about the
up axis. The field points north and, in the northern hemisphere, down by the ``inclination`` (dip)
angle. Unit: µT (what magnetometer datasheets and phone APIs report).

Defaults for mid-latitudes: 50 µT, inclination 60° (e.g. the World Magnetic Model gives about 47–51 µT
and 61–66° across central Europe and the northern United States).
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_STRENGTH_UT = 50.0
DEFAULT_INCLINATION_DEG = 60.0


def earth_field(strength: float = DEFAULT_STRENGTH_UT, inclination: float = DEFAULT_INCLINATION_DEG,
                declination: float = 0.0, up: str = "y") -> np.ndarray:
    """World-frame field ``[3]`` (µT): ``strength`` µT, ``inclination`` degrees below the horizon
    (negative in the southern hemisphere), north turned by ``declination`` degrees towards east."""
    for name, v in (("strength", strength), ("inclination", inclination), ("declination", declination)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"earth_field: {name} must be a finite number, got {v!r}")
    if strength < 0:
        raise ValueError(f"earth_field: strength must be >= 0 µT, got {strength!r}")
    if not -90 <= inclination <= 90:
        raise ValueError(f"earth_field: inclination must be in [-90, 90] degrees, got {inclination!r}")
    if up not in ("y", "z"):
        raise ValueError(f"earth_field: up must be 'y' or 'z', got {up!r}")
    i, d = math.radians(inclination), math.radians(declination)
    h, v = strength * math.cos(i), -strength * math.sin(i)
    if up == "y":  # north +z, east −x, up +y
        north, east, upv = np.array([0.0, 0.0, 1.0]), np.array([-1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    else:  # ENU
        north, east, upv = np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    return h * (math.cos(d) * north + math.sin(d) * east) + v * upv


def heading(acc: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """Tilt-compensated heading (rad) of a sensor's x axis from its accelerometer (specific force, reads +g
    up at rest) and magnetometer, both in the sensor frame ``[..., 3]``: the angle from magnetic north to
    the horizontal projection of the sensor's x axis, positive towards east (a compass heading)."""
    a = np.asarray(acc, dtype=np.float64)
    m = np.asarray(mag, dtype=np.float64)
    up = a / np.linalg.norm(a, axis=-1, keepdims=True)
    east = np.cross(m, up)              # B × up points east (B has a northward horizontal part)
    east /= np.linalg.norm(east, axis=-1, keepdims=True)
    north = np.cross(up, east)
    return np.arctan2(east[..., 0], north[..., 0])
