"""Virtual sensors: a fixed mount on a joint.

``Sensor(name, joint, offset, rotation)``: ``offset`` (m) in the joint frame, ``rotation`` ``R_js``
whose columns are the sensor's x, y, z axes expressed in the joint frame. World pose:
``R_ws = G_j R_js``, ``p_s = p_j + G_j offset``.

Presets are for the SMPL22/SMPL24 body in its rest pose (HumanML3D convention: y up, the body faces
+z, its left is +x, arms hang down with palms towards the thighs; rest joint frames = world frame).
Axis directions, as a real device worn there:

==============  ===================  =====================================================================
preset          joint (frame)        mount and axes (rest pose)
==============  ===================  =====================================================================
wrist_r/_l      right/left_wrist     watch on the back of the wrist, 3 cm above the joint: x along the
                                     forearm towards the hand (down), z out of the back of the wrist
                                     (lateral), y = z × x (right: forward, left: backward)
thigh_r/_l      right/left_hip       phone/IMU on the front of the mid-thigh (20 cm below the hip, 7 cm
                                     forward): x down the thigh, z out of the front, y = z × x (to the left)
pelvis          pelvis               belt clip at the lower back (10 cm behind): x up, z backwards out of the
                                     back, y to the left
chest           spine3               on the sternum: x up, z forwards out of the chest, y to the right
head            head                 headband on the forehead: x up, z forwards, y to the right
ankle_r/_l      right/left_knee      on the lateral shank 35 cm below the knee: x down, z lateral, y = z × x
upper_arm_r/_l  right/left_shoulder  lateral upper arm 12 cm below the shoulder: x down, z lateral, y = z × x
==============  ===================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence, Union

import torch


@dataclass(frozen=True)
class Sensor:
    name: str
    joint: str
    offset: tuple = (0.0, 0.0, 0.0)
    rotation: tuple = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))  # R_js rows

    def __post_init__(self):
        off = tuple(float(v) for v in torch.as_tensor(self.offset, dtype=torch.float64).reshape(-1).tolist())
        if len(off) != 3:
            raise ValueError(f"Sensor {self.name!r}: offset must have 3 values (m), got {len(off)}")
        R = torch.as_tensor(self.rotation, dtype=torch.float64)
        if R.shape != (3, 3):
            raise ValueError(f"Sensor {self.name!r}: rotation must be 3x3, got {list(R.shape)}")
        if not torch.allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-6) or torch.det(R) < 0:
            raise ValueError(f"Sensor {self.name!r}: rotation must be a proper rotation matrix (R Rᵀ = I, det +1)")
        object.__setattr__(self, "offset", off)
        object.__setattr__(self, "rotation", tuple(tuple(r) for r in R.tolist()))

    def offset_tensor(self, dtype=torch.float64, device=None):
        return torch.tensor(self.offset, dtype=dtype, device=device)

    def rotation_tensor(self, dtype=torch.float64, device=None):
        return torch.tensor(self.rotation, dtype=dtype, device=device)


def _axes(x, y, z):
    """R_js from the sensor axes expressed in the joint frame (columns)."""
    return tuple(zip(x, y, z))


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _mount(x, z):
    return _axes(x, _cross(z, x), z)


DOWN, UP, FWD, BACK, LEFT, RIGHT = (0, -1, 0), (0, 1, 0), (0, 0, 1), (0, 0, -1), (1, 0, 0), (-1, 0, 0)

PRESETS: Dict[str, Sensor] = {
    "wrist_r": Sensor("wrist_r", "right_wrist", (-0.02, 0.03, 0.0), _mount(DOWN, RIGHT)),
    "wrist_l": Sensor("wrist_l", "left_wrist", (0.02, 0.03, 0.0), _mount(DOWN, LEFT)),
    "thigh_r": Sensor("thigh_r", "right_hip", (0.0, -0.20, 0.07), _mount(DOWN, FWD)),
    "thigh_l": Sensor("thigh_l", "left_hip", (0.0, -0.20, 0.07), _mount(DOWN, FWD)),
    "pelvis": Sensor("pelvis", "pelvis", (0.0, 0.0, -0.10), _mount(UP, BACK)),
    "chest": Sensor("chest", "spine3", (0.0, 0.05, 0.10), _mount(UP, FWD)),
    "head": Sensor("head", "head", (0.0, 0.10, 0.08), _mount(UP, FWD)),
    "ankle_r": Sensor("ankle_r", "right_knee", (-0.04, -0.35, 0.0), _mount(DOWN, RIGHT)),
    "ankle_l": Sensor("ankle_l", "left_knee", (0.04, -0.35, 0.0), _mount(DOWN, LEFT)),
    "upper_arm_r": Sensor("upper_arm_r", "right_shoulder", (-0.05, -0.12, 0.0), _mount(DOWN, RIGHT)),
    "upper_arm_l": Sensor("upper_arm_l", "left_shoulder", (0.05, -0.12, 0.0), _mount(DOWN, LEFT)),
}


def sensors_from_names(names: Union[str, Sequence[Union[str, Sensor]]]) -> List[Sensor]:
    """``"wrist_r,thigh_r"`` or a list of preset names / Sensor objects; ``joint:NAME`` puts an
    identity-mounted sensor on any joint (for skeletons other than SMPL)."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out = []
    for n in names:
        if isinstance(n, Sensor):
            out.append(n)
        elif n.startswith("joint:"):
            out.append(Sensor(n, n[len("joint:"):]))
        elif n in PRESETS:
            out.append(PRESETS[n])
        else:
            raise ValueError(f"unknown sensor {n!r}; presets: {sorted(PRESETS)} (or joint:NAME)")
    if not out:
        raise ValueError("sensors: at least one sensor is needed")
    return out
