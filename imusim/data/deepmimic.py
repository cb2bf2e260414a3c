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

from ..errors import CorruptFileError
from ..kinematics.rotations import axis_angle_to_matrix, quaternion_to_matrix
from ..kinematics.skeleton import Skeleton
from ..motion.clip import Motion

_DOF = {"none": 0, "spherical": 4, "revolute": 1, "fixed": 0}


def _default_character(path: Path) -> Path:
    return path.parent / "character_humanoid3d.json"


def load_character(path) -> tuple:
    """(Skeleton, joint types) of a DeepMimic character file; CorruptFileError naming it when malformed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DeepMimic character file not found: {path} (pass character=...)")
    try:
        d = json.loads(path.read_text(errors="replace"))
        joints = sorted(d["Skeleton"]["Joints"], key=lambda j: j["ID"])
        names = tuple(str(j["Name"]) for j in joints)
        parents = tuple(int(j["Parent"]) for j in joints)
        off = torch.tensor([[float(j["AttachX"]), float(j["AttachY"]), float(j["AttachZ"])] for j in joints],
                           dtype=torch.float64)
        types = [j["Type"] for j in joints]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
        raise CorruptFileError(path, f"not a DeepMimic character file ({type(e).__name__}: {e})") from None
    bad = [t for t in types if t not in _DOF]
    if bad:
        raise CorruptFileError(path, f"unsupported joint type(s) {bad}; expected {sorted(_DOF)}")
    if not torch.isfinite(off).all():
        raise CorruptFileError(path, "a joint offset (Attach) is not finite")
    try:
        return Skeleton(names, parents, off, "deepmimic_humanoid3d"), types
    except ValueError as e:
        raise CorruptFileError(path, str(e)) from None


def load_deepmimic(path, character: Optional[str] = None) -> Motion:
    """A DeepMimic motion file → :class:`Motion` (see the module docstring). Malformed files raise
    CorruptFileError naming the file (a zero quaternion, a non-positive frame duration)."""
    from .captions import labels_from_path

    path = Path(path)
    sk, types = load_character(character or _default_character(path))
    try:
        d = json.loads(path.read_text(errors="replace"))
        frames = np.asarray(d["Frames"], dtype=np.float64)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError, OverflowError) as e:
        raise CorruptFileError(path, f"not a DeepMimic motion file ({type(e).__name__}: {e})") from None
    need = 1 + 3 + 4 + sum(_DOF[t] for t in types[1:])
    if frames.ndim != 2 or frames.shape[1] != need or frames.shape[0] < 1:
        raise CorruptFileError(path, f"Frames must be [T >= 1, {need}] for this character, got shape "
                                     f"{list(frames.shape)}")
    if not np.isfinite(frames).all():
        t = int(np.nonzero(~np.isfinite(frames).all(1))[0][0])
        raise CorruptFileError(path, f"frame {t} has a non-finite value")
    T, J = frames.shape[0], sk.num_joints
    dur = frames[:-1, 0] if T > 1 else frames[:, 0]
    if not (dur > 0).all():
        raise CorruptFileError(path, f"frame durations (first value of each frame) must be > 0, got {dur.min():g}")
    fps = 1.0 / float(np.mean(dur))
    rot = torch.zeros(T, J, 3, 3, dtype=torch.float64)
    rot[:] = torch.eye(3, dtype=torch.float64)
    f = torch.from_numpy(frames)

    def quat(cols, what):
        q = f[:, cols]
        n = q.norm(dim=-1, keepdim=True)
        if (n < 1e-6).any():
            t = int(torch.nonzero(n[:, 0] < 1e-6)[0])
            raise CorruptFileError(path, f"frame {t}: the {what} quaternion is (near) zero")
        return quaternion_to_matrix(q)  # normalises

    rot[:, 0] = quat(slice(4, 8), "root")
    col = 8
    for j in range(1, J):
        t = types[j]
        if t == "spherical":
            rot[:, j] = quat(slice(col, col + 4), f"{sk.names[j]}")
        elif t == "revolute":
            aa = torch.zeros(T, 3, dtype=torch.float64)
            aa[:, 2] = f[:, col]
            rot[:, j] = axis_angle_to_matrix(aa)
        col += _DOF[t]
    try:
        return Motion(sk, rot, f[:, 1:4].clone(), fps, str(path), labels_from_path(path))
    except ValueError as e:  # e.g. an angle too large for a finite rotation
        raise CorruptFileError(path, str(e).replace(f"Motion {path}: ", "")) from None
