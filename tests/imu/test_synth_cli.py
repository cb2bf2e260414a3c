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
