"""Training options added for realism (issue 14): the v output parameterisation, L_acc restricted to
low-noise steps (acc_t_max), snapshots, and bf16 autocast on CPU."""

from __future__ import annotations

import pytest
import torch

from imusim import acc_loss
from imusim.diffusion import GaussianDiffusion, MDM, MDMConfig
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import TrainConfig, diffusion_losses, train

from tests.diffusion.test_diffusion import TINY, toy_clips


def _net_output(model, x, t, emb, mask=None):
    """The raw last-layer output of the network (what it predicts before the parameterisation)."""
    saved = model.cfg.output
    model.cfg.output = "x0"
    try:
        return model(x, t, emb, mask)
    finally:
        model.cfg.output = saved


def _noised_batch(T: int):
    """A cosine diffusion, clean motions x0 and noise n ``[3, T, 12]``, steps t = 0/500/999, x_t and text
    embeddings (drawn in that order from the current torch seed)."""
    d = GaussianDiffusion(1000)
    x0, n = torch.randn(3, T, 12), torch.randn(3, T, 12)
    t = torch.tensor([0, 500, 999])
    return d, x0, n, t, d.q_sample(x0, t, n), torch.randn(3, 64)


def test_v_output_is_the_v_parameterisation():
    torch.manual_seed(0)
    m = MDM(MDMConfig(**TINY, output="v")).eval()
    # large weights: the network's own output is far from anything sensible
    with torch.no_grad():
        m.output_proj.weight.mul_(50)
    d, x0, n, t, xt, emb = _noised_batch(16)
    out = m(xt, t, emb)
    net = _net_output(m, xt, t, emb)
    ab = d.alphas_cumprod[t].view(3, 1, 1)
    torch.testing.assert_close(out, ab.sqrt().float() * xt - (1 - ab).sqrt().float() * net)
    # independent of the network at t = 0: x̂0 is x_t up to √(1−ᾱ_0)·|net| (≈ 0.006·|net|)
    a0 = float(ab[0])  # float64
    bound = (1 - a0) ** 0.5 * net[0].abs() + (1 - a0 ** 0.5) * xt[0].abs() + 1e-5
    assert ((out[0] - xt[0]).abs() <= bound).all()
    assert (out[0] - xt[0]).abs().max() < 0.01 * net[0].abs().max()
    # the v target makes x̂0 exact: v = √ᾱ ε − √(1−ᾱ) x0
    v = (ab.sqrt() * n - (1 - ab).sqrt() * x0).float()
    torch.testing.assert_close(ab.sqrt().float() * xt - (1 - ab).sqrt().float() * v, x0, atol=1e-5, rtol=1e-5)


def test_v_output_round_trips_through_a_checkpoint(tmp_path):
    m = MDM(MDMConfig(**TINY, output="v")).eval()
    p = save_checkpoint(tmp_path / "v.safetensors", m, torch.zeros(12), torch.ones(12), "hash", {})
    m2 = load_checkpoint(p)[0]
    assert m2.cfg.output == "v"
    x, t, e = torch.randn(2, 10, 12), torch.tensor([3, 700]), torch.randn(2, 64)
    torch.testing.assert_close(m(x, t, e), m2(x, t, e))
    with pytest.raises(ValueError, match="output must be one of"):
        MDM(MDMConfig(**TINY, output="eps"))


def _losses(cfg, t):
    torch.manual_seed(1)
    data = toy_clips()
    model = MDM(MDMConfig(**TINY)).eval()
    x0, mask, _ = data.batch(list(range(4)), torch.Generator().manual_seed(0), 32, 20)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(2))
    uncond = torch.zeros(4, dtype=torch.bool)
    emb = torch.randn(4, 64)
    out = diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond, cfg, data.mean, data.std)
    pred = model(GaussianDiffusion(1000).q_sample(x0, t, noise), t, emb, mask, uncond=uncond)
    return out, pred, x0, mask


def test_acc_t_max_restricts_l_acc_to_low_noise_samples():
    t = torch.tensor([5, 50, 400, 900])
    out_all, pred, x0, mask = _losses(TrainConfig(lambda_acc=1.0), t)
    out_lo, _, _, _ = _losses(TrainConfig(lambda_acc=1.0, acc_t_max=100), t)
    # the independent reference: the mean over the selected samples' terms
    sel = t < 100
    ref = acc_loss(pred[sel], x0[sel], mask[sel], reduction="mean", backend="torch")
    torch.testing.assert_close(out_lo["l_acc"], ref, rtol=1e-5, atol=1e-7)
    ref_all = acc_loss(pred, x0, mask, reduction="mean", backend="torch")
    torch.testing.assert_close(out_all["l_acc"], ref_all, rtol=1e-5, atol=1e-7)
    # no selected sample: nothing enters the total
    out_none, _, _, _ = _losses(TrainConfig(lambda_acc=1.0, acc_t_max=3), t)
    assert float(out_none["l_acc"]) == 0.0
    torch.testing.assert_close(out_none["total"], out_none["l_simple"])


def test_snapshots_amp_on_cpu_and_v_training(tmp_path):
    data = toy_clips()
    enc = get_text_encoder("hash")
    cfg = TrainConfig(steps=6, batch_size=4, lr=1e-3, warmup=1, log_every=2, ckpt_every=100, snapshot_every=3,
                      max_frames=32, min_frames=20, text_encoder="hash", lambda_acc=0.5, acc_t_max=500,
                      acc_on="features", amp=True)
    train(data, tmp_path / "run", cfg, MDMConfig(**TINY, output="v"), progress=False, text_encoder=enc)
    snaps = sorted(p.name for p in (tmp_path / "run").glob("model_step*.safetensors"))
    assert snaps == ["model_step000003.safetensors", "model_step000006.safetensors"]
    m, *_, meta = load_checkpoint(tmp_path / "run" / "model_step000003.safetensors")
    assert meta["step"] == 3 and m.cfg.output == "v" and meta["train_config"]["acc_t_max"] == 500


def test_v_loss_weight_is_the_mse_on_v():
    torch.manual_seed(3)
    data = toy_clips()
    model = MDM(MDMConfig(**TINY, output="v")).eval()
    d = GaussianDiffusion(1000)
    x0, mask, _ = data.batch(list(range(4)), torch.Generator().manual_seed(0), 32, 20)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(2))
    t = torch.tensor([0, 30, 400, 999])
    emb, uncond = torch.randn(4, 64), torch.zeros(4, dtype=torch.bool)
    out = diffusion_losses(model, d, x0, mask, emb, t, noise, uncond, TrainConfig(loss_weight="v"), data.mean, data.std)
    # independent reference: the network's raw output against v = √ᾱ ε − √(1−ᾱ) x0, mean over valid frames·F
    xt = d.q_sample(x0, t, noise)
    ab = d.alphas_cumprod[t].view(4, 1, 1)
    v = (ab.sqrt() * noise - (1 - ab).sqrt() * x0).float()
    net = _net_output(model, xt, t, emb, mask)
    m = mask[..., None].float()
    ref = ((net - v) ** 2 * m).sum() / (m.sum() * x0.shape[-1])
    torch.testing.assert_close(out["l_simple"], ref, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="loss_weight"):
        diffusion_losses(model, d, x0, mask, emb, t, noise, uncond, TrainConfig(loss_weight="eps"), data.mean,
                         data.std)


def test_wiener_input_reads_sqrt_alphabar_times_x_t(tmp_path):
    torch.manual_seed(4)
    m = MDM(MDMConfig(**TINY, input="wiener")).eval()
    ref = MDM(MDMConfig(**TINY)).eval()
    ref.load_state_dict(m.state_dict())
    d = GaussianDiffusion(1000)
    x, t, e = torch.randn(3, 10, 12), torch.tensor([0, 500, 999]), torch.randn(3, 64)
    ab = d.alphas_cumprod[t].sqrt().float().view(3, 1, 1)
    # the same network fed √ᾱ_t x_t by hand
    torch.testing.assert_close(m(x, t, e), ref(ab * x, t, e))
    # at t = 999 the input barely matters: two different noises give (almost) the same prediction
    t9 = torch.full((2,), 999)
    y = m(torch.randn(2, 10, 12), t9, e[:2])
    y2 = m(torch.randn(2, 10, 12), t9, e[:2])
    assert (y - y2).abs().max() < 0.05 * (ref(torch.randn(2, 10, 12), t9, e[:2]) - ref(torch.randn(2, 10, 12), t9, e[:2])).abs().max()
    p = save_checkpoint(tmp_path / "w.safetensors", m, torch.zeros(12), torch.ones(12), "hash", {})
    m2 = load_checkpoint(p)[0]
    assert m2.cfg.input == "wiener"
    torch.testing.assert_close(m2(x, t, e), m(x, t, e))
    with pytest.raises(ValueError, match="input must be one of"):
        MDM(MDMConfig(**TINY, input="eps"))


def test_spectral_wiener_input():
    from imusim.diffusion.model import PSD_BINS, estimate_feature_psd, wiener_input

    d = GaussianDiffusion(1000)
    ab = d.alphas_cumprod
    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, 40, 4, generator=g)
    t = torch.tensor([0, 400, 900])
    # a white prior (PSD 1 everywhere) gives the scalar Wiener gain √ᾱ exactly
    white = torch.ones(4, PSD_BINS)
    torch.testing.assert_close(wiener_input(x, t, None, white, ab), ab[t].sqrt().float().view(3, 1, 1) * x,
                               atol=1e-5, rtol=1e-5)
    # the PSD estimate of unit white noise is 1; of a slow sine it is concentrated at its frequency
    noise = [torch.randn(256, 2, generator=g) for _ in range(20)]
    psd = estimate_feature_psd(noise)
    assert psd.shape == (2, PSD_BINS) and abs(float(psd.mean()) - 1) < 0.05
    n = torch.arange(512, dtype=torch.float64)
    slow = estimate_feature_psd([torch.stack([torch.sin(2 * torch.pi * n * 4 / 64)] * 2, -1)])
    assert int(slow[0].argmax()) == 4
    # a low-pass prior at high noise keeps a slow sine and removes a fast one (frame-to-frame alternation)
    f = torch.arange(PSD_BINS, dtype=torch.float32)
    prior = (50.0 * torch.exp(-(f / 4.0) ** 2) + 1e-3).expand(1, -1)  # smooth low-pass prior
    k = torch.arange(64, dtype=torch.float32)
    sig = torch.stack([torch.sin(2 * torch.pi * k * 2 / 64), torch.cos(torch.pi * k)], 0)[..., None]  # [2, 64, 1]
    tt = torch.tensor([600, 600])
    y = wiener_input(sig, tt, None, prior, ab)
    gain = (y[:, 16:48].square().mean(1) / sig[:, 16:48].square().mean(1)).sqrt().squeeze(-1)
    a = float(ab[600])
    S2 = float(prior[0, 2])  # the slow sine sits exactly on bin 2 of the 33-bin grid
    expected_slow = a ** 0.5 * S2 / (a * S2 + 1 - a)
    assert abs(float(gain[0]) - expected_slow) < 0.05 * expected_slow
    assert float(gain[1]) < 0.01
    # padding never enters the valid frames
    mask = torch.zeros(2, 64, dtype=torch.bool)
    mask[:, :40] = True
    junk = sig.clone()
    junk[:, 40:] = 1e3
    torch.testing.assert_close(wiener_input(junk, tt, mask, prior, ab)[:, :40], wiener_input(sig[:, :40], tt, None,
                               prior, ab), atol=2e-3, rtol=2e-3)


def test_spectral_wiener_model_trains_and_round_trips(tmp_path):
    data = toy_clips()
    enc = get_text_encoder("hash")
    cfg = TrainConfig(steps=3, batch_size=4, lr=1e-3, warmup=1, log_every=1, ckpt_every=100, max_frames=32,
                      min_frames=20, text_encoder="hash")
    p = train(data, tmp_path / "run", cfg, MDMConfig(**TINY, input="wiener_f"), progress=False, text_encoder=enc)
    m = load_checkpoint(p)[0]
    from imusim.diffusion.model import estimate_feature_psd

    # the prior spectrum was estimated from the training set and travels in the checkpoint
    torch.testing.assert_close(m.input_psd, estimate_feature_psd(data.feats), rtol=1e-5, atol=1e-6)


def test_wskip_output_is_the_wiener_skip_parameterisation():
    from imusim.diffusion.model import wiener_input

    torch.manual_seed(1)
    m = MDM(MDMConfig(**TINY, input="wiener_f", output="wskip")).eval()
    f = torch.arange(m.input_psd.shape[1], dtype=torch.float32)
    with torch.no_grad():
        m.input_psd.copy_((30.0 * torch.exp(-(f / 5.0) ** 2) + 1e-3).expand_as(m.input_psd))
        m.output_proj.weight.mul_(50)  # a network far from anything sensible
    d, x0, n, t, xt, emb = _noised_batch(24)
    out = m(xt, t, emb)
    net = _net_output(m, xt, t, emb)
    ab = d.alphas_cumprod[t]
    W = wiener_input(xt, t, None, m.input_psd, d.alphas_cumprod)
    torch.testing.assert_close(out, W + (1 - ab).sqrt().float().view(3, 1, 1) * net, atol=1e-5, rtol=1e-5)
    # at t = 0 the network's error enters with gain √(1−ᾱ_0) ≈ 0.006: x̂0 is the Wiener estimate ≈ x_t
    assert (out[0] - W[0]).abs().max() < 0.01 * net[0].abs().max()
    with pytest.raises(ValueError, match="wskip.*wiener_f"):
        MDM(MDMConfig(**TINY, output="wskip"))


def test_reparameterise_keeps_weights_and_estimates_the_prior(tmp_path):
    from imusim.diffusion.model import estimate_feature_psd
    from imusim.diffusion.train import reparameterise

    data = toy_clips()
    torch.manual_seed(2)
    m = MDM(MDMConfig(**TINY)).eval()
    r = reparameterise(m, data.feats, input="wiener_f", output="wskip").eval()
    assert (r.cfg.input, r.cfg.output) == ("wiener_f", "wskip") and (m.cfg.input, m.cfg.output) == ("x_t", "x0")
    for k, v in m.state_dict().items():
        torch.testing.assert_close(r.state_dict()[k], v)
    torch.testing.assert_close(r.input_psd, estimate_feature_psd(data.feats), rtol=1e-5, atol=1e-6)
    # the CLI path: finetune --input wiener_f --output wskip converts, trains and records it
    enc = get_text_encoder("hash")
    p0 = save_checkpoint(tmp_path / "x.safetensors", m, torch.zeros(12), torch.ones(12), "hash", {})
    cfg = TrainConfig(steps=2, batch_size=4, lr=1e-3, warmup=0, log_every=1, ckpt_every=100, max_frames=32,
                      min_frames=20, text_encoder="hash")
    p = train(data, tmp_path / "ft", cfg, None, init_from=str(p0), progress=False, text_encoder=enc,
              reparam={"input": "wiener_f", "output": "wskip"})
    m2 = load_checkpoint(p)[0]
    assert (m2.cfg.input, m2.cfg.output) == ("wiener_f", "wskip")


def _contact_feats(B, T, contact):
    """Features ``[B, T, 263]`` that are zero except the four contact channels (``contact`` [B, T, 4] bool)."""
    f = torch.zeros(B, T, 263, dtype=torch.float64)
    f[..., 259:263] = contact.to(f.dtype)
    return f


def test_foot_contact_loss_is_the_squared_speed_of_standing_feet():
    """Constructed feet: a foot labelled in contact that slides at v m/s contributes v²; a foot that moves while
    not in contact, padded frames and the other joints contribute nothing; the mean is over valid pairs × 4."""
    from imusim.diffusion.train import foot_contact_loss

    B, T, fps = 2, 10, 20.0
    P = torch.zeros(B, T, 22, 3, dtype=torch.float64)
    t = torch.arange(T, dtype=torch.float64) / fps
    P[:, :, 7, 0] = 0.5 * t      # left ankle slides at 0.5 m/s (in contact below)
    P[:, :, 11, 2] = 3.0 * t     # right toe moves at 3 m/s (swing: not in contact)
    P[:, :, 15, 1] = 9.0 * t     # the head: never weighed
    contact = torch.zeros(B, T, 4, dtype=torch.bool)
    contact[..., 0] = True       # left ankle
    contact[..., 2] = True       # right ankle (stands still: contributes 0)
    mask = torch.ones(B, T, dtype=torch.bool)
    mask[1, 6:] = False          # the second motion has 6 valid frames: 5 pairs
    P[1, 6:, 7, 0] = 100.0       # garbage in the padding
    loss = foot_contact_loss(P, _contact_feats(B, T, contact), mask, fps)
    n_pairs = (T - 1) + 5
    ref = n_pairs * 0.5 ** 2 / (n_pairs * 4)
    assert abs(float(loss) - ref) < 1e-12
    # nothing in contact: 0
    assert float(foot_contact_loss(P, _contact_feats(B, T, torch.zeros_like(contact)), mask, fps)) == 0.0
    # gradient only on the contact feet's valid frames
    Pg = P.clone().requires_grad_()
    foot_contact_loss(Pg, _contact_feats(B, T, contact), mask, fps).backward()
    assert Pg.grad[:, :, [11, 15]].abs().max() == 0 and Pg.grad[1, 6:].abs().max() == 0
    # a constant slide: the interior gradients cancel (v[t-1] - v[t] = 0), the ends pull the foot back
    assert Pg.grad[0, 0, 7, 0] < 0 < Pg.grad[0, -1, 7, 0] and Pg.grad[0, 1:-1, 7, 0].abs().max() < 1e-9
    with pytest.raises(ValueError, match="true_feats must be"):
        foot_contact_loss(P, torch.zeros(B, T, 12), mask, fps)
    with pytest.raises(ValueError, match="mask must be"):
        foot_contact_loss(P, _contact_feats(B, T, contact), mask[:, :5], fps)


def test_lambda_fc_and_lambda_imu_enter_the_total(shared_data):
    """With real 263-d features: the foot contact and IMU-space terms are computed from the prediction as
    foot_contact_loss / imu_signal_loss compute them independently, and the total is their weighted sum."""
    import numpy as np
    from imusim.diffusion.train import foot_contact_loss, imu_signal_loss
    from imusim.motion.humanml import recover_from_ric

    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).float()[:32]
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    x0 = ((f - mean) / std)[None].repeat(2, 1, 1)
    mask = torch.ones(2, 32, dtype=torch.bool)
    mask[1, 25:] = False
    torch.manual_seed(0)
    model = MDM(MDMConfig(latent=32, layers=1, ff=64, heads=4, n_feats=263, text_dim=64, dropout=0.0)).eval()
    t, noise = torch.tensor([10, 600]), torch.randn(x0.shape, generator=torch.Generator().manual_seed(1))
    emb, uncond = torch.randn(2, 64), torch.zeros(2, dtype=torch.bool)
    cfg = TrainConfig(lambda_fc=2.0, lambda_imu=0.5, imu_sensors="wrist_r,thigh_l")
    out = diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond, cfg, mean, std)
    pred = model(GaussianDiffusion(1000).q_sample(x0, t, noise), t, emb, mask, uncond=uncond)
    ref_fc = foot_contact_loss(recover_from_ric(pred * std + mean, 22), x0 * std + mean, mask)
    ref_imu = imu_signal_loss(pred * std + mean, x0 * std + mean, mask, "wrist_r,thigh_l")
    torch.testing.assert_close(out["l_fc"], ref_fc, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(out["l_imu"], ref_imu, rtol=1e-4, atol=1e-6)
    assert float(out["l_fc"]) > 0 and float(out["l_imu"]) > 0
    torch.testing.assert_close(out["total"], out["l_simple"] + 2.0 * out["l_fc"] + 0.5 * out["l_imu"])
    out["total"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # aux_t_max: both terms only on the low-noise sample (t = 10 < 100), the mean over its frames; the feature
    # L_acc is untouched
    lo = diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond,
                          TrainConfig(lambda_fc=2.0, lambda_imu=0.5, imu_sensors="wrist_r,thigh_l", aux_t_max=100),
                          mean, std)
    sel = torch.tensor([True, False])
    with torch.no_grad():
        ref_fc = foot_contact_loss(recover_from_ric(pred[sel] * std + mean, 22), x0[sel] * std + mean, mask[sel])
        ref_imu = imu_signal_loss(pred[sel] * std + mean, x0[sel] * std + mean, mask[sel], "wrist_r,thigh_l")
    torch.testing.assert_close(lo["l_fc"].detach(), ref_fc, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(lo["l_imu"].detach(), ref_imu, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(lo["l_acc"].detach(), out["l_acc"].detach())
    none = diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond,
                            TrainConfig(lambda_fc=2.0, lambda_imu=0.5, imu_sensors="wrist_r,thigh_l", aux_t_max=5),
                            mean, std)
    assert float(none["l_fc"]) == 0.0 and float(none["l_imu"]) == 0.0
    torch.testing.assert_close(none["total"], none["l_simple"])


def test_fc_contact_pred_uses_the_predictions_own_contact_channels_detached(shared_data):
    """fc_contact="pred": the standing frames come from the prediction's contact channels, not the ground truth's
    (a self-consistency term blind to the ground truth's gait phase); the labels are detached, so the term's
    gradient reaches the positions the feet are recovered from and never the contact channels themselves."""
    import numpy as np
    from imusim.diffusion.train import foot_contact_loss
    from imusim.motion.humanml import FOOT_CONTACT, recover_from_ric

    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).float()[:32]
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    x0 = ((f - mean) / std)[None].repeat(2, 1, 1)
    mask = torch.ones(2, 32, dtype=torch.bool)

    class Fixed(torch.nn.Module):  # "predicts" a fixed motion: the ground truth, its contacts flipped, shifted
        def __init__(self):
            super().__init__()
            p = x0.clone()
            p[..., FOOT_CONTACT] = ((1 - f[:, FOOT_CONTACT]) - mean[FOOT_CONTACT]) / std[FOOT_CONTACT]
            p[..., 4:67] += 0.05 * torch.randn(p[..., 4:67].shape, generator=torch.Generator().manual_seed(0))
            self.p = torch.nn.Parameter(p)

        def forward(self, x, t, emb, mask=None, uncond=None):
            return self.p

    model, t = Fixed(), torch.tensor([10, 600])
    noise, emb, uncond = torch.zeros_like(x0), torch.zeros(2, 8), torch.zeros(2, dtype=torch.bool)
    outs = {c: diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond,
                                TrainConfig(lambda_fc=1.0, fc_contact=c), mean, std) for c in ("truth", "pred")}
    pj = recover_from_ric(model.p * std + mean, 22)
    with torch.no_grad():
        ref_pred = foot_contact_loss(pj, model.p * std + mean, mask)
        ref_truth = foot_contact_loss(pj, x0 * std + mean, mask)
    torch.testing.assert_close(outs["pred"]["l_fc"].detach(), ref_pred, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(outs["truth"]["l_fc"].detach(), ref_truth, rtol=1e-5, atol=1e-8)
    assert abs(float(ref_pred) - float(ref_truth)) > 0.1 * float(ref_truth) > 0  # flipped labels: other frames
    g, = torch.autograd.grad(outs["pred"]["l_fc"], model.p)
    assert g[..., FOOT_CONTACT].abs().max() == 0 and g[..., 4:67].abs().max() > 0
    with pytest.raises(ValueError, match="fc_contact must be"):
        diffusion_losses(model, GaussianDiffusion(1000), x0, mask, emb, t, noise, uncond,
                         TrainConfig(lambda_fc=1.0, fc_contact="both"), mean, std)


def test_fc_grad_root_moves_only_the_root_channels(shared_data):
    """fc_grad="root": the same foot contact value as MDM's term, but its gradient reaches only the root channels
    (rotation velocity, linear velocity, height: 0:4), so the body cannot meet it by standing still; "all" reaches
    the body (ric) as well."""
    import numpy as np

    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).float()[:32]
    mean, std = f.mean(0), f.std(0).clamp_min(1e-2)
    x0 = ((f - mean) / std)[None]
    mask = torch.ones(1, 32, dtype=torch.bool)

    class Fixed(torch.nn.Module):  # "predicts" the ground truth with its root velocity perturbed (the feet slide)
        def __init__(self):
            super().__init__()
            p = x0.clone()
            p[..., 1:3] += 0.5 * torch.randn(p[..., 1:3].shape, generator=torch.Generator().manual_seed(0))
            self.p = torch.nn.Parameter(p)

        def forward(self, x, t, emb, mask=None, uncond=None):
            return self.p

    model = Fixed()
    args = (GaussianDiffusion(1000), x0, mask, torch.zeros(1, 8), torch.tensor([10]), torch.zeros_like(x0),
            torch.zeros(1, dtype=torch.bool))
    out = {g: diffusion_losses(model, *args, TrainConfig(lambda_fc=1.0, fc_contact="pred", fc_grad=g), mean, std)
           for g in ("all", "root")}
    torch.testing.assert_close(out["root"]["l_fc"], out["all"]["l_fc"])
    assert float(out["root"]["l_fc"].detach()) > 0
    g_root, = torch.autograd.grad(out["root"]["l_fc"], model.p)
    g_all, = torch.autograd.grad(out["all"]["l_fc"], model.p)
    assert g_root[..., 4:].abs().max() == 0 and g_root[..., 1:3].abs().max() > 0
    assert g_all[..., 4:67].abs().max() > 0
    torch.testing.assert_close(g_root[..., :4], g_all[..., :4])  # the root's share is the same in both
    with pytest.raises(ValueError, match="fc_grad must be"):
        diffusion_losses(model, *args, TrainConfig(lambda_fc=1.0, fc_grad="body"), mean, std)


def test_whiten_text_keeps_the_function_and_whitens_the_captions(tmp_path):
    """whiten_text: the whitened captions' covariance is V diag(λ/(λ+ε·λmax)) Vᵀ (numpy's eigendecomposition, an
    independent reference), the network's conditional and unconditional outputs are unchanged with ``preserve``, the
    transform survives save/load and a training run, and bad arguments are errors that name them."""
    import dataclasses

    import numpy as np

    from imusim.diffusion.train import whiten_text

    g = torch.Generator().manual_seed(3)
    scales = torch.logspace(0, -2, 64, dtype=torch.float64)
    E = torch.randn(300, 64, generator=g, dtype=torch.float64) * scales + 0.5
    torch.manual_seed(4)
    m = MDM(MDMConfig(**TINY)).double().eval()
    eps = 1e-3
    w = whiten_text(m, E, eps).double().eval()
    assert w.cfg.text_whiten and not m.cfg.text_whiten
    Z = (E - w.text_mu) @ w.text_W
    c = np.cov(E.numpy().T)
    lam, V = np.linalg.eigh(c)
    want = V @ np.diag(lam / (lam + eps * lam[-1])) @ V.T
    np.testing.assert_allclose(np.cov(Z.numpy().T), want, atol=2e-4)
    # the small directions come through at comparable scale: raw 1e-4 of the largest variance, whitened > 5 %
    assert np.diag(c).min() / np.diag(c).max() < 2e-4 and np.diag(want).min() > 0.05
    x = torch.randn(3, 20, 12, generator=g, dtype=torch.float64)
    t = torch.tensor([0, 300, 999])
    e = torch.randn(3, 64, generator=g, dtype=torch.float64)
    for unc in (None, torch.tensor([False, True, False])):
        torch.testing.assert_close(w(x, t, e, uncond=unc), m(x, t, e, uncond=unc), rtol=1e-5, atol=1e-5)
    # not preserved: the weights are the model's own, the input is whitened (a new model)
    w2 = whiten_text(m, E, eps, preserve=False).double()
    torch.testing.assert_close(w2.text_proj.weight, m.text_proj.weight)
    # save/load keeps the transform
    p = save_checkpoint(tmp_path / "w.safetensors", w.float(), torch.zeros(12), torch.ones(12), "hash", {})
    w3 = load_checkpoint(p)[0]
    assert w3.cfg.text_whiten
    torch.testing.assert_close(w3.text_W, w.text_W.float())
    with pytest.raises(ValueError, match=r"emb must be \[N >= 2, 64\], got \[5, 32\]"):
        whiten_text(m, torch.zeros(5, 32), eps)
    with pytest.raises(ValueError, match="eps must be > 0"):
        whiten_text(m, E, 0.0)
    with pytest.raises(ValueError, match="already whitens"):
        whiten_text(w, E, eps)
    with pytest.raises(ValueError, match="arch 'imusim'"):
        MDM(MDMConfig(**TINY, arch="mdm", text_whiten=True))
    # the training path: --text-whiten from scratch sets the buffers from the encoded training captions
    data = toy_clips()
    enc = get_text_encoder("hash")
    cfg = TrainConfig(steps=2, batch_size=4, lr=1e-3, warmup=0, log_every=1, ckpt_every=100, max_frames=32,
                      min_frames=20, text_encoder="hash", text_whiten=1e-2)
    with pytest.raises(ValueError, match="text_whiten must be >= 0"):
        train(data, tmp_path / "bad", dataclasses.replace(cfg, text_whiten=-1.0), MDMConfig(**TINY), progress=False,
              text_encoder=enc)
    p = train(data, tmp_path / "tw", cfg, MDMConfig(**TINY), progress=False, text_encoder=enc)
    m4 = load_checkpoint(p)[0]
    caps = sorted({c for cs in data.captions for c in cs})
    torch.testing.assert_close(m4.text_mu, enc.encode(caps).float().mean(0), rtol=1e-5, atol=1e-6)
    assert m4.cfg.text_whiten and not torch.allclose(m4.text_W, torch.eye(64))
