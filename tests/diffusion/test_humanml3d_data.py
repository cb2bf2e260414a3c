"""Full-HumanML3D data sets: MDM's text-motion pairs (sub-clips, length rule), packed streaming storage,
HumanML3D's statistics, mixing with mocap, AMASS features, and the errors on bad layouts."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
import torch

from imusim.cli import main
from imusim.data.dataset import load_split
from imusim.data.humanml3d import build_humanml3d, parse_texts, plan_motion


def test_plan_follows_mdm_rules():
    lines = [("w", ["walk/VERB"], 0.0, 0.0), ("j1", ["jump/VERB"], 2.0, 4.5), ("j2", ["jump/VERB"], 2.0, 4.5),
             ("short", [], 1.0, 2.5), ("tail", [], 8.0, 20.0)]
    plan = plan_motion(170, lines)
    assert plan[0] == (None, [("w", ["walk/VERB"])])
    assert plan[1] == ((40, 90), [("j1", ["jump/VERB"]), ("j2", ["jump/VERB"])])
    assert len(plan) == 2  # 30 frames too short; [160:400] clamps to 10 frames, too short
    assert plan_motion(200, lines) == [] and plan_motion(39, lines) == []  # T >= 200 or < 40: skipped whole
    assert plan_motion(120, [("x", [], 1.0, 5.0)]) == [((20, 100), [("x", [])])]  # no whole caption: sub-clip only


def test_build_from_humanml3d_layout(tmp_path, humanml3d_dir):
    out = tmp_path / "data"
    meta = build_humanml3d(out, humanml3d_dir, progress=False)
    f = np.load(humanml3d_dir / "new_joint_vecs" / "000000.npy")
    by_id = {c["id"]: c for c in meta["clips"]}
    assert sorted(by_id) == sorted(["000000", "000000@40-90", "000000@10-60", "000001", "000002", "000002@0-80",
                                    "M000000", "M000000@40-90", "M000000@10-60", "000003", "000004", "000005",
                                    "M000001"])
    assert [sum(c["split"] == s for c in meta["clips"]) for s in ("train", "val", "test")] == [9, 1, 3]
    assert meta["skipped"]["length"] == 1  # 000006 (230 frames) and its sub-clip, as MDM
    assert meta["storage"]["shape"] == [170 + 140 + 170 + 160 + 100 + 130 + 90 + 110, 263]
    c = by_id["000000@40-90"]
    assert c["captions"] == ["a person jumps up.", "the person jumps."] and c["range"] == [40, 90]
    assert c["tokens"][0] == ["a/DET", "person/NOUN", "jump/VERB", "up/ADP"] and c["activity"] == "jump"
    assert by_id["000000"]["activity"] == "walk" and by_id["000000@10-60"]["activity"] == "wave"
    assert by_id["M000000@10-60"]["captions"] == ["a person waves the left hand."]
    assert by_id["000002"]["captions"] == ["a person kicks with the left leg."]  # nan#nan: whole motion
    # load_split: memory-mapped views with the source frames, HumanML3D's own statistics
    clips, mean, std = load_split(out, "train")
    got = {c["id"]: c for c in clips}
    assert isinstance(got["000000@40-90"]["features"], np.memmap)
    np.testing.assert_array_equal(got["000000@40-90"]["features"], f[40:90])
    np.testing.assert_array_equal(got["000002@0-80"]["features"], f[::-1][:80])
    np.testing.assert_array_equal(mean.numpy(), np.load(humanml3d_dir / "Mean.npy"))
    np.testing.assert_array_equal(std.numpy(), np.load(humanml3d_dir / "Std.npy"))
    # the trainer normalises memory-mapped clips per access, to the same values as in memory
    from imusim.diffusion.train import MotionTextData
    d = MotionTextData(clips, mean, std)
    i = [c["id"] for c in clips].index("000000@40-90")
    torch.testing.assert_close(d.feats[i], (torch.from_numpy(f[40:90]) - mean) / std)
    assert "| train | 9 |" in (out / "summary.md").read_text()


def test_build_streams_one_motion_at_a_time(tmp_path, humanml3d_dir):
    # 60 motions of 199 frames (12.5 MB): the builder's peak allocation stays near one motion (0.2 MB)
    f = np.load(humanml3d_dir / "new_joint_vecs" / "000000.npy")
    big = np.concatenate([f, f[:29]])
    ids = [f"{i:06d}" for i in range(100, 160)]
    for k in ids:
        np.save(humanml3d_dir / "new_joint_vecs" / f"{k}.npy", big + float(k[-2:]))
        (humanml3d_dir / "texts" / f"{k}.txt").write_text("a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n")
    (humanml3d_dir / "train.txt").write_text("\n".join(ids) + "\n")
    tracemalloc.start()
    meta = build_humanml3d(tmp_path / "big", humanml3d_dir, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert meta["storage"]["shape"][0] == 60 * 199 + 100 + 130 + 90 + 110
    assert peak < 3e6, f"peak allocation {peak / 1e6:.1f} MB while packing 12.5 MB of motions"
    clips, _, _ = load_split(tmp_path / "big", "train")
    np.testing.assert_array_equal(clips[7]["features"], big + 7.0)


def test_mix_with_mocap(tmp_path, humanml3d_dir, shared_data):
    # a small mocap root: two Bandai clips and one DeepMimic clip
    root = tmp_path / "mocap"
    for sub, names in (("bandai_namco_1", ["dataset-1_walk_normal_001.bvh", "dataset-1_run_normal_001.bvh"]),
                       ("deepmimic", ["humanoid3d_jump.txt"])):
        (root / sub).mkdir(parents=True)
        for n in names:
            (root / sub / n).symlink_to(shared_data / sub / n)
    (root / "deepmimic" / "character_humanoid3d.json").symlink_to(shared_data / "deepmimic" / "character_humanoid3d.json")
    meta = build_humanml3d(tmp_path / "mixed", humanml3d_dir, add=[f"mocap:{root}"], progress=False)
    mocap = [c for c in meta["clips"] if c["dataset"] != "humanml3d"]
    assert {c["id"] for c in mocap} >= {"dataset-1_walk_normal_001", "humanoid3d_jump"}
    assert all(c["tokens"] is None and c["captions"] for c in mocap)
    # statistics stay HumanML3D's; the mocap features come from the same pipeline as 'imusim data build'
    np.testing.assert_array_equal(np.load(tmp_path / "mixed" / "Mean.npy"), np.load(humanml3d_dir / "Mean.npy"))
    from imusim.data.dataset import process_clip
    ref = process_clip(str(root / "bandai_namco_1" / "dataset-1_walk_normal_001.bvh"), facing="reference")
    split = next(c["split"] for c in mocap if c["id"] == "dataset-1_walk_normal_001")
    clips, _, _ = load_split(tmp_path / "mixed", split)
    got = next(c for c in clips if c["id"] == "dataset-1_walk_normal_001")
    np.testing.assert_array_equal(got["features"], ref["features"])


def test_amass_alternative_computes_missing_features(tmp_path, humanml3d_dir):
    from imusim.data.humanml3d import features_from_amass
    # an AMASS-style file (z-up, 60 fps) named by index.csv for a new id 000007
    rng = np.random.default_rng(0)
    T = 240
    poses = np.zeros((T, 156))
    poses[:, 3 * 16 + 2] = 0.6 * np.sin(np.linspace(0, 6, T))  # left shoulder swings
    poses[:, 3 * 4] = 0.5 * np.sin(np.linspace(0, 12, T))       # left knee
    trans = np.stack([np.linspace(0, 2, T), np.zeros(T), 0.9 + 0.01 * rng.standard_normal(T)], 1)
    amass = tmp_path / "amass"
    (amass / "KIT" / "3").mkdir(parents=True)
    np.savez(amass / "KIT" / "3" / "walk_poses.npz", poses=poses, trans=trans, mocap_framerate=60.0)
    (humanml3d_dir / "index.csv").write_text("source_path,start_frame,end_frame,new_name\n"
                                             "./pose_data/KIT/3/walk_poses.npy,10,70,000007.npy\n")
    (humanml3d_dir / "texts" / "000007.txt").write_text("a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n")
    (humanml3d_dir / "texts" / "M000007.txt").write_text("a person walks.#a/DET person/NOUN walk/VERB#0.0#0.0\n")
    (humanml3d_dir / "train.txt").write_text("000000\n000007\nM000007\n")
    meta = build_humanml3d(tmp_path / "d", humanml3d_dir, amass=amass, progress=False)
    ids = {c["id"] for c in meta["clips"] if c["split"] == "train"}
    assert {"000007", "M000007"} <= ids
    clips, _, _ = load_split(tmp_path / "d", "train")
    a = next(c for c in clips if c["id"] == "000007")["features"]
    m = next(c for c in clips if c["id"] == "M000007")["features"]
    assert a.shape == (59, 263) and np.isfinite(a).all()  # 60 frames at 20 fps -> 59 feature rows
    np.testing.assert_array_equal(a, features_from_amass(amass / "KIT" / "3" / "walk_poses.npz", 10, 70))
    # the mirrored copy: root height and forward speed unchanged, turning speed negated
    np.testing.assert_allclose(m[:, 3], a[:, 3], atol=1e-5)
    np.testing.assert_allclose(m[:, 2], a[:, 2], atol=1e-5)
    np.testing.assert_allclose(m[:, 0], -a[:, 0], atol=1e-5)


def test_bad_layouts_named(tmp_path, humanml3d_dir):
    (humanml3d_dir / "test.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"test\.txt: missing split file; a HumanML3D directory holds"):
        build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)
    (humanml3d_dir / "test.txt").write_text("000004\n000005\n")
    (humanml3d_dir / "texts" / "000004.txt").write_text("fine.#fine/ADJ#0.0#0.0\nbroken line without fields\n")
    with pytest.raises(ValueError, match=r"texts/000004\.txt:2: expected 'caption#word/POS \.\.\.#start#end'"):
        build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)
    (humanml3d_dir / "texts" / "000004.txt").write_text("fine.#fine/ADJ#zero#1\n")
    with pytest.raises(ValueError, match=r"000004\.txt:1: start/end must be numbers"):
        build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)
    (humanml3d_dir / "texts" / "000004.txt").write_text("fine.#fine/ADJ#0#0\n")
    np.save(humanml3d_dir / "new_joint_vecs" / "000005.npy", np.zeros((90, 22, 3), np.float32))
    (humanml3d_dir / "new_joint_vecs" / "000003.npy").unlink()
    meta = build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)
    assert "expected features [T, 263], got shape [90, 22, 3]" in meta["errors"]["000005"]
    assert meta["errors"]["000003"].endswith("new_joint_vecs/000003.npy: missing")
    (humanml3d_dir / "Std.npy").unlink()
    with pytest.raises(FileNotFoundError, match=r"Std\.npy: missing"):
        build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)
    with pytest.raises(FileNotFoundError, match="no such directory"):
        build_humanml3d(tmp_path / "o", tmp_path / "nowhere", progress=False)
    np.save(humanml3d_dir / "Std.npy", np.ones(263, np.float32))
    import shutil
    shutil.rmtree(humanml3d_dir / "new_joint_vecs")
    with pytest.raises(FileNotFoundError, match=r"new_joint_vecs: missing \(HumanML3D's features; or pass --amass"):
        build_humanml3d(tmp_path / "o", humanml3d_dir, progress=False)


def test_parse_texts_nan_and_hash_in_caption(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("a person walks.#a/DET person/NOUN walk/VERB#nan#nan\n\nsay #1 twice#say/VERB#1.5#3\n")
    assert parse_texts(p) == [("a person walks.", ["a/DET", "person/NOUN", "walk/VERB"], 0.0, 0.0),
                              ("say #1 twice", ["say/VERB"], 1.5, 3.0)]


def test_cli_humanml3d_build_train_finetune_sample(tmp_path, humanml3d_dir, assets, tiny_clip_dir, monkeypatch):
    """data build --humanml3d → train → finetune (L_acc) → sample, and finetune --from mdm:DIR with CLIP."""
    ds = tmp_path / "ds"
    assert main(["data", "build", "--humanml3d", str(humanml3d_dir), "--out", str(ds)]) == 0
    meta = json.loads((ds / "meta.json").read_text())
    assert len(meta["clips"]) == 13
    tiny = ["--layers", "1", "--latent", "32", "--ff", "64", "--heads", "2", "--text-encoder", "hash"]
    run, ft = tmp_path / "run", tmp_path / "ft"
    assert main(["train", "--data", str(ds), "--out", str(run), "--steps", "3", "--batch-size", "4",
                 "--log-every", "1", "--ckpt-every", "3", *tiny]) == 0
    assert main(["finetune", "--from", str(run / "model.safetensors"), "--data", str(ds), "--out", str(ft),
                 "--steps", "2", "--batch-size", "4", "--lambda-acc", "1.0", "--log-every", "1"]) == 0
    out = tmp_path / "samples"
    assert main(["sample", "a person jumps.", "--checkpoint", str(ft / "model.safetensors"), "--seconds", "2",
                 "--steps", "3", "--out", str(out)]) == 0
    assert np.isfinite(np.load(out / "features.npy")).all()
    # the paper's setting: a pretrained MDM (tiny, random) refined with L_acc on the HumanML3D set
    mdm = assets.write_mdm_dir(tmp_path / "save" / "humanml_trans_enc_512", stats=False)
    monkeypatch.setenv("IMUSIM_HUMANML3D", str(humanml3d_dir))
    ftm = tmp_path / "ft_mdm"
    assert main(["finetune", "--from", f"mdm:{mdm}", "--clip-weights", str(tiny_clip_dir), "--data", str(ds),
                 "--out", str(ftm), "--steps", "2", "--batch-size", "4", "--lambda-acc", "1.0",
                 "--log-every", "1"]) == 0
    from imusim.diffusion.checkpoint import load_checkpoint
    model, *_, enc, meta2 = load_checkpoint(ftm / "model.safetensors")
    assert type(model).__name__ == "MDMTransEnc" and enc == "clip"
    assert meta2["init_from"].endswith("imusim_model000475000.safetensors")
    out2 = tmp_path / "samples_mdm"
    assert main(["sample", "a person walks.", "--checkpoint", str(ftm / "model.safetensors"), "--clip-weights",
                 str(tiny_clip_dir), "--seconds", "1.5", "--steps", "2", "--out", str(out2)]) == 0
    assert np.load(out2 / "features.npy").shape == (1, 30, 263)
    # bulk generation straight from the pretrained MDM
    store = tmp_path / "store"
    assert main(["generate", "--checkpoint", f"mdm:{mdm}", "--clip-weights", str(tiny_clip_dir), "--per-activity", "1",
                 "--steps", "2", "--seconds", "3,3.5", "--out", str(store)]) == 0
    assert json.loads((store / "summary.json").read_text())["windows"] > 0
    # fine-tuning a checkpoint on a data set with other normalisation statistics is refused
    other = tmp_path / "ds_other"
    assert main(["data", "build", "--humanml3d", str(humanml3d_dir), "--out", str(other)]) == 0
    np.save(other / "Mean.npy", np.zeros(263, np.float32))
    with pytest.raises(SystemExit, match="normalisation statistics"):
        main(["finetune", "--from", f"mdm:{mdm}", "--clip-weights", str(tiny_clip_dir), "--data", str(other),
              "--out", str(tmp_path / "x"), "--steps", "1", "--batch-size", "2"])
