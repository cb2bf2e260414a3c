"""The self-sampled fine-tune of the high-noise expert (imusim.diffusion.hightune, `imusim hightune`): what it reads is
what the generator's sampler hands over at the last high step, the anchor's root speed; only the high expert changes;
its terms start where they must and fall when trained on; bad input is refused by name."""

from __future__ import annotations

import csv
import math
from dataclasses import replace

import pytest
import torch

from imusim.diffusion.checkpoint import load_checkpoint, read_meta, recommended_guidance, save_checkpoint
from imusim.diffusion.experts import ExpertPair
from imusim.diffusion.hightune import HighTuneConfig, handed_over, hightune
from imusim.diffusion.selftune import (WRIST_FLOOR, _Sampler, caption_wrist_targets, mean_speed, wrist_rms,
                                      wrist_target_loss)
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import TrainConfig, sample
from imusim.motion.quality import anchor_root_features

from tests.diffusion.test_selftune import _data, _pair263, _write_pair

CFG = HighTuneConfig(steps=2, batch_size=2, pool=2, ddim_steps=8, grad_steps=1, lr=3e-3, max_frames=40, min_frames=30,
                     log_every=1, lambda_recipe=0.0)


def _rows(path):
    return list(csv.DictReader(open(path / "metrics.csv")))


def test_mean_speed_is_the_ground_speed_over_the_valid_frames():
    """3 m/s forward and 4 m/s sideways at once is 5 m/s; padded frames and the other channels count for nothing."""
    f = torch.zeros(2, 5, 8)
    f[0, :, 1], f[0, :, 2] = 4.0 / 20, 3.0 / 20  # m/frame at 20 fps
    f[0, 3:, 1:3] = 9.0  # padding
    f[1, :, 2], f[1, :, 3:] = 1.0 / 20, 7.0
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    torch.testing.assert_close(mean_speed(f, mask), torch.tensor([5.0, 1.0]))


@pytest.mark.parametrize("anchor", [0, 300])
def test_the_handed_over_motion_is_the_samplers_last_high_prediction(shared_data, anchor):
    """handed_over = the x0 prediction that train.sample makes at its last step t >= 300 (observed), with, under the
    pair's foot anchor, the root velocity that anchor_root_features (the pair's contact rule and smoothing) gives it:
    the motion whose speed the term reads is the one the sampler's first low step anchors."""
    pair, _, mean, std = _pair263(shared_data)
    pair.anchor_contact, pair.anchor_smooth = "union", 0.7
    enc = get_text_encoder("hash")
    prompts, seeds = ["a person walks.", "a person runs."], [3, 4]
    sp = _Sampler(pair, mean, std, 12, 1.5, anchor)
    seen = {}
    with torch.no_grad():
        sample(pair, mean, std, enc, prompts, [40, 40], steps=12, guidance=1.5, seeds=seeds, anchor_feet=anchor,
               observe=lambda k, i, x0: seen.__setitem__(i, x0.clone()))
        noise = torch.stack([torch.randn(40, 263, generator=torch.Generator().manual_seed(s)) for s in seeds])
        mask = torch.ones(2, 40, dtype=torch.bool)
        got = handed_over(sp, pair.high, noise, enc.encode(prompts), mask)
    ref = seen[sp.high_ts[-1]] * std + mean
    if anchor:
        ref = anchor_root_features(ref.double(), contact="union", mask=mask, smooth=0.7).float()
        assert not torch.allclose(ref[..., 1:3], (seen[sp.high_ts[-1]] * std + mean)[..., 1:3], atol=1e-4)
    torch.testing.assert_close(got, ref, rtol=1e-4, atol=1e-4)


def test_hightune_changes_only_the_high_expert(shared_data, tmp_path):
    """The low expert is bit for bit the input's, the high one moves; the recipe (t >= 300) and the trust region
    train with it; the output records the run, and the metrics log finite terms and the speeds in m/s."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = replace(CFG, steps=3, pool=4, lambda_stay=1.0, lambda_recipe=1.0, log_every=2)
    recipe = TrainConfig(train_t_min=300, batch_size=2, max_frames=40, min_frames=30, text_encoder="hash")
    out = hightune(p, _data(f, mean, std), tmp_path / "ht", cfg, recipe, progress=False)
    new, nmean, _, enc, meta = load_checkpoint(out)
    old = load_checkpoint(p)[0]
    assert isinstance(new, ExpertPair) and new.below_t == 300 and enc == "hash"
    torch.testing.assert_close(nmean, mean, rtol=0, atol=0)
    for a, b in zip(new.low.state_dict().values(), old.low.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert max(float((a - b).abs().max()) for a, b in zip(new.high.state_dict().values(),
                                                         old.high.state_dict().values())) > 1e-5
    assert meta["sampling"]["guidance"] == 1.0 and meta["sampling"]["anchor_feet"] == 300
    assert meta["hightune"]["config"]["lambda_stay"] == 1.0 and meta["hightune"]["recipe"]["train_t_min"] == 300
    assert "hightune" in meta["experts"]["high"]
    rows = _rows(tmp_path / "ht")
    assert [int(r["step"]) for r in rows] == [2, 3]
    for r in rows:
        assert all(math.isfinite(float(r[k])) for k in r)
        assert float(r["l_recipe"]) > 0 and float(r["speed"]) >= 0 and float(r["speed_crop"]) > 0


@pytest.mark.parametrize("weight,column,read", [
    ("lambda_true_speed", "l_true_speed", lambda a, b: (a - b) ** 2),
    ("lambda_true_wrist", "l_true_wrist", lambda a, b: (math.log(a + WRIST_FLOOR) - math.log(b + WRIST_FLOOR)) ** 2)])
def test_the_truth_terms_read_the_crops_and_move_the_hand_over_to_them(shared_data, tmp_path, weight, column, read):
    """For a batch of one the first row's speed term is the squared difference of the logged mean speeds, the wrist
    term the squared log ratio of the logged wrists' RMS accelerations (plus the floor); each the same whether or not
    it is weighted (before any update); trained on at a large rate it falls."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    data = _data(f, mean, std)
    other = "lambda_true_wrist" if weight == "lambda_true_speed" else "lambda_true_speed"
    hightune(p, data, tmp_path / "on", replace(CFG, steps=10, batch_size=1, **{weight: 1.0, other: 0.0}),
             progress=False)
    on = _rows(tmp_path / "on")
    hightune(p, data, tmp_path / "off", replace(CFG, steps=1, batch_size=1, lambda_true_speed=0.0, lambda_stay=1.0),
             progress=False)
    off = _rows(tmp_path / "off")
    first = float(on[0][column])
    kind = column.split("_")[-1]  # speed or wrist
    assert first == pytest.approx(read(float(on[0][kind]), float(on[0][kind + "_crop"])), rel=1e-4)
    assert first > 1e-3 and float(off[0][column]) == pytest.approx(first, rel=1e-6)
    assert float(off[0]["l_stay"]) < 1e-6  # the trust region's reference is the untuned hand-over itself
    assert min(float(r[column]) for r in on[-3:]) < 0.5 * first, [r[column] for r in on]


def test_caption_targets_are_the_means_over_a_captions_crops(shared_data):
    """caption_wrist_targets: per caption the mean of log(wrist RMS + floor) over the crops that carry it (here the
    extra crops only), in the order asked; a caption no crop carries is refused by name. wrist_target_loss is the
    mean squared difference of the log intensities from the targets, and refuses a target of the wrong shape."""
    pair, f, mean, std = _pair263(shared_data)
    data = _data(f, mean, std)
    x0 = torch.stack([(f[s:s + 40] - mean) / std for s in (0, 40, 80, 10)]).float()
    mask = torch.ones(4, 40, dtype=torch.bool)
    caps = ["a", "b", "c", "a"]
    lw = torch.log(wrist_rms(x0 * std + mean, mask) + WRIST_FLOOR)
    got = caption_wrist_targets(data, ["c", "a", "b"], 0, 40, 30, 0, std, mean, extra=(x0, mask, caps))
    torch.testing.assert_close(got, torch.stack([lw[2], (lw[0] + lw[3]) / 2, lw[1]]).float(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no reference crop carries the caption 'd'"):
        caption_wrist_targets(data, ["a", "d"], 0, 40, 30, 0, std, mean, extra=(x0, mask, caps))
    feats = x0[:2] * std + mean
    target = torch.tensor([1.0, 2.0])
    want = ((lw[:2] - target) ** 2).mean()
    torch.testing.assert_close(wrist_target_loss(feats, mask[:2], target), want.float(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"wrist_target_loss: target must have shape \[2\].*got \[3\]"):
        wrist_target_loss(feats, mask[:2], torch.zeros(3))


def test_caption_target_of_a_lone_crop_is_the_crop_target(shared_data, tmp_path):
    """With one crop in the pool and no other reference crops its caption's mean is the crop itself: the caption
    target trains exactly as the crop target (every logged row equal); with reference crops it is another target."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    data = _data(f, mean, std)
    cfg = replace(CFG, steps=3, pool=1, batch_size=1, lambda_true_wrist=1.0)
    rows = {}
    for name, kw in (("crop", {}), ("lone", dict(wrist_target="caption", wrist_ref_crops=0)),
                     ("ref", dict(wrist_target="caption", wrist_ref_crops=64))):
        out = hightune(p, data, tmp_path / name, replace(cfg, **kw), progress=False)
        rows[name] = [float(r["l_true_wrist"]) for r in _rows(tmp_path / name)]
        assert read_meta(out)["hightune"]["config"]["wrist_target"] == kw.get("wrist_target", "crop")
    assert rows["lone"] == pytest.approx(rows["crop"], rel=1e-6)
    assert rows["ref"][0] != pytest.approx(rows["crop"][0], rel=1e-3)


def test_hightune_samples_and_records_its_guidance(shared_data, tmp_path):
    """--guidance: the hand-overs are drawn at that scale (the untuned first one differs from the pair's scale 1) and
    the output records it as its sampling scale with the reason; without it the pair's scale is kept."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    first = {}
    for g in (None, 3.0):
        out = hightune(p, _data(f, mean, std), tmp_path / f"g{g}", replace(CFG, steps=1, guidance=g), progress=False)
        first[g] = float(_rows(tmp_path / f"g{g}")[0]["speed"])
        meta = read_meta(out)
        assert recommended_guidance(meta) == (1.0 if g is None else g)
        assert ("hightune --guidance 3" in meta["sampling"].get("why", "")) == (g is not None)
    assert first[3.0] != pytest.approx(first[None], rel=1e-3), first


def test_hightune_refuses_by_name(shared_data, tmp_path):
    pair, f, mean, std = _pair263(shared_data)
    data = _data(f, mean, std)
    single = save_checkpoint(tmp_path / "one.safetensors", pair.high, mean, std, "hash", {})
    with pytest.raises(ValueError, match="one.safetensors is a single network"):
        hightune(single, data, tmp_path / "a", CFG, progress=False)
    p = _write_pair(tmp_path, pair, mean, std)
    with pytest.raises(ValueError, match="feature statistics differ"):
        hightune(p, _data(f, mean + 1, std), tmp_path / "b", CFG, progress=False)
    for recipe, got in ((TrainConfig(train_t_min=100), "got 100 and 0"), (TrainConfig(train_t_max=300), "got 0 and 300")):
        with pytest.raises(ValueError, match=r"the recipe must draw its steps from \[below_t = 300, 1000\).*" + got):
            hightune(p, data, tmp_path / "c", CFG, recipe, progress=False)
    for kw, msg in ((dict(grad_steps=0), "grad_steps must be an integer >= 1, got 0"),
                    (dict(pool=1, batch_size=2), r"batch_size \(2\) must not exceed pool \(1\)"),
                    (dict(lambda_true_speed=-1.0), "lambda_true_speed must be >= 0, got -1.0"),
                    (dict(lambda_true_wrist=-2.0), "lambda_true_wrist must be >= 0, got -2.0"),
                    (dict(lambda_stay=-1.0), "lambda_stay must be >= 0, got -1.0"),
                    (dict(lambda_recipe=-0.5), "lambda_recipe must be >= 0, got -0.5"),
                    (dict(guidance=-1.0), r"guidance must be a finite scale >= 0 or None \(the pair's recorded one\)"),
                    (dict(lr=0.0), "lr must be > 0, got 0.0"),
                    (dict(wrist_target="clip"), r"wrist_target must be one of \['crop', 'caption'\], got 'clip'"),
                    (dict(wrist_ref_crops=-1), "wrist_ref_crops must be an integer >= 0, got -1"),
                    (dict(min_frames=50), r"min_frames \(50\) must be in \[1, max_frames = 40\]")):
        with pytest.raises(ValueError, match=msg):
            hightune(p, data, tmp_path / "d", replace(CFG, **kw), progress=False)
    with pytest.raises(ValueError, match=r"hightune: no sampler step of 1 lies below the hand-over t = 300"):
        hightune(p, data, tmp_path / "e", replace(CFG, ddim_steps=1), progress=False)
    lows = save_checkpoint(tmp_path / "lows.safetensors", pair.high, mean, std, "hash",
                           {"experts": {"below_t": 1000}, "sampling": {"guidance": 1.0}}, extra={"low": pair.low})
    with pytest.raises(ValueError, match=r"hightune: no sampler step of 8 lies at or above the hand-over t = 1000"):
        hightune(lows, data, tmp_path / "f", CFG, TrainConfig(train_t_min=1000), progress=False)
