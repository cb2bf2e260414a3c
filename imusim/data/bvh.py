"""BVH reader/writer.

* Any hierarchy (ROOT / JOINT / End Site), CHANNELS 3 or 6 in any order (``Xposition`` ...,
  ``Zrotation`` ...), per-joint rotation order (the order of the rotation channels, intrinsic:
  ``R = R_a(θa) R_b(θb) R_c(θc)``, degrees), ``Frames:`` / ``Frame Time:``. ``.bvh.gz`` is read
  through gzip as is.
* A joint's local translation is its position channels when it has them, else its OFFSET. Our
  :class:`Motion` keeps fixed bone offsets plus a moving root, so:
  - a ROOT with a single child that has position channels — the Bandai Namco layout, ``joint_Root``
    on the floor and ``Hips`` carrying the motion — is folded away: the child becomes the root, with
    global rotation ``R_root R_child`` and position ``p_root + R_root t_child`` per frame;
  - other joints' position channels are ignored in favour of their OFFSET (for Bandai they equal
    the offsets to 1e-5 cm); ``load_bvh`` records the largest deviation in
    ``labels["bvh_max_translation_deviation_m"]``.
* Units: ``unit="cm"`` or ``"m"``, or ``"auto"`` (cm when the median bone is longer than 1.5 units —
  no human bone is 1.5 m long, most BVH files in cm have bones of 5–45 units). Output in metres, y-up.
* End Sites: ``load_bvh(..., end_sites=False)`` (default) drops them (they carry no motion; their
  offsets stay in :func:`parse_bvh`'s ``BVHJoint.end_site``); ``end_sites=True`` keeps each as a leaf
  joint named ``<parent>_end`` (identity local rotation), appended after the file's joints.
* Errors: :class:`BVHError` (a ``ValueError``) with the file name and line number.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch

from ..errors import CorruptFileError
from ..kinematics.rotations import euler_to_matrix
from ..kinematics.skeleton import Skeleton
from ..motion.clip import Motion

_POS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}
_ROT = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}


class BVHError(CorruptFileError):
    """A malformed BVH file: ``path:line: message`` (a CorruptFileError, hence a ValueError)."""

    def __init__(self, path, line, msg):
        super().__init__(path, msg, line)


@dataclass
class BVHJoint:
    name: str
    parent: int
    offset: np.ndarray
    channels: List[str] = field(default_factory=list)
    end_site: Optional[np.ndarray] = None


@dataclass
class BVHData:
    joints: List[BVHJoint]
    frame_time: float
    motion: np.ndarray  # [F, C] raw channel values
    path: str


def _open_text(path) -> List[str]:
    path = Path(path)
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, EOFError) as e:
        raise BVHError(path, 0, f"cannot read file ({e})") from None


def parse_bvh(path) -> BVHData:
    lines = _open_text(path)
    n = len(lines)
    i = 0

    def err(msg, line=None):
        return BVHError(path, line if line is not None else i + 1, msg)

    def next_tokens():
        nonlocal i
        while i < n:
            toks = lines[i].split()
            i += 1
            if toks:
                return toks
        raise BVHError(path, n, "unexpected end of file in HIERARCHY")

    toks = next_tokens()
    if toks[0] != "HIERARCHY":
        raise err("expected 'HIERARCHY'", i)
    joints: List[BVHJoint] = []
    stack: List[int] = []  # joint index per open brace (-2 for End Site)
    expect_brace = False
    pending_end = False
    while True:
        toks = next_tokens()
        ln = i
        key = toks[0]
        if key in ("ROOT", "JOINT"):
            if len(toks) < 2:
                raise err(f"{key} needs a name", ln)
            if key == "ROOT" and (joints and stack):
                raise err("ROOT inside another joint", ln)
            if key == "JOINT" and not stack:
                raise err("JOINT outside of ROOT", ln)
            parent = stack[-1] if stack else -1
            if parent == -2:
                raise err("JOINT inside an End Site", ln)
            name = " ".join(toks[1:])
            if any(j.name == name for j in joints):
                raise err(f"duplicate joint name {name!r}", ln)
            joints.append(BVHJoint(name, parent, np.zeros(3)))
            expect_brace, pending_end = True, False
        elif key == "End" and len(toks) >= 2 and toks[1] == "Site":
            if not stack or stack[-1] < 0:
                raise err("End Site outside of a joint", ln)
            expect_brace, pending_end = True, True
        elif key == "{":
            if not expect_brace:
                raise err("unexpected '{'", ln)
            stack.append(-2 if pending_end else len(joints) - 1)
            expect_brace = False
        elif key == "}":
            if not stack:
                raise err("unbalanced '}'", ln)
            stack.pop()
            if not stack:
                break
        elif key == "OFFSET":
            if len(toks) != 4:
                raise err(f"OFFSET needs 3 numbers, got {len(toks) - 1}", ln)
            try:
                v = np.array([float(t) for t in toks[1:]])
            except ValueError:
                raise err(f"OFFSET has a non-number: {' '.join(toks[1:])}", ln) from None
            if not stack:
                raise err("OFFSET outside of a joint", ln)
            if stack[-1] == -2:
                joints[stack[-2]].end_site = v
            else:
                joints[stack[-1]].offset = v
        elif key == "CHANNELS":
            if not stack or stack[-1] < 0:
                raise err("CHANNELS outside of a joint", ln)
            try:
                k = int(toks[1])
            except (IndexError, ValueError):
                raise err("CHANNELS needs a count", ln) from None
            ch = toks[2:]
            if len(ch) != k:
                raise err(f"CHANNELS says {k} channels but lists {len(ch)}", ln)
            bad = [c for c in ch if c not in _POS and c not in _ROT]
            if bad:
                raise err(f"unknown channel(s) {bad}", ln)
            if sum(c in _ROT for c in ch) not in (0, 3):
                raise err(f"a joint needs 0 or 3 rotation channels, got {ch}", ln)
            joints[stack[-1]].channels = ch
        else:
            raise err(f"unexpected token {key!r} in HIERARCHY", ln)
    if not joints:
        raise err("no joints")
    toks = next_tokens()
    if toks[0] != "MOTION":
        raise err("expected 'MOTION'", i)
    toks = next_tokens()
    if toks[0] != "Frames:" or len(toks) != 2:
        raise err("expected 'Frames: N'", i)
    try:
        F = int(toks[1])
    except ValueError:
        raise err(f"Frames is not an integer: {toks[1]!r}", i) from None
    if F < 0:
        raise err(f"Frames must be >= 0, got {F}", i)
    toks = next_tokens()
    if toks[:2] != ["Frame", "Time:"] or len(toks) != 3:
        raise err("expected 'Frame Time: dt'", i)
    try:
        dt = float(toks[2])
    except ValueError:
        raise err(f"Frame Time is not a number: {toks[2]!r}", i) from None
    if not dt > 0:
        raise err(f"Frame Time must be > 0, got {dt}", i)
    C = sum(len(j.channels) for j in joints)
    start = i
    rows = [ln for ln in lines[start:] if ln.strip()]
    if len(rows) < F:
        raise BVHError(path, n, f"file declares {F} frames but has only {len(rows)} (truncated?)")
    data = np.empty((F, C))
    li = start
    k = 0
    while k < F:
        s = lines[li].strip()
        li += 1
        if not s:
            continue
        parts = s.split()
        if len(parts) != C:
            raise BVHError(path, li, f"frame {k} has {len(parts)} values, expected {C}")
        try:
            data[k] = np.array(parts, dtype=np.float64)
        except ValueError:
            raise BVHError(path, li, f"frame {k} has a non-number") from None
        if not np.isfinite(data[k]).all():
            raise BVHError(path, li, f"frame {k} has a non-finite value")
        k += 1
    return BVHData(joints, dt, data, str(path))


def _unit_scale(unit: str, offsets: np.ndarray) -> float:
    if unit == "m":
        return 1.0
    if unit == "cm":
        return 0.01
    if unit != "auto":
        raise ValueError(f"unit must be 'm', 'cm' or 'auto', got {unit!r}")
    L = np.linalg.norm(offsets[1:], axis=1)
    L = L[L > 0]
    return 0.01 if (len(L) and np.median(L) > 1.5) else 1.0


def load_bvh(path, unit: str = "auto", labels: Optional[dict] = None, end_sites: bool = False) -> Motion:
    """Read a ``.bvh`` / ``.bvh.gz`` file into a :class:`Motion` (metres, float64, y-up as in the file).

    ``unit``: "cm", "m" or "auto" (see the module docstring); ``end_sites``: keep End Sites as leaf
    joints ``<parent>_end``. Raises :class:`BVHError` with file and line for malformed files."""
    from .captions import labels_from_path

    d = parse_bvh(path)
    if d.motion.shape[0] == 0:
        raise BVHError(path, 0, "the file has no frames (Frames: 0): there is no motion to load")
    J = len(d.joints)
    offsets = np.stack([j.offset for j in d.joints])
    s = _unit_scale(unit, offsets)
    F = d.motion.shape[0]
    rot = np.tile(np.eye(3), (F, J, 1, 1))
    trans = np.broadcast_to(offsets * s, (F, J, 3)).copy()
    has_pos = np.zeros(J, bool)
    col = 0
    for ji, j in enumerate(d.joints):
        ch = j.channels
        vals = d.motion[:, col:col + len(ch)]
        col += len(ch)
        rc = [c for c in ch if c in _ROT]
        if rc:
            order = "".join(_ROT[c] for c in rc)
            ang = torch.from_numpy(np.stack([vals[:, ch.index(c)] for c in rc], -1))
            rot[:, ji] = euler_to_matrix(ang, order, degrees=True).numpy()
        pc = [c for c in ch if c in _POS]
        if pc:
            has_pos[ji] = True
            for c in pc:
                trans[:, ji, _POS[c]] = vals[:, ch.index(c)] * s
    names = [j.name for j in d.joints]
    parents = [j.parent for j in d.joints]
    root_rot, root_pos = rot[:, 0], trans[:, 0]
    keep = list(range(J))
    children = [k for k in range(J) if parents[k] == 0]
    if len(children) == 1 and has_pos[children[0]]:
        c = children[0]
        R0, p0 = rot[:, 0], trans[:, 0]
        root_rot = np.einsum("fij,fjk->fik", R0, rot[:, c])
        root_pos = p0 + np.einsum("fij,fj->fi", R0, trans[:, c])
        keep = list(range(1, J))
    dev = 0.0
    for k in keep[1:]:
        if has_pos[k]:
            dev = max(dev, float(np.abs(trans[:, k] - offsets[k] * s).max()))
    idx = {old: new for new, old in enumerate(keep)}
    new_parents = [-1] + [idx[parents[k]] for k in keep[1:]]
    new_off = np.stack([np.zeros(3)] + [offsets[k] * s for k in keep[1:]])
    sk = Skeleton(tuple(names[k] for k in keep), tuple(new_parents), torch.from_numpy(new_off), Path(path).name)
    local = rot[:, keep].copy()
    local[:, 0] = root_rot
    if end_sites:
        ends = [k for k in keep if d.joints[k].end_site is not None]
        names_new = list(sk.names) + [f"{names[k]}_end" for k in ends]
        par_new = list(sk.parents) + [idx[k] for k in ends]
        off_new = torch.cat([sk.offsets, torch.from_numpy(np.stack([d.joints[k].end_site * s for k in ends])
                                                          if ends else np.zeros((0, 3)))])
        sk = Skeleton(tuple(names_new), tuple(par_new), off_new, sk.name)
        local = np.concatenate([local, np.tile(np.eye(3), (F, len(ends), 1, 1))], 1)
    lab = labels_from_path(path)
    lab.update(labels or {})
    lab["bvh_max_translation_deviation_m"] = f"{dev:.6f}"
    try:
        return Motion(sk, torch.from_numpy(local), torch.from_numpy(np.ascontiguousarray(root_pos)),
                      1.0 / d.frame_time, str(path), lab)
    except ValueError as e:  # values too large for finite positions/rotations, an absurd frame time
        raise BVHError(path, 0, str(e).replace(f"Motion {path}: ", "")) from None


def skeleton_from_bvh(path, unit: str = "auto") -> Skeleton:
    return load_bvh(path, unit).skeleton


def save_bvh(motion: Motion, path, order: str = "ZXY", unit: str = "m") -> Path:
    """Write ``motion`` as BVH: root with 6 channels, other joints 3 rotation channels in ``order``;
    leaves get an End Site of zero length. ``unit`` "m" or "cm"."""
    from ..kinematics.rotations import matrix_to_euler

    s = {"m": 1.0, "cm": 100.0}[unit]
    sk = motion.skeleton
    J = sk.num_joints
    ch_rot = " ".join(f"{a}rotation" for a in order)
    out = ["HIERARCHY"]

    def write(j, depth):
        ind = "  " * depth
        o = sk.offsets[j].numpy() * s
        out.append(f"{ind}{'ROOT' if sk.parents[j] < 0 else 'JOINT'} {sk.names[j]}")
        out.append(f"{ind}{{")
        out.append(f"{ind}  OFFSET {o[0]:.6f} {o[1]:.6f} {o[2]:.6f}")
        if sk.parents[j] < 0:
            out.append(f"{ind}  CHANNELS 6 Xposition Yposition Zposition {ch_rot}")
        else:
            out.append(f"{ind}  CHANNELS 3 {ch_rot}")
        kids = sk.children(j)
        for c in kids:
            write(c, depth + 1)
        if not kids:
            out.extend([f"{ind}  End Site", f"{ind}  {{", f"{ind}    OFFSET 0 0 0", f"{ind}  }}"])
        out.append(f"{ind}}}")

    write(0, 0)
    ang = matrix_to_euler(motion.local_rot.double(), order, degrees=True).numpy()  # [T, J, 3]
    order_dfs = []

    def dfs(j):
        order_dfs.append(j)
        for c in sk.children(j):
            dfs(c)

    dfs(0)
    out += ["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {1.0 / motion.fps:.8f}"]
    root = motion.root_pos.double().numpy() * s
    for t in range(motion.num_frames):
        vals = list(root[t])
        for j in order_dfs:
            vals += list(ang[t, j])
        out.append(" ".join(f"{v:.6f}" for v in vals))
    path = Path(path)
    path.write_text("\n".join(out) + "\n")
    return path
