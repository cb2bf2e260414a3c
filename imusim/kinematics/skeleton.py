"""Skeletons: joint names, parent indices and rest offsets.

Conventions: joints are ordered so that every parent comes before its children (``parents[0] == -1``
is the root); ``offsets[j]`` is joint j's rest position relative to its parent, in metres, expressed
in the parent's frame (the root's offset is unused by FK: the root position comes from ``root_pos``).
World frame y-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree.

    Attributes:
        names: ``J`` joint names.
        parents: ``J`` parent indices, ``-1`` for the root; parents precede children.
        offsets: ``[J, 3]`` float64 rest offsets in metres (parent frame).
        name: a short identifier (``"SMPL22"``, the BVH file name, ...).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: torch.Tensor = field(repr=False)
    name: str = "skeleton"

    def __post_init__(self):
        names = tuple(str(n) for n in self.names)
        parents = tuple(int(p) for p in self.parents)
        off = torch.as_tensor(self.offsets, dtype=torch.float64).detach().clone()
        J = len(names)
        if len(parents) != J:
            raise ValueError(f"Skeleton: parents must have {J} entries (one per name), got {len(parents)}")
        if off.shape != (J, 3):
            raise ValueError(f"Skeleton: offsets must have shape [{J}, 3], got {list(off.shape)}")
        if J == 0 or parents[0] != -1:
            raise ValueError(f"Skeleton: joint 0 must be the root (parent -1), got parents[0]={parents[:1]}")
        for j, p in enumerate(parents[1:], start=1):
            if not 0 <= p < j:
                raise ValueError(f"Skeleton: parents[{j}] ({names[j]!r}) must be in [0, {j - 1}] "
                                 f"(parents precede children), got {p}")
        if len(set(names)) != J:
            raise ValueError("Skeleton: joint names must be unique")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "parents", parents)
        object.__setattr__(self, "offsets", off)

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Index of joint ``name``; KeyError listing the joints when absent."""
        try:
            return self.names.index(name)
        except ValueError:
            from ..errors import UnknownNameError
            raise UnknownNameError(f"joint {name!r} not in skeleton {self.name!r}; joints: {list(self.names)}") from None

    def children(self, j: int) -> list[int]:
        return [k for k, p in enumerate(self.parents) if p == j]

    def bone_lengths(self) -> torch.Tensor:
        """``[J]`` rest bone lengths (m); 0 for the root."""
        L = self.offsets.norm(dim=-1)
        L[0] = 0.0
        return L

    @classmethod
    def from_smpl(cls, model_path, betas=None, num_joints: int = 22, model_type: str = "smpl",
                  gender: str = "neutral") -> "Skeleton":
        """Rest skeleton of a user-owned SMPL / SMPL-H / SMPL-X model file through smplx.

        The rest joints are ``J_regressor @ (v_template + shapedirs · betas)`` (smplx's
        ``blend_shapes`` + ``vertices2joints``); offsets are child − parent. ``num_joints`` 22 (HumanML3D
        body) or 24 (SMPL body incl. hands; for SMPL-H/X the first 22 body joints plus the two
        wrist-children hand roots are not defined, so only 22 is allowed there). Names/parents: SMPL's.
        """
        from smplx.lbs import blend_shapes, vertices2joints

        from .smpl import SMPL_NAMES, SMPL_PARENTS

        if num_joints not in (22, 24):
            raise ValueError(f"Skeleton.from_smpl: num_joints must be 22 or 24, got {num_joints}")
        if model_type != "smpl" and num_joints != 22:
            raise ValueError(f"Skeleton.from_smpl: model_type={model_type!r} supports num_joints=22 only")
        model = load_smplx_model(model_path, model_type, gender)
        nb = model.shapedirs.shape[-1]
        b = torch.zeros(1, nb, dtype=model.shapedirs.dtype)
        if betas is not None:
            bt = torch.as_tensor(betas, dtype=b.dtype).reshape(-1)
            if bt.numel() > nb:
                raise ValueError(f"Skeleton.from_smpl: betas has {bt.numel()} values, model has {nb} shape components")
            b[0, : bt.numel()] = bt
        v = model.v_template[None] + blend_shapes(b, model.shapedirs)
        J = vertices2joints(model.J_regressor, v)[0].double()[:num_joints]
        parents = SMPL_PARENTS[:num_joints]
        off = torch.stack([J[0] * 0 if p < 0 else J[j] - J[p] for j, p in enumerate(parents)])
        return cls(SMPL_NAMES[:num_joints], parents, off, f"{model_type}-{gender}")

    def subset(self, names: Sequence[str], name: str | None = None) -> "Skeleton":
        """Sub-tree restricted to ``names`` (each joint's parent becomes its nearest kept ancestor; offsets
        are accumulated along the removed chain, valid for the rest pose)."""
        keep = [self.index(n) for n in names]
        keep_set = set(keep)
        # rest-pose global positions
        pos = torch.zeros(self.num_joints, 3, dtype=torch.float64)
        for j, p in enumerate(self.parents):
            pos[j] = self.offsets[j] if p < 0 else pos[p] + self.offsets[j]
        new_parents, new_off = [], []
        for j in keep:
            p = self.parents[j]
            while p >= 0 and p not in keep_set:
                p = self.parents[p]
            new_parents.append(-1 if p < 0 else keep.index(p))
            new_off.append(self.offsets[j] if p < 0 else pos[j] - pos[p])
        return Skeleton(tuple(self.names[j] for j in keep), tuple(new_parents), torch.stack(new_off),
                        name or f"{self.name}-subset")


def load_smplx_model(model_path, model_type: str = "smpl", gender: str = "neutral", dtype=torch.float32):
    """An ``smplx`` body model from a user-owned file. ``.npz`` files are read with
    ``allow_pickle=False`` and handed to smplx as its data struct, so nothing is unpickled; ``.pkl``
    files go through ``smplx.create`` (the official format, which is a pickle: only load files you trust)."""
    import smplx

    if model_type not in ("smpl", "smplh", "smplx"):
        raise ValueError(f"model_type must be 'smpl', 'smplh' or 'smplx', got {model_type!r}")
    if str(model_path).endswith(".npz"):
        import numpy as np
        from smplx.utils import Struct

        with np.load(model_path, allow_pickle=False) as z:
            data = Struct(**{k: z[k] for k in z.files})
        cls_ = {"smpl": smplx.SMPL, "smplh": smplx.SMPLH, "smplx": smplx.SMPLX}[model_type]
        return cls_(model_path=str(model_path), data_struct=data, gender=gender,
                    num_betas=data.shapedirs.shape[-1], dtype=dtype)
    return smplx.create(str(model_path), model_type=model_type, gender=gender, ext="pkl", dtype=dtype)


def mirror_joint_map(skeleton) -> list:
    """Index of each joint's mirror image (left ↔ right by name: left/right, Left/Right, _l/_r, _L/_R;
    joints without a mirror partner map to themselves), e.g. to mirror a motion across x = 0."""
    def swap(n):
        for a, b in (("left", "right"), ("Left", "Right"), ("_l", "_r"), ("_L", "_R")):
            if a in n:
                return n.replace(a, b)
            if b in n:
                return n.replace(b, a)
        return n

    idx = {n: i for i, n in enumerate(skeleton.names)}
    return [idx.get(swap(n), i) for i, n in enumerate(skeleton.names)]
