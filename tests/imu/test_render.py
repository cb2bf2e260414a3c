"""Batched IMU rendering (imusim.imu.render): parity with synthesize_imu, mirroring, per-item mounts,
physics at rest, the in-kernel sensor error model and its determinism, and errors."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from imusim.imu import NoiseModel, synthesize_imu
from imusim.imu.noise import AxisNoise
from imusim.imu.render import Mounts, mirror_joint_map, mirror_mounts, output_samples, render_imu
from imusim.imu.sensors import PRESETS
from imusim.kinematics import SMPL22, Skeleton
from imusim.kinematics.rotations import axis_angle_to_matrix

G = 9.81
SENS = ["wrist_r", "thigh_l", "head"]


def motions(lengths, seed=0, dtype=torch.float64):
    """Smooth random motions (axis-angle sinusoids + a walking root), concatenated into one pool."""
    g = torch.Generator().manual_seed(seed)
    Ls, rs = [], []
    for T in lengths:
        t = torch.arange(T, dtype=torch.float64)[:, None, None] / 30.0
        amp = 0.6 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        f = 0.3 + 1.5 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        ph = 6.28 * torch.rand(1, 22, 3, generator=g, dtype=torch.float64)
        Ls.append(amp * torch.sin(2 * math.pi * f * t + ph))
        tt = t[:, 0, 0]
        rs.append(torch.stack([1.1 * tt, 0.9 + 0.03 * torch.sin(9 * tt), 0.2 * torch.sin(2 * tt)], -1))
    aa = torch.cat(Ls).to(dtype)
    return aa, torch.cat(rs).to(dtype)


def starts_of(lengths):
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-8), (torch.float32, 2e-3)])
@pytest.mark.parametrize("rot_format", ["matrix", "axis_angle"])
def test_matches_synthesize_imu_per_item(dtype, tol, rot_format):
    lengths = [37, 61, 2, 90, 45]
    fps = [30.0, 24.0, 30.0, 50.0, 33.3]  # resampled, resampled, too short, same rate, odd rate
    aa, root = motions(lengths, dtype=dtype)
    L = aa if rot_format == "axis_angle" else axis_angle_to_matrix(aa)
    res = render_imu(L, root, SMPL22, start=starts_of(lengths), length=lengths, fps=fps, rate=50.0, sensors=SENS,
                     rot_format=rot_format, orientation=True)
    assert res.data.shape[1:] == (3, 6) and res.data.dtype == dtype
    np.testing.assert_array_equal(np.diff(res.offsets), output_samples(lengths, fps, 50.0))
    for b, (T, f) in enumerate(zip(lengths, fps)):
        got = res.item(b)
        if T < 3:
            assert got.shape[0] == 0
            continue
        s = int(starts_of(lengths)[b])
        ref = synthesize_imu(axis_angle_to_matrix(aa[s:s + T].double()), root[s:s + T].double(), SMPL22, SENS, f,
                             rate=50.0)
        scale = ref.stacked().abs().max()
        assert got.shape == ref.stacked().shape
        err = (got.double() - ref.stacked()).abs().max() / scale
        assert err < tol, (b, float(err))
        ori = res.orientation[res.offsets[b]:res.offsets[b + 1]]
        assert (ori.double() - ref.orientation).abs().max() < tol * 10


def test_cpp_matches_torch_reference_with_per_item_and_mirrored_mounts():
    lengths = [40, 52, 33]
    aa, root = motions(lengths, seed=3)
    L = axis_angle_to_matrix(aa)
    m = Mounts.from_sensors([PRESETS[n] for n in SENS], SMPL22, 3)
    rng = np.random.default_rng(0)
    m.offsets = m.offsets + rng.normal(0, 0.02, m.offsets.shape)
    m = mirror_mounts(m, np.array([False, True, True]), SMPL22)
    kw = dict(start=starts_of(lengths), length=lengths, fps=[30.0, 25.0, 50.0], rate=50.0, sensors=m,
              orientation=True)
    a = render_imu(L, root, SMPL22, backend="cpp", **kw)
    b = render_imu(L, root, SMPL22, backend="torch", **kw)
    torch.testing.assert_close(a.data, b.data, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(a.orientation, b.orientation, rtol=1e-9, atol=1e-9)
    det = torch.linalg.det(a.orientation)
    torch.testing.assert_close(det, torch.ones_like(det))  # mirrored sensors still have proper orientations


def symmetric_smpl22():
    off = SMPL22.offsets.clone()
    jm = mirror_joint_map(SMPL22)
    M = torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    sym = 0.5 * (off + off[jm] * M)
    return Skeleton(SMPL22.names, SMPL22.parents, sym, "SMPL22sym")


def test_mirrored_mounts_equal_the_explicitly_mirrored_motion():
    sk = symmetric_smpl22()
    T = 70
    aa, root = motions([T], seed=5)
    L = axis_angle_to_matrix(aa)
    jm = torch.as_tensor(mirror_joint_map(sk))
    M = torch.diag(torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64))
    Lm, rootm = M @ L[:, jm] @ M, root * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    ref = synthesize_imu(Lm, rootm, sk, SENS, 30.0, rate=50.0)
    m = mirror_mounts(Mounts.from_sensors([PRESETS[n] for n in SENS], sk, 1), np.array([True]), sk)
    got = render_imu(L, root, sk, start=[0], length=[T], fps=30.0, rate=50.0, sensors=m, orientation=True)
    torch.testing.assert_close(got.data, ref.stacked(), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(got.orientation, ref.orientation, rtol=1e-9, atol=1e-9)


def test_rest_reads_plus_g_up_with_resampling():
    T = 20
    L = axis_angle_to_matrix(0.4 * torch.randn(1, 22, 3, generator=torch.Generator().manual_seed(1),
                                               dtype=torch.float64)).expand(T, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0], dtype=torch.float64).expand(T, 3).contiguous()
    r = render_imu(L, root, SMPL22, start=[0], length=[T], fps=20.0, rate=50.0, sensors=SENS, orientation=True)
    up = torch.tensor([0.0, G, 0.0], dtype=torch.float64)
    torch.testing.assert_close(r.data[..., :3], (r.orientation.transpose(-1, -2) @ up), rtol=0, atol=1e-9)
    assert r.data[..., 3:].abs().max() < 1e-9


def white_only(density, rate):
    return NoiseModel(acc=AxisNoise(noise_density=density), gyro=AxisNoise(noise_density=density / 10))


def still(T, B):
    L = torch.eye(3, dtype=torch.float32).expand(T * B, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0]).expand(T * B, 3).contiguous()
    return L, root


def test_noise_statistics_and_determinism():
    T, B, rate = 2000, 4, 100.0
    L, root = still(T, B)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r"])
    ideal = render_imu(L, root, SMPL22, **kw).data
    model = white_only(1e-2, rate)
    seeds = [11, 12, 13, 2 ** 64 - 1]
    noisy = render_imu(L, root, SMPL22, noise=model, seeds=seeds, **kw).data
    e = (noisy - ideal).double()
    sd = e[..., :3].std().item()
    assert sd == pytest.approx(1e-2 * math.sqrt(rate), rel=0.03)  # density · √rate
    assert e[..., 3:].std().item() == pytest.approx(1e-3 * math.sqrt(rate), rel=0.03)
    assert stats.kstest(e[..., 0].flatten().numpy() / sd, "norm").pvalue > 1e-3
    # one item rendered alone, first or last in another batch: identical draws (its own seed only)
    alone = render_imu(L[:T], root[:T], SMPL22, start=[0], length=[T], fps=rate, rate=rate, sensors=["thigh_r"],
                       noise=model, seeds=[13]).data
    torch.testing.assert_close(alone, noisy[2 * (T - 2):3 * (T - 2)], rtol=0, atol=0)
    assert not torch.equal(noisy[:T - 2], noisy[T - 2:2 * (T - 2)])  # other seeds, other noise
    # different items are uncorrelated
    c = np.corrcoef(e[:T - 2, 0, 0].numpy(), e[T - 2:2 * (T - 2), 0, 0].numpy())[0, 1]
    assert abs(c) < 0.1


def test_bmi160_bias_quantisation_and_saturation():
    T, B, rate = 400, 64, 50.0
    L, root = still(T, B)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r"])
    ideal = render_imu(L, root, SMPL22, **kw).data
    bmi = NoiseModel.bmi160()
    y = render_imu(L, root, SMPL22, noise=bmi, seeds=np.arange(B) + 100, **kw).data.double()
    q = y[..., :3] / bmi.acc.resolution
    torch.testing.assert_close(q, q.round(), rtol=0, atol=1e-3)  # on the 16-bit grid
    # per-item constant bias: the mean offset of an item at rest has the bias spread across items
    off = (y - ideal.double()).view(B, T - 2, 1, 6).mean(1)[:, 0]
    assert off[:, 3:].std().item() == pytest.approx(bmi.gyro.bias_std, rel=0.35)
    # saturation: a 1 g range clips the +9.81 reading of an upright thigh sensor
    small = NoiseModel(acc=AxisNoise(range=5.0), gyro=AxisNoise())
    z = render_imu(L, root, SMPL22, noise=small, seeds=np.arange(B), **kw).data
    assert z[..., :3].abs().max() <= 5.0 + 1e-6 and (z[..., :3].abs() == 5.0).any()


def test_errors_name_the_argument():
    L, root = still(10, 1)
    base = dict(start=[0], length=[10], fps=50.0, rate=50.0, sensors=["wrist_r"])
    with pytest.raises(ValueError, match=r"local_rot must be \[F, 22, 3, 3\]"):
        render_imu(L[:, :5], root, SMPL22, **base)
    with pytest.raises(ValueError, match=r"root_pos must be \[F, 3\]"):
        render_imu(L, root[:5], SMPL22, **base)
    with pytest.raises(ValueError, match="item 0: frames start=3, length=10"):
        render_imu(L, root, SMPL22, **{**base, "start": [3]})
    with pytest.raises(ValueError, match="noise needs seeds"):
        render_imu(L, root, SMPL22, noise="bmi160", **base)
    with pytest.raises(ValueError, match="fps must be positive"):
        render_imu(L, root, SMPL22, **{**base, "fps": -1.0})
    with pytest.raises(ValueError, match="share dtype"):
        render_imu(L, root.double(), SMPL22, **base)
    with pytest.raises(ValueError, match="backend must be one of"):
        render_imu(L, root, SMPL22, backend="cuda", **base)
