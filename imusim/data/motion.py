"""``Motion``: one clip of body motion on a skeleton, the common currency of loaders, retargeting,
``synthesize_imu`` and ``imusim synth``.

Fields: ``skeleton`` (:class:`imusim.kinematics.Skeleton`), ``local_rot`` float64 ``[T, J, 3, 3]``,
``root_pos`` float64 ``[T, 3]`` (m, y-up world), ``fps`` (Hz), ``source`` (file or description),
``labels`` (dict of strings, e.g. content/style/activity). Our interchange file is ``.npz`` with
plain arrays and a JSON metadata string (``Motion.save_npz``/``Motion.load_npz``): no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict

import numpy as np
import torch

from ..kinematics.skeleton import Skeleton

NPZ_FORMAT = "imusim-motion-1"


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
        if not self.fps > 0:
            raise ValueError(f"Motion: fps must be > 0, got {self.fps}")
        self.fps = float(self.fps)

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
        path = Path(path)
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z:
                raise ValueError(f"{path}: not an imusim motion file (no 'meta' field)")
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != NPZ_FORMAT:
                raise ValueError(f"{path}: meta.format is {meta.get('format')!r}, expected {NPZ_FORMAT!r}")
            s = meta["skeleton"]
            sk = Skeleton(tuple(s["names"]), tuple(s["parents"]), torch.from_numpy(z["offsets"]), s["name"])
            return cls(sk, torch.from_numpy(z["local_rot"]), torch.from_numpy(z["root_pos"]), meta["fps"],
                       meta.get("source", str(path)), meta.get("labels", {}))
