import json

import numpy as np
import pytest
import torch

from imusim.data.dataset import build, load_split, mirror_caption
from tests.conftest import require_data


def test_build_small_dataset(tmp_path):
    root = require_data()
    meta = build(tmp_path / "ds", root=root, limit=12, workers=1, progress=False)
    clips = meta["clips"]
    assert clips and all(c["split"] in ("train", "val", "test") for c in clips)
    ids = {c["id"] for c in clips}
    for c in clips:
        f = np.load(tmp_path / "ds" / "features" / f"{c['id']}.npy")
        assert f.shape == (c["frames"], 263) and np.isfinite(f).all()
        assert c["captions"] and c["activity"]
        if c["mirror_of"]:
            assert c["mirror_of"] in ids and c["split"] == "train"
    # by-file split: a mirrored copy stays in its source's split; no source in two splits
    src_split = {}
    for c in clips:
        assert src_split.setdefault(c["source"], c["split"]) == c["split"]
    mean, std = np.load(tmp_path / "ds" / "Mean.npy"), np.load(tmp_path / "ds" / "Std.npy")
    assert mean.shape == std.shape == (263,) and (std > 0).all()
    assert "Training set summary" in (tmp_path / "ds" / "summary.md").read_text()
    tr, m, s = load_split(tmp_path / "ds", "train")
    assert len(tr) == sum(c["split"] == "train" for c in clips) and m.shape == (263,)
    # cached: a second build does no work and gives the same clips
    f0 = tmp_path / "ds" / "features" / f"{clips[0]['id']}.npy"
    t0, x0 = f0.stat().st_mtime_ns, np.load(f0)
    meta2 = build(tmp_path / "ds", root=root, limit=12, workers=1, progress=False)
    assert [c["id"] for c in meta2["clips"]] == [c["id"] for c in clips]
    assert f0.stat().st_mtime_ns == t0
    assert meta2["config"]["facing"] == "reference"
    # another facing convention is a different cache key: recomputed, different features
    meta3 = build(tmp_path / "ds", root=root, limit=12, workers=1, progress=False, facing="anatomical")
    assert meta3["config"]["facing"] == "anatomical" and not np.allclose(np.load(f0), x0)
    # caption paraphrases: the same clips, splits and statistics, captions drawn from the larger pool (recorded)
    meta4 = build(tmp_path / "ds", root=root, limit=12, workers=1, progress=False, facing="anatomical",
                  caption_paraphrases=True)
    with pytest.raises(ValueError, match="caption_paraphrases must be False, True, 'pace' or 'manner', got 'style'"):
        build(tmp_path / "ds_bad", root=root, limit=12, workers=1, progress=False, caption_paraphrases="style")
    assert not (tmp_path / "ds_bad" / "features").exists()  # failed before any work
    assert meta4["config"]["caption_paraphrases"] == "pace" and meta3["config"]["caption_paraphrases"] is False
    assert [(c["id"], c["split"]) for c in meta4["clips"]] == [(c["id"], c["split"]) for c in meta3["clips"]]
    from imusim.data.captions import captions_for, labels_from_path
    for c in meta4["clips"]:
        if not c["mirror_of"]:
            assert c["captions"] == captions_for(labels_from_path(c["source"]), 3, 0, paraphrase=True)


def test_round_trip_through_features_under_1cm():
    from imusim.data import load_motion
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.motion.humanml import canonicalise, features_from_positions, recover_from_ric

    for f in (require_data("bandai_namco_1", "dataset-1_kick_normal_001.bvh"),
              require_data("deepmimic", "humanoid3d_cartwheel.txt")):
        P = retarget_to_smpl22(load_motion(f)).joint_positions()
        C = canonicalise(P)
        F = features_from_positions(P).float()  # stored as float32
        R = recover_from_ric(F.double(), 22)
        err = (R - C[:-1]).norm(dim=-1).mean().item()
        assert err < 0.01, (f.name, err)


def test_mirror_caption():
    assert mirror_caption("a person waves the left hand and steps right.") == \
        "a person waves the right hand and steps left."


def test_split_by_style_holds_out_whole_styles():
    from pathlib import Path

    from imusim.data.dataset import split_by_style

    styles = ["normal", "happy", "sad", "angry", "masculinity", "masculine", "feminine", "old"]
    files = [Path(f"dataset-{1 if s != 'masculine' else 2}_walk_{s}_{k:03d}.bvh") for s in styles for k in range(5)]
    files += [Path("humanoid3d_walk.txt")]
    for seed in range(6):
        sp = split_by_style(files, seed, (0.6, 0.2, 0.2))
        by_style = {}
        for p, part in sp.items():
            lab = Path(p).name.split("_")[2] if Path(p).name.startswith("dataset") else "normal"
            lab = "masculine" if lab == "masculinity" else lab  # one caption phrase, one style
            by_style.setdefault(lab, set()).add(part)
        assert all(len(v) == 1 for v in by_style.values()), by_style  # a style never straddles splits
        assert by_style["normal"] == {"train"}
        n = {part: sum(v == part for v in sp.values()) for part in ("train", "val", "test")}
        assert n["test"] >= 0.2 * len(files) and n["val"] >= 0.2 * len(files) and n["train"] > 0, n


def test_caption_paraphrases_refused_with_humanml3d(tmp_path, capsys):
    from imusim.cli import main

    assert main(["data", "build", "--out", str(tmp_path / "o"), "--humanml3d", str(tmp_path),
                 "--caption-paraphrases"]) == 2
    assert "--caption-paraphrases applies to the mocap captions" in capsys.readouterr().err
