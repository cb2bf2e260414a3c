"""Build the text-motion training set from ../shared/data (``imusim data build``).

Output directory::

    OUT/features/<clip>.npy   float32 [T, 263] HumanML3D features (20 fps, SMPL22)
    OUT/meta.json             clips: id, source, split, captions, activity, content, style, frames,
                              mirrored-from; build config; source file sizes/mtimes (cache keys)
    OUT/Mean.npy, Std.npy     normalisation statistics of the train split [263]
    OUT/summary.md            clips, minutes and clips per activity and split

Splits are by source file (seeded), so takes of one file never straddle splits. The train split also
gets mirrored copies (left/right swapped, x negated, "left"/"right" swapped in captions), the usual
HumanML3D augmentation; random crops happen at training time.
"""

from __future__ import annotations

import json
import os
import random
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from ..constants import HUMANML3D_FPS
from .captions import ACTIVITY_GROUP, captions_for, labels_from_path, paraphrase_set

DEFAULT_SOURCES = ("bandai_namco_1", "bandai_namco_2", "deepmimic")


def default_data_root() -> Path:
    env = os.environ.get("IMUSIM_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def list_clips(root: Path, sources=DEFAULT_SOURCES, limit: Optional[int] = None) -> List[Path]:
    files: List[Path] = []
    for s in sources:
        d = root / s
        if not d.exists():
            continue
        files += sorted(p for p in d.iterdir() if p.name.endswith((".bvh", ".bvh.gz"))
                        or (p.name.startswith("humanoid3d_") and p.suffix == ".txt"))
    if limit:
        rng = random.Random(0)
        files = sorted(rng.sample(files, min(limit, len(files))))
    return files


def mirror_caption(c: str) -> str:
    """Swap the words left and right (mirrored copies of clips)."""
    return re.sub(r"\b(left|right)\b", lambda m: "right" if m.group(1) == "left" else "left", c)


def mirror_positions(P: np.ndarray) -> np.ndarray:
    """Mirror SMPL22 positions ``[T, 22, 3]`` across the x = 0 plane, swapping left/right joints."""
    from ..kinematics.presets import SMPL22
    from ..kinematics.skeleton import mirror_joint_map

    Q = P[:, mirror_joint_map(SMPL22)].copy()
    Q[..., 0] *= -1
    return Q


FEATURES_VERSION = 2  # 2: HumanML3D reference facing by default (cache keys change with it)


def process_clip(path: str, fps: float = HUMANML3D_FPS, facing: str = "reference") -> Dict:
    """Load → retarget → positions → features for one file. Returns arrays and labels (picklable)."""
    import torch

    from ..kinematics.presets import SMPL22
    from ..motion.humanml import features_from_positions
    from ..reference.fk import forward_kinematics
    from . import load_motion
    from .retarget import retarget_to_smpl22

    m = load_motion(path)
    r = retarget_to_smpl22(m, fps=fps)
    _, P = forward_kinematics(r.local_rot, r.root_pos, SMPL22.parents, SMPL22.offsets)
    P = P.numpy().astype(np.float32)
    feats = features_from_positions(torch.from_numpy(P).double(), fps=fps, facing=facing).float().numpy()
    feats_m = features_from_positions(torch.from_numpy(mirror_positions(P)).double(), fps=fps,
                                      facing=facing).float().numpy()
    return {"path": path, "features": feats, "features_mirror": feats_m, "frames": int(feats.shape[0])}


def split_by_style(files: List[Path], seed: int, split=(0.8, 0.1, 0.1)) -> Dict[str, str]:
    """``{path: split}`` holding out whole acting styles (named by their caption phrase): styles (seeded order,
    "normal" excluded) go to
    test until it has ≥ ``split[2]`` of the files, then to val until it has ≥ ``split[1]``."""
    from .captions import _STYLE

    # styles that share a caption phrase (set 1's "masculinity", set 2's "masculine") are one style
    style = {str(p): _STYLE.get(labels_from_path(p)["style"], labels_from_path(p)["style"]) or "normal"
             for p in files}
    names = sorted(set(style.values()) - {"normal"})
    random.Random(seed).shuffle(names)
    count = {n: sum(v == n for v in style.values()) for n in names}
    held: Dict[str, str] = {}
    need = {"test": split[2] * len(files), "val": split[1] * len(files)}
    have = {"test": 0, "val": 0}
    for n in names:
        for part in ("test", "val"):
            if have[part] < need[part]:
                held[n] = part
                have[part] += count[n]
                break
    return {p: held.get(s, "train") for p, s in style.items()}


def build(out, root: Optional[Path] = None, sources=DEFAULT_SOURCES, seed: int = 0, split=(0.8, 0.1, 0.1),
          n_captions: int = 3, workers: int = 2, limit: Optional[int] = None, progress: bool = True,
          min_frames: int = 24, facing: str = "reference", split_by: str = "file",
          caption_paraphrases=False) -> Dict:
    """``split_by``: ``"file"`` (default; takes of one file never straddle splits) or ``"style"``: whole
    acting styles of the Bandai sets are held out (seeded; "normal", which DeepMimic clips also carry,
    always stays in train), so the test split measures generalisation to styles (and their caption
    words) the model never saw. ``facing``: root-facing estimate of the features (``imusim.motion.humanml``): ``reference``
    (HumanML3D's, default) or ``anatomical`` (the estimate the shipped checkpoints were trained with,
    FEATURES_VERSION 1). Cached clips are recomputed when the source file, the facing or
    FEATURES_VERSION changes. ``caption_paraphrases``: captions may also name a style's pace (False, True /
    ``"pace"`` or ``"manner"``: :func:`~imusim.data.captions.captions_for`'s ``paraphrase``; off for the shipped
    checkpoints' data set; recorded in meta.json's config as False, "pace" or "manner")."""
    # before any feature work: a bad value fails here, not after the clips are retargeted
    caption_paraphrases = paraphrase_set(caption_paraphrases, "build: caption_paraphrases")
    if facing not in ("reference", "anatomical"):
        raise ValueError(f"build: facing must be 'reference' or 'anatomical', got {facing!r}")
    out = Path(out)
    root = Path(root) if root else default_data_root()
    (out / "features").mkdir(parents=True, exist_ok=True)
    files = list_clips(root, sources, limit)
    if not files:
        raise FileNotFoundError(f"no motion files under {root} (looked in {list(sources)})")
    old = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    cache = old.get("cache", {})
    rng = random.Random(seed)
    if split_by == "file":
        order = files[:]
        rng.shuffle(order)
        n_tr, n_va = int(split[0] * len(order)), int(split[1] * len(order))
        split_of = {str(p): ("train" if i < n_tr else "val" if i < n_tr + n_va else "test")
                    for i, p in enumerate(order)}
    elif split_by == "style":
        split_of = split_by_style(files, seed, split)
    else:
        raise ValueError(f"build: split_by must be 'file' or 'style', got {split_by!r}")

    def key(p: Path):
        st = p.stat()
        return f"{st.st_size}:{int(st.st_mtime)}:v{FEATURES_VERSION}:{facing}"

    def cid(p: Path):
        return re.sub(r"\.(bvh\.gz|bvh|txt)$", "", p.name)

    todo = [p for p in files if cache.get(str(p)) != key(p) or not (out / "features" / f"{cid(p)}.npy").exists()]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(files), initial=len(files) - len(todo), desc="data build", unit="clip")
    errors = {}
    def handle(p, fn):
        try:
            r = fn()
            np.save(out / "features" / f"{cid(p)}.npy", r["features"])
            np.save(out / "features" / f"M{cid(p)}.npy", r["features_mirror"])
            cache[str(p)] = key(p)
        except Exception as e:  # reported in meta/summary, never silently dropped
            errors[str(p)] = f"{type(e).__name__}: {e}"
        if bar:
            bar.update(1)

    if workers <= 1:
        for p in todo:
            handle(p, lambda p=p: process_clip(str(p), facing=facing))
    else:
        # spawn, not fork: forking a process whose OpenMP/torch threads are running can deadlock
        import multiprocessing as mp
        from concurrent.futures import as_completed

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(process_clip, str(p), HUMANML3D_FPS, facing): p for p in todo}
            for f in as_completed(futs):
                handle(futs[f], f.result)
    if bar:
        bar.close()
    clips = []
    for p in files:
        if str(p) in errors:
            continue
        c = cid(p)
        n = int(np.load(out / "features" / f"{c}.npy", mmap_mode="r").shape[0])
        if n < min_frames:
            errors[str(p)] = f"too short after retargeting ({n} frames < {min_frames})"
            continue
        lab = labels_from_path(p)
        caps = captions_for(lab, n_captions, seed, paraphrase=caption_paraphrases)
        base = {"source": str(p), "split": split_of[str(p)], "activity": lab["activity"],
                "group": ACTIVITY_GROUP.get(lab["activity"], lab["activity"]), "content": lab["content"],
                "style": lab["style"], "dataset": lab["dataset"], "frames": n}
        clips.append({"id": c, "captions": caps, "mirror_of": None, **base})
        if base["split"] == "train":
            clips.append({"id": f"M{c}", "captions": [mirror_caption(x) for x in caps], "mirror_of": c, **base})
    train = [c for c in clips if c["split"] == "train"]
    X = np.concatenate([np.load(out / "features" / f"{c['id']}.npy") for c in train])
    mean, std = X.mean(0), X.std(0)
    std = np.where(std < 1e-4, 1.0, std)  # constant channels (e.g. foot contacts never on): no blow-up
    np.save(out / "Mean.npy", mean.astype(np.float32))
    np.save(out / "Std.npy", std.astype(np.float32))
    meta = {"clips": clips, "cache": cache, "errors": errors, "fps": HUMANML3D_FPS,
            "config": {"root": str(root), "sources": list(sources), "seed": seed, "split": list(split),
                       "split_by": split_by, "caption_paraphrases": caption_paraphrases,
                       "facing": facing, "features_version": FEATURES_VERSION}}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    summary = summarise(clips, errors)
    (out / "summary.md").write_text(summary)
    return meta


def summarise(clips: List[Dict], errors: Dict[str, str]) -> str:
    lines = ["# Training set summary", "", "| split | clips | minutes |", "|---|---|---|"]
    for s in ("train", "val", "test"):
        cs = [c for c in clips if c["split"] == s]
        lines.append(f"| {s} | {len(cs)} | {sum(c['frames'] for c in cs) / 20 / 60:.1f} |")
    lines += ["", "| activity | clips (train incl. mirrored / val / test) | minutes |", "|---|---|---|"]
    for a in sorted({c["activity"] for c in clips}):
        cs = [c for c in clips if c["activity"] == a]
        n = [len([c for c in cs if c["split"] == s]) for s in ("train", "val", "test")]
        lines.append(f"| {a} | {n[0]} / {n[1]} / {n[2]} | {sum(c['frames'] for c in cs) / 1200:.1f} |")
    if errors:
        lines += ["", f"## {len(errors)} files not used", ""] + [f"- {k}: {v}" for k, v in sorted(errors.items())]
    return "\n".join(lines) + "\n"


def load_split(out, split: str = "train"):
    """``(clips, mean, std)`` for the diffusion trainer: clips have ``features``, ``captions``, ``activity``.

    Data sets built from HumanML3D (:mod:`imusim.data.humanml3d`, ``storage`` in meta.json) keep all
    features in one packed file; their clips' ``features`` are read-only memory-mapped views."""
    import torch

    out = Path(out)
    meta = json.loads((out / "meta.json").read_text())
    clips = []
    st = meta.get("storage")
    if st:
        f = out / st["file"]
        shape = tuple(st["shape"])
        if not f.is_file() or f.stat().st_size != int(np.prod(shape)) * 4:
            raise ValueError(f"{f}: missing or not {shape[0]} x {shape[1]} float32 values as {out / 'meta.json'} "
                             f"records (rebuild with 'imusim data build --humanml3d')")
        arr = np.memmap(f, dtype="<f4", mode="r", shape=shape)
        for c in meta["clips"]:
            if c["split"] == split:
                clips.append({**c, "features": arr[c["start"]:c["start"] + c["frames"]]})
    else:
        for c in meta["clips"]:
            if c["split"] == split:
                clips.append({**c, "features": np.load(out / "features" / f"{c['id']}.npy")})
    return clips, torch.from_numpy(np.load(out / "Mean.npy")), torch.from_numpy(np.load(out / "Std.npy"))
