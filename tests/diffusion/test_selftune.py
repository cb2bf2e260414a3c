"""The self-sampled fine-tune (imusim.diffusion.selftune, `imusim selftune`): the split sampler it trains through is
exactly the sampler `imusim generate` runs, the DDIM update it differentiates is DDIM's, only the low-noise expert
changes, and bad input is refused by name."""

from __future__ import annotations

import csv
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from imusim.diffusion import MDM, MDMConfig
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
from imusim.diffusion.experts import ExpertPair
from imusim.diffusion.gaussian import GaussianDiffusion
from imusim.diffusion.selftune import (WRIST_FLOOR, MetricLog, SelfTuneConfig, _Sampler, selftune, speed_stay_loss, stay_loss,
                                      wrist_ratio_loss, wrist_rms)
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import MotionTextData, TrainConfig, sample

from tests.diffusion.test_diffusion import TINY


def test_metric_log_writes_the_means_since_the_previous_row(tmp_path):
    """Rows every `every` steps and at the last step, each the mean of the values since the row before; lr and seconds
    sit after the first `lr_at` names; a wrong count of values is refused by name."""
    log = MetricLog(tmp_path / "m.csv", ["a", "b", "c"], steps=5, every=2, lr_at=1)
    for step, (a, b) in enumerate([(1, 10), (3, 20), (5, 30), (7, 40), (9, 50)]):
        log.add(step, [torch.tensor(float(a), requires_grad=True), b, -a], lr=0.1 * step)
    with pytest.raises(ValueError, match="MetricLog.add: values must hold 3"):
        log.add(5, [1, 2], lr=0.0)
    log.close()
    rows = list(csv.reader(open(tmp_path / "m.csv")))
    assert rows[0] == ["step", "a", "lr", "seconds", "b", "c"]
    got = [[float(v) for i, v in enumerate(r) if i != 3] for r in rows[1:]]  # seconds aside
    assert got == [pytest.approx(r) for r in ([2, 2.0, 0.1, 15.0, -2.0], [4, 6.0, 0.3, 35.0, -6.0], [5, 9.0, 0.4, 50.0, -9.0])]


def test_ddim_step_moves_along_the_deterministic_path():
    """DDIM (eta 0) with the true x0: x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε goes to √ᾱ_s x0 + √(1−ᾱ_s) ε; the last step
    returns x0."""
    d = GaussianDiffusion(1000)
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(2, 9, 5, generator=g, dtype=torch.float64), torch.randn(2, 9, 5, generator=g,
                                                                                  dtype=torch.float64)
    at = lambda i: (math.sqrt(float(d.alphas_cumprod[i])), math.sqrt(1 - float(d.alphas_cumprod[i])))  # noqa: E731
    for i, j in ((999, 700), (300, 279), (20, 0)):
        (a, s), (an, sn) = at(i), at(j)
        torch.testing.assert_close(d.ddim_step(a * x0 + s * eps, x0, i, j), an * x0 + sn * eps)
    torch.testing.assert_close(d.ddim_step(torch.randn(2, 9, 5, dtype=torch.float64), x0, 5, None), x0)
    assert d.ddim_timesteps(5) == [999, 749, 500, 250, 0]
    with pytest.raises(ValueError, match=r"steps must be in \[1, 1000\], got 0"):
        d.ddim_timesteps(0)


def _pair263(shared_data, seed=0):
    torch.manual_seed(seed)
    f = torch.from_numpy(np.load(sorted((shared_data / "humanml3d_sample" / "new_joint_vecs").glob("*.npy"))[0])).float()
    cfg = MDMConfig(**{**TINY, "n_feats": 263})
    pair = ExpertPair(MDM(cfg).eval(), MDM(cfg).eval(), 300)
    return pair, f, f.mean(0), f.std(0).clamp_min(1e-2)


def test_the_split_sampler_is_the_generators_sampler(shared_data):
    """High expert down to the hand-over, low expert to the end (with the anchor at t < 300 and guidance) equals
    train.sample on the pair with the same initial noise, so the fine-tune trains what `imusim generate` runs."""
    pair, _, mean, std = _pair263(shared_data)
    pair.anchor_contact, pair.anchor_smooth = "union", 0.7
    enc = get_text_encoder("hash")
    assert enc.dim == TINY["text_dim"]
    prompts, lengths, seeds = ["a person walks.", "a person runs."], [40, 40], [3, 4]
    with torch.no_grad():
        ref, _ = sample(pair, mean, std, enc, prompts, lengths, steps=12, guidance=1.5, seeds=seeds,
                        anchor_feet=300)
        sp = _Sampler(pair, mean, std, 12, 1.5, 300)
        assert sp.high_ts and sp.low_ts and min(sp.high_ts) >= 300 > max(sp.low_ts)
        noise = torch.stack([torch.randn(40, 263, generator=torch.Generator().manual_seed(s)) for s in seeds])
        mask = torch.ones(2, 40, dtype=torch.bool)
        emb = enc.encode(prompts)
        x = sp.run(pair.low, sp.run(pair.high, noise, emb, mask, sp.high_ts), emb, mask, sp.low_ts)
    torch.testing.assert_close(x * std + mean, ref, rtol=1e-5, atol=1e-5)
    # gradients only where asked: none with grad_last 0, through the network with grad_last 1
    assert not sp.run(pair.low, noise, emb, mask, sp.low_ts).requires_grad
    out = sp.run(pair.low, noise, emb, mask, sp.low_ts, grad_last=1)
    out.square().sum().backward()
    assert all(p.grad is not None for p in pair.low.parameters() if p.requires_grad)


def _data(f, mean, std):
    clips = [{"features": f[s:s + 60], "captions": [c], "activity": c}
             for s, c in ((0, "a person walks."), (40, "a person runs."), (80, "a person jumps."))]
    return MotionTextData(clips, mean, std)


def _write_pair(tmp_path, pair, mean, std):
    meta = {"experts": {"below_t": 300}, "sampling": {"guidance": 1.0, "anchor_feet": 300}}
    return save_checkpoint(tmp_path / "pair.safetensors", pair.high, mean, std, "hash", meta,
                           extra={"low": pair.low})


def test_selftune_changes_only_the_low_expert(shared_data, tmp_path):
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=3, batch_size=2, pool=4, ddim_steps=8, grad_steps=2, lr=1e-3, max_frames=40,
                         lambda_kurtosis=1.0, lambda_excess=1.0, lambda_texture=1.0, lambda_bone=1.0,
                         lambda_joint_acc=1.0, joint_acc_joints="all", lambda_stay_quiet=1.0, joint_acc_min_crop=1.0,
                         min_frames=30, log_every=2, sensors="wrist_r,thigh_l")
    recipe = TrainConfig(train_t_max=300, batch_size=2, max_frames=40, min_frames=30, lambda_acc=1.0,
                         anchor_feet=300, text_encoder="hash")
    out = selftune(p, _data(f, mean, std), tmp_path / "st", cfg, recipe, progress=False)
    new, nmean, nstd, enc, meta = load_checkpoint(out)
    old = load_checkpoint(p)[0]
    assert isinstance(new, ExpertPair) and new.below_t == 300 and enc == "hash"
    torch.testing.assert_close(nmean, mean, rtol=0, atol=0)
    for a, b in zip(new.high.state_dict().values(), old.high.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert max(float((a - b).abs().max()) for a, b in zip(new.low.state_dict().values(),
                                                         old.low.state_dict().values())) > 1e-5
    assert meta["sampling"]["guidance"] == 1.0 and meta["sampling"]["anchor_feet"] == 300
    assert meta["selftune"]["config"]["grad_steps"] == 2 and meta["selftune"]["recipe"]["lambda_acc"] == 1.0
    rows = list(csv.DictReader(open(tmp_path / "st" / "metrics.csv")))
    assert [int(r["step"]) for r in rows] == [2, 3]  # means over steps 1-2, then step 3
    assert all(math.isfinite(float(r[k])) and float(r[k]) > 0 for r in rows for k in ("l_self", "l_kurtosis"))
    assert all(math.isfinite(float(r[k])) and float(r[k]) >= 0 for r in rows for k in ("l_excess", "l_texture", "l_bone",
                                                                                    "l_joint_acc", "l_stay_quiet"))
    assert all(meta["selftune"]["config"][k] == 1.0 for k in ("lambda_excess", "lambda_texture", "lambda_bone"))


def test_selftune_gesture_gate_asks_the_arms_and_holds_the_rest(shared_data, tmp_path):
    """joint_acc_gate "gestures" with the arms' joints and the quiet trust region trains (finite, logged terms) and
    records its gate; the low expert changes."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=2, batch_size=2, pool=4, ddim_steps=8, grad_steps=1, lr=1e-3, max_frames=40,
                         lambda_self=0.0, lambda_joint_acc=1.0, joint_acc_joints="arms", joint_acc_gate="gestures",
                         gesture_ratio=0.01, lambda_stay=1.0, lambda_stay_quiet=1.0, min_frames=30, log_every=1)
    recipe = TrainConfig(train_t_max=300, batch_size=2, max_frames=40, min_frames=30, text_encoder="hash")
    out = selftune(p, _data(f, mean, std), tmp_path / "st", cfg, recipe, progress=False)
    new, _, _, _, meta = load_checkpoint(out)
    old = load_checkpoint(p)[0]
    assert meta["selftune"]["config"]["joint_acc_gate"] == "gestures"
    assert max(float((a - b).abs().max()) for a, b in zip(new.low.state_dict().values(),
                                                         old.low.state_dict().values())) > 1e-5
    rows = list(csv.DictReader(open(tmp_path / "st" / "metrics.csv")))
    # a ratio of 0.01 makes every crop a gesture: all asked by the term, none held by the quiet trust region
    assert all(float(r["l_joint_acc"]) > 0 and float(r["l_stay_quiet"]) == 0.0 for r in rows)


def test_selftune_refuses_by_name(shared_data, tmp_path):
    pair, f, mean, std = _pair263(shared_data)
    single = save_checkpoint(tmp_path / "one.safetensors", pair.high, mean, std, "hash", {})
    data = _data(f, mean, std)
    with pytest.raises(ValueError, match="one.safetensors is a single network"):
        selftune(single, data, tmp_path / "a", SelfTuneConfig(steps=1, pool=2, batch_size=1), progress=False)
    p = _write_pair(tmp_path, pair, mean, std)
    with pytest.raises(ValueError, match="feature statistics differ"):
        selftune(p, _data(f, mean + 1, std), tmp_path / "b", SelfTuneConfig(steps=1, pool=2, batch_size=1),
                 progress=False)
    with pytest.raises(ValueError, match=r"train_t_max must be in \(0, below_t = 300\] .*got 500"):
        selftune(p, data, tmp_path / "c", SelfTuneConfig(steps=1, pool=2, batch_size=1), TrainConfig(train_t_max=500),
                 progress=False)
    for kw, msg in ((dict(grad_steps=0), "grad_steps must be an integer >= 1, got 0"),
                    (dict(pool=2, batch_size=4), r"batch_size \(4\) must not exceed pool \(2\)"),
                    (dict(lambda_self=-1.0), "lambda_self must be >= 0, got -1.0"),
                    (dict(lambda_recipe=-1.0), "lambda_recipe must be >= 0, got -1.0"),
                    (dict(lambda_kurtosis=-1.0), "lambda_kurtosis must be >= 0, got -1.0"),
                    (dict(lambda_stay=-2.0), "lambda_stay must be >= 0, got -2.0"),
                    (dict(lambda_excess=-0.5), "lambda_excess must be >= 0, got -0.5"),
                    (dict(lambda_texture=-0.1), "lambda_texture must be >= 0, got -0.1"),
                    (dict(lambda_bone=-3.0), "lambda_bone must be >= 0, got -3.0"),
                    (dict(lambda_joint_acc=-1.0), "lambda_joint_acc must be >= 0, got -1.0"),
                    (dict(lambda_stay_quiet=-1.0), "lambda_stay_quiet must be >= 0, got -1.0"),
                    (dict(lambda_keep=-1.0), "lambda_keep must be >= 0, got -1.0"),
                    (dict(lambda_keep_spread=-1.0), "lambda_keep_spread must be >= 0, got -1.0"),
                    (dict(lambda_stay_speed=-1.0), "lambda_stay_speed must be >= 0, got -1.0"),
                    (dict(lambda_true_speed=-1.0), "lambda_true_speed must be >= 0, got -1.0"),
                    (dict(lambda_true_wrist=-0.5), "lambda_true_wrist must be >= 0, got -0.5"),
                    (dict(guidance=-1.0), r"guidance must be a finite scale >= 0 or None \(the pair's recorded one\), got -1.0"),
                    (dict(guidance=float("inf")), "guidance must be a finite scale >= 0 or None"),
                    (dict(keep_one_sided_above=-1.0), "keep_one_sided_above must be a frequency >= 0 Hz or None, got -1.0"),
                    (dict(lambda_stay_quiet=1.0), r"lambda_stay_quiet \(1.0\) holds the crops below joint_acc_min_crop, which must then be > 0 m/s\^2, got 0.0"),
                    (dict(joint_acc_joints="hands"), r"joint_acc_joints must be one of \['all', 'arms', 'lower'\], got 'hands'"),
                    (dict(joint_acc_gate="arms"), r"joint_acc_gate must be one of \['moves', 'gestures'\], got 'arms'"),
                    (dict(gesture_ratio=0.0), "gesture_ratio must be a ratio > 0, got 0.0"),
                    (dict(joint_acc_gate="gestures", joint_acc_min_crop=10.0), "joint_acc_min_crop must then be 0, got 10.0"),
                    (dict(joint_acc_min_crop=-1.0), "joint_acc_min_crop must be an acceleration >= 0 m/s\\^2, got -1.0"),
                    (dict(self_one_sided_above=-3.0), "self_one_sided_above must be a frequency >= 0 Hz or None, got -3.0"),
                    (dict(min_frames=50, max_frames=40), r"min_frames \(50\) must be <= max_frames \(40\)"),
                    (dict(excess_max_crop=10.0), r"excess_max_crop \(10.0\) gates the excess term, whose weight lambda_excess must then be > 0, got 0.0"),
                    (dict(lambda_excess=1.0, excess_max_crop=0.0), r"excess_max_crop must be an acceleration > 0 m/s\^2 or None, got 0.0"),
                    (dict(lambda_keep_moving=1.0), r"lambda_keep_moving \(1.0\) holds the crops at or above excess_max_crop, which must then be set, got None"),
                    (dict(lambda_keep_moving=-1.0), "lambda_keep_moving must be >= 0, got -1.0"),
                    (dict(lambda_self=0.0, self_min_crop=10.0), r"self_min_crop \(10.0\) gates the spectrum term, whose weight lambda_self must then be > 0, got 0.0"),
                    (dict(self_min_crop=-2.0), r"self_min_crop must be an acceleration > 0 m/s\^2 or None, got -2.0"),
                    (dict(stop_t=1000), r"stop_t must be an integer step in \[0, 999\] or None, got 1000"),
                    (dict(stop_t=2.5), r"stop_t must be an integer step in \[0, 999\] or None, got 2.5"),
                    (dict(stop_t=300), r"stop_t \(300\) must lie below the hand-over t = 300")):
        with pytest.raises(ValueError, match=msg):
            selftune(p, data, tmp_path / "d", SelfTuneConfig(**kw), progress=False)


def test_stay_loss_is_the_mean_squared_difference_in_cm2():
    """Every channel moved by 1 cm reads 1 cm², half the channels by 3 cm 4.5 cm²; padded frames count for nothing;
    float64 gradcheck."""
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(2, 5, 6, generator=g, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    torch.testing.assert_close(stay_loss(ref + 0.01, ref, mask), torch.tensor(1.0, dtype=torch.float64))
    half = torch.zeros_like(ref)
    half[:, :, :3] = 0.03
    half[0, 3:] = 5.0  # padding: ignored
    torch.testing.assert_close(stay_loss(ref + half, ref, mask), torch.tensor(4.5, dtype=torch.float64))
    x = (ref + 0.01 * torch.randn(ref.shape, generator=g, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: stay_loss(p, ref, mask), (x,))
    # select: only the chosen sequences' frames count (the second one moved by 2 cm: 4 cm²); none chosen: 0
    two = ref.clone()
    two[1] += 0.02
    two[0] += 0.05
    torch.testing.assert_close(stay_loss(two, ref, mask, select=torch.tensor([False, True])),
                               torch.tensor(4.0, dtype=torch.float64))
    torch.testing.assert_close(stay_loss(two, ref, mask, select=torch.tensor([True, False])),
                               torch.tensor(25.0, dtype=torch.float64))
    assert float(stay_loss(two, ref, mask, select=torch.tensor([False, False]))) == 0.0


def test_speed_stay_loss_is_the_squared_ground_speed_difference_in_m_s():
    """A runner at 3 m/s held to 2 m/s costs 1 (m/s)², one at 1 m/s sideways against 1 m/s forward nothing (a speed,
    not a velocity); root height and the other channels, and padded frames, count for nothing; float64 gradcheck."""
    f = torch.zeros(2, 6, 10, dtype=torch.float64)
    ref = f.clone()
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    f[0, :, 2], ref[0, :, 2] = 3.0 / 20, 2.0 / 20  # forward (z), m/frame at 20 fps
    f[0, 4:, 2] = 50.0  # padding
    f[1, :, 1], ref[1, :, 2] = 1.0 / 20, 1.0 / 20  # sideways vs forward, both 1 m/s
    f[:, :, 3], f[:, :, 4:] = 0.9, 7.0  # root height, joints
    torch.testing.assert_close(speed_stay_loss(f, ref, mask), torch.tensor(0.5, dtype=torch.float64))
    assert float(speed_stay_loss(ref, ref, mask)) == 0.0
    g = torch.Generator().manual_seed(0)
    x = (0.1 * torch.randn(2, 6, 10, generator=g, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: speed_stay_loss(p, ref, mask), (x,))


def test_the_trust_region_starts_at_zero_and_grows(shared_data, tmp_path):
    """The reference is the untuned low expert's finish of the same hand-over state, so the first step's distance is
    0 to rounding (the sampler is deterministic); after updates at a large rate the tuned finish moves away."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=4, batch_size=2, pool=2, ddim_steps=8, grad_steps=1, lr=3e-3, max_frames=40,
                         min_frames=30, log_every=1, lambda_self=1.0, lambda_stay=0.5, lambda_recipe=0.0,
                         self_one_sided_above=3.0)
    selftune(p, _data(f, mean, std), tmp_path / "st", cfg, progress=False)
    stay = [float(r["l_stay"]) for r in csv.DictReader(open(tmp_path / "st" / "metrics.csv"))]
    assert stay[0] < 1e-6 and stay[-1] > 1e-3, stay
    # the speed hold has the same reference: 0 at the first step, then the tuned runner's speed moves
    selftune(p, _data(f, mean, std), tmp_path / "sp", replace(cfg, lambda_stay=0.0, lambda_stay_speed=1.0),
             progress=False)
    speed = [float(r["l_stay_speed"]) for r in csv.DictReader(open(tmp_path / "sp" / "metrics.csv"))]
    assert speed[0] < 1e-8 and speed[-1] > 1e-8 and all(math.isfinite(v) for v in speed), speed


@pytest.mark.parametrize("weight,column", [("lambda_true_speed", "l_true_speed"),
                                           ("lambda_true_wrist", "l_true_wrist")])
def test_the_truth_terms_read_the_crops_and_move_the_samples_to_them(shared_data, tmp_path, weight, column):
    """--lambda-true-speed compares each finished motion's ground speed with its ground-truth crop's,
    --lambda-true-wrist its wrists' RMS acceleration (log ratio): the first row logs the same value whether or not the
    term is weighted (the same pool and batch, before any update; the first finish is the untuned expert's, so it is
    not 0), and trained on at a large rate it falls."""
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=8, batch_size=2, pool=2, ddim_steps=8, grad_steps=1, lr=3e-3, max_frames=40,
                         min_frames=30, log_every=1, lambda_self=0.0, lambda_recipe=0.0, **{weight: 1.0})
    selftune(p, _data(f, mean, std), tmp_path / "on", cfg, progress=False)
    on = [float(r[column]) for r in csv.DictReader(open(tmp_path / "on" / "metrics.csv"))]
    selftune(p, _data(f, mean, std), tmp_path / "off", replace(cfg, steps=1, lambda_stay=1.0, **{weight: 0.0}),
             progress=False)
    off = [float(r[column]) for r in csv.DictReader(open(tmp_path / "off" / "metrics.csv"))]
    assert on[0] > 1e-4 and off[0] == pytest.approx(on[0], rel=1e-6), (on, off)
    assert min(on[-3:]) < 0.5 * on[0], on


def test_selftune_samples_and_records_its_guidance(shared_data, tmp_path):
    """--guidance: the pool and the finishes are drawn at that scale (the untuned first finish differs from the one at
    the pair's recorded 1), and the output records it as its sampling scale with the reason; without it the pair's
    scale is kept."""
    from imusim.diffusion.checkpoint import read_meta, recommended_guidance
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=1, batch_size=2, pool=2, ddim_steps=8, grad_steps=1, lr=3e-3, max_frames=40,
                         min_frames=30, log_every=1, lambda_self=0.0, lambda_recipe=0.0, lambda_true_speed=1.0)
    first = {}
    for g in (None, 3.0):
        out = selftune(p, _data(f, mean, std), tmp_path / f"g{g}", replace(cfg, guidance=g), progress=False)
        first[g] = float(next(csv.DictReader(open(tmp_path / f"g{g}" / "metrics.csv")))["l_true_speed"])
        meta = read_meta(out)
        assert recommended_guidance(meta) == (1.0 if g is None else g)
        assert ("selftune --guidance 3" in meta["sampling"].get("why", "")) == (g is not None)
    assert first[3.0] != pytest.approx(first[None], rel=1e-3), first


def test_the_split_sampler_ends_where_the_generator_ends_with_stop_t(shared_data):
    """_Sampler(stop_t=T) runs the steps at t >= T and returns the last one's x0 prediction: the same motion as
    train.sample(..., stop_t=T) from the same noise, and not the whole chain's."""
    pair, _, mean, std = _pair263(shared_data)
    enc = get_text_encoder("hash")
    prompts, lengths, seeds = ["a person walks.", "a person runs."], [40, 40], [5, 6]
    noise = torch.stack([torch.randn(40, 263, generator=torch.Generator().manual_seed(s)) for s in seeds])
    mask = torch.ones(2, 40, dtype=torch.bool)
    emb = enc.encode(prompts)
    with torch.no_grad():
        ref, _ = sample(pair, mean, std, enc, prompts, lengths, steps=12, guidance=1.5, seeds=seeds,
                        anchor_feet=300, stop_t=100)
        whole, _ = sample(pair, mean, std, enc, prompts, lengths, steps=12, guidance=1.5, seeds=seeds,
                          anchor_feet=300, stop_t=0)
        sp = _Sampler(pair, mean, std, 12, 1.5, 300, stop_t=100)
        assert min(sp.low_ts) >= 100 and sp.low_ts == [i for i in _Sampler(pair, mean, std, 12, 1.5, 300).low_ts
                                                       if i >= 100]
        x = sp.run(pair.low, sp.run(pair.high, noise, emb, mask, sp.high_ts), emb, mask, sp.low_ts)
    torch.testing.assert_close(x * std + mean, ref, rtol=1e-5, atol=1e-5)
    assert float((ref - whole).abs().max()) > 1e-3
    with pytest.raises(ValueError, match="no sampler step of 12 lies below the hand-over t = 300 and at or above "
                                         "stop_t = 299"):
        _Sampler(pair, mean, std, 12, 1.5, 300, stop_t=299)


def test_selftune_tunes_at_the_stop_and_records_it(shared_data, tmp_path):
    """--stop-t: the finishes the terms read end at the stop (the first step's true-speed reading differs from the
    whole chain's), the output records the stop as its sampling stop_t; without it the pair's recorded stop_t is the
    one tuned at and kept. The excess term's gate leaves the term at 0 when every crop moves above it."""
    from imusim.diffusion.checkpoint import read_meta, recommended_stop_t
    pair, f, mean, std = _pair263(shared_data)
    p = _write_pair(tmp_path, pair, mean, std)
    cfg = SelfTuneConfig(steps=1, batch_size=2, pool=2, ddim_steps=12, grad_steps=1, lr=3e-3, max_frames=40,
                         min_frames=30, log_every=1, lambda_self=0.0, lambda_recipe=0.0, lambda_true_speed=1.0)
    first = {}
    for stop in (None, 100):
        out = selftune(p, _data(f, mean, std), tmp_path / f"s{stop}", replace(cfg, stop_t=stop), progress=False)
        first[stop] = float(next(csv.DictReader(open(tmp_path / f"s{stop}" / "metrics.csv")))["l_true_speed"])
        assert recommended_stop_t(read_meta(out)) == (stop or 0)
    assert first[100] != pytest.approx(first[None], rel=1e-3), first
    # a pair recorded with stop_t 100 is tuned at it by default: the same first reading as --stop-t 100
    pr, mn, sd, enc, meta = load_checkpoint(p)
    p100 = save_checkpoint(tmp_path / "pair100.safetensors", pr.high, mn, sd, enc,
                           {**meta, "sampling": {**meta["sampling"], "stop_t": 100}}, extra={"low": pr.low})
    out = selftune(p100, _data(f, mean, std), tmp_path / "rec", cfg, progress=False)
    assert float(next(csv.DictReader(open(tmp_path / "rec" / "metrics.csv")))["l_true_speed"]) == pytest.approx(
        first[100], rel=1e-6)
    assert recommended_stop_t(read_meta(out)) == 100
    # the gate: every crop of this data moves at > 1e-3 m/s², so an excess term gated below it reads 0
    gated = replace(cfg, lambda_excess=1.0, excess_max_crop=1e-3)
    selftune(p, _data(f, mean, std), tmp_path / "gate", gated, progress=False)
    assert float(next(csv.DictReader(open(tmp_path / "gate" / "metrics.csv")))["l_excess"]) == 0.0
    selftune(p, _data(f, mean, std), tmp_path / "open", replace(gated, excess_max_crop=1e3), progress=False)
    assert float(next(csv.DictReader(open(tmp_path / "open" / "metrics.csv")))["l_excess"]) > 0.0
    # the moving crops' hold: 0 at the first step (the untuned expert finishes as its reference does), then > 0 once
    # the tuned one has moved; the crops it holds are the excess gate's complement
    hold = replace(gated, excess_max_crop=1e-3, lambda_keep_moving=1.0, steps=3, lr=3e-2)
    selftune(p, _data(f, mean, std), tmp_path / "hold", hold, progress=False)
    km = [float(r["l_keep_moving"]) for r in csv.DictReader(open(tmp_path / "hold" / "metrics.csv"))]
    assert km[0] == pytest.approx(0.0, abs=1e-9) and km[-1] > 1e-6, km
    selftune(p, _data(f, mean, std), tmp_path / "none", replace(hold, excess_max_crop=1e3), progress=False)
    assert all(float(r["l_keep_moving"]) == 0.0 for r in csv.DictReader(open(tmp_path / "none" / "metrics.csv")))
    # the spectrum term gated to the moving crops: every crop moves at > 1e-3 m/s², so a gate there asks them all
    # (the same run as the ungated term), and none moves at 1e3, so a gate there asks none and the term reads 0
    spec = replace(cfg, lambda_self=1.0, steps=2, lr=3e-2)
    rows = {}
    for name, gate in (("all", None), ("low", 1e-3), ("high", 1e3)):
        selftune(p, _data(f, mean, std), tmp_path / f"self_{name}", replace(spec, self_min_crop=gate), progress=False)
        rows[name] = [float(r["l_self"]) for r in csv.DictReader(open(tmp_path / f"self_{name}" / "metrics.csv"))]
    assert rows["all"][0] > 1e-6 and rows["low"] == pytest.approx(rows["all"], rel=1e-6), rows
    assert rows["high"] == [0.0] * len(rows["high"]), rows


def _wrists_circling(radius, T=60, omega=2 * math.pi, fps=20.0):
    """Features [T, 263] of a body standing still (no root motion, no turn) whose two wrists (joints 20, 21) circle
    at ``radius`` (m) and ``omega`` (rad/s) in the (y, z) plane: their RMS acceleration is
    2 (1 - cos(omega/fps)) fps² · radius."""
    f = torch.zeros(T, 263, dtype=torch.float64)
    f[:, 3] = 0.9  # root height
    t = torch.arange(T, dtype=torch.float64) / fps
    for j in (20, 21):
        c = 4 + (j - 1) * 3  # the joint's root-relative position channels
        f[:, c + 1] = 1.2 + radius * torch.cos(omega * t)
        f[:, c + 2] = radius * torch.sin(omega * t)
    return f


def test_wrist_ratio_loss_is_the_squared_log_ratio_of_the_wrists_rms_acceleration():
    fps, omega = 20.0, 2 * math.pi
    gain = 2 * (1 - math.cos(omega / fps)) * fps ** 2  # m/s² per m of radius
    a, b = _wrists_circling(0.2)[None], _wrists_circling(0.5)[None]
    mask = torch.ones(1, 60, dtype=torch.bool)
    expect = (math.log(gain * 0.2 + WRIST_FLOOR) - math.log(gain * 0.5 + WRIST_FLOOR)) ** 2
    assert float(wrist_ratio_loss(a, b, mask)) == pytest.approx(expect, rel=1e-6)
    assert float(wrist_ratio_loss(b, a, mask)) == pytest.approx(expect, rel=1e-6)  # symmetric: twice = half
    assert float(wrist_ratio_loss(a, a, mask)) == pytest.approx(0.0, abs=1e-12)
    # what it compares: wrist_rms, the circle's analytic RMS acceleration per sequence
    torch.testing.assert_close(wrist_rms(torch.cat([a, b]), torch.ones(2, 60, dtype=torch.bool)),
                               torch.tensor([gain * 0.2, gain * 0.5], dtype=torch.float64))
    # padding does not count: wild frames after the valid prefix change nothing
    wild = a.clone()
    wild[:, 40:, 4:67] = torch.randn(20, 63, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    m40 = torch.arange(60)[None] < 40
    assert float(wrist_ratio_loss(wild, b, m40)) == pytest.approx(float(wrist_ratio_loss(a, b, m40)), rel=1e-9)
    # the batch mean over sequences, and a gradient that reaches the features
    x = torch.cat([a, b]).requires_grad_(True)
    v = wrist_ratio_loss(x, torch.cat([b, b]), torch.ones(2, 60, dtype=torch.bool))
    assert float(v.detach()) == pytest.approx(expect / 2, rel=1e-6)
    v.backward()
    assert x.grad[0].abs().sum() > 0 and x.grad[1].abs().sum() == 0


def test_the_keep_term_holds_the_high_experts_finish(shared_data, tmp_path):
    """--lambda-keep's reference is the high expert's own finish of each hand-over state: with a low expert that is a
    copy of the high one the first step's term is 0 to rounding; with another low expert it is not; the low expert
    changes and the keep weight is recorded."""
    pair, f, mean, std = _pair263(shared_data)
    data = _data(f, mean, std)
    cfg = SelfTuneConfig(steps=3, batch_size=2, pool=2, ddim_steps=8, grad_steps=1, lr=3e-3, max_frames=40,
                         min_frames=30, log_every=1, lambda_self=0.0, lambda_keep=1.0, lambda_recipe=0.0,
                         sensors="wrist_r,thigh_l")
    other = tmp_path / "other"
    other.mkdir()
    selftune(_write_pair(other, pair, mean, std), data, tmp_path / "a", cfg, progress=False)
    keep = [float(r["l_keep"]) for r in csv.DictReader(open(tmp_path / "a" / "metrics.csv"))]
    assert keep[0] > 1e-4, keep
    pair.low.load_state_dict(pair.high.state_dict())
    p = _write_pair(tmp_path, pair, mean, std)
    out = selftune(p, data, tmp_path / "b", cfg, progress=False)
    keep = [float(r["l_keep"]) for r in csv.DictReader(open(tmp_path / "b" / "metrics.csv"))]
    assert keep[0] < 1e-8 and all(math.isfinite(k) for k in keep), keep
    new, _, _, _, meta = load_checkpoint(out)
    recorded = meta["selftune"]["config"]
    assert recorded["lambda_keep"] == 1.0 and recorded["keep_one_sided_above"] == 3.0
    # the spread form on the same copy: every motion scaled alike at the first step, so it starts at 0 too
    spread = replace(cfg, lambda_keep=0.0, lambda_keep_spread=1.0)
    selftune(p, data, tmp_path / "c", spread, progress=False)
    ks = [float(r["l_keep_spread"]) for r in csv.DictReader(open(tmp_path / "c" / "metrics.csv"))]
    assert ks[0] < 1e-8 and all(math.isfinite(k) for k in ks), ks
    assert max(float((a - b).abs().max()) for a, b in zip(new.low.state_dict().values(),
                                                         pair.high.state_dict().values())) > 1e-6


def test_a_pairs_low_expert_may_have_its_own_guidance(shared_data):
    """ExpertPair.low_guidance: the low expert's steps are guided at its own scale, the high expert's at the
    sampler's; None leaves both at the sampler's."""
    pair, _, mean, std = _pair263(shared_data)
    g = torch.Generator().manual_seed(1)
    x, emb = torch.randn(2, 30, 263, generator=g), torch.randn(2, TINY["text_dim"], generator=g)
    lo, hi = torch.full((2,), 100), torch.full((2,), 700)
    with torch.no_grad():
        base_lo, base_hi = pair.guided(x, lo, emb, None, 2.5), pair.guided(x, hi, emb, None, 2.5)
        pair.low_guidance = 1.0
        torch.testing.assert_close(pair.guided(x, lo, emb, None, 2.5), pair.low.guided(x, lo, emb, None, 1.0))
        torch.testing.assert_close(pair.guided(x, hi, emb, None, 2.5), base_hi)
        assert not torch.allclose(pair.guided(x, lo, emb, None, 2.5), base_lo)
        pair.low_guidance = None
        torch.testing.assert_close(pair.guided(x, lo, emb, None, 2.5), base_lo)
    with pytest.raises(ValueError, match=r"low_guidance must be a finite number >= 0 or None, got -1.0"):
        pair.low_guidance = -1.0


def test_band_log_ratio_spread_is_the_variance_of_the_log_scale():
    """One factor for every sequence costs 0; one of three sequences at half the amplitude (a quarter of the power)
    costs the variance of (log 1/4, 0, 0); a reference that does not move is left out (then one of two: (log 2)²);
    float64 gradcheck."""
    from imusim.diffusion.train import band_log_ratio_spread

    rate, T = 20.0, 80
    t = torch.arange(T, dtype=torch.float64) / rate
    swing = torch.stack([torch.sin(2 * math.pi * 1.5 * t), torch.cos(2 * math.pi * 1.5 * t), 0 * t], -1) * 5.0
    ref = torch.stack([swing, 0.8 * swing, swing.roll(3, 0)])[:, :, None]  # [3, T, 1, 3]: one sensor
    n = torch.full((3,), T)
    tiny = 1e-6
    assert float(band_log_ratio_spread(0.5 * ref, ref, n, rate, floor=tiny)) < 1e-10
    half = ref.clone()
    half[1] *= 0.5
    var = torch.tensor([math.log(0.25), 0.0, 0.0]).var(unbiased=False)
    torch.testing.assert_close(band_log_ratio_spread(half, ref, n, rate, floor=tiny), var.to(torch.float64))
    still = ref.clone()
    still[2] = 0.001 * ref[2]  # the reference barely moves: left out, so the half-amplitude pair alone counts
    p = still.clone()
    p[0] *= 0.5
    p[2] *= 10.0
    torch.testing.assert_close(band_log_ratio_spread(p, still, n, rate, floor=tiny),
                               torch.tensor(math.log(2.0) ** 2, dtype=torch.float64))
    x = (half + 0.01 * torch.randn(half.shape, dtype=torch.float64)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda q: band_log_ratio_spread(q, ref, n, rate), (x,))
    with pytest.raises(ValueError, match=r"band must be \(lo, hi\) Hz with 0 <= lo < hi, got \(3.0, 1.0\)"):
        band_log_ratio_spread(half, ref, n, rate, band=(3.0, 1.0))
