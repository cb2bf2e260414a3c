"""The sensor-level band-power term (--lambda-spec, issue 14 §8): band powers against scipy's Welch estimate as
the realism report computes it, known answers on sinusoids, blindness to phase, the IMU rendering against the
generator's per-motion path, and its place in the training loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imusim.diffusion import GaussianDiffusion, MDM, MDMConfig
from imusim.diffusion.train import (TrainConfig, band_log_distance, band_log_excess, band_ratio_excess, imu_excess_loss,
                                    texture_ratio_loss, bone_length_loss, diffusion_losses, imu_spectrum_loss,
                                    masked_band_powers, joint_acc_loss, joint_acc_per_joint, crop_moves, crop_gestures,
                                    ARMS, LOWER_BODY)
from imusim.har.realism import acc_psd, band_powers


def _welch_bands(x: np.ndarray, n: int, T: int, rate: float) -> np.ndarray:
    """scipy's one-segment Welch density of the first n samples of x [T, 3], zero-padded to T bins, summed over
    the axes, in the realism report's bands up to the Nyquist frequency."""
    from scipy.signal import welch
    f, p = welch(x[:n], fs=rate, window="hann", nperseg=n, nfft=T, noverlap=0, detrend="constant", axis=0,
                 scaling="density")
    return band_powers(f, p.sum(-1), rate)[:4]


def test_masked_band_powers_equal_the_realism_reports_welch_bands():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 48, 2, 3, generator=g, dtype=torch.float64)
    full = masked_band_powers(x, torch.tensor([48, 48, 48]), 20.0)  # [3, 2, 4]
    assert full.shape == (3, 2, 4)
    f, psd = acc_psd(x[:, :, 1].numpy(), 20.0)
    np.testing.assert_allclose(full[:, 1].numpy(), band_powers(f, psd, 20.0)[:, :4], rtol=1e-10)
    # prefixes of 48, 31 and 2 samples: scipy on the prefix, zero-padded to the same 48 bins
    n = torch.tensor([48, 31, 9])
    bp = masked_band_powers(x, n, 20.0)
    for b in range(3):
        np.testing.assert_allclose(bp[b, 0].numpy(), _welch_bands(x[b, :, 0].numpy(), int(n[b]), 48, 20.0),
                                   rtol=1e-10, atol=1e-14)
    # what lies past n is ignored
    y = x.clone()
    y[1, 31:] = 1e3
    torch.testing.assert_close(masked_band_powers(y, n, 20.0), bp, rtol=0, atol=0)
    # too short to taper: 0, not NaN
    assert float(masked_band_powers(x, torch.tensor([48, 0, 1]), 20.0)[1:].abs().max()) == 0.0


def test_masked_band_powers_of_a_sinusoid_and_gradient():
    rate, T = 20.0, 80  # 4 s: whole cycles at every test frequency, so no leakage out of the band
    t = torch.arange(T, dtype=torch.float64) / rate
    zero = torch.zeros_like(t)
    for hz, band in ((0.5, 0), (2.0, 1), (4.0, 2), (8.0, 3)):
        s = torch.stack([2.0 * torch.sin(2 * math.pi * hz * t), zero, zero], -1)[None]  # amplitude 2: power 2
        bp = masked_band_powers(s, torch.tensor([T]), rate)[0]
        assert abs(float(bp[band]) - 2.0) < 1e-9 and float(bp.sum() - bp[band]) < 1e-9
    x = torch.randn(2, 20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1), requires_grad=True)
    torch.autograd.gradcheck(lambda v: masked_band_powers(v, torch.tensor([20, 13]), rate), (x,))
    with pytest.raises(ValueError, match="n must be"):
        masked_band_powers(x, torch.tensor([20]), rate)
    with pytest.raises(ValueError, match="rate must be"):
        masked_band_powers(x, torch.tensor([20, 13]), 0.0)


def test_band_log_distance_is_blind_to_phase_and_counts_damping():
    """A swing half a period late scores 0 where the per-frame L_acc is largest; half the swing scores (log 4)²."""
    rate, T = 20.0, 80
    t = torch.arange(T, dtype=torch.float64) / rate
    zero = torch.zeros_like(t)
    swing = lambda a, ph: torch.stack([a * torch.sin(2 * math.pi * 1.5 * t + ph), zero, zero], -1)[None]
    n = torch.tensor([T])
    true = swing(3.0, 0.0)
    late = swing(3.0, math.pi)
    assert float(band_log_distance(late, true, n, rate, 1e-3)) < 1e-12
    # the paired difference rewards standing still over the late swing (4x the mean square); this term does not
    still = torch.zeros_like(true)
    assert abs(float((late - true).square().mean()) / float((still - true).square().mean()) - 4.0) < 1e-9
    assert float(band_log_distance(still, true, n, rate, 1e-3)) > 10.0
    half = float(band_log_distance(swing(1.5, 0.0), true, n, rate, 1e-3))
    # one of the 4 bands carries the swing (the others are 0 in both): the mean is (log 4)² / 4
    assert abs(half - math.log(4.0) ** 2 / 4) < 1e-3
    with pytest.raises(ValueError, match="floor must be"):
        band_log_distance(late, true, n, rate, 0.0)


def test_band_log_excess_counts_only_high_band_power_beyond_the_truth():
    """A 1.5-Hz swing plus a 4-Hz tremor: the tremor doubled in amplitude scores (log 4)² in the 3–6 Hz band, halved
    or removed scores 0, a late phase scores 0, the swing's band is not looked at; float64 gradcheck."""
    rate, T = 20.0, 80
    t = torch.arange(T, dtype=torch.float64) / rate
    zero = torch.zeros_like(t)
    sig = lambda swing, trem, ph=0.0: torch.stack([swing * torch.sin(2 * math.pi * 1.5 * t + ph)
                                                   + trem * torch.sin(2 * math.pi * 4.0 * t + ph), zero, zero], -1)[None]
    n = torch.tensor([T])
    true = sig(3.0, 1.0)
    fl = 1e-4
    assert float(band_log_excess(sig(3.0, 1.0, math.pi), true, n, rate, fl)) < 1e-9  # blind to phase
    assert float(band_log_excess(sig(3.0, 0.5), true, n, rate, fl)) == 0.0  # less power costs nothing
    assert float(band_log_excess(sig(3.0, 0.0), true, n, rate, fl)) == 0.0
    assert float(band_log_excess(sig(9.0, 1.0), true, n, rate, fl)) < 1e-6  # the 1.5-Hz swing lies outside the bands
    # twice the tremor: 4x the power in 3-6 Hz; 6-10 Hz holds nothing in either (floor), the mean over 2 bands
    two = float(band_log_excess(sig(3.0, 2.0), true, n, rate, fl))
    assert abs(two - math.log(4.0) ** 2 / 2) < 1e-3, two
    # the two-sided distance also counts the removed tremor; this term does not
    assert float(band_log_distance(sig(3.0, 0.0), true, n, rate, fl)) > 1.0
    # band_log_distance one-sided from 3 Hz: the removed tremor costs nothing, a doubled one (log 4)² / 4 (4 bands),
    # and a halved swing still costs both ways below 3 Hz
    assert float(band_log_distance(sig(3.0, 0.0), true, n, rate, fl, one_sided_above=3.0)) < 1e-9
    assert abs(float(band_log_distance(sig(3.0, 2.0), true, n, rate, fl, one_sided_above=3.0))
               - math.log(4.0) ** 2 / 4) < 1e-3
    assert abs(float(band_log_distance(sig(1.5, 1.0), true, n, rate, fl, one_sided_above=3.0))
               - math.log(4.0) ** 2 / 4) < 1e-3
    x = sig(3.0, 1.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda y: band_log_excess(y, true, n, rate, 0.1), (x,))
    with pytest.raises(ValueError, match="floor must be"):
        band_log_excess(true, true, n, rate, 0.0)
    with pytest.raises(ValueError, match="one_sided_above must be a frequency >= 0 Hz or None, got -1.0"):
        band_log_distance(true, true, n, rate, 0.1, one_sided_above=-1.0)
    with pytest.raises(ValueError, match="one_sided_above must be a frequency >= 0 Hz or None, got True"):
        band_log_distance(true, true, n, rate, 0.1, one_sided_above=True)  # as SelfTuneConfig refuses it
    with pytest.raises(ValueError, match=r"bands must be .* Nyquist frequency 10, got \[\(3.0, 12.0\)\]"):
        band_log_excess(true, true, n, rate, 0.1, bands=[(3.0, 12.0)])
    with pytest.raises(ValueError, match="band_log_excess: pred and true must have the same shape"):
        band_log_excess(true, true[:, :40], n, rate, 0.1)


def test_imu_excess_loss_on_rendered_motion(shared_data):
    """On features rendered by the generator's path: identical inputs score 0; frame-to-frame jitter added to the
    prediction scores > 0 and its gradient lowers the loss; the truth jittered against a clean prediction scores 0
    (a deficit); padded frames get no gradient; left-out rows count for nothing."""
    true, mask = _sample_feats(shared_data)
    g = torch.Generator().manual_seed(1)
    jit = 0.5 * torch.randn(true.shape, generator=g, dtype=torch.float64) * true.abs().mean(1, keepdim=True)
    sens = "wrist_r,thigh_l"
    assert float(imu_excess_loss(true, true, mask, sens)) == 0.0
    pred = (true + jit).requires_grad_()
    loss = imu_excess_loss(pred, true, mask, sens)
    assert float(loss.detach()) > 0.05
    assert float(imu_excess_loss(true, (true + jit), mask, sens)) < 1e-3 * float(loss)
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[1, 28:].abs().max() == 0 and pred.grad[1, :28].abs().max() > 0
    step = (pred - 1e-3 * pred.grad / pred.grad.norm()).detach()
    assert float(imu_excess_loss(step, true, mask, sens)) < float(loss.detach())
    assert float(imu_excess_loss(pred.detach(), true, mask & False, sens)) == 0.0
    with pytest.raises(ValueError, match="mask must be"):
        imu_excess_loss(pred, true, mask[:, :30], sens)


def test_imu_excess_loss_counts_only_the_selected_sequences(shared_data):
    """select (the gate of selftune --excess-max-crop): the loss over the selected rows is the loss of those rows
    alone; none selected scores 0 and gives no gradient; a select of the wrong shape or dtype is refused by name."""
    true, mask = _sample_feats(shared_data)
    g = torch.Generator().manual_seed(2)
    pred = true + 0.5 * torch.randn(true.shape, generator=g, dtype=torch.float64) * true.abs().mean(1, keepdim=True)
    sens = "wrist_r,thigh_l"
    rows = [float(imu_excess_loss(pred[i:i + 1], true[i:i + 1], mask[i:i + 1], sens)) for i in range(true.shape[0])]
    assert min(rows) > 0 and max(rows) > 1.01 * min(rows)  # the rows differ, so picking one is visible
    for i in range(true.shape[0]):
        sel = torch.zeros(true.shape[0], dtype=torch.bool)
        sel[i] = True
        assert float(imu_excess_loss(pred, true, mask, sens, select=sel)) == pytest.approx(rows[i], rel=1e-9)
    p = pred.clone().requires_grad_()
    none = imu_excess_loss(p, true, mask, sens, select=torch.zeros(true.shape[0], dtype=torch.bool))
    assert float(none) == 0.0
    none.backward()
    assert p.grad is None or float(p.grad.abs().max()) == 0.0
    # the spectrum term takes the same select
    both = [float(imu_spectrum_loss(pred[i:i + 1], true[i:i + 1], mask[i:i + 1], sens)) for i in range(true.shape[0])]
    one = torch.tensor([False, True])
    assert float(imu_spectrum_loss(pred, true, mask, sens, select=one)) == pytest.approx(both[1], rel=1e-9)
    assert float(imu_spectrum_loss(pred, true, mask, sens, select=~one)) == pytest.approx(both[0], rel=1e-9)
    with pytest.raises(ValueError, match=r"imu_spectrum_loss: select must be a bool tensor of shape \(2,\)"):
        imu_spectrum_loss(pred, true, mask, sens, select=torch.ones(2, 1, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"select must be a bool tensor of shape \(2,\), got torch.float32 \(2,\)"):
        imu_excess_loss(pred, true, mask, sens, select=torch.ones(2))
    with pytest.raises(ValueError, match=r"select must be a bool tensor of shape \(2,\), got torch.bool \(3,\)"):
        imu_excess_loss(pred, true, mask, sens, select=torch.ones(3, dtype=torch.bool))


def test_band_ratio_excess_is_blind_to_phase_and_amplitude_and_counts_a_jerkier_shape():
    """A 1.5-Hz swing plus a 4-Hz tremor (powers ∝ amplitude²): the same shape scaled by 3 or half a period later
    scores 0, twice the tremor (log 4)², a halved swing under the same tremor (log 4)² (damping the swing alone
    does not help), a halved tremor 0 (one-sided), several channels and a middle dimension averaged; float64
    gradcheck; errors name the argument."""
    rate, T = 20.0, 80
    t = torch.arange(T, dtype=torch.float64) / rate
    zero = torch.zeros_like(t)
    sig = lambda swing, trem, ph=0.0: torch.stack([swing * torch.sin(2 * math.pi * 1.5 * t + ph)
                                                   + trem * torch.sin(2 * math.pi * 4.0 * t + ph), zero, zero], -1)[None]
    n, fl = torch.tensor([T]), 1e-4
    true = sig(3.0, 1.0)
    f = lambda p: float(band_ratio_excess(p, true, n, rate, 3.0, fl))
    assert f(true) == 0.0
    assert f(sig(9.0, 3.0)) < 1e-9 and f(sig(0.3, 0.1)) < 1e-9  # amplitude-blind: damping earns nothing
    assert f(sig(3.0, 1.0, math.pi)) < 1e-9  # phase-blind
    assert abs(f(sig(3.0, 2.0)) - math.log(4.0) ** 2) < 1e-3
    assert abs(f(sig(1.5, 1.0)) - math.log(4.0) ** 2) < 1e-3
    assert f(sig(3.0, 0.5)) == 0.0 and f(sig(6.0, 1.0)) == 0.0  # a smoother shape than the truth costs nothing
    # [B, T, J, C]: the mean over J; one joint jerkier by 4x power, the other as the truth
    two = torch.stack([sig(3.0, 2.0)[0], true[0]], 1)[None]
    assert abs(float(band_ratio_excess(two, torch.stack([true[0], true[0]], 1)[None], n, rate, 3.0, fl))
               - math.log(4.0) ** 2 / 2) < 1e-3
    # only the first n samples count: a tremor burst in the padding changes nothing
    pad = sig(3.0, 1.0).clone()
    pad[:, 60:] += 5.0 * torch.randn(20, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    n60 = torch.tensor([60])
    assert float(band_ratio_excess(pad, true, n60, rate, 3.0, fl)) < 1e-9
    x = sig(3.0, 1.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda y: band_ratio_excess(y, true, n, rate, 3.0, 0.1), (x,))
    with pytest.raises(ValueError, match="band_ratio_excess: floor must be > 0, got 0.0"):
        band_ratio_excess(true, true, n, rate, 3.0, 0.0)
    for bad in (0.0, 10.0, True):
        with pytest.raises(ValueError, match=r"split_hz must be in \(0, the Nyquist frequency 10\) Hz"):
            band_ratio_excess(true, true, n, rate, bad, fl)
    with pytest.raises(ValueError, match="band_ratio_excess: pred and true must have the same shape"):
        band_ratio_excess(true, true[:, :40], n, rate, 3.0, fl)


def test_texture_ratio_loss_on_real_features(shared_data):
    """HumanML3D features of a real clip: identical inputs score 0; frame-to-frame jitter on the prediction scores > 0
    and a step against its gradient lowers it; the same jitter on the truth scores 0 (a smoother prediction costs
    nothing); padded frames get no gradient; left-out rows count for nothing; errors name the argument."""
    true, mask = _sample_feats(shared_data)
    g = torch.Generator().manual_seed(1)
    jit = 0.3 * torch.randn(true.shape, generator=g, dtype=torch.float64) * true.abs().mean(1, keepdim=True)
    assert float(texture_ratio_loss(true, true, mask)) == 0.0
    pred = (true + jit).requires_grad_()
    loss = texture_ratio_loss(pred, true, mask)
    assert float(loss.detach()) > 0.5
    assert float(texture_ratio_loss(true, true + jit, mask)) == 0.0
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[1, 28:].abs().max() == 0 and pred.grad[1, :28].abs().max() > 0
    step = (pred - 1e-3 * pred.grad / pred.grad.norm()).detach()
    assert float(texture_ratio_loss(step, true, mask)) < float(loss.detach())
    assert float(texture_ratio_loss(pred.detach(), true, mask & False)) == 0.0
    with pytest.raises(ValueError, match="texture_ratio_loss: mask must be"):
        texture_ratio_loss(pred, true, mask[:, :30])
    with pytest.raises(ValueError, match=r"joints must be SMPL22 indices in \[0, 22\), got \(20, 22\)"):
        texture_ratio_loss(true, true, mask, joints=(20, 22))


def test_bone_length_loss_counts_a_stretched_forearm_exactly(shared_data):
    """The right wrist moved along its forearm in the features' root-relative (ric) channels by 20 % of the bone:
    the loss is (0.2 L)² ×10⁴ per frame with L the forearm length measured on the channels themselves (independent
    of recover_from_ric: rotation and root translation preserve distances), /21 over all bones; any other bone
    scores 0; identical inputs 0; padded frames count for nothing and get no gradient; float64 gradcheck; errors
    name the argument."""
    true, mask = _sample_feats(shared_data)
    ric = lambda f, j: f[..., 4 + 3 * (j - 1):4 + 3 * j]  # noqa: E731 - joint j's root-relative position channels
    pred = true.clone()
    fore = ric(true, 21) - ric(true, 19)  # [B, T, 3], elbow (19) to wrist (21)
    pred[..., 4 + 60:4 + 63] = ric(true, 21) + 0.2 * fore
    L2 = fore.square().sum(-1)  # [B, T]
    m = mask.double()
    want = float((0.04 * L2 * 1e4 * m).sum() / m.sum())
    assert want > 10  # a forearm of ~0.25 m: (5 cm)² per frame
    assert float(bone_length_loss(true, true, mask)) == 0.0
    assert float(bone_length_loss(pred, true, mask, joints=(21,))) == pytest.approx(want, rel=1e-9)
    assert float(bone_length_loss(pred, true, mask)) == pytest.approx(want / 21, rel=1e-9)
    assert float(bone_length_loss(pred, true, mask, joints=(19, 20, 18))) == pytest.approx(0.0, abs=1e-18)
    p = pred.clone().requires_grad_()
    bone_length_loss(p, true, mask).backward()
    assert p.grad[1, 28:].abs().max() == 0 and p.grad[1, :28].abs().max() > 0
    small = (pred[:1, :6, :67] + 0.01 * torch.randn(1, 6, 67, generator=torch.Generator().manual_seed(2),
                                                   dtype=torch.float64)).requires_grad_()
    sm = torch.ones(1, 6, dtype=torch.bool)
    assert torch.autograd.gradcheck(lambda x: bone_length_loss(torch.cat([x, pred[:1, :6, 67:]], -1), true[:1, :6],
                                                                sm), (small,))
    with pytest.raises(ValueError, match="bone_length_loss: mask must be"):
        bone_length_loss(pred, true, mask[:, :30])
    with pytest.raises(ValueError, match=r"joints must be SMPL22 indices in \[1, 22\) .*got \(0, 21\)"):
        bone_length_loss(pred, true, mask, joints=(0, 21))


def test_joint_acc_per_joint_is_the_motion_evaluations_joint_acc(shared_data):
    """Averaged over the joints, the per-joint mean on each sequence's valid frames equals the motion evaluation's
    joint_acc (imusim.motion.quality) of that sequence cut to its length; padded frames count for nothing."""
    from imusim.motion.humanml import recover_from_ric
    from imusim.motion.quality import joint_acc

    true, mask = _sample_feats(shared_data)
    P = recover_from_ric(true, 22)
    a = joint_acc_per_joint(P, mask)
    assert a.shape == (2, 22)
    for i, T in enumerate((40, 28)):
        assert float(a[i].mean()) == pytest.approx(joint_acc(P[i, :T]), rel=1e-9)
    assert float(a[1].mean()) != pytest.approx(joint_acc(P[1]), rel=1e-3)  # the padding would change it


def test_joint_acc_loss_on_a_bouncing_pelvis_has_the_analytic_answer(shared_data):
    """A body that stands still (one pose held, no root motion) against the same body whose root height bounces
    A sin(2π f t): only the pelvis moves (the ric channels hold the joints' heights), at the discrete second
    difference's |A·4 sin²(π f/fps)·sin(2π f t)|·fps² per frame; the loss is (log(a + floor) − log(floor))² over the
    joints asked for (/9 for the lower body); crops below min_true are not asked; identical inputs score 0; padded
    frames get no gradient; float64 gradcheck; errors name the argument."""
    feats, _ = _sample_feats(shared_data)
    T, fps, A, f, floor = 40, 20.0, 0.03, 2.5, 0.5
    still = feats[:1, :1].expand(2, T, -1).clone()
    still[..., :3] = 0.0  # no root rotation or translation velocity
    mask = torch.arange(T)[None] < torch.tensor([T, 28])[:, None]
    t = torch.arange(T, dtype=torch.float64) / fps
    bounce = still.clone()
    bounce[..., 3] += A * torch.sin(2 * math.pi * f * t)
    k = np.arange(1, T - 1)  # the frames with both neighbours
    per_frame = np.abs(A * 4 * np.sin(math.pi * f / fps) ** 2 * np.sin(2 * math.pi * f * k / fps)) * fps ** 2
    want = [(math.log(per_frame[:n - 2].mean() + floor) - math.log(floor)) ** 2 for n in (T, 28)]
    assert float(joint_acc_loss(bounce, still, mask, joints=(0,), floor=floor)) == pytest.approx(np.mean(want),
                                                                                                 rel=1e-5)
    assert float(joint_acc_loss(bounce, still, mask, floor=floor)) == pytest.approx(np.mean(want) / len(LOWER_BODY),
                                                                                     rel=1e-5)
    assert float(joint_acc_loss(bounce, still, mask, joints=(10, 11, 20, 21))) == pytest.approx(0.0, abs=1e-9)
    assert float(joint_acc_loss(still, still, mask)) == 0.0
    # the gate is the crop's mean over all 22 joints: the pelvis alone at ~4.5 m/s² is ~0.2 of it
    pelvis = [per_frame[:n - 2].mean() for n in (T, 28)]
    assert crop_moves(bounce, mask, 0.9 * min(pelvis) / 22).tolist() == [True, True]
    assert crop_moves(bounce, mask, 1.1 * max(pelvis) / 22).tolist() == [False, False]
    assert crop_moves(still, mask, 1e-3).tolist() == [False, False]
    # both ways: the still body against the bouncing crop scores the same; a min_true above the still crop's 0
    assert float(joint_acc_loss(still, bounce, mask, joints=(0,), floor=floor)) == pytest.approx(np.mean(want),
                                                                                                  rel=1e-5)
    p = bounce.clone().requires_grad_()
    loss = joint_acc_loss(p, still, mask, min_true=1e-3)  # no still crop moves at 1 mm/s²: nothing selected
    assert float(loss.detach()) == 0.0
    loss.backward()
    assert p.grad is not None and float(p.grad.abs().max()) == 0.0
    p.grad = None
    joint_acc_loss(p, still, mask, joints=(0,)).backward()
    assert p.grad[1, 28:].abs().max() == 0 and p.grad[1, :28, 3].abs().max() > 0
    g = torch.Generator().manual_seed(3)
    small = (bounce[:1, :6, :67] + 0.01 * torch.randn(1, 6, 67, generator=g, dtype=torch.float64)).requires_grad_()
    sm = torch.ones(1, 6, dtype=torch.bool)
    assert torch.autograd.gradcheck(lambda x: joint_acc_loss(torch.cat([x, bounce[:1, :6, 67:]], -1), feats[:1, :6],
                                                             sm, joints=(0, 4, 10)), (small,))
    with pytest.raises(ValueError, match="joint_acc_loss: mask must be"):
        joint_acc_loss(bounce, still, mask[:, :30])
    with pytest.raises(ValueError, match=r"joints must be SMPL22 indices in \[0, 22\), got \(0, 22\)"):
        joint_acc_loss(bounce, still, mask, joints=(0, 22))
    with pytest.raises(ValueError, match="min_true must be >= 0 and floor > 0"):
        joint_acc_loss(bounce, still, mask, min_true=-1.0)


def test_crop_gestures_selects_a_waving_wrist_not_a_bouncing_body(shared_data):
    """A still body whose right wrist (root-relative position channels 64:67) waves A sin(2π f t) sideways: the wrist's
    mean acceleration is the discrete second difference's analytic mean, the pelvis' 0, so the gate opens exactly below
    ratio a_wrist / floor; the bouncing pelvis of the same still body (wrists still) and the still body never open it.
    joint_acc_loss's select counts only the chosen sequences and replaces the min_true gate; errors name the
    argument."""
    from imusim.motion.humanml import recover_from_ric

    feats, _ = _sample_feats(shared_data)
    T, fps, A, f, floor = 40, 20.0, 0.05, 2.0, 0.5
    still = feats[:1, :1].expand(2, T, -1).clone()
    still[..., :3] = 0.0
    mask = torch.ones(2, T, dtype=torch.bool)
    t = torch.arange(T, dtype=torch.float64) / fps
    wave, bounce = still.clone(), still.clone()
    wave[..., 4 + 20 * 3] += A * torch.sin(2 * math.pi * f * t)  # joint 21's x, relative to the root
    bounce[..., 3] += A * torch.sin(2 * math.pi * f * t)
    k = np.arange(1, T - 1)
    a_wrist = float(np.mean(np.abs(A * 4 * np.sin(math.pi * f / fps) ** 2 * np.sin(2 * math.pi * f * k / fps)))
                    * fps ** 2)
    assert 21 in ARMS and float(joint_acc_per_joint(recover_from_ric(wave, 22), mask)[0, 21]) == pytest.approx(a_wrist,
                                                                                                         rel=1e-6)
    assert crop_gestures(wave, mask, 0.99 * a_wrist / floor, floor=floor).tolist() == [True, True]
    assert crop_gestures(wave, mask, 1.01 * a_wrist / floor, floor=floor).tolist() == [False, False]
    assert crop_gestures(bounce, mask, 1e-3).tolist() == [False, False]
    assert crop_gestures(still, mask, 1e-3).tolist() == [False, False]
    # select: the still body against the waving crop, only the second sequence asked
    both = torch.cat([wave[:1], wave[:1]])
    sel = torch.tensor([False, True])
    one = joint_acc_loss(still, both, mask, joints=ARMS, select=sel)
    want = (math.log(a_wrist + floor) - math.log(floor)) ** 2 / len(ARMS)
    assert float(one) == pytest.approx(want, rel=1e-5)
    assert float(joint_acc_loss(still, both, mask, joints=ARMS, select=torch.tensor([False, False]))) == 0.0
    with pytest.raises(ValueError, match="give select or min_true, not both"):
        joint_acc_loss(still, both, mask, min_true=1.0, select=sel)
    with pytest.raises(ValueError, match=r"select must be bool \[2\], got torch.int64 \[2\]"):
        joint_acc_loss(still, both, mask, select=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="crop_gestures: min_ratio and floor must be > 0, got 0.0, 0.5"):
        crop_gestures(wave, mask, 0.0)


def _sample_feats(shared_data, dtype=torch.float64):
    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).to(dtype)
    true = torch.zeros(2, 40, f.shape[1], dtype=dtype)
    true[0], true[1, :28] = f[:40], f[5:33]
    mask = torch.arange(40)[None] < torch.tensor([40, 28])[:, None]
    return true, mask


def test_imu_spectrum_loss_matches_the_per_motion_pipeline(shared_data):
    """Rendered per motion on its valid frames by the generator's path (features → IK → synthesize_imu) and
    measured with scipy's Welch bands, the loss equals the batched one; identical inputs score 0; padded frames
    get no gradient; rows below min_samples are left out."""
    from scipy.signal import welch

    from imusim.diffusion.convert import features_to_rotations
    from imusim.imu import synthesize_imu
    from imusim.kinematics import SMPL22

    true, mask = _sample_feats(shared_data)
    g = torch.Generator().manual_seed(0)
    pred = (true + 0.05 * torch.randn(true.shape, generator=g, dtype=torch.float64)).requires_grad_()
    sens = "wrist_r,thigh_l"
    loss = imu_spectrum_loss(pred, true, mask, sens, acc_floor=0.1, gyro_floor=0.05)
    ref = []
    for i, T in enumerate((40, 28)):
        r = [synthesize_imu(*features_to_rotations(x[i, :T].detach()), SMPL22, sens, 20.0, backend="torch")
             for x in (pred, true)]
        per = []
        for key, fl in (("acc", 0.1), ("gyro", 0.05)):
            lg = []
            for rr in r:
                sig = getattr(rr, key).numpy()  # [T-2, S, 3]
                f, p = welch(sig, fs=20.0, window="hann", nperseg=T - 2, nfft=38, noverlap=0, detrend="constant",
                             axis=0, scaling="density")  # zero-padded to the batch's 38 output frames
                lg.append(np.log(band_powers(f, np.moveaxis(p.sum(-1), 0, -1), 20.0)[:, :4] + fl ** 2))
            per.append(np.mean((lg[0] - lg[1]) ** 2))
        ref.append(np.mean(per))
    assert abs(float(loss.detach()) - np.mean(ref)) < 1e-8 * max(1.0, np.mean(ref))
    assert float(loss.detach()) > 0
    assert float(imu_spectrum_loss(true, true, mask, sens)) == 0.0
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[1, 28:].abs().max() == 0 and pred.grad[1, :28].abs().max() > 0
    # the second row (26 output frames) below min_samples: only the first row counts
    only0 = imu_spectrum_loss(pred.detach(), true, mask, sens, min_samples=30)
    assert abs(float(only0) - ref[0]) < 1e-8 * max(1.0, ref[0])
    assert float(imu_spectrum_loss(pred.detach(), true, mask & False, sens)) == 0.0
    with pytest.raises(ValueError, match="mask must be"):
        imu_spectrum_loss(pred, true, mask[:, :30], sens)


def test_lambda_spec_enters_the_total_and_follows_aux_t_max(shared_data):
    true, mask = _sample_feats(shared_data, torch.float32)
    mean, std = true[0].mean(0), true[0].std(0).clamp_min(1e-2)
    x0 = (true - mean) / std
    torch.manual_seed(0)
    model = MDM(MDMConfig(latent=32, layers=1, ff=64, heads=4, n_feats=263, text_dim=64, dropout=0.0)).eval()
    t, noise = torch.tensor([10, 600]), torch.randn(x0.shape, generator=torch.Generator().manual_seed(1))
    emb, uncond = torch.randn(2, 64), torch.zeros(2, dtype=torch.bool)
    diff = GaussianDiffusion(1000)
    pred = model(diff.q_sample(x0, t, noise), t, emb, mask, uncond=uncond)
    cfg = TrainConfig(lambda_spec=0.25, imu_sensors="wrist_r,thigh_l")
    out = diffusion_losses(model, diff, x0, mask, emb, t, noise, uncond, cfg, mean, std)
    ref = imu_spectrum_loss(pred * std + mean, x0 * std + mean, mask, "wrist_r,thigh_l")
    torch.testing.assert_close(out["l_spec"], ref, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(out["total"], out["l_simple"] + 0.25 * out["l_spec"])
    out["total"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    lo = diffusion_losses(model, diff, x0, mask, emb, t, noise, uncond,
                          TrainConfig(lambda_spec=0.25, imu_sensors="wrist_r,thigh_l", aux_t_max=100), mean, std)
    with torch.no_grad():
        ref_lo = imu_spectrum_loss(pred[:1] * std + mean, x0[:1] * std + mean, mask[:1], "wrist_r,thigh_l")
    torch.testing.assert_close(lo["l_spec"].detach(), ref_lo, rtol=1e-4, atol=1e-6)
    model.zero_grad()
    none = diffusion_losses(model, diff, x0, mask, emb, t, noise, uncond,
                            TrainConfig(lambda_spec=0.25, imu_sensors="wrist_r,thigh_l", aux_t_max=5), mean, std)
    assert float(none["l_spec"].detach()) == 0.0
    none["total"].backward()  # no sample selected: still finite gradients (no NaN from the empty rows)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
