"""``Motion``: one clip of body motion on a skeleton, the common currency of loaders, retargeting,
``synthesize_imu`` and ``imusim synth``.

Fields: ``skeleton`` (:class:`imusim.kinematics.Skeleton`), ``local_rot`` float64 ``[T, J, 3, 3]``,
``root_pos`` float64 ``[T, 3]`` (m, y-up world), ``fps`` (Hz), ``source`` (file or description),
``labels`` (dict of strings, e.g. content/style/activity). Our interchange file is ``.npz`` with
plain arrays and a JSON metadata string (``Motion.save_npz``/``Motion.load_npz``): no pickle.

A Motion is checked when it is made: finite rotations and positions, finite fps > 0, and proper
rotation matrices (``|RᵀR − I| ≤ ROT_TOL`` element-wise and ``det R > 0``); the error names the source,
the frame and the joint. Non-orthonormal "rotations" would otherwise give silently wrong
accelerations and angular rates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

import numpy as np
import torch

from ..kinematics.skeleton import Skeleton

NPZ_FORMAT = "imusim-motion-1"
ROT_TOL = 1e-3  # float32 rotation products stay within ~1e-6; a sheared or scaled matrix is far beyond


def check_rotations(R: torch.Tensor, what: str, names=None) -> None:
    """``R`` ``[T, J, 3, 3]``: finite proper rotation matrices (ValueError naming frame and joint)."""
    if R.numel() == 0:
        return
    Rd = R.detach().to(torch.float64)
    bad = ~torch.isfinite(Rd).all(dim=(-1, -2))
    if bad.any():
        t, j = (int(v) for v in torch.nonzero(bad)[0])
        raise ValueError(f"{what}: local_rot has a non-finite value at frame {t}, joint "
                         f"{names[j] if names else j}")
    I = torch.eye(3, dtype=torch.float64)
    err = (Rd.transpose(-1, -2) @ Rd - I).abs().amax(dim=(-1, -2))
    det = torch.linalg.det(Rd)
    bad = (err > ROT_TOL) | (det <= 0)
    if bad.any():
        t, j = (int(v) for v in torch.nonzero(bad)[0])
        raise ValueError(f"{what}: local_rot[{t}, {j}] (joint {names[j] if names else j}) is not a rotation matrix: "
                         f"max |RᵀR − I| = {err[t, j].item():.3g} (tolerance {ROT_TOL:g}), det = {det[t, j].item():.4g}; "
                         f"{int(bad.sum())} of {bad.numel()} matrices fail")


@dataclass
class Motion:
    skeleton: Skeleton
    local_rot: torch.Tensor
    root_pos: torch.Tensor
    fps: float
    source: str = ""
    labels: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.local_rot = torch.as_tensor(self.local_rot)
        self.root_pos = torch.as_tensor(self.root_pos)
        J = self.skeleton.num_joints
        if self.local_rot.dim() != 4 or self.local_rot.shape[1:] != (J, 3, 3):
            raise ValueError(f"Motion: local_rot must be [T, {J}, 3, 3] for skeleton {self.skeleton.name!r}, "
                             f"got {list(self.local_rot.shape)}")
        if self.root_pos.shape != (self.local_rot.shape[0], 3):
            raise ValueError(f"Motion: root_pos must be [{self.local_rot.shape[0]}, 3], got {list(self.root_pos.shape)}")
        what = f"Motion {self.source}" if self.source else "Motion"
        try:
            fps = float(self.fps)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: fps must be a number, got {self.fps!r}") from None
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"{what}: fps must be a finite number > 0, got {self.fps}")
        self.fps = fps
        if not self.local_rot.is_floating_point() or not self.root_pos.is_floating_point():
            raise ValueError(f"{what}: local_rot and root_pos must be floating point, got "
                             f"{self.local_rot.dtype} and {self.root_pos.dtype}")
        if not torch.isfinite(self.root_pos).all():
            t = int(torch.nonzero(~torch.isfinite(self.root_pos).all(-1))[0])
            raise ValueError(f"{what}: root_pos has a non-finite value at frame {t}")
        check_rotations(self.local_rot, what, self.skeleton.names)

    @property
    def num_frames(self) -> int:
        return int(self.local_rot.shape[0])

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def fk(self, backend=None):
        """``(global_rot [T, J, 3, 3], positions [T, J, 3])``."""
        from ..ops.fk import forward_kinematics

        return forward_kinematics(self.local_rot, self.root_pos, self.skeleton, backend=backend)

    def joint_positions(self) -> torch.Tensor:
        return self.fk()[1]

    def to(self, dtype) -> "Motion":
        return Motion(self.skeleton, self.local_rot.to(dtype), self.root_pos.to(dtype), self.fps, self.source,
                      dict(self.labels))

    def slice(self, start: int, stop: int) -> "Motion":
        return Motion(self.skeleton, self.local_rot[start:stop], self.root_pos[start:stop], self.fps, self.source,
                      dict(self.labels))

    def save_npz(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": NPZ_FORMAT, "fps": self.fps, "source": self.source, "labels": self.labels,
                "skeleton": {"name": self.skeleton.name, "names": list(self.skeleton.names),
                             "parents": list(self.skeleton.parents)}}
        np.savez(path, local_rot=self.local_rot.double().numpy(), root_pos=self.root_pos.double().numpy(),
                 offsets=self.skeleton.offsets.numpy(), meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def load_npz(cls, path) -> "Motion":
        """Read :meth:`save_npz`'s file; CorruptFileError naming the file for anything malformed."""
        from ..errors import CorruptFileError
        from ..data.npz import npz_json, read_npz

        path = Path(path)
        z = read_npz(path, ("meta", "local_rot", "root_pos", "offsets"), what="imusim motion file")
        meta = npz_json(path, z, "meta")
        if meta.get("format") != NPZ_FORMAT:
            raise CorruptFileError(path, f"meta.format is {meta.get('format')!r}, expected {NPZ_FORMAT!r}")
        try:
            s = meta["skeleton"]
            sk = Skeleton(tuple(s["names"]), tuple(s["parents"]), torch.from_numpy(z["offsets"]), s["name"])
            labels = meta.get("labels", {})
            if not isinstance(labels, dict):
                raise ValueError(f"meta.labels must be an object, got {type(labels).__name__}")
            return cls(sk, torch.from_numpy(z["local_rot"]), torch.from_numpy(z["root_pos"]), meta["fps"],
                       str(meta.get("source", path)), {str(k): str(v) for k, v in labels.items()})
        except KeyError as e:
            raise CorruptFileError(path, f"meta lacks {e}") from None
        except (TypeError, ValueError, RuntimeError) as e:
            raise CorruptFileError(path, str(e)) from None
