"""Every term of the sensor error model in the Triton renderer (imusim/triton/render.py), under TRITON_INTERPRET=1
on CPU tensors (or on a GPU), against independent references: scipy's ``sosfilt``/``lfilter`` for the block
form of the low-pass and the Gauss–Markov recursion (the same draws rendered with and without the filter),
exact linear algebra on the constants the kernel drew (``errors=True``), textbook statistics (flicker
increments and Allan floor, Butterworth PSD and its −3 dB point, Gauss–Markov variance, correlation and Allan
curve), the CPU kernel's statistics, and the draw contract (seed, sensor, channel and row only). The
interpreter costs per block of rows and per (item, sensor) program: long static items, few programs."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import signal, stats

from imusim import _backend
from imusim.imu import allan_deviation
from imusim.imu.noise import DEG, G, AxisNoise, NoiseModel, flicker_components
from imusim.imu.profiles import get_noise_model
from imusim.imu.render import render_imu
from imusim.kinematics import SMPL22
from imusim.triton import render as trr
from tests.harness import motion_matrices as motions, starts_of

pytestmark = pytest.mark.skipif(not (_backend._triton_ok() and (_backend.triton_interpret() or torch.cuda.is_available())),
                                reason="Triton needs a GPU or TRITON_INTERPRET=1")
DEV = "cuda" if torch.cuda.is_available() else "cpu"
RATE = 50.0


def still(T, B=1, dtype=torch.float64):
    L = torch.eye(3, dtype=dtype).expand(T * B, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0], dtype=dtype).expand(T * B, 3).contiguous()
    return L, root


def on(x):
    return x.to(DEV)


def steady_sosfilt(sos, x):
    """The low-pass as the reference defines it: started in the steady state of the first sample (axis 0)."""
    return signal.sosfilt(sos, x - x[:1], axis=0) + x[:1]


# ---------------------------------------------------------------- the block form on the host

@pytest.mark.parametrize("order", [1, 2, 3, 5, 8])
def test_block_matrices_equal_sosfilt_and_the_gauss_markov_recursion(order):
    """y = H w + Φ s, s' = Aⁿ s + Ψ w over blocks of n rows is the biquad cascade (scipy.sosfilt); the Gauss–Markov
    block form is lfilter([1], [1, −φ]) started from g0."""
    rng = np.random.default_rng(order)
    sos = signal.butter(order, 0.31, output="sos")  # fraction of Nyquist
    sec = tuple(tuple(r) for r in (sos[:, [0, 1, 2, 4, 5]] / sos[:, 3:4]))
    phi, g0 = 0.93, 0.7
    x = rng.normal(size=301)
    for n in (7, 64):
        mats = trr.filter_mats(sec, phi, n)
        nd = trr.NSTATE
        H = mats[:n * n].reshape(n, n)
        T = mats[n * n:2 * n * n].reshape(n, n)
        o = 2 * n * n
        Phi = mats[o:o + n * nd].reshape(n, nd)
        Psi = mats[o + n * nd:o + 2 * n * nd].reshape(nd, n)
        An = mats[o + 2 * n * nd:o + 2 * n * nd + nd * nd].reshape(nd, nd)
        P = mats[o + 2 * n * nd + nd * nd:]
        y, gm = np.zeros_like(x), np.zeros_like(x)
        s, gprev = np.zeros(nd), g0
        for r0 in range(0, len(x), n):
            w = np.zeros(n)
            k = min(n, len(x) - r0)
            w[:k] = x[r0:r0 + k]
            y[r0:r0 + k] = (H @ w + Phi @ s)[:k]
            s = An @ s + Psi @ w
            gb = T @ w + P * gprev
            gm[r0:r0 + k] = gb[:k]
            gprev = gb[-1]
        np.testing.assert_allclose(y, signal.sosfilt(sos, x), rtol=0, atol=1e-12)
        np.testing.assert_allclose(gm, signal.lfilter([1.0], [1.0, -phi], x, zi=[phi * g0])[0], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- the recursive terms in the kernel, exactly

def test_lowpass_is_the_steady_sosfilt_of_the_same_draws(monkeypatch):
    """Switching the low-pass on leaves every draw where it was: the filtered rendering equals scipy's sosfilt
    (steady start) of the unfiltered one, for orders 1, 4 and 7 on acc, gyro and mag, across 512-row blocks, with
    the walk, flicker and Gauss–Markov terms inside the filter. The Gauss–Markov part alone (the rendering with
    minus without it) follows g[t] = φ g[t−1] + N(0, σ²(1 − φ²)). Blocks of 128 rows give the same rendering to
    rounding (every recursive state is carried across block boundaries)."""
    T = 1100
    L, root = motions([T], seed=4)
    gm_sd, tau = 0.02, 0.5
    base = NoiseModel(acc=AxisNoise(noise_density=0.05, bias_rw=0.01, bias_instability=0.01, bias_std=0.1),
                      gyro=AxisNoise(noise_density=0.01, bias_gm_std=gm_sd, bias_gm_tau=tau, scale_std=0.01),
                      mag=AxisNoise(noise_density=0.5, bias_std=1.0, cross_axis_std=0.01))
    filt = replace(base, acc=replace(base.acc, bandwidth=8.0, filter_order=1),
                   gyro=replace(base.gyro, bandwidth_odr=0.3, filter_order=4),
                   mag=replace(base.mag, bandwidth=5.0, filter_order=7))
    kw = dict(start=[0], length=[T], fps=RATE, rate=RATE, sensors=["wrist_l"], seeds=[77], mag_field=True,
              backend="triton")
    y0 = render_imu(on(L), on(root), SMPL22, noise=base, **kw).data[:, 0].cpu().numpy()
    y1 = render_imu(on(L), on(root), SMPL22, noise=filt, **kw).data[:, 0].cpu().numpy()
    assert y0.shape == (T - 2, 9)
    for k, a in enumerate((filt.acc, filt.gyro, filt.mag)):
        sl = slice(3 * k, 3 * k + 3)
        want = steady_sosfilt(a.sos(RATE), y0[:, sl])
        np.testing.assert_allclose(y1[:, sl], want, rtol=0, atol=1e-9 * max(1.0, np.abs(want).max()))
        assert np.abs(y1[:, sl] - y0[:, sl]).max() > 10 * np.abs(want).max() * 1e-6  # the filter did act
    # only the gyro filtered: acc and mag come out exactly as without any filter
    gonly = replace(base, gyro=filt.gyro)
    y2 = render_imu(on(L), on(root), SMPL22, noise=gonly, **kw).data[:, 0].cpu().numpy()
    np.testing.assert_array_equal(y2[:, [0, 1, 2, 6, 7, 8]], y0[:, [0, 1, 2, 6, 7, 8]])
    np.testing.assert_array_equal(y2[:, 3:6], y1[:, 3:6])
    if DEV == "cpu":
        monkeypatch.setattr(trr, "BLOCK_INTERPRET", 128)
    else:
        monkeypatch.setattr(trr, "BLOCK_ROWS", 32)
    gm_all = replace(filt, acc=replace(filt.acc, bias_gm_std=0.05, bias_gm_tau=0.1),
                     mag=replace(filt.mag, bias_gm_std=2.0, bias_gm_tau=3.0))
    narrow = render_imu(on(L), on(root), SMPL22, noise=gm_all, **kw).data[:, 0].cpu().numpy()
    monkeypatch.undo()
    wide = render_imu(on(L), on(root), SMPL22, noise=gm_all, **kw).data[:, 0].cpu().numpy()
    np.testing.assert_allclose(narrow, wide, rtol=0, atol=1e-9 * np.abs(wide).max())
    nogm = replace(base, gyro=replace(base.gyro, bias_gm_std=0.0))
    g = y0[:, 3:6] - render_imu(on(L), on(root), SMPL22, noise=nogm, **kw).data[:, 0].cpu().numpy()[:, 3:6]
    phi = math.exp(-1.0 / (RATE * tau))
    innov = (g[1:] - phi * g[:-1]).ravel()
    assert innov.std() == pytest.approx(gm_sd * math.sqrt(1 - phi * phi), rel=0.06)
    assert abs(np.corrcoef(innov[:-3], innov[3:])[0, 1]) < 0.1 and stats.kstest(
        innov / innov.std(), "norm").pvalue > 1e-3


# ---------------------------------------------------------------- statistics against the textbook and the CPU

def test_lowpass_flicker_and_gauss_markov_statistics():
    """One long static item, 2 sensors: acc = white noise through a 2nd-order Butterworth (PSD follows |H|², −3 dB at
    the cut-off), gyro = flicker (increments of std = the bias instability, flat Allan floor), mag = Gauss–Markov
    (variance, correlation e⁻¹ at τ, Allan curve of the formula); each also against the CPU kernel."""
    T, fc, F, sig, tau = 8192, 10.0, 0.004, 0.3, 0.4
    model = NoiseModel(acc=AxisNoise(noise_density=0.02, bandwidth=fc, filter_order=2),
                       gyro=AxisNoise(bias_instability=F), mag=AxisNoise(bias_gm_std=sig, bias_gm_tau=tau))
    sens = ["thigh_r", "wrist_l"]

    def errs(backend, B, dev):
        L, root = still(T, B, torch.float32)
        kw = dict(start=np.arange(B) * T, length=[T] * B, fps=RATE, rate=RATE, sensors=sens, mag_field=True,
                  backend=backend)
        y = render_imu(L.to(dev), root.to(dev), SMPL22, noise=model, seeds=np.arange(B) + 5, **kw).data
        Ls, rs = still(5, 1, torch.float32)
        ideal = render_imu(Ls.to(dev), rs.to(dev), SMPL22, start=[0], length=[5], fps=RATE, rate=RATE, sensors=sens,
                           mag_field=True, backend=backend).data[:1]
        return (y - ideal).double().cpu().numpy().reshape(B, T - 2, len(sens), 9)

    tri = errs("triton", 1, DEV)
    cpu = errs("cpp", 8, "cpu") if _backend.cpu_module() is not None else None
    out = {}
    for name, e in (("triton", tri), ("cpp", cpu)):
        if e is None:
            continue
        # acc: PSD of the filtered white noise
        a = e[..., :3].transpose(0, 2, 3, 1).reshape(-1, T - 2)
        f, p = signal.welch(a, fs=RATE, nperseg=128, axis=-1)
        psd = p.mean(0)
        low = psd[(f > 0.5) & (f < 3.0)].mean()
        band = (f > 1) & (f < 0.45 * RATE)
        gain = 1 / (1 + (np.tan(np.pi * f[band] / RATE) / np.tan(np.pi * fc / RATE)) ** 4)
        np.testing.assert_allclose(psd[band] / low, gain, rtol=0.2, atol=3e-3)
        gr = psd[band] / low
        i = int(np.argmax(gr < 0.5))
        f3 = f[band][i - 1] + (gr[i - 1] - 0.5) / (gr[i - 1] - gr[i]) * (f[band][i] - f[band][i - 1])
        assert f3 == pytest.approx(fc, rel=0.1), name
        # gyro: flicker increments (one component redrawn per row: Var = 2 (F/√2)²) and the flat Allan floor
        gy = e[..., 3:6]
        d = np.diff(gy, axis=1).ravel()
        assert d.std() == pytest.approx(F, rel=0.03), name
        if name == "triton":  # Gaussian components as in the reference (the CPU kernel's are uniform: triangular)
            assert stats.kurtosis(d) == pytest.approx(0.0, abs=0.15)
        taus = np.array([16, 64, 256]) / RATE
        _, ad = allan_deviation(gy.transpose(1, 0, 2, 3).reshape(T - 2, -1), RATE, taus=taus)
        adev = np.sqrt((ad ** 2).mean(1))
        np.testing.assert_allclose(adev, F, rtol=0.2)
        # mag: Gauss–Markov, stationary from row 0
        m = e[..., 6:9]
        assert m.std() == pytest.approx(sig, rel=0.12), name
        lag = int(tau * RATE)
        assert np.corrcoef(m[:, :-lag].ravel(), m[:, lag:].ravel())[0, 1] == pytest.approx(math.exp(-1), abs=0.08)
        gt = np.array([0.1, 0.4, 2.0])
        _, ad = allan_deviation(m.transpose(1, 0, 2, 3).reshape(T - 2, -1), RATE, taus=gt)
        q = tau / gt
        expect = np.sqrt(2 * sig ** 2 * q * (1 - 0.5 * q * (3 - 4 * np.exp(-1 / q) + np.exp(-2 / q))))
        np.testing.assert_allclose(np.sqrt((ad ** 2).mean(1)), expect, rtol=0.15)
        out[name] = (f3, d.std(), adev, m.std())
    if "cpp" in out:  # the same statistics as the CPU kernel (its own draws)
        t, c = out["triton"], out["cpp"]
        assert t[0] == pytest.approx(c[0], rel=0.08) and t[1] == pytest.approx(c[1], rel=0.04)
        np.testing.assert_allclose(t[2], c[2], rtol=0.2)
        assert t[3] == pytest.approx(c[3], rel=0.15)


def all_terms():
    """Every term on, with magnitudes that make each visible (tests/imu/test_error_model.py's model)."""
    ax = dict(noise_density=0.02, bias_std=0.1, bias_rw=0.01, scale_std=0.01, misalignment_std=0.01,
              cross_axis_std=0.01, bias_instability=0.01, bias_gm_std=0.05, bias_gm_tau=2.0, bias_tempco_std=0.01,
              scale_tempco_std=1e-3, bandwidth_odr=0.3, range=40.0, resolution=0.001)
    return NoiseModel(acc=AxisNoise(**ax), gyro=AxisNoise(**{**ax, "range": 10.0}, g_sensitivity=0.002),
                      mag=AxisNoise(**{**ax, "range": 200.0}), name="all")


def test_every_term_together_has_the_cpu_kernels_statistics():
    """All terms at once (static sensor, 30 °C): the per-sample statistics (std and kurtosis of the row-to-row
    differences, Allan deviation) of the Triton rendering equal the CPU kernel's."""
    T, rate = 4096, 20.0
    model = all_terms()
    res = {}
    for be, B, dev in (("triton", 2, DEV), ("cpp", 16, "cpu")):
        if be == "cpp" and _backend.cpu_module() is None:
            pytest.skip("compiled CPU module not built")
        L, root = still(T, B, torch.float32)
        kw = dict(start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate, sensors=["thigh_r"], mag_field=True,
                  temperature=30.0, backend=be)
        y = render_imu(L.to(dev), root.to(dev), SMPL22, noise=model, seeds=np.arange(B) + 100, **kw).data
        e = y.double().cpu().numpy().reshape(B, T - 2, 9)
        d = np.diff(e, axis=1).reshape(-1, 9)
        _, ad = allan_deviation(e.transpose(1, 0, 2).reshape(T - 2, -1), rate, taus=[0.5, 5.0])
        res[be] = dict(dsd=d.std(0), kurt=stats.kurtosis(d, axis=0), adev=np.sqrt((ad.reshape(2, B, 9) ** 2).mean(1)))
    a, b = res["triton"], res["cpp"]
    np.testing.assert_allclose(a["dsd"], b["dsd"], rtol=0.06)
    np.testing.assert_allclose(a["kurt"], b["kurt"], atol=0.3)
    np.testing.assert_allclose(a["adev"][0], b["adev"][0], rtol=0.1)
    np.testing.assert_allclose(a["adev"][1], b["adev"][1], rtol=0.35)  # 2 items: few independent averages


# ---------------------------------------------------------------- the drawn constants, exactly

def test_drawn_constants_predict_the_signal_exactly():
    """Constant terms only (scale, misalignment, random and fixed cross-axis, bias, temperature coefficients, the
    gyro's g-sensitivity; soft and hard iron): with the constants the kernel reports (errors=True), the rendering is
    y = M x ⊙ (1 + k_s ΔT / (1 + s)) + G f + b0 + k_b ΔT of the ideal signals x and specific force f, for a
    temperature ramp per row; their spreads are the model's; an item without rows reports the same constants
    as an item with its seed."""
    B, T = 16, 9
    L, root = motions([T] * B, seed=8)
    cfix = [[0, 0.01, -0.02], [0.03, 0, 0.005], [-0.04, 0.002, 0]]
    gs = 0.1 * DEG / G
    cst = dict(scale_std=0.02, misalignment_std=0.02, cross_axis_std=0.01, bias_std=0.1, bias_tempco_std=0.01,
               scale_tempco_std=2e-3)
    model = NoiseModel(acc=AxisNoise(**cst, cross_axis=cfix), gyro=AxisNoise(**cst, g_sensitivity=gs),
                       mag=AxisNoise(**{**cst, "bias_std": 5.0}), temp_ref=25.0)
    kw = dict(start=starts_of([T] * B), length=[T] * B, fps=RATE, rate=RATE, sensors=["wrist_r"], mag_field=True,
              backend="triton")
    ideal = render_imu(on(L), on(root), SMPL22, **kw).data.cpu().numpy().reshape(B, T - 2, 9)
    temps = [np.linspace(5.0, 45.0, T - 2)] * B
    r = render_imu(on(L), on(root), SMPL22, noise=model, seeds=np.arange(B) + 3, errors=True, temperature=temps, **kw)
    y = r.data.cpu().numpy().reshape(B, T - 2, 9)
    E = r.errors
    assert E.kinds == ("acc", "gyro", "mag") and E.matrix.shape == (B, 1, 3, 3, 3)
    dT = (np.linspace(5.0, 45.0, T - 2) - 25.0)[None, :, None]
    f = ideal[..., :3]
    for k in range(3):
        Mk = E.matrix[:, 0, k]                                              # [B, 3, 3] = diag(1 + s) A
        s = np.diagonal(Mk, axis1=1, axis2=2) - 1.0                         # A has a unit diagonal here
        x = ideal[..., 3 * k:3 * k + 3]
        want = np.einsum("bij,btj->bti", Mk, x) * (1 + E.scale_tempco[:, 0, k][:, None] * dT / (1 + s[:, None]))
        want += E.bias[:, 0, k][:, None] + E.bias_tempco[:, 0, k][:, None] * dT
        if k == 1:
            want += np.einsum("bij,btj->bti", E.g_sensitivity[:, 0], f)
        np.testing.assert_allclose(y[..., 3 * k:3 * k + 3], want, rtol=0, atol=1e-9 * max(1.0, np.abs(want).max()))
    # spreads: diagonal = scale; symmetric off-diagonal part = cross-axis / √2, antisymmetric = misalignment ⊕ cross
    M = E.matrix[:, 0]                                                      # [B, 3 groups, 3, 3]
    assert (np.diagonal(M, axis1=2, axis2=3) - 1).std() == pytest.approx(0.02, rel=0.2)
    C = M.copy()
    C[:, 0] -= np.asarray(cfix)  # the acc group's fixed coupling (times 1 + s: a few 1e-4 left)
    iu = np.triu_indices(3, 1)
    sym = 0.5 * (C + C.transpose(0, 1, 3, 2))[:, :, iu[0], iu[1]]
    asym = 0.5 * (C - C.transpose(0, 1, 3, 2))[:, :, iu[0], iu[1]]
    assert sym.std() == pytest.approx(0.01 / math.sqrt(2), rel=0.25) and abs(sym.mean()) < 0.003
    assert asym.std() == pytest.approx(math.sqrt(0.02 ** 2 + 0.01 ** 2 / 2), rel=0.25)
    assert E.bias[:, 0, :2].std() == pytest.approx(0.1, rel=0.2) and E.bias[:, 0, 2].std() == pytest.approx(5.0, rel=0.3)
    assert E.bias_tempco.std() == pytest.approx(0.01, rel=0.2) and E.scale_tempco.std() == pytest.approx(2e-3, rel=0.2)
    assert E.g_sensitivity.std() == pytest.approx(gs, rel=0.2) and abs(E.g_sensitivity.mean()) < gs / 4
    assert np.abs(y - ideal).max() > 0.05
    # an item without rows (2 frames at the output rate) draws its constants from its seed alone
    z = render_imu(on(L), on(root), SMPL22, noise=model, seeds=[3, 5], errors=True, start=[0, T], length=[2, T],
                   fps=RATE, rate=RATE, sensors=["wrist_r"], mag_field=True, backend="triton")
    assert np.diff(z.offsets).tolist() == [0, T - 2]
    np.testing.assert_array_equal(z.errors.matrix[0], E.matrix[0])
    np.testing.assert_array_equal(z.errors.g_sensitivity[1], E.g_sensitivity[2])
    # a constant temperature per item folds into the constants the same way
    c = render_imu(on(L[:2 * T]), on(root[:2 * T]), SMPL22, noise=model, seeds=[3, 4], temperature=[45.0, 0.0],
                   **{**kw, "start": [0, T], "length": [T, T]}).data.cpu().numpy().reshape(2, T - 2, 9)
    dT2 = np.array([20.0, -25.0])[:, None, None]
    want = np.einsum("bij,btj->bti", E.matrix[:2, 0, 1], ideal[:2, :, 3:6]) * (
        1 + E.scale_tempco[:2, 0, 1][:, None] * dT2 / np.diagonal(E.matrix[:2, 0, 1], axis1=1, axis2=2)[:, None])
    want += E.bias[:2, 0, 1][:, None] + E.bias_tempco[:2, 0, 1][:, None] * dT2
    want += np.einsum("bij,btj->bti", E.g_sensitivity[:2, 0], ideal[:2, :, :3])
    np.testing.assert_allclose(c[..., 3:6], want, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- the draw contract with every term

def test_full_profile_draws_depend_on_seed_sensor_and_row_only(monkeypatch):
    """The default profile (BMI160: flicker, low-pass, cross-axis, g-sensitivity, temperature) with the magnetometer:
    a shorter item is a prefix of a longer one, an item renders the same alone or in a batch and next to other
    sensors, the magnetometer leaves acc/gyro untouched, the block size changes nothing but rounding, float32 and
    float64 renderings draw the same noise."""
    model = get_noise_model("bmi160")
    L, root = motions([300], seed=2)
    lengths = [5, 70, 300]
    kw = dict(fps=RATE, rate=RATE, noise=model, mag_field=True, temperature=31.0, backend="triton")
    two = ["wrist_r", "thigh_r"]
    res = render_imu(on(L), on(root), SMPL22, start=[0, 0, 0], length=lengths, sensors=two, seeds=[42] * 3, **kw)
    full = res.item(2).cpu()
    assert res.data.shape[-1] == 9
    for b, T in enumerate(lengths[:-1]):
        torch.testing.assert_close(res.item(b).cpu(), full[:T - 2], rtol=0, atol=0)
    alone = render_imu(on(L), on(root), SMPL22, start=[0], length=[70], sensors=two, seeds=[42], **kw).data.cpu()
    torch.testing.assert_close(alone, res.item(1).cpu(), rtol=0, atol=0)
    one = render_imu(on(L), on(root), SMPL22, start=[0], length=[70], sensors=["wrist_r"], seeds=[42], **kw).data.cpu()
    torch.testing.assert_close(one[:, 0], alone[:, 0], rtol=0, atol=0)
    nomag = render_imu(on(L), on(root), SMPL22, start=[0], length=[70], sensors=two, seeds=[42],
                       **{**kw, "mag_field": None}).data.cpu()
    torch.testing.assert_close(nomag, alone[..., :6], rtol=0, atol=0)
    other = render_imu(on(L), on(root), SMPL22, start=[0], length=[70], sensors=two, seeds=[43], **kw).data.cpu()
    assert (other - alone).abs().max() > 0.01
    # 64-row blocks (the GPU's) against 512: the recursive terms carried across blocks; only rounding differs
    if DEV == "cpu":
        monkeypatch.setattr(trr, "BLOCK_INTERPRET", 64)
    else:
        monkeypatch.setattr(trr, "BLOCK_ROWS", 32)
    narrow = render_imu(on(L), on(root), SMPL22, start=[0], length=[300], sensors=two, seeds=[42], **kw).data.cpu()
    monkeypatch.undo()
    d = (narrow - full).abs()
    res_grid = torch.tensor([model.acc.resolution] * 3 + [model.gyro.resolution] * 3 + [model.mag.resolution] * 3,
                            dtype=torch.float64)
    assert (d <= res_grid + 1e-9).all() and (d == 0).double().mean() > 0.95  # a rounding may cross a grid step
    # float32 draws the same noise as float64 (the ideal signals differ by float32 rounding, the filter included)
    ideal64 = render_imu(on(L), on(root), SMPL22, start=[0], length=[300], sensors=two, **{**kw, "noise": None}).data
    n64 = (full - ideal64.cpu()).double()
    L32, r32 = on(L.float()), on(root.float())
    y32 = render_imu(L32, r32, SMPL22, start=[0], length=[300], sensors=two, seeds=[42], **kw).data
    n32 = (y32 - render_imu(L32, r32, SMPL22, start=[0], length=[300], sensors=two, **{**kw, "noise": None}).data)
    n32 = n32.cpu().double()
    assert y32.dtype == torch.float32 and np.corrcoef(n32.flatten().numpy(), n64.flatten().numpy())[0, 1] > 0.999
    torch.testing.assert_close(n32[..., :6], n64[..., :6], rtol=0, atol=0.02)


def test_gpu_default_renders_the_default_profile_on_triton_without_fallback(monkeypatch):
    """On CUDA tensors render_imu defaults to the Triton kernel; with the default profile (every term), the
    magnetometer, temperatures and errors=True it renders there (no host fallback, no warning). Exercised on CPU by
    making triton the default under the interpreter."""
    import warnings

    import imusim.imu.render as R

    monkeypatch.setattr(R, "_default_backend", lambda device: "triton")
    L, root = motions([40], seed=3, dtype=torch.float32)
    kw = dict(start=[0], length=[40], fps=30.0, rate=50.0, sensors=["wrist_r"], noise="bmi160", seeds=[5],
              mag_field=True, temperature=[np.linspace(20, 30, 64)], errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = render_imu(on(L), on(root), SMPL22, **kw)
    want = render_imu(on(L), on(root), SMPL22, backend="triton", **kw)
    assert got.data.device.type == DEV and got.data.shape == (64, 1, 9)
    torch.testing.assert_close(got.data, want.data, rtol=0, atol=0)
    np.testing.assert_array_equal(got.errors.matrix, want.errors.matrix)
    assert got.errors.kinds == ("acc", "gyro", "mag")


def test_flicker_components_and_bad_requests():
    """The kernel draws the initial value of up to 64 flicker components; every rate the reference supports fits."""
    assert flicker_components(1e6) <= trr.MAX_FLICKER
    with pytest.raises(ValueError, match="flicker components must be in 1..64, got 65"):
        L, root = still(4)
        trr.render(L, root, SMPL22, [0], [4], [RATE], RATE, np.array([2]), np.array([0, 2]),
                   np.zeros((1, 1), np.int32), np.zeros((1, 1, 3)), np.eye(3)[None, None], np.array([1], np.uint64),
                   np.zeros((3, trr.AXIS_FIELDS)), 65, (0.0, -9.81, 0.0), torch.empty(2, 1, 6, dtype=torch.float64),
                   None, False)
