"""Triton render_imu (imusim/triton/render.py) under TRITON_INTERPRET=1 on CPU tensors (or on a GPU): the
ideal signals against the CPU kernel and the per-item PyTorch reference (lengths, playback rates,
per-item and mirrored mounts, axis-angle, orientation, float32/float64), block boundaries, physics at
rest, and the Philox error model's white noise, random walk, constants, saturation and quantisation with
its determinism (a draw depends on seed, channel and row only). The other terms (flicker, Gauss–Markov,
low-pass, cross-axis, g-sensitivity, temperature, magnetometer, errors=True):
tests/triton/test_triton_render_errors.py. Small batches: the interpreter is slow."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from imusim.constants import GRAVITY
from imusim import _backend
from imusim.imu import NoiseModel
from imusim.imu.noise import AxisNoise
from imusim.imu.render import Mounts, mirror_mounts, output_samples, render_imu
from imusim.imu.sensors import PRESETS
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
from tests.harness import motions, starts_of

pytestmark = pytest.mark.skipif(not (_backend._triton_ok() and (_backend.triton_interpret() or torch.cuda.is_available())),
                                reason="Triton needs a GPU or TRITON_INTERPRET=1")
DEV = "cuda" if torch.cuda.is_available() else "cpu"
SENS = ["wrist_r", "thigh_l", "head"]
G = GRAVITY  # the project's one gravity constant (standard gravity)


def jittered_mirrored(n, seed=0):
    m = Mounts.from_sensors([PRESETS[s] for s in SENS], SMPL22, n)
    m.offsets = m.offsets + np.random.default_rng(seed).normal(0, 0.02, m.offsets.shape)
    return mirror_mounts(m, np.arange(n) % 2 == 1, SMPL22)


def render(L, root, lengths, backend, **kw):
    kw.setdefault("start", starts_of(lengths))
    return render_imu(L, root, SMPL22, length=lengths, rate=50.0, backend=backend, **kw)


@pytest.mark.parametrize("rot_format", ["matrix", "axis_angle"])
def test_ideal_matches_cpu_kernel_and_reference(rot_format):
    # too short (2 frames at 50 Hz: no row), 2 frames resampled (1 row), resampled at 24/33.3 fps, same rate;
    # acc, gyro and the magnetometer R_wsᵀ m_w of each item's field
    lengths = [2, 2, 37, 61, 45]
    fps = [50.0, 20.0, 24.0, 50.0, 33.3]
    aa, root = motions(lengths, seed=1)
    L = aa if rot_format == "axis_angle" else axis_angle_to_matrix(aa)
    field = np.random.default_rng(3).normal(0, 30.0, (len(lengths), 3))  # µT, one world field per item
    kw = dict(fps=fps, sensors=jittered_mirrored(len(lengths)), orientation=True, rot_format=rot_format,
              mag_field=field)
    got = render(L.to(DEV), root.to(DEV), lengths, "triton", **kw)
    cpp = render(L, root, lengths, "cpp", **kw)
    ref = render(L, root, lengths, "torch", **kw)
    np.testing.assert_array_equal(got.offsets, cpp.offsets)
    np.testing.assert_array_equal(np.diff(got.offsets), output_samples(lengths, fps, 50.0))
    assert got.data.device.type == DEV and got.data.shape == cpp.data.shape and got.data.shape[-1] == 9
    torch.testing.assert_close(got.data.cpu(), cpp.data, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(got.data.cpu(), ref.data, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(got.orientation.cpu(), ref.orientation, rtol=1e-9, atol=1e-9)
    det = torch.linalg.det(got.orientation.cpu())
    torch.testing.assert_close(det, torch.ones_like(det))  # mirrored sensors keep proper orientations


def test_float32_and_gpu_block_size(monkeypatch):
    """float32 within its tolerance; 64-row blocks (the GPU's) give exactly the interpreter's 512-row result
    (the random walk carries across blocks), noise included."""
    import imusim.triton.render as tr

    lengths = [150, 90]
    fps = [50.0, 21.0]  # 148 rows; 90 frames at 21 fps → 211 rows: several 64-row blocks
    aa, root = motions(lengths, seed=2, dtype=torch.float32)
    L = axis_angle_to_matrix(aa)
    model = NoiseModel(acc=AxisNoise(noise_density=1e-2, bias_std=0.05, bias_rw=1e-2, scale_std=0.01,
                                     misalignment_std=0.01), gyro=AxisNoise(noise_density=1e-3, bias_rw=1e-3))
    kw = dict(fps=fps, sensors=["wrist_r"], noise=model, seeds=[3, 4])
    wide = render(L.to(DEV), root.to(DEV), lengths, "triton", **kw).data.cpu()
    monkeypatch.setattr(tr, "BLOCK_INTERPRET", 64)
    narrow = render(L.to(DEV), root.to(DEV), lengths, "triton", **kw).data.cpu()
    torch.testing.assert_close(narrow, wide, rtol=0, atol=0)
    ideal32 = render(L.to(DEV), root.to(DEV), lengths, "triton", fps=fps, sensors=["wrist_r"]).data.cpu()
    ref = render(L.double(), root.double(), lengths, "torch", fps=fps, sensors=["wrist_r"]).data
    assert ideal32.dtype == torch.float32
    assert ((ideal32.double() - ref).abs().max() / ref.abs().max()) < 2e-3


def test_rest_reads_plus_g_up_with_resampling():
    T = 20
    L = axis_angle_to_matrix(0.4 * torch.randn(1, 22, 3, generator=torch.Generator().manual_seed(1),
                                               dtype=torch.float64)).expand(T, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0], dtype=torch.float64).expand(T, 3).contiguous()
    r = render_imu(L.to(DEV), root.to(DEV), SMPL22, start=[0], length=[T], fps=20.0, rate=50.0, sensors=SENS,
                   orientation=True, backend="triton")
    up = torch.tensor([0.0, G, 0.0], dtype=torch.float64, device=DEV)
    torch.testing.assert_close(r.data[..., :3], (r.orientation.transpose(-1, -2) @ up), rtol=0, atol=1e-9)
    assert r.data[..., 3:].abs().max() < 1e-9


def still(T, B, dtype=torch.float32):
    L = torch.eye(3, dtype=dtype).expand(T * B, 22, 3, 3).contiguous().to(DEV)
    root = torch.tensor([0.0, 0.9, 0.0], dtype=dtype).expand(T * B, 3).contiguous().to(DEV)
    return L, root


def test_white_noise_and_random_walk_statistics():
    T, B, rate = 1500, 4, 50.0
    L, root = still(T, B)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r"], backend="triton")
    ideal = render_imu(L, root, SMPL22, **kw).data.double().cpu()
    d = 1e-2
    white = NoiseModel(acc=AxisNoise(noise_density=d), gyro=AxisNoise(noise_density=d / 10))
    e = render_imu(L, root, SMPL22, noise=white, seeds=[11, 12, 13, 2 ** 64 - 1], **kw).data.double().cpu() - ideal
    sd = d * math.sqrt(rate)  # density · √rate
    z = (e[..., :3] / sd).flatten().numpy()
    assert e[..., :3].std().item() == pytest.approx(sd, rel=0.03)
    assert e[..., 3:].std().item() == pytest.approx(sd / 10, rel=0.03)
    assert stats.kstest(z, "norm").pvalue > 1e-3 and abs(z.mean()) < 0.03
    assert (np.abs(z) > 3.0).mean() == pytest.approx(2 * stats.norm.sf(3.0), rel=0.35)
    c = np.corrcoef(e[:T - 3, 0, 0].numpy(), e[1:T - 2, 0, 0].numpy())[0, 1]
    assert abs(c) < 0.06  # white in time
    c = np.corrcoef(e[:T - 2, 0, 0].numpy(), e[T - 2:2 * (T - 2), 0, 0].numpy())[0, 1]
    assert abs(c) < 0.06  # independent across items
    rw = 0.2
    walk = NoiseModel(acc=AxisNoise(bias_rw=rw), gyro=AxisNoise(bias_rw=rw / 10))
    w = (render_imu(L, root, SMPL22, noise=walk, seeds=np.arange(B) + 1000, **kw).data.double().cpu() - ideal)
    w = w.view(B, T - 2, 6)
    inc = torch.cat([w[:, :1], torch.diff(w, dim=1)], 1)  # row 0 holds the first increment: walk(r) = Σ_{u≤r} inc
    step = rw / math.sqrt(rate)
    assert inc[..., :3].std().item() == pytest.approx(step, rel=0.03)
    assert inc[..., 3:].std().item() == pytest.approx(step / 10, rel=0.03)
    assert stats.kstest((inc[..., :3] / step).flatten().numpy(), "norm").pvalue > 1e-3  # Gaussian increments
    c = np.corrcoef(inc[:, :-1, 0].flatten().numpy(), inc[:, 1:, 0].flatten().numpy())[0, 1]
    assert abs(c) < 0.05


def test_per_item_constants_quantisation_and_saturation():
    T, B, rate = 4, 32, 50.0
    L, root = still(T, B)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r"], backend="triton")
    x = render_imu(L, root, SMPL22, **kw).data.double().cpu().view(B, T - 2, 6)
    # acc: scale only, y = (1 + s) x on the axis that reads g; gyro (ideal 0): constant bias only
    m = NoiseModel(acc=AxisNoise(scale_std=0.02), gyro=AxisNoise(bias_std=0.05))
    y = render_imu(L, root, SMPL22, noise=m, seeds=np.arange(B) + 7, **kw).data.double().cpu().view(B, T - 2, 6)
    ax = int(x[0, 0, :3].abs().argmax())
    s = y[:, 0, ax] / x[:, 0, ax] - 1
    assert s.std().item() == pytest.approx(0.02, rel=0.3) and abs(s.mean().item()) < 0.012
    assert (y[..., 3:] - y[:, :1, 3:]).abs().max() < 1e-6  # the bias is constant in time
    assert y[:, 0, 3:].std().item() == pytest.approx(0.05, rel=0.3) and abs(y[:, 0, 3:].mean().item()) < 0.03
    # saturation (acc: the thigh's −9.81 clipped at ±5) and the quantisation grid (gyro noise)
    res = 2 * 2000 * math.pi / 180 / 2 ** 16
    q = NoiseModel(acc=AxisNoise(range=5.0), gyro=AxisNoise(noise_density=0.05, resolution=res))
    z = render_imu(L, root, SMPL22, noise=q, seeds=np.arange(B), **kw).data.double().cpu()
    assert z[..., :3].abs().max() <= 5.0 + 1e-6 and (z[..., ax] == -5.0).all()
    k = z[..., 3:] / res
    torch.testing.assert_close(k, k.round(), rtol=0, atol=1e-3)
    assert len(torch.unique(k.round())) > 10


def test_noise_depends_on_seed_and_row_only():
    model = NoiseModel(acc=AxisNoise(noise_density=1e-2, bias_std=0.05, bias_rw=1e-2, scale_std=0.01,
                                     misalignment_std=0.01),
                       gyro=AxisNoise(noise_density=1e-3, bias_std=0.01, bias_rw=1e-3))
    aa, root = motions([300], seed=2)
    L = axis_angle_to_matrix(aa)
    lengths = [5, 70, 300]
    kw = dict(start=[0, 0, 0], fps=50.0, sensors=["wrist_r", "thigh_r"], noise=model)
    res = render(L.to(DEV), root.to(DEV), lengths, "triton", seeds=[42] * 3, **kw)
    full = res.item(2).cpu()
    for b, T in enumerate(lengths[:-1]):  # a shorter item is a prefix of a longer one
        torch.testing.assert_close(res.item(b).cpu(), full[:T - 2], rtol=0, atol=1e-12)
    # an item alone, or in another batch next to other items: the same draws
    alone = render(L[:70].to(DEV), root[:70].to(DEV), [70], "triton", start=[0], fps=50.0,
                   sensors=["wrist_r", "thigh_r"], noise=model, seeds=[42]).data.cpu()
    torch.testing.assert_close(alone, res.item(1).cpu(), rtol=0, atol=0)
    # a draw does not depend on the sensor count: wrist_r alone draws what wrist_r drew next to thigh_r
    one = render(L[:70].to(DEV), root[:70].to(DEV), [70], "triton", start=[0], fps=50.0, sensors=["wrist_r"],
                 noise=model, seeds=[42]).data.cpu()
    torch.testing.assert_close(one[:, 0], alone[:, 0], rtol=0, atol=0)
    other = render(L.to(DEV), root.to(DEV), [300], "triton", start=[0], fps=50.0, sensors=["wrist_r", "thigh_r"],
                   noise=model, seeds=[43]).data.cpu()
    assert (other - full).abs().max() > 0.01
    # float32 and float64 renderings draw the same noise
    L32, r32 = L.float().to(DEV), root.float().to(DEV)
    n64 = full - render(L.to(DEV), root.to(DEV), [300], "triton", start=[0], fps=50.0,
                        sensors=["wrist_r", "thigh_r"]).data.cpu()
    n32 = (render(L32, r32, [300], "triton", seeds=[42], **{**kw, "start": [0]}).data
           - render(L32, r32, [300], "triton", start=[0], fps=50.0, sensors=["wrist_r", "thigh_r"]).data).cpu()
    torch.testing.assert_close(n32.double(), n64, rtol=0, atol=5e-4)


def test_backend_choice():
    """CPU tensors default to the CPU kernel (never to the interpreter); unknown backends are refused by name.
    Every error term is rendered by the Triton kernel (tests/triton/test_triton_render_errors.py)."""
    aa, root = motions([10])
    L = axis_angle_to_matrix(aa)
    base = dict(start=[0], length=[10], fps=50.0, rate=50.0, sensors=["wrist_r"])
    assert torch.equal(render_imu(L, root, SMPL22, **base).data, render_imu(L, root, SMPL22, backend="cpp", **base).data)
    with pytest.raises(ValueError, match="backend must be one of"):
        render_imu(L, root, SMPL22, backend="cuda", **base)
