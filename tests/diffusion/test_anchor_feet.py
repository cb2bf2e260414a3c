"""Foot-anchored roots (docs/realism.md §10): generated motions' skating is their root trajectory disagreeing with
their own standing feet; ``anchor_root_features`` corrects the root's velocity channels, ``sample(anchor_feet=A)``
does so inside the sampler, and a checkpoint records the value it was validated with."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imusim.diffusion import MDM, MDMConfig
from imusim.diffusion.checkpoint import recommended_anchor_feet, save_checkpoint
from imusim.errors import CorruptFileError
from imusim.motion.humanml import FEET_L, FEET_R, FOOT_CONTACT, recover_from_ric
from imusim.motion.quality import CONTACT_HEIGHT, anchor_root_features, anchor_root_on_feet, foot_skating

from tests.conftest import require_data
from tests.diffusion.test_diffusion import TINY


def _walk(frames=120):
    """A walking Bandai Namco clip as HumanML3D features at about 20 fps (every k-th frame of its native rate)."""
    from imusim.data import load_motion
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.motion.humanml import features_from_positions

    m = retarget_to_smpl22(load_motion(require_data("bandai_namco_1", "dataset-1_walk_active_001.bvh")))
    P = m.joint_positions()
    step = max(1, int(round(m.fps / 20.0)))
    return features_from_positions(P[::step][: frames + 1], fps=20.0).double()


def test_anchor_root_features_equals_anchoring_the_decoded_positions(shared_data):
    f = _walk()
    slid = f.clone()
    slid[:, 1:3] *= 1.6  # the root runs ahead of its legs: the standing feet slide
    P = recover_from_ric(slid)
    assert foot_skating(P) > foot_skating(recover_from_ric(f)) + 0.2
    H = recover_from_ric(anchor_root_features(slid, contact="height"))
    torch.testing.assert_close(H, anchor_root_on_feet(P), rtol=0, atol=1e-9)
    assert foot_skating(H) < foot_skating(P) / 3
    a = anchor_root_features(slid)  # the clip's own contact channels
    torch.testing.assert_close(a[:, 3:], slid[:, 3:], rtol=0, atol=0)  # only the root's velocity changes
    torch.testing.assert_close(a[:, :1], slid[:, :1], rtol=0, atol=0)
    C = recover_from_ric(a)
    v = (C[1:, [*FEET_L, *FEET_R]] - C[:-1, [*FEET_L, *FEET_R]])[..., [0, 2]].norm(dim=-1)  # [T-1, 4]
    planted = (slid[:-1, FOOT_CONTACT] > 0.5).any(1)
    # wherever a contact channel says a foot stands, one of the standing feet no longer moves horizontally
    stand_min = v.masked_fill(~(slid[:-1, FOOT_CONTACT] > 0.5), float("inf")).min(1).values
    assert planted.sum() > 20 and float(stand_min[planted].max()) < 1e-9
    with pytest.raises(ValueError, match=r"data must be \[T, 263\]"):
        anchor_root_features(torch.zeros(10, 262))
    with pytest.raises(ValueError, match=r"contact must be one of \['channels', 'union', 'height', 'planted'\]"):
        anchor_root_features(f, contact="labels")


def test_anchor_root_features_threshold_decides_which_contact_channels_count(shared_data):
    slid = _walk()
    slid[:, 1:3] *= 1.6
    soft = slid.clone()
    soft[:, FOOT_CONTACT] = slid[:, FOOT_CONTACT] * 0.3  # a diffusion sample's soft labels: 0.3 where it stands
    torch.testing.assert_close(anchor_root_features(soft), soft, rtol=0, atol=0)  # none above 0.5: no correction
    torch.testing.assert_close(anchor_root_features(soft, threshold=0.2)[:, :3], anchor_root_features(slid)[:, :3],
                               rtol=0, atol=1e-12)  # above 0.2: the same stance frames as the binary labels at 0.5
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\)"):
            anchor_root_features(slid, threshold=bad)


def test_recommended_anchor_feet_reads_the_metadata_and_rejects_nonsense():
    assert recommended_anchor_feet({}) == 0
    assert recommended_anchor_feet({"sampling": {"guidance": 1.0}}) == 0
    assert recommended_anchor_feet({"sampling": {"anchor_feet": 1}}) == 1
    for bad in (-1, 1001, 1.0, "1", True, None):
        with pytest.raises(CorruptFileError, match="x.safetensors.*anchor_feet must be an integer"):
            recommended_anchor_feet({"sampling": {"anchor_feet": bad}}, "x.safetensors")


def _tiny263(shared_data):
    torch.manual_seed(0)
    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).float()
    return MDM(MDMConfig(**{**TINY, "n_feats": 263})).eval(), f.mean(0), f.std(0).clamp_min(1e-2)


class _Text:
    def encode(self, prompts):
        return torch.ones(len(prompts), TINY["text_dim"])


def test_sample_anchor_feet_corrects_the_final_motion_or_every_step(shared_data):
    from imusim.diffusion.train import sample

    model, mean, std = _tiny263(shared_data)
    kw = dict(steps=5, guidance=1.0, seeds=[3, 4], device="cpu")
    lengths = [40, 33]
    with torch.no_grad():
        x0, _ = sample(model, mean, std, _Text(), ["a", "b"], lengths, **kw)
        x1, _ = sample(model, mean, std, _Text(), ["a", "b"], lengths, anchor_feet=1, **kw)
        xall, _ = sample(model, mean, std, _Text(), ["a", "b"], lengths, anchor_feet=1000, **kw)
    for i, n in enumerate(lengths):  # A = 1: the last step's x0 (the output) anchored, nothing before it
        want = anchor_root_features(x0[i, :n].double()).float()
        torch.testing.assert_close(x1[i, :n], want, rtol=1e-4, atol=1e-4)
        assert (x1[i, :n] - x0[i, :n]).abs().max() > 0  # the random network's feet do slide
        # A = 1000: every step's prediction anchored, so the sampler's trajectory itself changes; the output is
        # still anchored (anchoring it again changes nothing)
        torch.testing.assert_close(anchor_root_features(xall[i, :n].double()).float(), xall[i, :n], rtol=1e-4,
                                   atol=1e-4)
    assert (xall[..., 4:] - x1[..., 4:]).abs().max() > 0
    with pytest.raises(ValueError, match=r"anchor_feet must be in \[0, 1000\], got 1001"):
        sample(model, mean, std, _Text(), ["a"], [20], anchor_feet=1001, **{**kw, "seeds": [0]})
    small = MDM(MDMConfig(**TINY))
    with pytest.raises(ValueError, match="anchor_feet needs HumanML3D's 263 features, the model has 12"):
        sample(small, torch.zeros(12), torch.ones(12), _Text(), ["a"], [20], anchor_feet=1, **{**kw, "seeds": [0]})


class _Captured(Exception):
    pass


@pytest.mark.parametrize("recorded, given, used", [(1, None, 1), (1, 0, 0), (None, None, 0), (None, 300, 300)])
def test_sample_and_generate_use_the_recorded_anchor_unless_told(tmp_path, monkeypatch, recorded, given, used):
    import imusim.diffusion.train as train_mod
    from imusim.commands.sample import generate_motions
    from imusim.generate.sources import DiffusionSource

    meta = {} if recorded is None else {"sampling": {"anchor_feet": recorded}}
    p = save_checkpoint(tmp_path / "g.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash", meta)
    seen = {}

    def record(*a, anchor_feet=None, **kw):
        seen["anchor_feet"] = anchor_feet
        raise _Captured
    monkeypatch.setattr(train_mod, "sample", record)
    with pytest.raises(_Captured):
        generate_motions(str(p), ["a person walks."], 1, 2.0, anchor_feet=given, device="cpu", progress=False)
    assert seen.pop("anchor_feet") == used
    assert DiffusionSource(str(p), "wrist_r", 50.0, anchor_feet=given, device="cpu").anchor_feet == used



def test_demo_names_the_recorded_sampling(tmp_path):
    from imusim.commands.demo import diffusion_label
    from imusim.diffusion.zoo import resolve_checkpoint

    assert diffusion_label(resolve_checkpoint("refined")) == \
        "diffusion (refined.safetensors, guidance 1, two experts split at diffusion step 300, a second low expert on " \
        "the hand-overs moving at >= 7 or below 2 m/s^2, the root anchored on the standing foot at steps < 300 " \
        "(contact: height; smoothed over 0.7 frames), the DDIM chain ended at its last step at t >= 100)"
    assert diffusion_label(resolve_checkpoint("refined_v4")) == \
        "diffusion (refined_v4.safetensors, guidance 1, two experts split at diffusion step 300, the root anchored on " \
        "the standing foot at steps < 300 (contact: height; smoothed over 0.7 frames), the DDIM chain ended at its " \
        "last step at t >= 100)"
    assert diffusion_label(resolve_checkpoint("refined_v3")) == \
        "diffusion (refined_v3.safetensors, guidance 1, two experts split at diffusion step 300, the root anchored on " \
        "the standing foot at steps < 300 (contact: height; smoothed over 0.7 frames))"
    assert diffusion_label(resolve_checkpoint("refined_v2")) == \
        "diffusion (refined_v2.safetensors, guidance 1, two experts split at diffusion step 300)"
    for rec, tail in ((1, ""), (300, " at steps < 300"), (1000, " at every step")):
        p = save_checkpoint(tmp_path / f"a{rec}.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12),
                            "hash", {"sampling": {"anchor_feet": rec}})
        want = f"diffusion (a{rec}.safetensors, guidance 2.5, the root anchored on the standing foot{tail})"
        assert diffusion_label(p) == want
    p = save_checkpoint(tmp_path / "h.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                        {"sampling": {"anchor_feet": 300, "anchor_contact": "height"}})
    assert diffusion_label(p).endswith("foot at steps < 300 (contact: height))")
    p = save_checkpoint(tmp_path / "s.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                        {"sampling": {"anchor_feet": 300, "anchor_contact": "height", "anchor_smooth": 0.7}})
    assert diffusion_label(p).endswith("foot at steps < 300 (contact: height; smoothed over 0.7 frames))")
    p = save_checkpoint(tmp_path / "t.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                        {"sampling": {"stop_t": 100}})
    assert diffusion_label(p) == ("diffusion (t.safetensors, guidance 2.5, the DDIM chain ended at its last step at "
                                  "t >= 100)")


def test_anchor_root_features_batched_with_a_mask_equals_each_motion_alone(shared_data):
    """[B, T, 263] with a prefix mask: each sequence as anchored alone over its valid frames; the frame before
    padding is not corrected (its successor is padding), padded frames are untouched; differentiable (float64
    gradcheck), and the corrected root velocity depends on the standing foot's pose channels."""
    f = _walk(60)
    X = torch.stack([f, f.flip(0), f.roll(7, 0)])
    X[..., 1:3] *= 1.6
    mask = torch.ones(3, X.shape[1], dtype=torch.bool)
    mask[1, 41:] = False
    A = anchor_root_features(X, mask=mask)
    for i in range(3):
        n = int(mask[i].sum())
        torch.testing.assert_close(A[i, :n], anchor_root_features(X[i, :n]), rtol=0, atol=1e-12)
        torch.testing.assert_close(A[i, n - 1:], X[i, n - 1:], rtol=0, atol=0)
    assert (A[1, :40, 1:3] - X[1, :40, 1:3]).abs().max() > 1e-3
    x = X[:2, :6].clone()
    x[..., FOOT_CONTACT] = 1.0  # every frame stands: the selection is the same under gradcheck's perturbations
    rest = x[..., 67:]
    # the root and the joint positions (0:67) are what the anchored root depends on
    assert torch.autograd.gradcheck(lambda v: anchor_root_features(torch.cat([v, rest], -1)),
                                    (x[..., :67].clone().requires_grad_(),), eps=1e-6, atol=1e-6)
    x.requires_grad_()
    g, = torch.autograd.grad(anchor_root_features(x)[:, :-1, 1:3].sum(), x)
    assert g[..., 4:67].abs().max() > 0  # the root follows the pose of the standing foot
    with pytest.raises(ValueError, match=r"mask must be bool \[3, 60\], got torch.float32 \[3, 60\]"):
        anchor_root_features(X, mask=mask.float())


class _Fixed(torch.nn.Module):
    """A "network" that predicts the fixed normalised features ``p`` [B, T, 263] (a parameter) whatever it is given."""

    def __init__(self, p):
        super().__init__()
        self.p = torch.nn.Parameter(p.clone())

    def forward(self, x, t, emb, mask=None, uncond=None):
        return self.p


def test_training_through_the_anchor_is_what_the_sampler_does(shared_data, tmp_path):
    """TrainConfig.anchor_feet = A: the x0 predictions of the steps t < A go through anchor_root_features (as
    sample(anchor_feet=A) corrects them) before the losses, the others are left alone; the loss's gradient reaches
    the pose channels through the anchored root; the trained checkpoint records A for its sampler, and a pair
    passes the low expert's A on (capped at the split)."""
    from imusim.diffusion.checkpoint import load_checkpoint, save_expert_pair
    from imusim.diffusion.gaussian import GaussianDiffusion
    from imusim.diffusion.train import TrainConfig, anchor_prediction, diffusion_losses

    f = _walk(40).float()
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    p = ((f - mean) / std)[None].repeat(2, 1, 1)
    p[..., 1:3] += 0.5  # the root runs ahead of the legs
    mask = torch.ones(2, p.shape[1], dtype=torch.bool)
    t = torch.tensor([10, 600])
    a = anchor_prediction(p, mask, t, 300, mean, std)
    torch.testing.assert_close(a[1], p[1], rtol=0, atol=0)  # t = 600 >= 300: as predicted
    want = (anchor_root_features(p[0] * std + mean) - mean) / std
    torch.testing.assert_close(a[0], want, rtol=1e-5, atol=1e-5)
    assert (a[0, :-1, 1:3] - p[0, :-1, 1:3]).abs().max() > 0.1

    model, x0 = _Fixed(p), ((f - mean) / std)[None].repeat(2, 1, 1)
    args = (GaussianDiffusion(1000), x0, mask, torch.zeros(2, 8), t, torch.zeros_like(x0),
            torch.zeros(2, dtype=torch.bool))
    on = diffusion_losses(model, *args, TrainConfig(anchor_feet=300), mean, std)
    off = diffusion_losses(model, *args, TrainConfig(), mean, std)
    m = mask[..., None].float()
    torch.testing.assert_close(on["l_simple"], ((a - x0) ** 2 * m).sum() / (m.sum() * 263))
    assert float(on["l_simple"].detach()) < float(off["l_simple"].detach())  # the anchored root is nearer the truth's
    g, = torch.autograd.grad(on["l_simple"], model.p)
    assert g[0, :, 4:67].abs().max() > 0  # the root's error trains the legs
    with pytest.raises(ValueError, match="anchor_feet needs the feature mean and std"):
        diffusion_losses(model, *args, TrainConfig(anchor_feet=300))
    # the checkpoint records its sampling anchor; a pair takes the low expert's, capped at the split
    from imusim.diffusion.train import train
    from tests.diffusion.test_diffusion import toy_clips
    with pytest.raises(ValueError, match=r"anchor_feet must be in \[0, 1000\]"):
        train(toy_clips(), tmp_path / "bad", TrainConfig(steps=1, batch_size=2, text_encoder="hash", anchor_feet=-1),
              None, progress=False)
    low = save_checkpoint(tmp_path / "low.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                          {"sampling": {"anchor_feet": 500}})
    high = save_checkpoint(tmp_path / "high.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12),
                           "hash", {"sampling": {"guidance": 1.0}})
    meta = load_checkpoint(save_expert_pair(tmp_path / "pair.safetensors", high, low, 300))[-1]
    assert meta["sampling"]["anchor_feet"] == 300 and meta["sampling"]["guidance"] == 1.0
    meta = load_checkpoint(save_expert_pair(tmp_path / "pair2.safetensors", high, high, 300))[-1]
    assert recommended_anchor_feet(meta) == 0


def test_lambda_root_raw_trains_the_root_output_the_anchor_replaced(shared_data):
    """With anchor_feet, the raw root velocity output of a standing frame gets no gradient from the losses (the
    anchored value does not depend on it); lambda_root_raw adds its MSE to the truth's (channels 1:3, the samples at
    t < anchor_feet), which does reach it; without the anchor it is refused."""
    from imusim.diffusion.gaussian import GaussianDiffusion
    from imusim.diffusion.train import TrainConfig, diffusion_losses

    f = _walk(40).float()
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    x0 = ((f - mean) / std)[None].repeat(2, 1, 1)
    p0 = x0.clone()
    p0[..., 1:3] += 0.5

    model, mask, t = _Fixed(p0), torch.ones(2, x0.shape[1], dtype=torch.bool), torch.tensor([10, 600])
    args = (GaussianDiffusion(1000), x0, mask, torch.zeros(2, 8), t, torch.zeros_like(x0),
            torch.zeros(2, dtype=torch.bool))
    plain = diffusion_losses(model, *args, TrainConfig(anchor_feet=300), mean, std)
    g, = torch.autograd.grad(plain["total"], model.p)
    stand = (f[:-1, FOOT_CONTACT] > 0.5).any(1)  # the frames whose root the anchor replaces
    assert stand.sum() > 10 and g[0, :-1][stand][:, 1:3].abs().max() < 1e-6
    out = diffusion_losses(model, *args, TrainConfig(anchor_feet=300, lambda_root_raw=2.0), mean, std)
    want = ((p0[0, :, 1:3] - x0[0, :, 1:3]) ** 2).mean()  # sample 0 only (t = 10 < 300)
    torch.testing.assert_close(out["l_root_raw"].detach(), want, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(out["total"], out["l_simple"] + 2.0 * out["l_root_raw"])
    g, = torch.autograd.grad(out["total"], model.p)
    assert g[0, :-1][stand][:, 1:3].abs().min() > 0
    with pytest.raises(ValueError, match="lambda_root_raw needs anchor_feet > 0"):
        diffusion_losses(model, *args, TrainConfig(lambda_root_raw=1.0), mean, std)


def test_root_speed_loss_compares_clip_mean_speeds():
    """root_speed_loss: a clip whose root moves 1.2 m/s against a truth at 0.6 m/s (20 fps, m per frame in the
    channels 1:3) costs 0.36 (m/s)², whatever the direction or the frame order (phase-blind); masked frames do
    not count; a clip with no valid frame is left out of the mean; bad shapes are refused by name."""
    from imusim.diffusion.train import root_speed_loss

    B, T, F = 3, 30, 8
    pred, target = torch.zeros(B, T, F, dtype=torch.float64), torch.zeros(B, T, F, dtype=torch.float64)
    pred[0, :, 1] = 1.2 / 20  # forward
    target[0, :, 2] = 0.6 / 20  # sideways: only the speed counts
    target[1, :, 1] = torch.linspace(0, 0.1, T, dtype=torch.float64)  # clip 1: pred = truth, reversed in time
    pred[1, :, 1] = target[1].flip(0)[:, 1]
    pred[2, :, 1] = 5.0  # clip 2: no valid frame
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[2] = False
    mask[0, 20:] = False
    pred[0, 20:, 1] = 100.0  # padding: ignored
    got = root_speed_loss(pred, target, mask, 20.0)
    torch.testing.assert_close(got, torch.tensor((1.2 - 0.6) ** 2 / 2, dtype=torch.float64))
    p = pred.clone().requires_grad_()
    g, = torch.autograd.grad(root_speed_loss(p, target, mask, 20.0), p)
    assert g[0, :20, 1].abs().min() > 0 and g[0, 20:].abs().max() == 0 and g[2].abs().max() == 0
    assert torch.isfinite(g).all() and g[..., 3:].abs().max() == 0
    with pytest.raises(ValueError, match="mask must be"):
        root_speed_loss(pred, target, mask[:, 1:], 20.0)
    with pytest.raises(ValueError, match="pred and target"):
        root_speed_loss(pred, target[..., :2], mask, 20.0)


def _two_walks(channels: slice, scale: float):
    """A 40-frame walk twice (normalised), predicted by a fixed model as the walk with ``channels`` scaled by
    ``scale``, at diffusion steps 10 and 600: (model, diffusion_losses' positional arguments, x0, the prediction,
    mean, std)."""
    from imusim.diffusion.gaussian import GaussianDiffusion
    f = _walk(40).float()
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    x0 = ((f - mean) / std)[None].repeat(2, 1, 1)
    p0 = x0.clone()
    p0[..., channels] *= scale
    mask, t = torch.ones(2, x0.shape[1], dtype=torch.bool), torch.tensor([10, 600])
    args = (GaussianDiffusion(1000), x0, mask, torch.zeros(2, 8), t, torch.zeros_like(x0),
            torch.zeros(2, dtype=torch.bool))
    return _Fixed(p0), args, x0, p0, mean, std


def _assert_term_on_anchored_steps(term: str, weight: float, loss_of, channels: slice, scale: float):
    """With anchor_feet = 300, ``l_<term>`` (TrainConfig ``lambda_<term>`` = ``weight``) is ``loss_of(anchored
    prediction, truth, samples at t < 300)`` (unnormalised features) on :func:`_two_walks`' batch, enters the total
    with its weight, and only the sample at t = 10 gets its gradient."""
    from imusim.diffusion.train import TrainConfig, anchor_prediction, diffusion_losses

    model, args, x0, p0, mean, std = _two_walks(channels, scale)
    mask, t = args[2], args[4]
    out = diffusion_losses(model, *args, TrainConfig(anchor_feet=300, **{f"lambda_{term}": weight}), mean, std)
    anch = anchor_prediction(p0, mask, t, 300, mean, std)
    sel = mask & (t < 300)[:, None]
    want = loss_of(anch * std + mean, x0 * std + mean, sel)
    assert want > 0
    torch.testing.assert_close(out[f"l_{term}"].detach(), want.detach(), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(out["total"], out["l_simple"] + weight * out[f"l_{term}"])
    g, = torch.autograd.grad(out[f"l_{term}"], model.p)
    assert g[0].abs().max() > 0 and g[1].abs().max() == 0  # only the sample at t = 10 < 300


def test_lambda_root_speed_enters_the_total_on_the_anchored_steps(shared_data):
    """With anchor_feet, l_root_speed is the root speed term of the anchored prediction on the samples at t < A."""
    from imusim.diffusion.train import root_speed_loss

    # the anchored root travels differently
    _assert_term_on_anchored_steps("root_speed", 3.0, lambda a, b, sel: root_speed_loss(a, b, sel, 20.0),
                                   slice(60, None), 0.5)


def test_union_contact_holds_a_low_foot_whatever_the_labels(shared_data):
    """contact="union": with every contact label off, a foot within 5 cm of the floor is still held, exactly as the
    height rule holds it, where the channels rule corrects nothing; batched with padding, each motion's floor comes
    from its own valid frames (the same as the motion alone)."""
    f = _walk()
    slid = f.clone()
    slid[:, 1:3] *= 1.6
    slid[:, FOOT_CONTACT] = 0.0  # the labels say no foot ever stands
    torch.testing.assert_close(anchor_root_features(slid), slid, rtol=0, atol=0)
    u = anchor_root_features(slid, contact="union")
    torch.testing.assert_close(recover_from_ric(u), recover_from_ric(anchor_root_features(slid, contact="height")),
                               rtol=0, atol=1e-9)
    assert foot_skating(recover_from_ric(u)) < foot_skating(recover_from_ric(slid)) / 3
    short = slid[:80]
    batch = torch.stack([slid, torch.cat([short, torch.full_like(slid[80:], -5.0)])])  # padding far below the floor
    mask = torch.arange(slid.shape[0])[None] < torch.tensor([[slid.shape[0]], [80]])
    ub = anchor_root_features(batch, contact="union", mask=mask)
    torch.testing.assert_close(ub[0], u, rtol=0, atol=1e-12)
    torch.testing.assert_close(ub[1, :80], anchor_root_features(short, contact="union"), rtol=0, atol=1e-12)
    hb = anchor_root_features(batch, contact="height", mask=mask)  # the height rule batched and masked, the same way
    torch.testing.assert_close(hb[0], anchor_root_features(slid, contact="height"), rtol=0, atol=1e-12)
    torch.testing.assert_close(hb[1, :80], anchor_root_features(short, contact="height"), rtol=0, atol=1e-12)


def test_height_contact_never_holds_a_labelled_joint_above_the_floor(shared_data):
    """Every foot joint labelled as standing, the toes (on the floor) wobbling 5 cm at 3 Hz relative to the ankles
    (0.94 m/s peak): the ankle, above the floor, moves least, so "union" holds it and the toes slide; "height"
    holds a toe, and only the double stance's other toe is left (what the unperturbed clip keeps too)."""
    from imusim.motion.quality import skating_breakdown
    f = _walk()
    slid = f.clone()
    slid[:, 1:3] *= 1.6
    slid[:, FOOT_CONTACT] = 1.0
    t = torch.arange(len(f), dtype=torch.float64) / 20.0
    for j in (FEET_L[1], FEET_R[1]):  # toe joints' root-relative x (ric channels 4 + 3·(j − 1))
        slid[:, 4 + 3 * (j - 1)] += 0.05 * torch.sin(2 * torch.pi * 3.0 * t)
    P = recover_from_ric(slid)
    assert P[:, [FEET_L[0], FEET_R[0]], 1].min() - P[:, [FEET_L[1], FEET_R[1]], 1].min() > CONTACT_HEIGHT
    u = skating_breakdown(recover_from_ric(anchor_root_features(slid, contact="union")))
    h = skating_breakdown(recover_from_ric(anchor_root_features(slid, contact="height")))
    assert u["single"] > 0.4 and u["double_held"] > 0.2  # the held ankle leaves its toe sliding
    assert h["single"] == 0.0 and h["double_held"] == 0.0
    clean = f.clone()
    clean[:, 1:3] *= 1.6
    ref = skating_breakdown(recover_from_ric(anchor_root_features(clean, contact="height")))
    assert h["double_other"] == pytest.approx(ref["double_other"], abs=0.1)


def test_anchor_contact_is_recorded_loaded_and_passed_to_the_pair(tmp_path):
    """finetune --anchor-contact union records meta.sampling.anchor_contact; load_checkpoint sets it on the model
    (what sample() reads), a pair takes its low expert's, a bad value is refused by name."""
    from imusim.diffusion.checkpoint import load_checkpoint, save_expert_pair
    from imusim.diffusion.train import TrainConfig, train
    from tests.diffusion.test_diffusion import toy_clips

    with pytest.raises(ValueError, match=r"anchor_contact must be one of \['channels', 'union', 'height', 'planted'\]"):
        train(toy_clips(), tmp_path / "bad", TrainConfig(steps=1, batch_size=2, text_encoder="hash",
                                                         anchor_contact="labels"), None, progress=False)
    low = save_checkpoint(tmp_path / "low.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                          {"sampling": {"anchor_feet": 300, "anchor_contact": "union"}})
    high = save_checkpoint(tmp_path / "high.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12),
                           "hash", {"sampling": {"guidance": 1.0}})
    assert load_checkpoint(low)[0].anchor_contact == "union" and load_checkpoint(high)[0].anchor_contact == "channels"
    pair = save_expert_pair(tmp_path / "pair.safetensors", high, low, 300)
    model, *_, meta = load_checkpoint(pair)
    assert model.anchor_contact == "union" and meta["sampling"]["anchor_contact"] == "union"
    # experts --anchor-contact: the pair's rule instead of the expert's; refused for a pair without an anchor
    model, *_, meta = load_checkpoint(save_expert_pair(tmp_path / "ph.safetensors", high, low, 300,
                                                       anchor_contact="height"))
    assert model.anchor_contact == "height" and meta["sampling"]["anchor_feet"] == 300
    with pytest.raises(ValueError, match="neither expert is sampled with the foot anchor"):
        save_expert_pair(tmp_path / "x.safetensors", high, high, 300, anchor_contact="height")
    with pytest.raises(ValueError, match=r"anchor_contact must be one of \['channels', 'union', 'height', 'planted'\], got 'toe'"):
        save_expert_pair(tmp_path / "x.safetensors", high, low, 300, anchor_contact="toe")
    bad = save_checkpoint(tmp_path / "b.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                          {"sampling": {"anchor_contact": "feet"}})
    with pytest.raises(CorruptFileError, match="anchor_contact must be one of"):
        load_checkpoint(bad)


def test_smooth_in_time_keeps_constants_and_masks():
    from imusim.motion.quality import smooth_in_time
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 40, 2, generator=g, dtype=torch.float64)
    assert smooth_in_time(x, 0.0) is x
    c = torch.full((40, 2), 2.5, dtype=torch.float64)
    torch.testing.assert_close(smooth_in_time(c, 2.0), c)  # renormalised at the ends: a constant stays constant
    y = smooth_in_time(x[0], 2.0)
    assert y.diff(dim=0).abs().mean() < x[0].diff(dim=0).abs().mean() / 2  # smoother
    # a Gaussian of sigma 2 at an interior sample, by hand
    k = torch.arange(-6, 7, dtype=torch.float64)
    w = torch.exp(-0.5 * (k / 2.0) ** 2)
    torch.testing.assert_close(y[20], (w[:, None] * x[0, 14:27]).sum(0) / w.sum())
    valid = torch.arange(40)[None] < torch.tensor([[40], [25], [10]])
    yb = smooth_in_time(x, 2.0, valid)
    for i, n in enumerate((40, 25, 10)):
        torch.testing.assert_close(yb[i, :n], smooth_in_time(x[i, :n], 2.0))
        torch.testing.assert_close(yb[i, n:], x[i, n:], rtol=0, atol=0)  # invalid samples untouched


def test_anchor_smooth_keeps_the_travel_and_takes_out_the_surge(shared_data):
    """Legs that jitter (every foot joint wobbling 1 cm at 5 Hz relative to the root, as generated legs do): the
    exact anchor hands the wobble to the root (a surge); smoothed (sigma 2 frames) the root travels as far (within
    5 %) with less than half that surge, and the feet still slide far less than before anchoring; batched with a
    mask it equals each motion alone; differentiable (float64 gradcheck)."""
    f = _walk()
    slid = f.clone()
    slid[:, 1:3] *= 1.6
    t = torch.arange(len(f), dtype=torch.float64) / 20.0
    for j in (*FEET_L, *FEET_R):  # root-relative x of the foot joints (ric channels 4 + 3·(j − 1))
        slid[:, 4 + 3 * (j - 1)] += 0.01 * torch.sin(2 * torch.pi * 5.0 * t)
    raw = recover_from_ric(slid)
    exact = recover_from_ric(anchor_root_features(slid, contact="height"))
    smooth = recover_from_ric(anchor_root_features(slid, contact="height", smooth=2.0))

    def travel(P):
        return float((P[1:, 0, [0, 2]] - P[:-1, 0, [0, 2]]).norm(dim=-1).sum())

    def surge(P):
        r = P[:, 0, [0, 2]]
        return float((r[2:] - 2 * r[1:-1] + r[:-2]).norm(dim=-1).mean())
    assert travel(smooth) == pytest.approx(travel(exact), rel=0.05)
    assert surge(smooth) < 0.5 * surge(exact)
    assert foot_skating(smooth) < foot_skating(raw) / 2
    with pytest.raises(ValueError, match="smooth must be >= 0 frames, got -1"):
        anchor_root_features(slid, smooth=-1.0)
    short = slid[:80]
    batch = torch.stack([slid, torch.cat([short, torch.full_like(slid[80:], -5.0)])])
    mask = torch.arange(slid.shape[0])[None] < torch.tensor([[slid.shape[0]], [80]])
    hb = anchor_root_features(batch, contact="height", mask=mask, smooth=2.0)
    torch.testing.assert_close(hb[0], anchor_root_features(slid, contact="height", smooth=2.0), rtol=0, atol=1e-12)
    torch.testing.assert_close(hb[1, :80], anchor_root_features(short, contact="height", smooth=2.0), rtol=0,
                               atol=1e-12)
    x = slid[:8].clone()
    x[:, FOOT_CONTACT] = 1.0
    rest = x[:, 67:]
    assert torch.autograd.gradcheck(
        lambda v: anchor_root_features(torch.cat([v, rest], -1), smooth=1.5), (x[:, :67].clone().requires_grad_(),),
        eps=1e-6, atol=1e-6)


def test_anchor_smooth_is_recorded_loaded_and_set_for_a_pair(tmp_path):
    from imusim.diffusion.checkpoint import load_checkpoint, save_expert_pair

    low = save_checkpoint(tmp_path / "low.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                          {"sampling": {"anchor_feet": 300, "anchor_contact": "height", "anchor_smooth": 2.0}})
    high = save_checkpoint(tmp_path / "high.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12),
                           "hash", {"sampling": {"guidance": 1.0}})
    assert load_checkpoint(low)[0].anchor_smooth == 2.0 and load_checkpoint(high)[0].anchor_smooth == 0.0
    model, *_, meta = load_checkpoint(save_expert_pair(tmp_path / "p.safetensors", high, low, 300))
    assert model.anchor_smooth == 2.0 and meta["sampling"]["anchor_smooth"] == 2.0
    model, *_ = load_checkpoint(save_expert_pair(tmp_path / "q.safetensors", high, low, 300, anchor_smooth=0.0))
    assert model.anchor_smooth == 0.0
    with pytest.raises(ValueError, match=r"anchor_smooth must be in \[0, 30\] frames, got -2"):
        save_expert_pair(tmp_path / "x.safetensors", high, low, 300, anchor_smooth=-2.0)
    bad = save_checkpoint(tmp_path / "b.safetensors", MDM(MDMConfig(**TINY)), torch.zeros(12), torch.ones(12), "hash",
                          {"sampling": {"anchor_smooth": "wide"}})
    with pytest.raises(CorruptFileError, match="anchor_smooth must be a number of frames"):
        load_checkpoint(bad)


def test_toe_swing_loss_measures_clip_mean_toe_height_and_speed():
    """toe_swing_loss on constructed toes: a clip whose toes rise h above their lowest point and move at speed s,
    against one that stands: (s - 0)^2 + (mean height / 0.1 m)^2; blind to phase (the same swing shifted in time
    costs nothing); padded frames ignored; float64 gradcheck; bad shapes named."""
    from imusim.diffusion.train import TOE_JOINTS, toe_swing_loss
    T, fps = 40, 20.0
    tt = torch.arange(T, dtype=torch.float64) / fps
    P = torch.zeros(1, T, 22, 3, dtype=torch.float64)
    for j in TOE_JOINTS:
        P[0, :, j, 0] = 1.5 * tt  # 1.5 m/s forward
        P[0, :, j, 1] = 0.04 * (1 - torch.cos(2 * torch.pi * 2 * tt))  # 0 .. 8 cm at 2 Hz, mean 4 cm
    still = torch.zeros_like(P)
    mask = torch.ones(1, T, dtype=torch.bool)
    got = toe_swing_loss(P, still, mask, fps)
    h = P[0, :, TOE_JOINTS[0], 1].mean()
    torch.testing.assert_close(got, 1.5 ** 2 + (h / 0.1) ** 2, rtol=1e-4, atol=0)  # the norm floor: 2e-5 m/s
    shifted = torch.roll(P, 5, dims=1)
    shifted[0, :, :, 0] = P[0, :, :, 0]  # the same travel, the swing's phase moved by 5 frames (whole periods fit)
    assert float(toe_swing_loss(shifted, P, mask, fps)) < 1e-10
    pad = torch.cat([P, P[:, -1:].repeat(1, 10, 1, 1) + 5.0], 1)  # padding far away
    mpad = torch.cat([mask, torch.zeros(1, 10, dtype=torch.bool)], 1)
    torch.testing.assert_close(toe_swing_loss(pad, torch.zeros_like(pad), mpad, fps), got)
    x = (P[:, :8] + 0.01 * torch.randn(1, 8, 22, 3, dtype=torch.float64)).requires_grad_()
    torch.autograd.gradcheck(lambda a: toe_swing_loss(a, still[:, :8], mask[:, :8], fps), (x,))
    # the floor: a prediction equal to the truth but with one toe dipping 3 cm in one frame reads 3 cm higher
    # everywhere above its own floor; above the truth's floor only that frame moves
    dip = P.clone()
    dip[0, 7, TOE_JOINTS[0], 1] -= 0.03 + float(P[0, 7, TOE_JOINTS[0], 1])
    own, tgt = toe_swing_loss(dip, P, mask, fps), toe_swing_loss(dip, P, mask, fps, floor="target")
    assert float(own) > 0.08 and float(tgt) < 1e-3  # (3 cm / 10 cm)^2 = 0.09 vs (0.03 / 40 frames / 2 toes / 0.1)^2
    with pytest.raises(ValueError, match="floor must be 'own' or 'target'"):
        toe_swing_loss(P, P, mask, fps, floor="min")
    with pytest.raises(ValueError, match="toe_swing_loss: pred and target must be joint positions"):
        toe_swing_loss(P[..., :2], still[..., :2], mask, fps)
    with pytest.raises(ValueError, match="mask must be bool"):
        toe_swing_loss(P, still, mask.float(), fps)


def test_lambda_toe_swing_enters_the_total_on_the_anchored_steps(shared_data):
    """With anchor_feet, l_toe_swing is the toe swing term of the anchored prediction's joints on the samples at t < A."""
    from imusim.diffusion.train import toe_swing_loss
    from imusim.motion.humanml import recover_from_ric

    # the joints' positions shrink: toes swing lower
    _assert_term_on_anchored_steps(
        "toe_swing", 2.0, lambda a, b, sel: toe_swing_loss(recover_from_ric(a, 22), recover_from_ric(b, 22), sel, 20.0),
        slice(4, 67), 0.8)


def test_planted_contact_holds_only_still_joints_on_the_floor(shared_data):
    """"planted" = "height" and the features' own contact test (squared 3-D displacement t → t+1 below 0.002 m²):
    where a held joint would be one that moves faster (a toe lifting off near the floor), the frame is left as it
    was instead of dragging the root along; where a still joint is on the floor, the one that moves least stands."""
    from imusim.motion.quality import PLANTED_DISP2

    f = _walk()
    slid = f.clone()
    slid[:, 1:3] *= 1.6  # the root runs ahead of its legs
    t = torch.arange(len(f), dtype=torch.float64) / 20.0
    for j in (FEET_L[1], FEET_R[1]):  # toes wobble 5 cm at 3 Hz: fast near the floor in some frames
        slid[:, 4 + 3 * (j - 1)] += 0.05 * torch.sin(2 * torch.pi * 3.0 * t)
    joints = [*FEET_L, *FEET_R]
    P = recover_from_ric(slid)
    h = P[:, joints, 1]
    low = (h - h.min()) < CONTACT_HEIGHT
    low = low[1:] & low[:-1]
    disp2 = (P[1:, joints] - P[:-1, joints]).square().sum(-1)
    planted = low & (disp2 < PLANTED_DISP2)
    fast_only = low.any(1) & ~planted.any(1)  # "height" would hold a fast joint here, "planted" holds none
    assert int(fast_only.sum()) >= 5 and int(planted.any(1).sum()) >= 20
    a = anchor_root_features(slid, contact="planted")
    torch.testing.assert_close(a[:-1][fast_only][:, 1:3], slid[:-1][fast_only][:, 1:3], rtol=0, atol=0)
    hgt = anchor_root_features(slid, contact="height")
    assert float((hgt[:-1][fast_only][:, 1:3] - slid[:-1][fast_only][:, 1:3]).abs().max()) > 1e-3
    Q = recover_from_ric(a)
    dq = (Q[1:, joints] - Q[:-1, joints])[..., [0, 2]].norm(dim=-1).masked_fill(~planted, float("inf")).min(1).values
    assert float(dq[planted.any(1)].max()) < 1e-9  # the held still joint stands


def test_acc_kurtosis_loss_reads_the_shape_of_the_acceleration_not_its_size_or_phase():
    """acc_kurtosis_loss on constructed joints: a joint on a circle (|a| constant, κ = 1) against one swinging along a
    line (|a| = |A sin|, κ = 1.5) costs (log 1.5)² per such joint (amplitudes far above the 1 m/s² floor); scaling or
    shifting the swing costs nothing; one spike in T−2 acceleration samples reads log κ = log(T−2); padding is
    ignored; float64 gradcheck; bad shapes named."""
    from imusim.diffusion.train import acc_kurtosis_loss
    T, fps, R = 42, 20.0, 50.0
    tt = torch.arange(T, dtype=torch.float64) / fps
    w = 2 * torch.pi * 2.0  # 2 Hz: whole periods in the clip
    circle = torch.zeros(1, T, 22, 3, dtype=torch.float64)
    circle[0, :, :, 0] = R * torch.cos(w * tt)[:, None]
    circle[0, :, :, 2] = R * torch.sin(w * tt)[:, None]
    line = torch.zeros_like(circle)
    line[0, :, :, 0] = R * torch.cos(w * tt)[:, None]
    mask = torch.ones(1, T, dtype=torch.bool)
    got = acc_kurtosis_loss(circle, line, mask, fps)
    # the discrete |a| of the line: |x[t+1] − 2x[t] + x[t−1]|·fps², its κ from the samples (the floor is negligible)
    a = (line[0, 2:, 0, 0] - 2 * line[0, 1:-1, 0, 0] + line[0, :-2, 0, 0]).abs() * fps ** 2
    k_line = float((a ** 4).mean() / (a ** 2).mean() ** 2)
    assert k_line == pytest.approx(1.5, rel=0.02)
    assert float(got) == pytest.approx(np.log(k_line) ** 2, rel=1e-3)
    assert float(acc_kurtosis_loss(3.0 * line, line, mask, fps)) < 1e-6  # amplitude-blind
    shifted = torch.zeros_like(line)  # the phase moves by 0.7 rad; 40 acceleration samples = 4 whole periods
    shifted[0, :, :, 0] = R * torch.cos(w * tt + 0.7)[:, None]
    assert float(acc_kurtosis_loss(shifted, line, mask, fps)) < 1e-6
    spike = torch.zeros_like(line)
    spike[0, T // 2, :, 1] = 1.0  # one frame 1 m off: |a| = 400 m/s² at t and 800 at the middle, three samples
    still = torch.zeros_like(line)
    a2 = torch.tensor([400.0, 800.0, 400.0]) ** 2
    want = torch.log(((a2 ** 2).sum() / (T - 2) + 1.0) / ((a2.sum() / (T - 2) + 1.0) ** 2))
    assert float(acc_kurtosis_loss(spike, still, mask, fps)) == pytest.approx(float(want) ** 2, rel=1e-6)
    pad = torch.cat([line, line[:, -1:].repeat(1, 10, 1, 1) + torch.randn(1, 10, 22, 3, dtype=torch.float64)], 1)
    mpad = torch.cat([mask, torch.zeros(1, 10, dtype=torch.bool)], 1)
    torch.testing.assert_close(acc_kurtosis_loss(torch.cat([circle, pad[:, T:]], 1), pad, mpad, fps), got)
    x = (line[:, :8, :3] + 0.05 * torch.randn(1, 8, 3, 3, dtype=torch.float64)).requires_grad_()
    torch.autograd.gradcheck(lambda p: acc_kurtosis_loss(p, circle[:, :8, :3], mask[:, :8], fps), (x,))
    with pytest.raises(ValueError, match="acc_kurtosis_loss: pred and target must be joint positions"):
        acc_kurtosis_loss(line[..., :2], line[..., :2], mask, fps)
    with pytest.raises(ValueError, match="mask must be bool"):
        acc_kurtosis_loss(line, line, mask.float(), fps)


def test_lambda_kurtosis_enters_the_total_on_every_step(shared_data):
    """l_kurtosis is the kurtosis term of the prediction's joints against the truth's on every sample (no t limit)."""
    from imusim.diffusion.train import TrainConfig, acc_kurtosis_loss, diffusion_losses
    from imusim.motion.humanml import recover_from_ric

    model, args, x0, p0, mean, std = _two_walks(slice(4, 67), 0.8)
    mask = args[2]
    torch.manual_seed(0)
    model.p.data[:, :, 4:67] += 0.3 * torch.randn_like(model.p.data[:, :, 4:67])  # jitter: more impulsive joints
    out = diffusion_losses(model, *args, TrainConfig(lambda_kurtosis=0.5), mean, std)
    want = acc_kurtosis_loss(recover_from_ric(model.p.detach() * std + mean, 22), recover_from_ric(x0 * std + mean, 22),
                             mask, 20.0)
    assert want > 0.01
    torch.testing.assert_close(out["l_kurtosis"].detach(), want, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(out["total"], out["l_simple"] + 0.5 * out["l_kurtosis"])
    g, = torch.autograd.grad(out["l_kurtosis"], model.p)
    assert g[0].abs().max() > 0 and g[1].abs().max() > 0  # both samples (t = 10 and 600)
