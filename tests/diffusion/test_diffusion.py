"""MDM model, Gaussian diffusion, samplers, training loop, checkpoints, DDP equivalence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from imusim.constants import GRAVITY

from imusim.diffusion import GaussianDiffusion, MDM, MDMConfig, cosine_betas
from imusim.diffusion.checkpoint import load_checkpoint, save_checkpoint
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import MotionTextData, TrainConfig, sample, train

TINY = dict(latent=32, layers=2, ff=64, heads=4, n_feats=12, text_dim=64, dropout=0.0)


def toy_clips(n=8, F=12):
    g = torch.Generator().manual_seed(0)
    clips = []
    for i in range(n):
        T = 30 + 3 * i
        t = torch.linspace(0, 4, T)[:, None]
        freq = 1 + (i % 2) * 3
        clips.append({"features": torch.sin(freq * t + torch.rand(1, F, generator=g)),
                      "captions": ["slow wave" if i % 2 == 0 else "fast wave"], "activity": str(i % 2)})
    allf = torch.cat([c["features"] for c in clips])
    return MotionTextData(clips, allf.mean(0), allf.std(0))


def test_caption_embeddings_encode_each_distinct_caption_once():
    data = toy_clips()
    data.captions[0].append("fast wave")  # a caption shared by clips and repeated within one
    enc = get_text_encoder("hash")
    tab = data.caption_embeddings(enc)
    assert list(tab) == ["fast wave", "slow wave"]
    for c, e in tab.items():
        assert e.dtype == torch.float32
        torch.testing.assert_close(e, enc.encode([c]).float()[0])


def test_cosine_schedule_properties():
    b = cosine_betas(1000)
    ab = torch.cumprod(1 - b, 0)
    assert b.shape == (1000,) and (b > 0).all() and (b <= 0.999).all()
    assert ab[0] > 0.9999 and ab[-1] < 1e-4 and (ab[1:] < ab[:-1]).all()


def test_q_sample_statistics():
    d = GaussianDiffusion()
    x0 = torch.full((20000, 1, 1), 2.0)
    t = torch.full((20000,), 500)
    xt = d.q_sample(x0, t)
    ab = float(d.alphas_cumprod[500])
    assert abs(xt.mean().item() - 2 * ab ** 0.5) < 0.03
    assert abs(xt.var().item() - (1 - ab)) < 0.03


def test_padding_does_not_change_valid_frames():
    torch.manual_seed(0)
    m = MDM(MDMConfig(**TINY)).eval()
    x = torch.randn(2, 20, 12)
    t = torch.tensor([3, 700])
    e = torch.randn(2, 64)
    mask = torch.ones(2, 20, dtype=torch.bool)
    mask[1, 12:] = False
    y1 = m(x, t, e, mask)
    x2 = x.clone()
    x2[1, 12:] = 100.0  # garbage in the padding
    y2 = m(x2, t, e, mask)
    torch.testing.assert_close(y1[1, :12], y2[1, :12], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y1[0], y2[0])


def test_guidance_batched_equals_two_passes():
    torch.manual_seed(0)
    m = MDM(MDMConfig(**TINY)).eval()
    x, t, e = torch.randn(3, 10, 12), torch.tensor([1, 50, 999]), torch.randn(3, 64)
    cond = m(x, t, e)
    unc = m(x, t, e, uncond=torch.ones(3, dtype=torch.bool))
    torch.testing.assert_close(m.guided(x, t, e, guidance=2.5), unc + 2.5 * (cond - unc), rtol=1e-5, atol=1e-5)
    # the unconditional branch ignores the text
    torch.testing.assert_close(unc, m(x, t, torch.randn(3, 64), uncond=torch.ones(3, dtype=torch.bool)))


def test_ddim_perfect_denoiser_recovers_x0():
    d = GaussianDiffusion()
    target = torch.randn(2, 8, 3)
    out = d.ddim_sample(lambda x, t: target, target.shape, steps=20, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(out, target)
    out2 = d.ddpm_sample(lambda x, t: target, target.shape, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(out2, target, rtol=0, atol=1e-2)


def test_ddim_observe_hook_sees_every_step_and_the_output():
    """The probes' hook: one call per respaced step, in order, with that step's timestep; the last x0 is the output,
    and observing changes nothing."""
    d = GaussianDiffusion()
    pred = lambda x, t: 0.5 * x + 0.1  # noqa: E731
    seen = []
    out = d.ddim_sample(pred, (2, 6, 3), steps=7, generator=torch.Generator().manual_seed(4),
                        observe=lambda k, i, x0: seen.append((k, i, x0.clone())))
    assert [k for k, _, _ in seen] == list(range(7)) and [i for _, i, _ in seen] == d.ddim_timesteps(7)
    torch.testing.assert_close(seen[-1][2], out, rtol=0, atol=0)
    torch.testing.assert_close(d.ddim_sample(pred, (2, 6, 3), steps=7, generator=torch.Generator().manual_seed(4)), out,
                               rtol=0, atol=0)


def test_sample_observe_hook_sees_normalised_x0_and_is_ddim_only():
    torch.manual_seed(0)
    model = MDM(MDMConfig(**TINY)).eval()
    enc = get_text_encoder("hash")
    mean, std = torch.arange(12.0), torch.full((12,), 2.0)
    seen = []
    x, mask = sample(model, mean, std, enc, ["a", "b"], [12, 9], steps=5, seeds=[1, 2],
                     observe=lambda k, i, x0: seen.append(x0.clone()))
    assert len(seen) == 5
    # the model's normalisation; the output de-normalised (the sampler zeroes padded frames after the step)
    torch.testing.assert_close((seen[-1] * std + mean)[mask], x[mask])
    with pytest.raises(ValueError, match="observe is a DDIM hook"):
        sample(model, mean, std, enc, ["a"], [12], steps=2, sampler="ddpm", observe=lambda *a: None)


def test_train_reduces_loss_checkpoint_and_sample(tmp_path):
    data = toy_clips()
    enc = get_text_encoder("hash")
    cfg = TrainConfig(steps=120, batch_size=8, lr=2e-3, warmup=10, log_every=20, ckpt_every=60,
                      max_frames=32, min_frames=20, text_encoder="hash", lambda_acc=0.5)
    p = train(data, tmp_path / "run", cfg, MDMConfig(**TINY), progress=False, text_encoder=enc)
    import csv
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert len(rows) == 6
    first, last = float(rows[0]["l_simple"]), float(rows[-1]["l_simple"])
    assert last < 0.7 * first, (first, last)
    model, mean, std, name, meta = load_checkpoint(p)
    assert name == "hash" and meta["step"] == 120 and meta["train_config"]["lambda_acc"] == 0.5
    torch.testing.assert_close(mean, data.mean)
    x, mask = sample(model, mean, std, enc, ["slow wave", "fast wave"], [20, 32], steps=10, seed=3)
    assert x.shape == (2, 32, 12) and mask.sum(1).tolist() == [20, 32]
    x2, _ = sample(model, mean, std, enc, ["slow wave", "fast wave"], [20, 32], steps=10, seed=3)
    torch.testing.assert_close(x, x2)  # seeded
    # resume continues from the saved step
    cfg2 = TrainConfig(**{**cfg.__dict__, "steps": 130})
    train(data, tmp_path / "run", cfg2, MDMConfig(**TINY), resume=True, progress=False, text_encoder=enc)
    assert load_checkpoint(tmp_path / "run" / "model.safetensors")[4]["step"] == 130


def test_checkpoint_rejects_foreign_file(tmp_path):
    from safetensors.torch import save_file
    f = tmp_path / "x.safetensors"
    save_file({"a": torch.zeros(1)}, str(f))
    with pytest.raises(ValueError, match="not an imusim MDM checkpoint"):
        load_checkpoint(f)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors")


DDP_SCRIPT = r"""
import os, sys, torch, torch.distributed as dist
sys.path.insert(0, {tests!r})
from test_diffusion import toy_clips, TINY
from imusim.diffusion import MDMConfig
from imusim.diffusion.train import TrainConfig, train
from imusim.diffusion.text import get_text_encoder
torch.set_num_threads(1)
if int(os.environ.get("WORLD_SIZE", "1")) > 1:
    dist.init_process_group("gloo")
torch.manual_seed(0)
cfg = TrainConfig(steps=5, batch_size=8, lr=1e-3, warmup=1, log_every=1, ckpt_every=5, max_frames=32,
                  min_frames=20, text_encoder="hash", ema_decay=0.0)
train(toy_clips(), sys.argv[1], cfg, MDMConfig(**TINY), progress=False, text_encoder=get_text_encoder("hash"))
if dist.is_initialized():
    dist.destroy_process_group()
"""


@pytest.mark.slow
def test_ddp_two_processes_match_one(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, str(script), str(tmp_path / "one")], check=True, env=env, timeout=300)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29533",
                    str(script), str(tmp_path / "two")], check=True, env=env, timeout=300)
    a = load_checkpoint(tmp_path / "one" / "model.safetensors")[0].state_dict()
    b = load_checkpoint(tmp_path / "two" / "model.safetensors")[0].state_dict()
    torch.manual_seed(0)
    init = MDM(MDMConfig(**TINY)).state_dict()
    moved = max((a[k] - init[k]).abs().max().item() for k in a)
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    # Adam turns float-rounding differences of near-zero gradients into lr-sized steps, so compare
    # against how far training moved the weights: same batches on 1 and 2 ranks → tiny relative gap.
    assert moved > 1e-3
    assert worst < 0.05 * moved, (worst, moved)


def test_features_to_rotations_batched_with_padding_equals_per_motion(shared_data):
    """The generator runs IK once over a padded batch: valid frames must not change."""
    from imusim.diffusion.convert import features_to_motion, features_to_rotations

    f = torch.from_numpy(np.load(shared_data / "humanml3d_sample" / "new_joint_vecs" / "012314.npy")).double()
    a, b = f[:50], f[10:40]
    pad = torch.stack([a, torch.cat([b, b[-1:].expand(20, -1)])])
    local, root = features_to_rotations(pad)
    for i, x in enumerate((a, b)):
        m = features_to_motion(x)
        T = x.shape[0]
        torch.testing.assert_close(local[i, :T], m.local_rot, atol=1e-12, rtol=0)
        torch.testing.assert_close(root[i, :T], m.root_pos, atol=1e-12, rtol=0)


def test_imu_signal_loss_matches_per_motion_pipeline_and_ignores_padding(shared_data):
    """L_acc on virtual IMU signals (--acc-on imu): equal to the generator's path (features → IK →
    synthesize_imu, reference backend) per motion on its valid frames; zero for identical inputs;
    padded frames get no gradient; gradients finite."""
    from imusim.diffusion.convert import features_to_rotations
    from imusim.diffusion.train import imu_signal_loss
    from imusim.imu import synthesize_imu
    from imusim.kinematics import SMPL22

    d = shared_data / "humanml3d_sample" / "new_joint_vecs"
    f = torch.from_numpy(np.load(sorted(d.glob("*.npy"))[0])).double()
    lens = [40, 28]
    true = torch.zeros(2, 40, f.shape[1], dtype=torch.float64)
    true[0], true[1, :28] = f[:40], f[5:33]
    g = torch.Generator().manual_seed(0)
    pred = (true + 0.02 * torch.randn(true.shape, generator=g, dtype=torch.float64)).requires_grad_()
    mask = torch.arange(40)[None] < torch.tensor(lens)[:, None]
    sens = "wrist_r,thigh_l"
    loss = imu_signal_loss(pred, true, mask, sens)
    lv = float(loss.detach())
    num, den = 0.0, 0
    for i, T in enumerate(lens):
        r = [synthesize_imu(*features_to_rotations(x[i, :T].detach()), SMPL22, sens, 20.0, backend="torch")
             for x in (pred, true)]
        num += float(((r[0].acc - r[1].acc).square().sum(-1) / GRAVITY ** 2 + (r[0].gyro - r[1].gyro).square().sum(-1)).sum())
        den += (T - 2) * 2
    assert abs(lv - num / den) < 1e-9 * max(1.0, num / den)
    assert lv > 0
    assert float(imu_signal_loss(true, true, mask, sens)) == 0.0
    loss.backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[1, 28:].abs().max() == 0 and pred.grad[1, :28].abs().max() > 0
    with pytest.raises(ValueError, match="mask must be"):
        imu_signal_loss(pred, true, mask[:, :30], sens)


def test_bf16_sampling_is_close_to_fp32_and_validated():
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample

    torch.manual_seed(0)
    model = MDM(MDMConfig(**TINY)).eval()
    enc = get_text_encoder("hash")
    mean, std = torch.zeros(12), torch.ones(12)
    a, _ = sample(model, mean, std, enc, ["a", "b"], [12, 9], steps=4, seeds=[1, 2])
    b, _ = sample(model, mean, std, enc, ["a", "b"], [12, 9], steps=4, seeds=[1, 2], precision="bf16")
    assert b.dtype == torch.float32 and not torch.equal(a, b)
    assert ((a - b).norm() / a.norm()) < 0.05
    with pytest.raises(ValueError, match="precision must be"):
        sample(model, mean, std, enc, ["a"], [12], steps=2, precision="fp8")


def test_schedule_cache_is_keyed_by_name_and_stays_small():
    """q_sample and the posterior read each schedule by name from a per-device cache: repeated calls give
    √ᾱ_t x0 + √(1−ᾱ_t) ε exactly and the cache holds one entry per (schedule, device), however many calls."""
    from imusim.diffusion.gaussian import GaussianDiffusion

    d = GaussianDiffusion(1000)
    x0 = torch.randn(3, 5, 4, dtype=torch.float64)
    eps = torch.randn(3, 5, 4, dtype=torch.float64)
    for k in range(20):
        t = torch.tensor([k, 500 + k, 999])
        want = d.alphas_cumprod[t].sqrt()[:, None, None] * x0 + (1 - d.alphas_cumprod[t]).sqrt()[:, None, None] * eps
        torch.testing.assert_close(d.q_sample(x0, t, eps), want, rtol=0, atol=1e-15)
    assert sorted(k[0] for k in d._on_device) == ["sqrt_1mab", "sqrt_ab"]
