"""Batched IMU rendering (imusim.imu.render): parity with synthesize_imu, mirroring, per-item mounts,
physics at rest, the in-kernel sensor error model and its determinism, and errors."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats

from imusim.constants import GRAVITY
from imusim.imu import NoiseModel, get_noise_model, synthesize_imu
from imusim.imu.noise import AxisNoise
from imusim.imu.render import Mounts, mirror_joint_map, mirror_mounts, output_samples, render_imu
from imusim.imu.sensors import PRESETS
from imusim.kinematics import SMPL22, Skeleton
from imusim.kinematics.rotations import axis_angle_to_matrix
from tests.harness import motions, starts_of

G = GRAVITY  # the project's one gravity constant (standard gravity)
SENS = ["wrist_r", "thigh_l", "head"]
# the CPU kernel works on blocks of NS = 128 source frames (FK) and NB = 128 output rows, noise in groups of 8
# rows: lengths around those boundaries (output rows = length - 2 at the same rate)
EDGE_LENGTHS = [2, 3, 4, 9, 10, 11, 127, 128, 129, 130, 131, 258, 259, 700]


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


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-8), (torch.float32, 2e-3)])
def test_block_boundary_lengths_match_synthesize_imu(dtype, tol):
    # same rate (rows = length - 2 across the output-block and FK-block boundaries) and resampled from 20 fps
    # (rows = floor((length - 1) * 2.5) - 1: 52 -> 126, 53 -> 129, 103 -> 254, 104 -> 256, 105 -> 259)
    lengths = EDGE_LENGTHS + [2, 3, 51, 52, 53, 103, 104, 105, 400]
    fps = [50.0] * len(EDGE_LENGTHS) + [20.0] * 9
    aa, root = motions(lengths, seed=7, dtype=dtype)
    L = axis_angle_to_matrix(aa)
    res = render_imu(L, root, SMPL22, start=starts_of(lengths), length=lengths, fps=fps, rate=50.0, sensors=SENS,
                     orientation=True)
    rows = output_samples(lengths, fps, 50.0)
    np.testing.assert_array_equal(np.diff(res.offsets), rows)
    for b, (T, f) in enumerate(zip(lengths, fps)):
        got = res.item(b)
        if rows[b] == 0:  # 2 frames at 50 Hz; 2 frames at 20 fps give 3 samples, 1 row
            assert T == 2 and f == 50.0 and got.shape[0] == 0
            continue
        s = int(starts_of(lengths)[b])
        ref = synthesize_imu(axis_angle_to_matrix(aa[s:s + T].double()), root[s:s + T].double(), SMPL22, SENS, f,
                             rate=50.0)
        assert got.shape == ref.stacked().shape, (T, f)
        err = (got.double() - ref.stacked()).abs().max() / ref.stacked().abs().max()
        assert err < tol, (T, f, float(err))
        ori = res.orientation[res.offsets[b]:res.offsets[b + 1]]
        assert (ori.double() - ref.orientation).abs().max() < tol * 10, (T, f)


def test_block_boundary_lengths_match_torch_reference_with_mirrored_mounts():
    lengths = [3, 11, 129, 130, 131, 259, 53, 105, 37]
    fps = [50.0] * 6 + [20.0, 20.0, 23.7]
    aa, root = motions(lengths, seed=9)
    L = axis_angle_to_matrix(aa)
    m = Mounts.from_sensors([PRESETS[n] for n in SENS], SMPL22, len(lengths))
    m.offsets = m.offsets + np.random.default_rng(1).normal(0, 0.02, m.offsets.shape)
    m = mirror_mounts(m, np.arange(len(lengths)) % 2 == 0, SMPL22)
    kw = dict(start=starts_of(lengths), length=lengths, fps=fps, rate=50.0, sensors=m, orientation=True)
    a = render_imu(L, root, SMPL22, backend="cpp", **kw)
    b = render_imu(L, root, SMPL22, backend="torch", **kw)
    torch.testing.assert_close(a.data, b.data, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(a.orientation, b.orientation, rtol=1e-9, atol=1e-9)


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
    bmi = get_noise_model("bmi160")
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


def test_noise_of_a_row_depends_on_seed_and_row_only():
    # a short item is a prefix of a longer one (same seed, same frames): its noisy rows equal the longer item's
    # first rows, across output blocks and noise groups (the draws do not depend on the item's length or blocking)
    model = NoiseModel(acc=AxisNoise(noise_density=1e-2, bias_std=0.05, bias_rw=1e-2, scale_std=0.01,
                                     misalignment_std=0.01),
                       gyro=AxisNoise(noise_density=1e-3, bias_std=0.01, bias_rw=1e-3))
    aa, root = motions([700], seed=2, dtype=torch.float32)
    L = axis_angle_to_matrix(aa)
    lengths = [5, 12, 129, 131, 258, 700]
    res = render_imu(L, root, SMPL22, start=[0] * len(lengths), length=lengths, fps=50.0, rate=50.0,
                     sensors=["wrist_r", "thigh_r"], noise=model, seeds=[42] * len(lengths))
    full = res.item(len(lengths) - 1)
    for b, T in enumerate(lengths[:-1]):
        torch.testing.assert_close(res.item(b), full[:T - 2], rtol=0, atol=2e-4)
    other = render_imu(L, root, SMPL22, start=[0], length=[700], fps=50.0, rate=50.0, sensors=["wrist_r", "thigh_r"],
                       noise=model, seeds=[43]).data
    assert (other - full).abs().max() > 0.01


def _threads_render():
    """A noisy batch across the kernel's block boundaries (rendered in-process and in subprocesses)."""
    lengths = EDGE_LENGTHS + [53, 104, 300]
    fps = [50.0] * len(EDGE_LENGTHS) + [20.0, 21.3, 17.0]
    aa, root = motions(lengths, seed=4, dtype=torch.float32)
    r = render_imu(axis_angle_to_matrix(aa), root, SMPL22, start=starts_of(lengths), length=lengths, fps=fps,
                   rate=50.0, sensors=["wrist_r", "thigh_r", "head"], noise="bmi160",
                   seeds=np.arange(len(lengths)) * 7919 + 1, orientation=True)
    return np.concatenate([r.data.numpy().ravel(), r.orientation.numpy().ravel()])


def test_noisy_output_is_independent_of_the_thread_count(tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    script = (f"import sys, numpy as np; sys.path.insert(0, {here!r}); from test_render import _threads_render; "
              "np.save(sys.argv[1], _threads_render())")
    ref = _threads_render()  # the default thread count (one per core)
    for n in (1, 3):
        f = tmp_path / f"t{n}.npy"
        env = {**os.environ, "OMP_NUM_THREADS": str(n)}
        subprocess.run([sys.executable, "-c", script, str(f)], env=env, check=True, timeout=300)
        np.testing.assert_array_equal(np.load(f), ref)


def test_bias_random_walk_variance_and_white_noise_normality():
    T, B, rate = 600, 256, 50.0
    L, root = still(T, B)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r", "wrist_l"])
    ideal = render_imu(L, root, SMPL22, **kw).data.double()
    rw = 0.2  # unit/sqrt(s): per-sample increments of std rw / sqrt(rate)
    walk = NoiseModel(acc=AxisNoise(bias_rw=rw), gyro=AxisNoise(bias_rw=rw / 10))
    e = (render_imu(L, root, SMPL22, noise=walk, seeds=np.arange(B) + 1000, **kw).data.double() - ideal)
    e = e.view(B, T - 2, 2, 6)
    for r in (0, 7, 8, 127, 128, 129, 400, T - 3):  # Var b[r] = (r + 1) rw^2 / rate across items
        v = e[:, r, :, :3].var().item()
        assert v == pytest.approx((r + 1) * rw ** 2 / rate, rel=0.15), r
        vg = e[:, r, :, 3:].var().item()
        assert vg == pytest.approx((r + 1) * (rw / 10) ** 2 / rate, rel=0.15), r
    inc = torch.diff(e, dim=1)  # increments: uniform of std rw / sqrt(rate), independent in time
    assert inc[..., :3].std().item() == pytest.approx(rw / math.sqrt(rate), rel=0.01)
    u = inc[..., 0].flatten().numpy() / (rw / math.sqrt(rate) * math.sqrt(12)) + 0.5
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    c = np.corrcoef(inc[:, :-1, 0, 0].flatten().numpy(), inc[:, 1:, 0, 0].flatten().numpy())[0, 1]
    assert abs(c) < 0.02
    # white noise: normal (KS and tails of the 256-layer ziggurat) and white (no lag-1 correlation)
    white = NoiseModel(acc=AxisNoise(noise_density=0.1), gyro=AxisNoise(noise_density=0.01))
    z = (render_imu(L, root, SMPL22, noise=white, seeds=np.arange(B) + 5000, **kw).data.double() - ideal)
    z = (z.view(B, T - 2, 2, 6)[..., :3] / (0.1 * math.sqrt(rate))).numpy()
    flat = z.ravel()
    assert stats.kstest(flat, "norm").pvalue > 1e-3
    assert abs(flat.mean()) < 0.01 and flat.std() == pytest.approx(1.0, rel=0.01)
    for k in (2.0, 3.0, 3.7):
        assert (np.abs(flat) > k).mean() == pytest.approx(2 * stats.norm.sf(k), rel=0.2 if k < 3.5 else 0.5), k
    c = np.corrcoef(z[:, :-1, 0, 0].ravel(), z[:, 1:, 0, 0].ravel())[0, 1]
    assert abs(c) < 0.02


def test_float64_draws_the_same_noise_as_float32():
    model = NoiseModel(acc=AxisNoise(noise_density=1e-2, bias_std=0.05, bias_rw=1e-2, scale_std=0.01,
                                     misalignment_std=0.01),
                       gyro=AxisNoise(noise_density=1e-3, bias_std=0.01, bias_rw=1e-3))
    lengths = [130, 53, 300]
    aa, root = motions(lengths, seed=6)
    kw = dict(start=starts_of(lengths), length=lengths, fps=[50.0, 20.0, 31.0], rate=50.0,
              sensors=["wrist_r", "thigh_r"], noise=model, seeds=[5, 6, 7])
    L, L32, r32 = axis_angle_to_matrix(aa), axis_angle_to_matrix(aa).float(), root.float()
    nd = render_imu(L, root, SMPL22, **kw).data - render_imu(L, root, SMPL22, **{**kw, "noise": None}).data
    nf = render_imu(L32, r32, SMPL22, **kw).data - render_imu(L32, r32, SMPL22, **{**kw, "noise": None}).data
    assert nd.abs().max() > 0.05  # the noise itself (acc white std 0.07)
    # the same draws: the noise parts agree to float rounding (of M x and of the float ideal signal), far
    # below the noise (gyro white std 0.007)
    torch.testing.assert_close(nf.double(), nd, rtol=0, atol=5e-4)


def test_normal_draws_of_the_kernel_stream():
    from imusim import _backend
    cpu = _backend.cpu_module()
    if cpu is None:
        pytest.skip("compiled module not built")
    n = 2_000_000
    x = np.empty(n, np.float32)
    cpu.normal_draws(123, n, x.ctypes.data)
    assert stats.kstest(x, "norm").pvalue > 1e-3
    assert abs(x.mean()) < 3e-3 and x.std() == pytest.approx(1.0, abs=3e-3)
    assert (np.abs(x) > 3.5).mean() == pytest.approx(2 * stats.norm.sf(3.5), rel=0.1)
    assert (np.abs(x) > 4.2).mean() == pytest.approx(2 * stats.norm.sf(4.2), rel=0.4)  # beyond the base layer (4.04)
    y = np.empty(n, np.float32)
    cpu.normal_draws(123, n, y.ctypes.data)
    np.testing.assert_array_equal(x, y)


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
