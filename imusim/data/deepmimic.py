"""DeepMimic reference motions (``humanoid3d_*.txt`` + ``character_humanoid3d.json``).

Character file: joints with ``ID``, ``Name``, ``Type`` (none = root, spherical, revolute, fixed),
``Parent``, ``Attach{X,Y,Z}`` (offset in the parent frame, m). Motion file: JSON with ``Frames`` rows
``[duration s, root pos xyz (m), root quat wxyz, then per joint in ID order: quaternion wxyz
(spherical), one angle (revolute, about the joint's z axis — knees and elbows), nothing (fixed)]``.
Y up, the character faces +x. Frame durations give fps (their mean; DeepMimic clips are uniform).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ..kinematics.rotations import axis_angle_to_matrix, quaternion_to_matrix
from ..kinematics.skeleton import Skeleton
from .motion import Motion

_DOF = {"none": 0, "spherical": 4, "revolute": 1, "fixed": 0}


def _default_character(path: Path) -> Path:
    return path.parent / "character_humanoid3d.json"


def load_character(path) -> tuple:
    path = Path(path)
    try:
        d = json.loads(path.read_text())
        joints = sorted(d["Skeleton"]["Joints"], key=lambda j: j["ID"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a DeepMimic character file ({type(e).__name__}: {e})") from None
    names = tuple(j["Name"] for j in joints)
    parents = tuple(int(j["Parent"]) for j in joints)
    off = torch.tensor([[j["AttachX"], j["AttachY"], j["AttachZ"]] for j in joints], dtype=torch.float64)
    types = [j["Type"] for j in joints]
    bad = [t for t in types if t not in _DOF]
    if bad:
        raise ValueError(f"{path}: unsupported joint type(s) {bad}")
    return Skeleton(names, parents, off, "deepmimic_humanoid3d"), types


def load_deepmimic(path, character: Optional[str] = None) -> Motion:
    from .captions import labels_from_path

    path = Path(path)
    sk, types = load_character(character or _default_character(path))
    try:
        d = json.loads(path.read_text())
        frames = np.asarray(d["Frames"], dtype=np.float64)
    except (OSError, json.JSONDecodeError, KeyError, ValueError) as e:
        raise ValueError(f"{path}: not a DeepMimic motion file ({type(e).__name__}: {e})") from None
    need = 1 + 3 + 4 + sum(_DOF[t] for t in types[1:])
    if frames.ndim != 2 or frames.shape[1] != need:
        raise ValueError(f"{path}: each frame needs {need} values for this character, got shape {list(frames.shape)}")
    T, J = frames.shape[0], sk.num_joints
    dur = frames[:-1, 0] if T > 1 else frames[:, 0]
    fps = 1.0 / float(np.mean(dur))
    rot = torch.zeros(T, J, 3, 3, dtype=torch.float64)
    rot[:] = torch.eye(3, dtype=torch.float64)
    f = torch.from_numpy(frames)
    rot[:, 0] = quaternion_to_matrix(f[:, 4:8])
    col = 8
    for j in range(1, J):
        t = types[j]
        if t == "spherical":
            rot[:, j] = quaternion_to_matrix(f[:, col:col + 4])
        elif t == "revolute":
            aa = torch.zeros(T, 3, dtype=torch.float64)
            aa[:, 2] = f[:, col]
            rot[:, j] = axis_angle_to_matrix(aa)
        col += _DOF[t]
    return Motion(sk, rot, f[:, 1:4].clone(), fps, str(path), labels_from_path(path))
