import numpy as np

from imusim.cli import main
from tests.conftest import require_data


def test_synth_bvh_writes_npz_and_png(tmp_path, capsys):
    f = require_data("bandai_namco_1", "dataset-1_walk_normal_001.bvh")
    rc = main(["synth", str(f), "--sensors", "wrist_r,thigh_r", "--rate", "50", "--out", str(tmp_path / "imu.npz"),
               "--plot", str(tmp_path / "imu.png")])
    assert rc == 0
    z = np.load(tmp_path / "imu.npz")
    assert z["acc"].shape == z["gyro"].shape and z["acc"].shape[1:] == (2, 3) and float(z["rate"]) == 50.0
    assert list(z["sensor_names"]) == ["wrist_r", "thigh_r"] and str(z["acc_unit"]) == "m/s^2"
    n = z["acc"].shape[0]
    assert abs(n / 50.0 - 194 / 30.0) < 0.1  # whole clip at 50 Hz
    # over a steady walk the body's mean acceleration is ~0: the world-frame specific force averages +g up
    fw = np.einsum("tsij,tsj->tsi", z["orientation"], z["acc"]).mean(0)
    np.testing.assert_allclose(fw[:, 1], 9.81, atol=0.6)
    assert np.abs(fw[:, [0, 2]]).max() < 0.8
    assert 0.5 < np.abs(z["gyro"][:, 1]).max() < 15
    assert (tmp_path / "imu.png").stat().st_size > 10000


def test_synth_bad_file_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.bvh"
    bad.write_text("HIERARCHY\nROOT a\n{\n  OFFSET 0 0\n}\n")
    assert main(["synth", str(bad), "--out", str(tmp_path / "x.npz")]) == 2
    assert "bad.bvh:4: OFFSET needs 3 numbers" in capsys.readouterr().err


def test_synth_with_a_profile_magnetometer_and_temperature(tmp_path, capsys):
    f = require_data("bandai_namco_1", "dataset-1_walk_normal_001.bvh")
    args = ["synth", str(f), "--sensors", "wrist_r", "--rate", "100", "--out", str(tmp_path / "a.npz")]
    assert main(args + ["--noise", "icm42688p", "--mag", "--temperature", "40", "--seed", "3"]) == 0
    z = np.load(tmp_path / "a.npz")
    assert z["mag"].shape == z["acc"].shape and str(z["mag_unit"]) == "uT" and str(z["noise"]) == "ICM-42688-P"
    assert 30 < np.linalg.norm(z["mag"], axis=-1).mean() < 75  # 50 µT Earth field + hard iron
    assert main(args[:-1] + [str(tmp_path / "b.npz")]) == 0  # ideal: no mag key, other noise
    zb = np.load(tmp_path / "b.npz")
    assert "mag" not in zb and str(zb["noise"]) == "none"
    d = np.abs(z["acc"] - zb["acc"])
    assert 1e-3 < d.mean() < 1.0  # the profile's errors, not a different motion
    assert main(args + ["--mag", "--mag-field", "30,0", "--out", str(tmp_path / "c.npz")]) == 0  # ideal, horizontal
    zc = np.load(tmp_path / "c.npz")
    np.testing.assert_allclose(np.linalg.norm(zc["mag"], axis=-1), 30.0, rtol=1e-5)
    up = np.einsum("tsij,tsj->tsi", zc["orientation"], zc["mag"])  # back to the world frame: (0, 0, 30), north +z
    np.testing.assert_allclose(up[..., 2], 30.0, rtol=1e-4)
    assert main(args + ["--noise", "nope"]) == 2
    assert "--noise: unknown noise model 'nope'; known:" in capsys.readouterr().err
