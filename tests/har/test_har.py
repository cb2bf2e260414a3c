import json

import numpy as np
import pytest

from imusim.har.metrics import channel_wasserstein, mmd_rbf
from imusim.har.models import random_rotations, window_features
from imusim.har.real import G, IMUSet, harmonise, load_basicmotions, load_csv, load_npz, remove_gravity, resample


def test_basicmotions_loaded():
    r = load_basicmotions()
    assert r.X.shape == (80, 100, 6) and r.rate == 10.0
    assert r.classes == ["badminton", "running", "standing", "walking"]
    # declared gravity-removed: at rest the accelerometer reads ~0, not 9.81
    still = np.linalg.norm(r.X[r.y == "standing"][..., :3], axis=-1).mean()
    assert still < 2.0


def test_generic_npz_units_and_errors(tmp_path):
    X = np.zeros((4, 20, 6), np.float32)
    X[..., 1] = 1.0  # 1 g up
    X[..., 3] = 90.0  # deg/s
    f = tmp_path / "r.npz"
    np.savez(f, X=X, y=np.array(["a", "b", "a", "b"]), rate=25.0,
             channels=np.array(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]), placement="wrist_r",
             acc_unit="g", gyro_unit="deg/s")
    s = load_npz(f).to_si()
    assert np.allclose(s.X[..., 1], G) and np.allclose(s.X[..., 3], np.pi / 2)
    np.savez(tmp_path / "bad.npz", X=X, y=np.array(["a"] * 4))
    with pytest.raises(ValueError, match="missing field"):
        load_npz(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="acc_unit"):
        IMUSet(X, ["a"] * 4, 25.0, ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"], acc_unit="mg")


def test_csv_yaml_adapter(tmp_path):
    rows = ["sess,activity,ax,ay,az"] + [f"1,walk,{i},0,1" for i in range(10)] + [f"2,run,{i},0,1" for i in range(10)]
    (tmp_path / "rec.csv").write_text("\n".join(rows))
    (tmp_path / "rec.yaml").write_text("csv: rec.csv\nrate: 5\nwindow: 1.0\nlabel_column: activity\n"
                                       "recording_column: sess\nchannels: {acc_x: ax, acc_y: ay, acc_z: az}\n"
                                       "placement: wrist_r\nacc_unit: g\n")
    s = load_csv(tmp_path / "rec.yaml")
    assert s.X.shape == (4, 5, 3) and s.y.tolist() == ["walk", "walk", "run", "run"]
    assert s.X[1, 0, 0] == 5.0


def test_resample_and_gravity_removal():
    t = np.arange(0, 4, 1 / 50)
    X = np.stack([np.sin(2 * np.pi * 1.0 * t), np.full_like(t, G), np.zeros_like(t)], -1)[None].astype(np.float32)
    Y = resample(X, 50, 10, 40)
    assert Y.shape == (1, 40, 3)
    np.testing.assert_allclose(Y[0, 5:35, 0], np.sin(2 * np.pi * t[::5][5:35]), atol=0.05)
    L = remove_gravity(X, ["acc_x", "acc_y", "acc_z"], 50)
    assert abs(L[0, 50:150, 1].mean()) < 0.05  # the constant +g is gone
    assert np.abs(L[0, 50:150, 0] - X[0, 50:150, 0]).max() < 0.25  # 1 Hz motion kept


def test_harmonise_synthetic_to_real():
    real = load_basicmotions()
    syn = IMUSet(np.random.default_rng(0).normal(size=(6, 128, 6)).astype(np.float32), ["walking"] * 6, 50.0,
                 ["gyro_x", "gyro_y", "gyro_z", "acc_x", "acc_y", "acc_z"], gyro_unit="deg/s", name="syn")
    syn.X[..., 4] += G  # specific force at rest
    h = harmonise(syn, real)
    assert h.X.shape == (6, 100, 6) and h.rate == 10.0 and h.channels == real.channels
    assert h.gravity == "removed" and abs(h.X[..., 1].mean()) < 0.5


def test_mmd_and_wasserstein_separate_distributions():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(200, 5)), rng.normal(size=(200, 5)), rng.normal(1.0, size=(200, 5))
    assert abs(mmd_rbf(a, b)) < 0.02 and mmd_rbf(a, c) > 0.1
    w = channel_wasserstein(a[:, None], c[:, None], ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y"])
    assert all(0.7 < v < 1.3 for v in w.values())


def test_rotation_augmentation_is_rotation():
    import torch

    R = random_rotations(16, torch.Generator().manual_seed(0))
    torch.testing.assert_close(R @ R.transpose(1, 2), torch.eye(3).expand(16, 3, 3), atol=1e-5, rtol=0)
    assert torch.allclose(torch.linalg.det(R), torch.ones(16), atol=1e-5)
    assert window_features(np.zeros((2, 30, 6))).shape[0] == 2


@pytest.mark.slow
def test_evaluate_protocol_and_report(tmp_path):
    from imusim.har import evaluate, write_report

    real = load_basicmotions()
    rng = np.random.default_rng(0)
    keep = real.y != "badminton"  # synthetic set without badminton -> reported missing
    syn = IMUSet(real.X[keep] + rng.normal(0, 0.3, real.X[keep].shape).astype(np.float32),
                 np.char.add("syn_", real.y[keep]), 10.0, real.channels, gravity="removed", name="noisy")
    label_map = {"walking": "syn_walking", "running": "syn_running", "standing": "syn_standing",
                 "badminton": "syn_badminton"}
    ev = evaluate(real, {"noisy": syn}, classifiers=("rf", "cnn"), repeats=1, label_map=label_map, cnn_epochs=20,
                  progress=False)
    assert ev["missing_classes"]["noisy"] == ["badminton"]
    res = [r for r in ev["results"] if r["synthetic"] == "noisy"]
    assert {r["classifier"] for r in res} == {"rf", "cnn"}
    assert all(r["macro_f1"] > 0.8 for r in res)  # noisy copies of the real data transfer well
    rep = write_report(ev, tmp_path / "rep", tmp_path / "out.json")
    js = json.loads((tmp_path / "out.json").read_text())
    assert {"synthetic", "classifier", "macro_f1", "accuracy"} <= set(js["results"][0])
    for png in ("tsne.png", "confusion.png", "per_class_f1.png", "examples.png"):
        assert (tmp_path / "rep" / png).stat().st_size > 1000
    assert "no synthetic windows for: badminton" in rep.read_text()


def test_evaluate_several_stores_per_method_and_relative_change():
    from imusim.har import evaluate

    real = load_basicmotions()
    rng = np.random.default_rng(1)
    noisy = [IMUSet(real.X + rng.normal(0, s, real.X.shape).astype(np.float32), real.y, 10.0, real.channels,
                    gravity="removed", name=f"n{s}") for s in (0.2, 0.4)]
    wrong = IMUSet(real.X, rng.permutation(real.y), 10.0, real.channels, gravity="removed", name="shuffled")
    ev = evaluate(real, {"good": noisy, "bad": wrong}, classifiers=("rf",), repeats=4, progress=False,
                  reference="good")
    good = [r for r in ev["results"] if r["synthetic"] == "good"]
    assert [r["store"] for r in good] == [0, 1, 0, 1]  # repeats cycle through the method's stores
    rel = {r["synthetic"]: r for r in ev["relative"]}
    assert set(rel) == {"bad"} and rel["bad"]["reference"] == "good"
    sm = {s["synthetic"]: s for s in ev["summary"]}
    expect = (sm["bad"]["macro_f1"] - sm["good"]["macro_f1"]) / sm["good"]["macro_f1"]
    assert rel["bad"]["macro_f1_change"] == pytest.approx(expect) and expect < -0.3
    with pytest.raises(ValueError, match="reference 'nope'"):
        evaluate(real, {"good": noisy[0]}, classifiers=("rf",), repeats=1, progress=False, reference="nope")


def test_rewindow_cuts_recordings_and_keeps_groups():
    from imusim.har.real import rewindow

    r = load_basicmotions()
    w = rewindow(r, 2.5)
    assert w.X.shape == (80 * 4, 25, 6)
    np.testing.assert_array_equal(w.X[80 + 3], r.X[3, 25:50])  # second window of recording 3
    assert w.groups[80 + 3] == r.groups[3] and w.y[80 + 3] == r.y[3]


def test_evaluate_cli_on_a_store(tmp_path, shared_data):
    from imusim.cli import main

    store = tmp_path / "store"
    assert main(["generate", "--from-mocap", str(shared_data), "--per-activity", "3", "--sensors", "wrist_l",
                 "--out", str(store), "--seconds", "3,4"]) == 0
    store1 = tmp_path / "store1"
    assert main(["generate", "--from-mocap", str(shared_data), "--per-activity", "3", "--sensors", "wrist_l",
                 "--out", str(store1), "--seconds", "3,4", "--seed", "1"]) == 0
    assert main(["evaluate", "--synthetic", f"mocap={store},{store1}", "--synthetic", f"mocap0={store}",
                 "--reference", "mocap0", "--out", str(tmp_path / "rep"), "--repeats", "2",
                 "--classifiers", "rf", "--epochs", "2"]) == 0
    js = json.loads((tmp_path / "rep" / "results.json").read_text())
    names = {r["synthetic"] for r in js["results"]}
    assert names == {"mocap", "mocap0", "real (5-fold CV)"}
    assert [r["store"] for r in js["results"] if r["synthetic"] == "mocap"] == [0, 1]
    assert [r["synthetic"] for r in js["relative"]] == ["mocap"]
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "badminton" in text and "Relative change against `mocap0`" in text
