"""The full HumanML3D corpus as an imusim training set (``imusim data build --humanml3d DIR``).

Input, HumanML3D's own layout (github EricGuo5513/HumanML3D, after its processing scripts)::

    DIR/new_joint_vecs/<id>.npy   [T, 263] features at 20 fps (M<id> are the mirrored copies)
    DIR/texts/<id>.txt            one caption a line: caption#word/POS word/POS ...#start#end
                                  (start = end = 0, or NaN: the whole motion; else a sub-clip in seconds)
    DIR/train.txt, val.txt, test.txt   ids, one a line
    DIR/Mean.npy, Std.npy         [263] normalisation statistics (the ones MDM was trained with)

Which text-motion pairs are made is MDM's / Guo et al.'s rule (``Text2MotionDatasetV2``): a motion
with ``T < min_frames`` (40) or ``T >= max_frames`` (200) frames is skipped with all its captions;
whole-motion captions form one clip; each sub-clip range ``motion[int(20·start) : int(20·end)]`` whose
length is in ``[min_frames, max_frames)`` forms a clip with its captions (captions with the same range
are grouped; MDM keeps each as its own item under a random name). The POS-tagged tokens are kept with
each caption for Guo et al.'s text-to-motion evaluator.

Output (``OUT``): ``features.f32`` (every used source motion once, raw little-endian float32 rows of
``F`` features, written as it is read: memory stays at one motion), ``meta.json`` (``storage`` gives
the array's shape; each clip: ``id``, ``source``, ``split``, ``captions``, ``tokens``, ``start`` row
and ``frames`` in the array, ``range`` in frames of the source motion or null, ``activity``),
``Mean.npy``/``Std.npy`` copied from ``DIR`` (a pretrained MDM needs exactly these), ``summary.md``.
:func:`imusim.data.dataset.load_split` reads it (features as memory-mapped views).

``add=["mocap:ROOT"]`` mixes in our own mocap sets (Bandai Namco, DeepMimic under ROOT) through the
same pipeline as ``imusim data build`` (retarget to SMPL22 → HumanML3D features with HumanML3D's root
facing; splits by file, mirrored copies in train, generated captions, no POS tokens); the statistics
stay HumanML3D's. ``amass=ROOT`` computes the features of ids that have no ``new_joint_vecs`` file from
the AMASS ``.npz`` files named in ``DIR/index.csv`` (see :func:`features_from_amass`).
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..constants import HUMANML3D_FPS

HML_FPS = HUMANML3D_FPS
SPLITS = ("train", "val", "test")
LAYOUT = ("new_joint_vecs/<id>.npy, texts/<id>.txt (caption#tokens#start#end lines), train.txt, val.txt, "
          "test.txt, Mean.npy, Std.npy")

# verb lemma (HumanML3D's tokens are lemmatised) -> activity label (imusim.data.captions' vocabulary)
_VERB_ACTIVITY = {
    "walk": "walk", "stroll": "walk", "march": "walk", "stride": "walk", "pace": "walk", "tiptoe": "walk",
    "run": "run", "jog": "run", "sprint": "run", "dash": "run", "jump": "jump", "hop": "jump", "leap": "jump",
    "skip": "jump", "dance": "dance", "waltz": "dance", "kick": "kick", "punch": "punch", "box": "punch",
    "wave": "wave", "bow": "bow", "crawl": "crawl", "cartwheel": "cartwheel", "spin": "spin", "turn": "spin",
    "roll": "roll", "raise": "raise_hands", "lift": "raise_hands", "swing": "slash", "throw": "throw",
    "sit": "sit", "squat": "squat", "stand": "stand", "climb": "climb", "kneel": "kneel", "stretch": "stretch",
}


def activity_from_tokens(tokens: Sequence[str]) -> str:
    """Coarse activity of a caption from its first known verb (HumanML3D ``word/POS`` tokens), else ``other``."""
    for t in tokens:
        w, _, pos = t.partition("/")
        if pos == "VERB" and w in _VERB_ACTIVITY:
            return _VERB_ACTIVITY[w]
    for t in tokens:
        w = t.partition("/")[0]
        if w in _VERB_ACTIVITY:
            return _VERB_ACTIVITY[w]
    return "other"


def parse_texts(path) -> List[Tuple[str, List[str], float, float]]:
    """``(caption, tokens, start_s, end_s)`` per line of a HumanML3D ``texts/<id>.txt`` (NaN → 0).

    ``ValueError`` naming the file and line for a line that is not ``caption#tokens#start#end``."""
    path = Path(path)
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        f = line.split("#")
        if len(f) < 4:
            raise ValueError(f"{path}:{n}: expected 'caption#word/POS ...#start#end' (4 fields separated by '#'), "
                             f"got {len(f)} field(s): {line[:80]!r}")
        try:
            a, b = float(f[-2]), float(f[-1])
        except ValueError:
            raise ValueError(f"{path}:{n}: start/end must be numbers (seconds), got {f[-2]!r}, {f[-1]!r}") from None
        a = 0.0 if math.isnan(a) else a
        b = 0.0 if math.isnan(b) else b
        caption, tokens = "#".join(f[:-3]), f[-3].split(" ")
        out.append((caption, tokens, a, b))
    return out


def plan_motion(T: int, lines, min_frames: int = 40, max_frames: int = 200):
    """Clips of one motion of ``T`` frames: list of ``(range or None, [(caption, tokens), ...])`` (MDM's rule)."""
    if T < min_frames or T >= max_frames:
        return []
    whole = [(c, t) for c, t, a, b in lines if a == 0.0 and b == 0.0]
    out = [(None, whole)] if whole else []
    groups: Dict[Tuple[int, int], list] = {}
    for c, t, a, b in lines:
        if a == 0.0 and b == 0.0:
            continue
        s, e = int(a * HML_FPS), int(b * HML_FPS)
        r = range(T)[s:e]  # python slicing, as motion[s:e]
        if min_frames <= len(r) < max_frames:
            groups.setdefault((r.start, r.stop), []).append((c, t))
    out += [(k, v) for k, v in groups.items()]
    return out


def read_split(d: Path, split: str) -> List[str]:
    p = d / f"{split}.txt"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: missing split file; a HumanML3D directory holds {LAYOUT}")
    return [x.strip() for x in p.read_text().splitlines() if x.strip()]


def check_layout(d: Path) -> Tuple[np.ndarray, np.ndarray]:
    d = Path(d)
    if not d.is_dir():
        raise FileNotFoundError(f"--humanml3d {d}: no such directory (expected {LAYOUT})")
    for sub in ("texts",):
        if not (d / sub).is_dir():
            raise FileNotFoundError(f"{d / sub}: missing; a HumanML3D directory holds {LAYOUT}")
    stats = []
    for name in ("Mean.npy", "Std.npy"):
        p = d / name
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (the normalisation statistics a pretrained MDM was trained "
                                    f"with); a HumanML3D directory holds {LAYOUT}")
        a = np.load(p, allow_pickle=False)
        if a.ndim != 1 or not np.isfinite(a).all():
            raise ValueError(f"{p}: expected a finite vector [F], got shape {list(a.shape)}")
        stats.append(a.astype(np.float32))
    if stats[0].shape != stats[1].shape:
        raise ValueError(f"{d}: Mean.npy {list(stats[0].shape)} and Std.npy {list(stats[1].shape)} differ in shape")
    return stats[0], stats[1]


class _PackedWriter:
    """Appends ``[T, F]`` float32 rows to ``features.f32``; returns each block's first row."""

    def __init__(self, path: Path, F: int):
        self.path, self.F, self.rows = path, F, 0
        self.f = open(path, "wb")

    def add(self, x: np.ndarray) -> int:
        x = np.ascontiguousarray(x, dtype="<f4")
        assert x.ndim == 2 and x.shape[1] == self.F
        start = self.rows
        x.tofile(self.f)
        self.rows += x.shape[0]
        return start

    def close(self):
        self.f.close()


def _load_motion_file(p: Path, F: int) -> np.ndarray:
    try:
        a = np.load(p, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{p}: cannot read as .npy ({e})") from None
    if a.ndim != 2 or a.shape[1] != F:
        raise ValueError(f"{p}: expected features [T, {F}], got shape {list(a.shape)}")
    return a


def build_humanml3d(out, humanml3d, *, add: Sequence[str] = (), amass=None, min_frames: int = 40,
                    max_frames: int = 200, seed: int = 0, n_captions: int = 3, progress: bool = True,
                    splits: Sequence[str] = SPLITS) -> Dict:
    """Build ``out`` from the HumanML3D directory ``humanml3d`` (see the module docstring); returns meta."""
    from .captions import ACTIVITY_GROUP

    hml, out = Path(humanml3d), Path(out)
    mean, std = check_layout(hml)
    F = int(mean.shape[0])
    ids = {s: read_split(hml, s) for s in splits}
    if not (hml / "new_joint_vecs").is_dir() and not amass:
        raise FileNotFoundError(f"{hml / 'new_joint_vecs'}: missing (HumanML3D's features; or pass --amass AMASS_ROOT "
                                f"to compute them from AMASS through DIR/index.csv); a HumanML3D directory holds {LAYOUT}")
    amass_index = _amass_index(hml, amass) if amass else None
    out.mkdir(parents=True, exist_ok=True)
    for old in ("features.f32", "meta.json"):
        if (out / old).exists():
            (out / old).unlink()
    w = _PackedWriter(out / "features.f32.tmp", F)
    clips, errors, skipped = [], {}, {"length": 0, "no_caption": 0}
    bar = None
    total = sum(len(v) for v in ids.values())
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, desc="humanml3d", unit="motion")
    try:
        for split, id_list in ids.items():
            for mid in id_list:
                if bar:
                    bar.update(1)
                mp, tp = hml / "new_joint_vecs" / f"{mid}.npy", hml / "texts" / f"{mid}.txt"
                if not tp.is_file():
                    errors[mid] = f"{tp}: missing"
                    continue
                lines = parse_texts(tp)
                try:
                    if mp.is_file():
                        motion = _load_motion_file(mp, F)
                    elif amass_index is not None and mid in amass_index:
                        motion = features_from_amass(*amass_index[mid])
                    else:
                        errors[mid] = f"{mp}: missing" + ("" if amass_index is None else " (and not in index.csv)")
                        continue
                except (ValueError, FileNotFoundError) as e:
                    errors[mid] = str(e)
                    continue
                T = int(motion.shape[0])
                plan = plan_motion(T, lines, min_frames, max_frames)
                if not plan:
                    skipped["length" if (T < min_frames or T >= max_frames) else "no_caption"] += 1
                    continue
                start = w.add(np.asarray(motion))
                for rng, caps in plan:
                    a, b = (0, T) if rng is None else rng
                    acts = [activity_from_tokens(t) for _, t in caps]
                    act = max(set(acts), key=acts.count)
                    clips.append({"id": mid if rng is None else f"{mid}@{a}-{b}", "source": str(mp), "split": split,
                                  "captions": [c for c, _ in caps], "tokens": [t for _, t in caps],
                                  "start": start + a, "frames": b - a, "range": None if rng is None else [a, b],
                                  "activity": act, "group": ACTIVITY_GROUP.get(act, act), "dataset": "humanml3d",
                                  "mirror_of": None})
        for spec in add:
            clips += _add_source(spec, w, F, seed, n_captions, errors, progress)
    finally:
        if bar:
            bar.close()
        w.close()
    if not clips:
        raise ValueError(f"{hml}: no usable text-motion pairs (errors: {list(errors.items())[:3]})")
    (out / "features.f32.tmp").replace(out / "features.f32")
    np.save(out / "Mean.npy", mean)
    np.save(out / "Std.npy", std)
    meta = {"format": "imusim-packed-1", "fps": HML_FPS,
            "storage": {"file": "features.f32", "dtype": "float32", "shape": [w.rows, F]},
            "clips": clips, "errors": errors, "skipped": skipped,
            "config": {"humanml3d": str(hml.resolve()), "add": list(add), "amass": str(amass) if amass else None,
                       "min_frames": min_frames, "max_frames": max_frames, "seed": seed,
                       "stats": "humanml3d"}}
    (out / "meta.json").write_text(json.dumps(meta))
    from .dataset import summarise
    (out / "summary.md").write_text(summarise(clips, errors) + f"\nSkipped (MDM's length rule {min_frames} <= T < "
                                    f"{max_frames}): {skipped['length']} motions; without a usable caption: "
                                    f"{skipped['no_caption']}.\n")
    return meta


def _add_source(spec: str, w: _PackedWriter, F: int, seed: int, n_captions: int, errors: Dict, progress: bool):
    """Clips of an extra source (``mocap:ROOT``) appended to the packed array."""
    kind, _, root = spec.partition(":")
    if kind != "mocap" or not root:
        raise ValueError(f"--add {spec!r}: expected mocap:ROOT (our Bandai Namco / DeepMimic sets under ROOT)")
    from .captions import ACTIVITY_GROUP, captions_for, labels_from_path
    from .dataset import DEFAULT_SOURCES, list_clips, mirror_caption, process_clip

    files = list_clips(Path(root), DEFAULT_SOURCES)
    if not files:
        raise FileNotFoundError(f"--add {spec}: no motion files under {root} (looked in {list(DEFAULT_SOURCES)})")
    if F != 263:
        raise ValueError(f"--add {spec}: mocap features are 263-d HumanML3D features, the data set has {F}")
    order = files[:]
    random.Random(seed).shuffle(order)
    n_tr, n_va = int(0.8 * len(order)), int(0.1 * len(order))
    split_of = {str(p): ("train" if i < n_tr else "val" if i < n_tr + n_va else "test") for i, p in enumerate(order)}
    clips = []
    it = files
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(files, desc=f"add {kind}", unit="clip")
    for p in it:
        try:
            r = process_clip(str(p), facing="reference")
        except Exception as e:  # reported, never silently dropped
            errors[str(p)] = f"{type(e).__name__}: {e}"
            continue
        if r["frames"] < 24:
            errors[str(p)] = f"too short after retargeting ({r['frames']} frames < 24)"
            continue
        lab = labels_from_path(p)
        caps = captions_for(lab, n_captions, seed)
        cid = re.sub(r"\.(bvh\.gz|bvh|txt)$", "", p.name)
        base = {"source": str(p), "split": split_of[str(p)], "activity": lab["activity"], "tokens": None,
                "group": ACTIVITY_GROUP.get(lab["activity"], lab["activity"]), "dataset": lab["dataset"],
                "frames": r["frames"], "range": None}
        clips.append({"id": cid, "captions": caps, "start": w.add(r["features"]), "mirror_of": None, **base})
        if base["split"] == "train":
            clips.append({"id": f"M{cid}", "captions": [mirror_caption(c) for c in caps],
                          "start": w.add(r["features_mirror"]), "mirror_of": cid, **base})
    return clips


# ----------------------------------------------------------------------------- AMASS → features
# HumanML3D's raw_pose_processing trims the first seconds of some AMASS subsets before cutting
_TRIM_S = {"Eyes_Japan_Dataset": 3.0, "MPI_HDM05": 3.0, "TotalCapture": 1.0, "MPI_Limits": 1.0,
           "Transitions_mocap": 0.5}


def _amass_index(hml: Path, amass_root) -> Dict[str, Tuple[Path, int, int, bool]]:
    """id → (AMASS .npz, start frame, end frame at 20 fps, mirrored) from ``hml/index.csv``."""
    p = hml / "index.csv"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: missing; --amass needs HumanML3D's index.csv (source_path,start_frame,"
                                f"end_frame,new_name) to know which AMASS file and frames make each id")
    root = Path(amass_root)
    out = {}
    with open(p, newline="") as f:
        rows = csv.DictReader(f)
        need = {"source_path", "start_frame", "end_frame", "new_name"}
        if not need <= set(rows.fieldnames or []):
            raise ValueError(f"{p}:1: expected the columns {sorted(need)}, got {rows.fieldnames}")
        for n, r in enumerate(rows, start=2):
            src = r["source_path"]
            if "humanact12" in src:
                continue  # HumanAct12 clips are not AMASS
            rel = re.sub(r"^\./pose_data/", "", src)
            npz = root / re.sub(r"\.npy$", ".npz", rel)
            try:
                s, e = int(r["start_frame"]), int(r["end_frame"])
            except ValueError:
                raise ValueError(f"{p}:{n}: start_frame/end_frame must be integers, got {r['start_frame']!r}, "
                                 f"{r['end_frame']!r}") from None
            mid = Path(r["new_name"]).stem
            out[mid] = (npz, s, e, False)
            out["M" + mid] = (npz, s, e, True)
    return out


def features_from_amass(npz: Path, start: int, end: int, mirrored: bool = False) -> np.ndarray:
    """HumanML3D-style features ``[T−1, 263]`` of one index.csv row from an AMASS ``.npz`` through our own
    loaders: SMPL22 positions on the canonical T-pose skeleton (``imusim.data.amass``; without the
    subject's body model) at 20 fps (every k-th frame when the rate is a multiple of 20, as HumanML3D;
    else slerp/cubic resampling), HumanML3D's per-subset trims, frames ``[start:end]``,
    mirrored across x = 0 for ``M`` ids, then :func:`imusim.motion.humanml.features_from_positions`
    (HumanML3D's root facing). Not bit-identical to HumanML3D's files (their pipeline uses the SMPL-H
    body model and its own IK); documented as an alternative for users without the processed corpus."""
    import torch

    from ..kinematics.presets import SMPL22
    from ..motion.humanml import features_from_positions
    from ..reference.fk import forward_kinematics
    from .amass import load_amass
    from .dataset import mirror_positions
    from .retarget import resample_motion

    if not Path(npz).is_file():
        raise FileNotFoundError(f"{npz}: AMASS file named by index.csv not found")
    m = load_amass(npz)
    local, root = m.local_rot, m.root_pos
    k = int(round(m.fps / HML_FPS))
    if k >= 1 and abs(m.fps / k - HML_FPS) < 1e-6:
        local, root = local[::k], root[::k]  # HumanML3D keeps every k-th frame
    else:
        local, root = resample_motion(local, root, float(m.fps), HML_FPS)
    _, P = forward_kinematics(local, root, SMPL22.parents, SMPL22.offsets)
    for k, s in _TRIM_S.items():
        if k in str(npz):
            P = P[int(s * HML_FPS):]
    P = P[start:end] if end >= 0 else P[start:]
    if P.shape[0] < 2:
        raise ValueError(f"{npz}: frames [{start}:{end}] at 20 fps leave {P.shape[0]} frame(s)")
    P = P.numpy()
    if mirrored:
        P = mirror_positions(P)
    return features_from_positions(torch.from_numpy(np.ascontiguousarray(P)), fps=HML_FPS).float().numpy()
