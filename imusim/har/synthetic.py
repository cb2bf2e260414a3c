"""Synthetic windows from a generator store as an :class:`IMUSet` for one sensor placement."""

from __future__ import annotations

import numpy as np

from .real import IMUSet


def from_store(path, placement: str, name: str = None) -> IMUSet:
    """Windows of the sensor named ``placement`` (e.g. ``wrist_l``): the store's channels (acc+gyro, m/s² and
    rad/s, gravity included: specific force; mag in µT when the store has it)."""
    from ..generate import load

    s = load(path)
    names = [x["name"] for x in s.meta.get("sensors", [])]
    if placement not in names:
        raise ValueError(f"synthetic store {path} has no sensor {placement!r} (it has {names}); generate it with "
                         f"--sensors {placement}")
    k = names.index(placement)
    X = s.array(sensor=k)  # only that sensor's channels are read into memory
    return IMUSet(X, s.labels, float(s.meta["rate"]), list(s.channels), placement, "m/s^2", "rad/s", "included",
                  name=name or str(path), groups=np.asarray(s.items), mag_unit="uT")
