"""Motion data: the Motion container, file loaders, retargeting and the training-set builder."""

from __future__ import annotations

from pathlib import Path

from .bvh import BVHError, load_bvh, parse_bvh, save_bvh, skeleton_from_bvh
from .deepmimic import load_deepmimic
from ..motion.clip import Motion


def load_amass(path, **kw) -> Motion:
    """AMASS-style ``.npz`` → :class:`Motion` (see :mod:`imusim.data.amass`)."""
    from .amass import load_amass as _f

    return _f(path, **kw)


def load_humanml3d(path, **kw) -> Motion:
    """HumanML3D ``new_joints``/``new_joint_vecs`` ``.npy`` → :class:`Motion` (see :mod:`imusim.data.humanml_io`)."""
    from .humanml_io import load_humanml3d as _f

    return _f(path, **kw)


def load_motion(path, **kw) -> Motion:
    """Load any supported motion file by its name: ``.bvh``/``.bvh.gz`` (BVH), DeepMimic ``.txt``,
    imusim ``.npz`` (``Motion.save_npz``), AMASS-style ``.npz`` (``poses``/``trans``) or HumanML3D
    ``new_joints`` / ``new_joint_vecs`` ``.npy``. Keyword arguments go to the format's loader."""
    p = Path(path)
    name = p.name.lower()
    if not p.exists():
        raise FileNotFoundError(f"motion file not found: {p}")
    if name.endswith((".bvh", ".bvh.gz")):
        return load_bvh(p, **kw)
    if name.endswith(".txt"):
        return load_deepmimic(p, **kw)
    if name.endswith(".npz"):
        from ..errors import CorruptFileError
        from .npz import read_npz

        keys = set(read_npz(p, what="motion file"))
        if "meta" in keys:
            return Motion.load_npz(p)
        if "poses" in keys:
            return load_amass(p, **kw)
        raise CorruptFileError(p, f".npz is neither an imusim motion (meta) nor AMASS-style (poses, trans); "
                                  f"keys {sorted(keys)}")
    if name.endswith(".npy"):
        return load_humanml3d(p, **kw)
    raise ValueError(f"{p}: unknown motion format (expected .bvh, .bvh.gz, DeepMimic .txt, .npz or HumanML3D .npy)")


__all__ = ["Motion", "load_motion", "load_bvh", "save_bvh", "parse_bvh", "skeleton_from_bvh", "load_deepmimic",
           "load_amass", "load_humanml3d", "BVHError"]
