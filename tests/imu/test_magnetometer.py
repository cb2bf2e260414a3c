"""Virtual magnetometer: the Earth field seen by a rotating sensor (circle), hard iron (shifted circle), soft
iron (ellipse with the drawn matrix's singular values), tilt-compensated heading against the true yaw, and
the same field in synthesize_imu and render_imu."""

import math

import numpy as np
import pytest
import torch

from imusim.imu import earth_field, synthesize_imu
from imusim.imu.magnetic import heading
from imusim.imu.noise import AxisNoise, NoiseModel
from imusim.imu.render import render_imu
from imusim.imu.sensors import Sensor
from imusim.kinematics import SMPL22

B_UT, INC = 50.0, 60.0
H, V = B_UT * math.cos(math.radians(INC)), -B_UT * math.sin(math.radians(INC))


def yaw_motion(T, turns=1.0, tilt=0.0):
    """Pelvis turning about the vertical (y) axis by ``turns`` revolutions over T frames, optionally pitched
    by ``tilt`` rad about its own x axis; everything else at rest. Returns (local_rot [T, 22, 3, 3], root,
    yaw [T])."""
    th = 2 * np.pi * turns * (np.arange(T) - 1) / (T - 2)  # output rows 1 .. T − 2: evenly over the turns
    c, s = np.cos(th), np.sin(th)
    Ry = np.zeros((T, 3, 3))
    Ry[:, 0, 0], Ry[:, 0, 2], Ry[:, 1, 1], Ry[:, 2, 0], Ry[:, 2, 2] = c, s, 1, -s, c
    ct, st = math.cos(tilt), math.sin(tilt)
    Rx = np.array([[1, 0, 0], [0, ct, -st], [0, st, ct]])
    L = torch.eye(3, dtype=torch.float64).repeat(T, 22, 1, 1)
    L[:, 0] = torch.as_tensor(Ry @ Rx)
    root = torch.tensor([0.0, 0.9, 0.0], dtype=torch.float64).expand(T, 3).contiguous()
    return L, root, th


PELVIS = Sensor("pelvis_id", "pelvis")  # sensor axes = pelvis axes


def render(L, root, model=None, B=1, seeds=None, **kw):
    T = L.shape[0]
    Lp, rp = L.repeat(B, 1, 1, 1), root.repeat(B, 1)
    return render_imu(Lp, rp, SMPL22, start=np.arange(B) * T, length=[T] * B, fps=50.0, rate=50.0, sensors=[PELVIS],
                      mag_field=True, noise=model, seeds=seeds if seeds is not None else np.arange(B), **kw)


def test_earth_field_defaults_and_frames():
    m = earth_field()
    np.testing.assert_allclose(m, [0.0, V, H], atol=1e-12)  # north +z, down −y
    assert np.linalg.norm(m) == pytest.approx(50.0)
    np.testing.assert_allclose(earth_field(up="z"), [0.0, H, V], atol=1e-12)  # ENU
    np.testing.assert_allclose(earth_field(declination=90.0), [-H, V, 0.0], atol=1e-12)  # north turned to east (−x)
    with pytest.raises(ValueError, match=r"inclination must be in \[-90, 90\] degrees, got 100"):
        earth_field(inclination=100)


def test_rotation_about_gravity_traces_the_expected_circle():
    L, root, th = yaw_motion(202)
    r = render(L, root)
    mag = r.data[:, 0, 6:].numpy()
    # sensor frame = R_y(θ)ᵀ world: horizontal (x, z) on a circle of radius H, vertical constant V
    np.testing.assert_allclose(np.hypot(mag[:, 0], mag[:, 2]), H, rtol=1e-6)
    np.testing.assert_allclose(mag[:, 1], V, atol=1e-9)
    t = th[1:-1]
    np.testing.assert_allclose(mag[:, 0], -H * np.sin(t), atol=1e-9)
    np.testing.assert_allclose(mag[:, 2], H * np.cos(t), atol=1e-9)


@pytest.mark.parametrize("backend", ["cpp", "torch"])
def test_hard_iron_shifts_the_circle_and_soft_iron_makes_it_an_ellipse(backend):
    L, root, th = yaw_motion(402)
    ideal = render(L, root).data[:, 0, 6:].numpy()
    # hard iron: centre of the fitted circle = the drawn bias, radius unchanged
    r = render(L, root, NoiseModel(mag=AxisNoise(bias_std=20.0)), seeds=[3], errors=True, backend=backend)
    m = r.data[:, 0, 6:].numpy()
    b = r.errors.bias[0, 0, 2]
    A = np.stack([m[:, 0], m[:, 2], np.ones(len(m))], 1)  # x² + z² = 2 cx x + 2 cz z + (r² − cx² − cz²)
    cx, cz, k = np.linalg.lstsq(A, m[:, 0] ** 2 + m[:, 2] ** 2, rcond=None)[0] * np.array([0.5, 0.5, 1.0])
    assert np.linalg.norm(b) > 5
    np.testing.assert_allclose([cx, cz], [b[0], b[2]], atol=1e-6)
    assert math.sqrt(k + cx ** 2 + cz ** 2) == pytest.approx(H, rel=1e-6)
    np.testing.assert_allclose(m[:, 1], V + b[1], atol=1e-6)
    # soft iron: readings = M · ideal; in the horizontal plane an ellipse whose semi-axes are H times the
    # singular values of M's (x, z) block, centred at M's y column times V
    r = render(L, root, NoiseModel(mag=AxisNoise(scale_std=0.1, cross_axis_std=0.1)), seeds=[5], errors=True,
               backend=backend)
    m = r.data[:, 0, 6:].numpy()
    M = r.errors.matrix[0, 0, 2]
    np.testing.assert_allclose(m, ideal @ M.T, atol=1e-6)
    xz = m[:, [0, 2]]  # one full turn, evenly spaced
    centre = xz.mean(0)
    np.testing.assert_allclose(centre, M[[0, 2], 1] * V, atol=0.05)
    ev = np.linalg.eigvalsh(np.cov((xz - centre).T, bias=True))
    sv = np.linalg.svd(M[np.ix_([0, 2], [0, 2])], compute_uv=False)
    np.testing.assert_allclose(np.sqrt(2 * ev), H * np.sort(sv), rtol=0.01)
    assert sv.max() / sv.min() > 1.05  # a visible ellipse


def test_heading_from_mag_and_acc_equals_the_true_yaw_within_the_noise():
    L, root, th = yaw_motion(1002, turns=2.0, tilt=0.3)
    # ideal: exact, tilt-compensated
    r0 = render(L, root)
    acc, mag = r0.data[:, 0, :3].numpy(), r0.data[:, 0, 6:].numpy()
    ori = render(L, root, orientation=True).orientation[:, 0].numpy()
    xw = ori[:, :, 0]  # the sensor's x axis in the world
    true = np.arctan2(xw @ np.array([-1.0, 0, 0]), xw @ np.array([0, 0, 1.0]))  # east = −x, north = +z
    wrap = lambda a: (a + np.pi) % (2 * np.pi) - np.pi  # noqa: E731
    np.testing.assert_allclose(wrap(heading(acc, mag) - true), 0, atol=1e-5)
    # white noise on acc (180 µg/√Hz) and mag (0.2 µT/√Hz at 50 Hz: 1.4 µT per sample vs H = 25 µT)
    model = NoiseModel(acc=AxisNoise(noise_density=180e-6 * 9.80665), mag=AxisNoise(noise_density=0.2))
    r = render(L, root, model, seeds=[11])
    err = wrap(heading(r.data[:, 0, :3].numpy(), r.data[:, 0, 6:].numpy()) - true)
    sigma = 0.2 * math.sqrt(50.0) / H  # rad: the horizontal field's angular noise
    assert abs(err.mean()) < 3 * sigma / math.sqrt(len(err)) + 1e-3
    assert err.std() == pytest.approx(sigma, rel=0.25)


def test_synthesize_imu_magnetometer_matches_render_imu_and_takes_noise():
    L, root, _ = yaw_motion(120, tilt=0.2)
    r = synthesize_imu(L, root, SMPL22, [PELVIS], 50.0, mag_field=True)
    assert r.mag.shape == (118, 1, 3) and r.stacked().shape == (118, 1, 9) and ("mag", "uT") in r.units
    k = render(L, root)
    torch.testing.assert_close(r.stacked(), k.data, rtol=1e-9, atol=1e-9)
    w = synthesize_imu(L, root, SMPL22, [PELVIS], 50.0, mag_field=[0.0, -40.0, 20.0])
    np.testing.assert_allclose(w.mag.norm(dim=-1).numpy(), math.hypot(40, 20), rtol=1e-9)
    n = synthesize_imu(L, root, SMPL22, [PELVIS], 50.0, mag_field=True, noise="bmi160", seed=1, temperature=35.0)
    d = (n.mag - r.mag).abs()
    assert 0.1 < d.mean() < 60  # hard iron + noise of the BMM150 profile
    with pytest.raises(ValueError, match=r"mag_field must be True or a finite world-frame field \[3\]"):
        synthesize_imu(L, root, SMPL22, [PELVIS], 50.0, mag_field=[1.0, 2.0])
