"""The sensor error model (imusim.imu.noise) in the render kernel and in the torch reference, checked against
independent references: textbook Allan-variance formulas (IEEE Std 952), Butterworth magnitude responses,
exact linear algebra on the constants each item drew, and the two implementations' statistics."""

import math

import numpy as np
import pytest
import torch
from scipy import signal, stats

from imusim.constants import GRAVITY
from imusim.imu import allan_deviation
from imusim.imu.noise import (DEG, G, AxisNoise, NoiseModel, apply_noise, flicker_components,
                              steady_lowpass)
from imusim.imu.profiles import get_noise_model, list_noise_models
from imusim.imu.render import render_imu
from imusim.imu.sensors import Sensor
from imusim.kinematics import SMPL22
from tests.harness import motion_matrices as motions, starts_of

GRAV = GRAVITY  # the project's one gravity constant (standard gravity)


def static_pool(frames, B=1):
    L = torch.eye(3, dtype=torch.float32).expand(frames * B, 22, 3, 3).contiguous()
    root = torch.tensor([0.0, 0.9, 0.0]).expand(frames * B, 3).contiguous()
    return L, root


def render_static(model, seconds, rate, B, sensors=("thigh_r", "wrist_l"), seed0=1, backend="cpp", **kw):
    """A static body for ``seconds`` at ``rate`` (3 frames resampled: cheap for hours), B items; returns
    ``[B, T, S, 6]`` float64 numpy and the batch."""
    L, root = static_pool(3, B)
    fps = 2.0 / seconds
    r = render_imu(L, root, SMPL22, start=np.arange(B) * 3, length=[3] * B, fps=fps, rate=rate, sensors=list(sensors),
                   noise=model, seeds=np.arange(B) + seed0, backend=backend, **kw)
    n = np.diff(r.offsets)
    assert (n == n[0]).all()
    return r.data.double().numpy().reshape(B, int(n[0]), len(sensors), -1), r


def naive_overlapping_adev(x, m):
    """The overlapping estimator written out term by term (IEEE Std 1554 eq.), for one channel."""
    n = len(x)
    ybar = np.array([x[k:k + m].mean() for k in range(n - m + 1)])
    d = ybar[m:] - ybar[:-m]
    return math.sqrt(0.5 * np.mean(d ** 2))


def fit_avar(taus, adev):
    """Relative least squares of σ² = N²/τ + F² + K²τ/3 (the test's own fit)."""
    av = adev ** 2
    A = np.stack([1 / taus, np.ones_like(taus), taus / 3], 1) / av[:, None]
    c, *_ = np.linalg.lstsq(A, np.ones_like(av), rcond=None)
    return np.sqrt(np.maximum(c, 0))


# ---------------------------------------------------------------- Allan deviation itself

def test_allan_deviation_matches_the_naive_estimator():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=(600, 2)), 0) * 0.01 + rng.normal(size=(600, 2))
    taus, ad = allan_deviation(x, 20.0, taus=[0.05, 0.1, 0.5, 2.0, 10.0])
    np.testing.assert_allclose(taus, [0.05, 0.1, 0.5, 2.0, 10.0])
    for i, t in enumerate(taus):
        m = int(round(t * 20))
        for c in range(2):
            assert ad[i, c] == pytest.approx(naive_overlapping_adev(x[:, c], m), rel=1e-10)
    # default taus, torch input, time on another axis
    t2, a2 = allan_deviation(torch.as_tensor(x.T), 20.0, axis=1)
    assert t2[0] == pytest.approx(0.05) and t2[-1] == pytest.approx(299 / 20) and a2.shape == (len(t2), 2)


def test_allan_deviation_errors():
    with pytest.raises(ValueError, match="rate must be a positive number"):
        allan_deviation(np.zeros(10), 0.0)
    with pytest.raises(ValueError, match=r"every tau must span 1 .. \(N − 1\) // 2 = 4 samples"):
        allan_deviation(np.zeros(10), 1.0, taus=[5.0])
    with pytest.raises(ValueError, match="non-finite"):
        allan_deviation(np.array([0.0, np.nan, 1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="at least 3 samples"):
        allan_deviation(np.zeros(2), 1.0)


# ---------------------------------------------------------------- Allan curves of the simulated sensor

@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_white_noise_profile_has_slope_minus_half_over_three_decades(backend):
    N = 0.01
    model = NoiseModel(acc=AxisNoise(noise_density=N), gyro=AxisNoise(noise_density=N / 10))
    x, _ = render_static(model, 3600.0, 20.0, 2, backend=backend)  # 1 h at 20 Hz, 4 sensors' worth of channels
    taus = np.array([0.1, 1.0, 10.0, 100.0])
    _, ad = allan_deviation(x[..., :3].transpose(1, 0, 2, 3).reshape(x.shape[1], -1), 20.0, taus=taus)
    a = ad.mean(1)
    assert a[1] == pytest.approx(N, rel=0.05)  # the density at τ = 1 s
    slopes = np.diff(np.log10(a)) / np.diff(np.log10(taus))
    np.testing.assert_allclose(slopes, -0.5, atol=0.05)


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_profile_noise_terms_are_recovered_from_the_allan_curve(backend):
    """Xsens MTi-630 (research grade, terms well separated): white density at 1 s, bias-instability floor
    and random walk recovered within 10 % from 3 h of a static sensor, by a fit of the IEEE model and at
    the flat minimum."""
    prof = get_noise_model("mti630")
    rate, secs = 5.0, 3 * 3600.0
    x, _ = render_static(prof, secs, rate, 8, backend=backend)  # 8 items x 2 sensors x 3 axes per kind
    for k, (kind, ax) in enumerate((("acc", prof.acc), ("gyro", prof.gyro))):
        ch = x[..., 3 * k:3 * k + 3].transpose(1, 0, 2, 3).reshape(x.shape[1], -1)
        taus = np.unique(np.round(np.logspace(0, math.log10(secs / 4), 22) * rate)) / rate
        t, ad = allan_deviation(ch, rate, taus=taus)
        a = np.sqrt((ad ** 2).mean(1))
        n, f, kk = fit_avar(t, a)
        assert n == pytest.approx(ax.noise_density, rel=0.1), kind
        assert f == pytest.approx(ax.bias_instability, rel=0.1), kind
        assert kk == pytest.approx(ax.bias_rw, rel=0.1), kind
        # slopes where one term dominates: −½ below 1 s .. 2 s, +½ at the long end
        assert a[t == 1.0][0] == pytest.approx(math.sqrt(ax.noise_density ** 2 + ax.bias_instability ** 2), rel=0.1)
        # the flat minimum: the model's minimum is floor · (1 + a few %); measured within 10 % of the floor
        model_curve = np.sqrt(ax.noise_density ** 2 / t + ax.bias_instability ** 2 + ax.bias_rw ** 2 * t / 3)
        assert a.min() == pytest.approx(model_curve.min(), rel=0.1)
        assert a.min() == pytest.approx(ax.bias_instability, rel=0.15)
        np.testing.assert_allclose(a, model_curve, rtol=0.12)


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_flicker_floor_is_flat_at_the_bias_instability(backend):
    F = 0.002
    model = NoiseModel(acc=AxisNoise(bias_instability=F), gyro=AxisNoise(bias_instability=F / 10))
    rate = 10.0
    x, _ = render_static(model, 2 * 3600.0, rate, 4, backend=backend)
    taus = np.array([2.0, 10.0, 50.0, 200.0, 1000.0])
    _, ad = allan_deviation(x[..., :3].transpose(1, 0, 2, 3).reshape(x.shape[1], -1), rate, taus=taus)
    np.testing.assert_allclose(np.sqrt((ad ** 2).mean(1)), F, rtol=0.1)
    assert 2 ** (flicker_components(rate) - 3) / rate >= 36000  # flat to 10 h by construction


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_gauss_markov_variance_correlation_and_allan_curve(backend):
    sig, tau, rate = 0.05, 20.0, 10.0
    model = NoiseModel(acc=AxisNoise(bias_gm_std=sig, bias_gm_tau=tau), gyro=AxisNoise())
    x, _ = render_static(model, 3600.0, rate, 8, backend=backend)
    ideal, _ = render_static(None, 3600.0, rate, 8, backend=backend)
    e = (x - ideal)[..., :3]
    assert e.reshape(-1).std() == pytest.approx(sig, rel=0.1)  # stationary from the first sample
    assert e[:, 0].std() == pytest.approx(sig, rel=0.25)
    lag = int(tau * rate)
    a, b = e[:, :-lag].reshape(-1), e[:, lag:].reshape(-1)
    assert np.corrcoef(a, b)[0, 1] == pytest.approx(math.exp(-1), abs=0.06)
    taus = np.array([1.0, 10.0, 38.0, 100.0, 300.0])
    _, ad = allan_deviation(e.transpose(1, 0, 2, 3).reshape(e.shape[1], -1), rate, taus=taus)
    r = tau / taus
    expect = np.sqrt(2 * sig ** 2 * r * (1 - 0.5 * r * (3 - 4 * np.exp(-1 / r) + np.exp(-2 / r))))
    np.testing.assert_allclose(np.sqrt((ad ** 2).mean(1)), expect, rtol=0.1)


# ---------------------------------------------------------------- bandwidth

def butter_gain(f, fc, fs, order):
    return 1 / np.sqrt(1 + (np.tan(np.pi * f / fs) / np.tan(np.pi * fc / fs)) ** (2 * order))


@pytest.mark.parametrize("backend", ["cpp", "torch"])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_bandwidth_psd_is_minus_3db_at_the_cutoff(backend, order):
    rate, fc = 100.0, 20.0
    model = NoiseModel(acc=AxisNoise(noise_density=0.01, bandwidth=fc, filter_order=order),
                       gyro=AxisNoise(noise_density=0.001, bandwidth_odr=0.2, filter_order=order))
    x, _ = render_static(model, 400.0, rate, 4, backend=backend)
    ideal, _ = render_static(None, 400.0, rate, 4, backend=backend)
    e = (x - ideal).transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
    f, p = signal.welch(e, fs=rate, nperseg=1024, axis=-1)
    for sl, cut in ((slice(0, 3), fc), (slice(3, 6), 0.2 * rate)):
        psd = p.reshape(4, 2, 6, -1)[:, :, sl].mean(axis=(0, 1, 2))
        low = psd[(f > 0.5) & (f < 2.0)].mean()
        # the measured PSD follows |H|² of the Butterworth filter; its half-power point is the cut-off
        band = (f > 1) & (f < 0.45 * rate)
        np.testing.assert_allclose(psd[band] / low, butter_gain(f[band], cut, rate, order) ** 2, rtol=0.15, atol=2e-3)
        g = psd[band] / low
        i = int(np.argmax(g < 0.5))  # the first bin below half power, interpolated with the one before
        f3 = f[band][i - 1] + (g[i - 1] - 0.5) / (g[i - 1] - g[i]) * (f[band][i] - f[band][i - 1])
        assert f3 == pytest.approx(cut, rel=0.1), (sl, order)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_bandwidth_attenuates_a_sine_as_the_order_says(order):
    """A gyro sine (rotation about a fixed axis) above the cut-off: the noisy/ideal amplitude ratio is the
    Butterworth gain |H(f)| at the output rate, in the kernel and in the reference."""
    rate, fc = 100.0, 10.0
    T = 2000
    t = np.arange(T) / rate
    L = torch.eye(3, dtype=torch.float64).repeat(T, 22, 1, 1)
    model = NoiseModel(gyro=AxisNoise(bandwidth=fc, filter_order=order))
    for f0 in (20.0, 30.0):
        ang = 0.3 * np.sin(2 * np.pi * f0 * t)
        c, s = np.cos(ang), np.sin(ang)
        R = np.zeros((T, 3, 3))
        R[:, 0, 0], R[:, 0, 2], R[:, 1, 1], R[:, 2, 0], R[:, 2, 2] = c, s, 1, -s, c  # about y
        L2 = L.clone()
        L2[:, 0] = torch.as_tensor(R)
        root = torch.tensor([0.0, 0.9, 0.0], dtype=torch.float64).expand(T, 3).contiguous()
        kw = dict(start=[0], length=[T], fps=rate, rate=rate, sensors=[Sensor("p", "pelvis")], seeds=[3])
        ideal = render_imu(L2, root, SMPL22, **kw).data[:, 0, 4].numpy()
        gain = butter_gain(f0, fc, rate, order)
        for be in ("cpp", "torch"):
            y = render_imu(L2, root, SMPL22, noise=model, backend=be, **kw).data[:, 0, 4].numpy()
            amp = lambda v: np.abs(np.fft.rfft(v[500:1500] * np.hanning(1000))).max()  # noqa: E731
            assert amp(y) / amp(ideal) == pytest.approx(gain, rel=0.03), (be, f0)


def test_steady_lowpass_starts_without_transient_and_gradcheck():
    sos = signal.butter(3, 0.2, output="sos")
    x = torch.full((2, 50, 1, 3), 9.81, dtype=torch.float64)
    torch.testing.assert_close(steady_lowpass(x, sos), x)  # a constant passes unchanged from sample 0
    xr = torch.randn(2, 30, 1, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: steady_lowpass(v, sos), (xr,))


def test_bandwidth_errors_name_the_field():
    with pytest.raises(ValueError, match=r"acc.bandwidth: expected a cut-off below the Nyquist frequency 25 Hz of "
                                         r"the output rate 50 Hz, got 30 Hz"):
        render_imu(*static_pool(10), SMPL22, start=[0], length=[10], fps=50.0, rate=50.0, sensors=["pelvis"],
                   noise=NoiseModel(acc=AxisNoise(bandwidth=30.0)), seeds=[0])
    with pytest.raises(ValueError, match=r"bandwidth_odr must be a fraction of the output rate in \(0, 0.5\)"):
        AxisNoise(bandwidth_odr=0.6)
    with pytest.raises(ValueError, match="filter_order must be an integer in 1..8, got 0"):
        AxisNoise(bandwidth=1.0, filter_order=0)


# ---------------------------------------------------------------- cross-axis, g-sensitivity, temperature

def up_x_sensor():
    """A pelvis sensor whose x axis points up (R_js maps sensor x to joint y)."""
    R = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    return Sensor("up_x", "pelvis", rotation=R)


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_pure_x_excitation_leaks_by_exactly_the_drawn_coefficients(backend):
    B, T = 200, 40
    L, root = static_pool(T, B)
    model = NoiseModel(acc=AxisNoise(cross_axis_std=0.01), gyro=AxisNoise(cross_axis_std=0.02))
    r = render_imu(L, root, SMPL22, start=np.arange(B) * T, length=[T] * B, fps=50.0, rate=50.0,
                   sensors=[up_x_sensor()], noise=model, seeds=np.arange(B) + 7, errors=True, backend=backend)
    acc = r.data.double().numpy().reshape(B, T - 2, 6)[..., :3]
    M = r.errors.matrix[:, 0, 0]  # [B, 3, 3], acc
    tol = 1e-5  # float32 signals
    np.testing.assert_allclose(acc[:, 5, 0], GRAV * M[:, 0, 0], atol=tol)
    np.testing.assert_allclose(acc[:, 5, 1], GRAV * M[:, 1, 0], atol=tol)  # leak into y
    np.testing.assert_allclose(acc[:, 5, 2], GRAV * M[:, 2, 0], atol=tol)  # leak into z
    np.testing.assert_allclose(np.diagonal(M, axis1=1, axis2=2), 1.0)       # no scale error in this model
    off = M[:, [0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]]
    assert off.std() == pytest.approx(0.01, rel=0.1) and abs(off.mean()) < 0.002
    Mg = r.errors.matrix[:, 0, 1]
    assert Mg[:, [0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]].std() == pytest.approx(0.02, rel=0.1)


def test_fixed_cross_axis_matrix_on_a_pure_x_gyro_excitation():
    C = [[0, 0.01, -0.02], [0.03, 0, 0.005], [-0.04, 0.002, 0]]
    model = NoiseModel(gyro=AxisNoise(cross_axis=C))
    x = torch.zeros(1, 5, 1, 3, dtype=torch.float64)
    w = x.clone()
    w[..., 0] = 2.0  # 2 rad/s about x only
    _, g = apply_noise(x, w, 50.0, model)
    torch.testing.assert_close(g[0, :, 0], torch.tensor([2.0, 0.06, -0.08], dtype=torch.float64).expand(5, 3))
    with pytest.raises(ValueError, match="cross_axis must be finite"):
        AxisNoise(cross_axis=[[0, np.inf, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="cross_axis must be a 3x3 matrix"):
        AxisNoise(cross_axis=[1.0, 2.0])


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_g_sensitivity_of_a_static_sensor_under_gravity(backend):
    B, T = 100, 30
    L, root = static_pool(T, B)
    gs = 0.1 * DEG / G
    model = NoiseModel(gyro=AxisNoise(g_sensitivity=gs))
    sens = ["wrist_l", "thigh_r"]
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=50.0, rate=50.0, sensors=sens)
    ideal = render_imu(L, root, SMPL22, **kw).data.double().numpy().reshape(B, T - 2, 2, 6)
    r = render_imu(L, root, SMPL22, noise=model, seeds=np.arange(B), errors=True, backend=backend, **kw)
    y = r.data.double().numpy().reshape(B, T - 2, 2, 6)
    f = ideal[:, 3, :, :3]                                       # specific force, sensor frame [B, S, 3]
    predicted = np.einsum("bsij,bsj->bsi", r.errors.g_sensitivity, f)
    np.testing.assert_allclose(y[:, 3, :, 3:], predicted, atol=1e-6)
    assert np.abs(predicted).max() > 5e-4                        # a visible offset (≈ 0.1 °/s)
    assert r.errors.g_sensitivity.std() == pytest.approx(gs, rel=0.1)
    np.testing.assert_allclose(y[..., :3], ideal[..., :3], atol=1e-6)  # acc untouched


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_temperature_drift_of_bias_and_scale(backend):
    B, T = 3, 60
    L, root = static_pool(T, B)
    model = NoiseModel(acc=AxisNoise(bias_tempco_std=0.01, scale_tempco_std=1e-3),
                       gyro=AxisNoise(bias_tempco_std=1e-3), temp_ref=25.0)
    kw = dict(start=np.arange(B) * T, length=[T] * B, fps=50.0, rate=50.0, sensors=["thigh_r"], noise=model,
              seeds=[1, 2, 3], errors=True, backend=backend)
    ideal = render_imu(L, root, SMPL22, **{**kw, "noise": None, "errors": False}).data.double().numpy()
    # default: the reference temperature, no drift
    r0 = render_imu(L, root, SMPL22, **kw)
    np.testing.assert_allclose(r0.data.double().numpy(), ideal, atol=1e-6)
    # a ramp 10 → 40 °C over each item's rows, and a constant 45 °C per item
    temps = [np.linspace(10, 40, T - 2)] * B
    r = render_imu(L, root, SMPL22, temperature=temps, **kw)
    y = r.data.double().numpy().reshape(B, T - 2, 6)
    dT = (np.linspace(10, 40, T - 2) - 25.0)[None, :, None]
    E = r.errors
    kb, ks = E.bias_tempco[:, 0], E.scale_tempco[:, 0]           # [B, K, 3]
    f = ideal.reshape(B, T - 2, 6)
    np.testing.assert_allclose(y[..., :3], (1 + ks[:, None, 0] * dT) * f[..., :3] + kb[:, None, 0] * dT, atol=2e-5)
    np.testing.assert_allclose(y[..., 3:], kb[:, None, 1] * dT, atol=1e-6)
    rc = render_imu(L, root, SMPL22, temperature=45.0, **kw)
    np.testing.assert_allclose(rc.data.double().numpy().reshape(B, T - 2, 6)[..., 3:],
                               np.broadcast_to(kb[:, None, 1] * 20.0, (B, T - 2, 3)), atol=1e-6)
    with pytest.raises(ValueError, match=r"temperature\[0\] must be a number or \[58\]"):
        render_imu(L, root, SMPL22, temperature=[np.zeros(5)] * B, **kw)


# ---------------------------------------------------------------- kernel vs reference, determinism

def all_terms():
    """Every term on, with magnitudes that make each visible."""
    ax = dict(noise_density=0.02, bias_std=0.1, bias_rw=0.01, scale_std=0.01, misalignment_std=0.01,
              cross_axis_std=0.01, bias_instability=0.01, bias_gm_std=0.05, bias_gm_tau=2.0, bias_tempco_std=0.01,
              scale_tempco_std=1e-3, bandwidth_odr=0.3, range=40.0, resolution=0.001)
    return NoiseModel(acc=AxisNoise(**ax), gyro=AxisNoise(**{**ax, "range": 10.0}, g_sensitivity=0.002),
                      mag=AxisNoise(**{**ax, "range": 200.0}), name="all")


def test_kernel_and_reference_have_the_same_statistics_for_every_term():
    model = all_terms()
    rate = 20.0
    stats_ = {}
    for be in ("cpp", "torch"):
        x, r = render_static(model, 600.0, rate, 48, backend=be, mag_field=True, errors=True, temperature=30.0)
        ideal, _ = render_static(None, 600.0, rate, 48, backend=be, mag_field=True)
        e = x - ideal
        flat = e.reshape(-1, e.shape[-1])
        d = np.diff(e, axis=1).reshape(-1, e.shape[-1])
        taus = np.array([0.5, 5.0, 50.0])
        _, ad = allan_deviation(e.transpose(1, 0, 2, 3).reshape(e.shape[1], -1, e.shape[-1]), rate, taus=taus)
        stats_[be] = dict(sd=flat.std(0), dsd=d.std(0), kurt=stats.kurtosis(d, axis=0),
                          adev=np.sqrt((ad ** 2).mean(1)),
                          M=r.errors.matrix.std(0).mean((0, 2, 3)), b=r.errors.bias.std(0).mean((0, 2)))
    a, b = stats_["cpp"], stats_["torch"]
    np.testing.assert_allclose(a["sd"], b["sd"], rtol=0.25)      # dominated by the per-item constants
    np.testing.assert_allclose(a["dsd"], b["dsd"], rtol=0.05)    # per-sample terms
    np.testing.assert_allclose(a["kurt"], b["kurt"], atol=0.25)
    np.testing.assert_allclose(a["adev"], b["adev"], rtol=0.1)
    np.testing.assert_allclose(a["M"], b["M"], rtol=0.15)
    np.testing.assert_allclose(a["b"], b["b"], rtol=0.15)


def test_every_term_is_deterministic_and_a_shorter_item_is_a_prefix():
    L, root = motions([700], seed=2, dtype=torch.float32)
    lengths = [5, 12, 129, 131, 258, 700]
    temps = None
    kw = dict(start=[0] * len(lengths), length=lengths, fps=50.0, rate=50.0, sensors=["wrist_r", "thigh_r"],
              noise=all_terms(), seeds=[42] * len(lengths), mag_field=True, temperature=temps)
    res = render_imu(L, root, SMPL22, **kw)
    full = res.item(len(lengths) - 1)
    for b, T in enumerate(lengths[:-1]):
        # the same draws row by row; only float rounding (vector body vs remainder of a block) may differ and
        # move a value across a quantisation step (resolution 1e-3)
        d = (res.item(b) - full[:T - 2]).abs()
        assert d.max() <= 2.5e-3 and (d == 0).float().mean() > 0.98, (T, float(d.max()))
    again = render_imu(L, root, SMPL22, **kw)
    torch.testing.assert_close(again.data, res.data, rtol=0, atol=0)
    other = render_imu(L, root, SMPL22, **{**kw, "seeds": [43] * len(lengths)}).data
    assert (other - res.data).abs().max() > 0.01


def test_adding_the_magnetometer_leaves_acc_and_gyro_noise_unchanged():
    L, root = motions([300, 200], seed=5, dtype=torch.float32)
    kw = dict(start=[0, 300], length=[300, 200], fps=[50.0, 30.0], rate=50.0, sensors=["wrist_r", "thigh_r", "head"],
              noise="bmi160", seeds=[9, 10])
    a = render_imu(L, root, SMPL22, **kw).data
    b = render_imu(L, root, SMPL22, mag_field=True, **kw).data
    torch.testing.assert_close(b[..., :6], a, rtol=0, atol=0)


def test_float64_and_float32_draw_the_same_noise_for_every_term():
    lengths = [130, 53, 300]
    L, root = motions(lengths, seed=6)
    kw = dict(start=starts_of(lengths), length=lengths, fps=[50.0, 20.0, 31.0], rate=50.0, sensors=["wrist_r"],
              noise=all_terms(), seeds=[5, 6, 7], mag_field=True)
    nd = render_imu(L, root, SMPL22, **kw).data
    nf = render_imu(L.float(), root.float(), SMPL22, **kw).data
    ed = nd - render_imu(L, root, SMPL22, **{**kw, "noise": None}).data
    ef = nf.double() - render_imu(L.float(), root.float(), SMPL22, **{**kw, "noise": None}).data.double()
    assert ed.abs().max() > 0.05
    # the same draws: the noise parts agree up to the float32 rounding of the ideal signal (the low-pass acts on
    # it; tests/imu/test_render.py allows 2e-3 of the signal's maximum in float32), far below the noise itself
    # (white std 0.09 per sample)
    torch.testing.assert_close(ef, ed, rtol=0, atol=2e-2)
    assert np.corrcoef(ef.flatten().numpy(), ed.flatten().numpy())[0, 1] > 0.999


# ---------------------------------------------------------------- profiles and bad input

@pytest.mark.parametrize("name", list_noise_models())
def test_every_profile_renders_at_50_and_100_hz(name):
    model = get_noise_model(name)
    assert model.name and (model.source or name == "ideal")
    L, root = static_pool(60)
    for rate in (50.0, 100.0):
        r = render_imu(L, root, SMPL22, start=[0], length=[60], fps=rate, rate=rate, sensors=["thigh_r"], noise=model,
                       seeds=[1], mag_field=True)
        assert torch.isfinite(r.data).all()
        acc = r.data[:, 0, :3].double()
        assert 8.5 < acc.norm(dim=-1).mean() < 11.0
        mag = r.data[:, 0, 6:].double().norm(dim=-1).mean()
        assert 20 < mag < 110  # 50 µT ± hard iron


def test_bmi160_profile_values_from_the_datasheet():
    b = get_noise_model("BMI160")
    assert b.acc.noise_density == pytest.approx(180e-6 * 9.80665)
    assert b.gyro.noise_density == pytest.approx(0.007 * math.pi / 180)
    assert b.gyro.range == pytest.approx(2000 * math.pi / 180) and b.acc.range == pytest.approx(8 * 9.80665)
    assert b.acc.cutoff(100.0) == pytest.approx(40.5)
    assert get_noise_model("default").name == "BMI160" and get_noise_model("LSM6DSOX").name == "LSM6DSO"
    assert get_noise_model("icm-42688-p").name == "ICM-42688-P" and get_noise_model("MPU_6050").name == "MPU-6050"
    assert get_noise_model("none") is None and get_noise_model("ideal").is_ideal


def test_bad_models_name_the_field_and_value():
    with pytest.raises(ValueError, match=r"AxisNoise.noise_density must be a finite number >= 0, got -0.1"):
        AxisNoise(noise_density=-0.1)
    with pytest.raises(ValueError, match=r"AxisNoise.bias_instability must be a finite number >= 0, got nan"):
        AxisNoise(bias_instability=float("nan"))
    with pytest.raises(ValueError, match=r"AxisNoise.bias_gm_tau must be > 0 s when bias_gm_std > 0"):
        AxisNoise(bias_gm_std=0.1)
    with pytest.raises(ValueError, match=r"unknown noise model 'bmi999'; known: ideal, bmi160, bmi270, lsm6dso"):
        get_noise_model("bmi999")
    with pytest.raises(ValueError, match="g-sensitivity applies to the gyroscope only"):
        NoiseModel(acc=AxisNoise(g_sensitivity=0.1))
    with pytest.raises(ValueError, match=r"mag_field must be True, a world-frame field \[3\] or \[B, 3\]"):
        render_imu(*static_pool(10), SMPL22, start=[0], length=[10], fps=50.0, rate=50.0, sensors=["pelvis"],
                   mag_field=[1.0, 2.0])
    with pytest.raises(ValueError, match="errors=True needs a noise model"):
        render_imu(*static_pool(10), SMPL22, start=[0], length=[10], fps=50.0, rate=50.0, sensors=["pelvis"],
                   errors=True)


def test_get_noise_model_from_the_noise_module_as_issue_15_names_it():
    import imusim.imu.noise as noise
    from imusim.imu import profiles

    assert noise.get_noise_model("bmi160") == profiles.get_noise_model("bmi160")
    assert noise.get_noise_model(None) is None
    with pytest.raises(ValueError, match="known: .*bmi270"):
        noise.get_noise_model("no-such-part")
