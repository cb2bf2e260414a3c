"""Generator with a datasheet noise profile, a temperature range and the magnetometer channel group: the
store, load(), WindowDataset and the HAR evaluation accept mag; adding mag leaves acc/gyro unchanged."""

import json

import numpy as np
import pytest

from imusim.cli import main
from imusim.generate import WindowDataset, load
from imusim.generate.augment import Augment
from imusim.har.real import IMUSet, harmonise


def _gen(tmp_path, shared_data, name, *extra):
    out = tmp_path / name
    args = ["generate", "--from-mocap", str(shared_data), "--per-activity", "2", "--out", str(out), "--seconds", "3,4",
            "--activities", str(tmp_path / "acts.yaml"), "--noise", "lsm6dso", "--temperature", "20,35", *extra]
    (tmp_path / "acts.yaml").write_text("walking: [a person walks.]\nrunning: [a person runs.]\n")
    assert main(args) == 0
    return out


def test_store_with_magnetometer_and_profile(tmp_path, shared_data, capsys):
    a = load(_gen(tmp_path, shared_data, "ag"))
    m = load(_gen(tmp_path, shared_data, "agm", "--channels", "acc,gyro,mag"))
    mo = load(_gen(tmp_path, shared_data, "m", "--channels", "mag"))
    assert a.shape[1:] == (128, 2, 6) and m.shape[1:] == (128, 2, 9) and mo.shape[1:] == (128, 2, 3)
    assert m.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z", "mag_x", "mag_y", "mag_z")
    assert mo.channels == ("mag_x", "mag_y", "mag_z")
    meta = json.loads((tmp_path / "agm" / "meta.json").read_text())
    assert meta["units"]["mag"].startswith("uT") and meta["noise"]["name"] == "LSM6DSO"
    assert "mag" in meta["noise"]["terms"] and meta["config"]["temperature"] == [20.0, 35.0]
    # the magnetometer has its own streams: acc/gyro windows are the same with or without it
    oa, om = np.argsort(a.window_ids), np.argsort(m.window_ids)
    np.testing.assert_array_equal(a.window_ids[oa], m.window_ids[om])
    np.testing.assert_array_equal(a.array()[oa], m.array()[om][..., :6])
    np.testing.assert_array_equal(mo.array()[np.argsort(mo.window_ids)], m.array()[om][..., 6:])
    # Earth field 50 µT plus the LIS3MDL profile's hard iron (10 µT per axis) and noise
    n = np.linalg.norm(m.array()[..., 6:], axis=-1)
    assert 25 < n.mean() < 80
    ds = WindowDataset(tmp_path / "agm")
    x, c = ds[0]
    assert tuple(x.shape) == (128, 18) and c in (0, 1)


def test_evaluate_accepts_a_real_file_with_mag_channels(tmp_path, shared_data, capsys):
    store = _gen(tmp_path, shared_data, "agm", "--channels", "acc,gyro,mag", "--sensors", "wrist_l")
    s = load(store)
    X = s.array(sensor=0)
    # a "real" file in other units: acc in g, gyro in deg/s, mag in gauss, at 25 Hz
    real = X[:, ::2].copy()
    real[..., :3] /= 9.80665
    real[..., 3:6] *= 180 / np.pi
    real[..., 6:] /= 100.0
    chans = list(s.channels)
    np.savez(tmp_path / "real.npz", X=real, y=s.labels, rate=25.0, channels=np.array(chans), placement="wrist_l",
             acc_unit="g", gyro_unit="deg/s", mag_unit="gauss", gravity="included", groups=s.items)
    assert main(["evaluate", "--real", str(tmp_path / "real.npz"), "--synthetic", f"syn={store}", "--out",
                 str(tmp_path / "rep"), "--classifiers", "rf", "--repeats", "1", "--epochs", "1"]) == 0
    res = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert res["results"] and all(r["macro_f1"] >= 0 for r in res["results"])
    # units: the real set brought to µT matches the synthetic windows it was made from
    r = IMUSet(real, s.labels, 25.0, chans, "wrist_l", "g", "deg/s", mag_unit="gauss")
    h = harmonise(IMUSet(X, s.labels, 50.0, chans, "wrist_l", mag_unit="uT"), r)
    np.testing.assert_allclose(r.to_si().X[..., 6:], X[:, ::2, :, ][..., 6:], rtol=1e-5)
    assert h.mag_unit == "uT" and h.X.shape == real.shape


def test_bad_generate_arguments_name_the_argument(tmp_path, shared_data, capsys):
    base = ["generate", "--from-mocap", str(shared_data), "--per-activity", "1", "--out", str(tmp_path / "x")]
    assert main(base + ["--channels", "acc,baro"]) == 2
    assert "--channels: channels must be a non-empty subset of acc,gyro,mag, got 'acc,baro'" in capsys.readouterr().err
    assert main(base + ["--temperature", "40,20"]) == 2
    assert "--temperature must be a number or 'lo,hi'" in capsys.readouterr().err
    assert main(base + ["--mag-field", "50,120"]) == 2
    assert "--mag-field must be 'strength,inclination'" in capsys.readouterr().err
    assert main(base + ["--noise", "bmi999"]) == 2
    assert "unknown noise model 'bmi999'; known: ideal, bmi160" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"mag_unit must be one of \['uT', 'gauss', 'T'\]"):
        IMUSet(np.zeros((1, 4, 3)), ["a"], 10.0, ["mag_x", "mag_y", "mag_z"], mag_unit="mT")


def test_augment_environment_draws_per_rendering():
    aug = Augment(temperature=(10.0, 40.0))
    seeds = np.arange(2000, dtype=np.uint64) * 7919 + 3
    t, f = aug.environment(seeds, mag=True)
    assert t.min() >= 10 and t.max() <= 40 and abs(t.mean() - 25) < 1.0
    np.testing.assert_allclose(np.linalg.norm(f, axis=1), 50.0)
    np.testing.assert_allclose(f[:, 1], -50.0 * np.sin(np.radians(60.0)))  # dip: down, y up
    heading = np.degrees(np.arctan2(-f[:, 0], f[:, 2])) % 360  # towards east (−x) from north (+z)
    assert np.histogram(heading, bins=8, range=(0, 360))[0].min() > 180  # uniform headings
    t2, f2 = aug.environment(seeds[:5], mag=True)
    np.testing.assert_array_equal(t2, t[:5])  # a rendering's draws depend on its seed only
    np.testing.assert_array_equal(f2, f[:5])
    assert Augment().environment(seeds[:3]) == (None, None)
    with pytest.raises(ValueError, match="Augment.temperature must be"):
        Augment(temperature=(30.0, 20.0))
