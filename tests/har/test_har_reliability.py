"""imusim evaluate under bad input and at scale (issue 16): validation, the real→real bound's cache,
subsample and skip, streamed harmonisation."""

import json
import tracemalloc

import numpy as np
import pytest

from imusim.cli import main
from imusim.errors import CorruptFileError
from imusim.har import IMUSet, evaluate, harmonise, load_npz, write_report
import importlib

evaluate_mod = importlib.import_module("imusim.har.evaluate")  # the module (imusim.har.evaluate is also a function)

CH = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


def _set(n_per_class=12, T=40, rate=20.0, classes=("walk", "run", "stand"), seed=0, gravity="removed", name="real",
         groups=True):
    """Classes that differ in frequency and amplitude, so a classifier can tell them apart."""
    rng = np.random.default_rng(seed)
    X, y, g = [], [], []
    t = np.arange(T) / rate
    for k, c in enumerate(classes):
        for i in range(n_per_class):
            f = 0.5 + k + 0.1 * rng.normal()
            x = (1 + k) * np.sin(2 * np.pi * f * t)[:, None] * rng.normal(1, 0.1, 6) + 0.2 * rng.normal(size=(T, 6))
            if gravity == "included":
                x[:, 1] += 9.81
            X.append(x)
            y.append(c)
            g.append(f"{c}{i // 3}")  # 4 recordings per class
    return IMUSet(np.array(X, np.float32), np.array(y), rate, CH, "wrist_l", gravity=gravity, name=name,
                  groups=np.array(g) if groups else None)


def _npz(path, **over):
    s = _set()
    d = dict(X=s.X, y=s.y, rate=np.float64(s.rate), channels=np.array(CH), placement="wrist_l", acc_unit="m/s^2",
             gravity="removed")
    d.update(over)
    np.savez(path, **d)
    return path


# -------------------------------------------------------------------------------------- validation
def test_real_file_with_nan_rate_0_or_bad_fields_names_the_file(tmp_path):
    X = _set().X.copy()
    X[5, 3, 2] = np.nan
    with pytest.raises(CorruptFileError, match=r"bad\.npz: X holds non-finite values .* first at index 5"):
        load_npz(_npz(tmp_path / "bad.npz", X=X))
    with pytest.raises(CorruptFileError, match=r"rate0\.npz: rate must be a finite number > 0 \(Hz\), got 0"):
        load_npz(_npz(tmp_path / "rate0.npz", rate=np.float64(0)))
    with pytest.raises(CorruptFileError, match=r"rates\.npz: field 'rate' must be a single value"):
        load_npz(_npz(tmp_path / "rates.npz", rate=np.array([10.0, 20.0])))
    with pytest.raises(CorruptFileError, match=r"nox\.npz: missing field\(s\) \['X', 'rate'"):
        np.savez(tmp_path / "nox.npz", y=np.zeros(2))
        load_npz(tmp_path / "nox.npz")
    with pytest.raises(CorruptFileError, match=r"grp\.npz: groups must have N=36 entries"):
        load_npz(_npz(tmp_path / "grp.npz", groups=np.arange(3)))


@pytest.mark.parametrize("case,pattern", [
    ("empty", r"real set 'real' has no windows \(N = 0\)"),
    ("short", r"windows of 3 samples are too short for HAR; need at least 8"),
    ("one_class", r"needs at least 2 classes, got \['walk'\]"),
    ("no_label_mapped", r"no synthetic set covers at least 2 of the real classes \['run', 'stand', 'walk'\]"),
    ("empty_synthetic", r"synthetic set 'syn' \(syn\) has no windows"),
    ("bad_classifier", r"classifiers must be a non-empty subset of \['cnn', 'rf'\], got \['svm'\]"),
])
def test_evaluate_refuses_inputs_that_cannot_give_a_score(case, pattern):
    real, syn = _set(), _set(seed=1, gravity="included", name="syn")
    kw = {}
    if case == "empty":
        real = IMUSet(real.X[:0], real.y[:0], real.rate, CH)
    elif case == "short":
        real = IMUSet(real.X[:, :3], real.y, real.rate, CH)
    elif case == "one_class":
        real = IMUSet(real.X[:12], real.y[:12], real.rate, CH)
    elif case == "no_label_mapped":  # used to report real→real F1 1.000 and exit 0
        kw["label_map"] = {"walking": "w", "running": "r"}
    elif case == "empty_synthetic":
        syn = IMUSet(syn.X[:0], syn.y[:0], syn.rate, CH, name="syn")
    elif case == "bad_classifier":
        kw["classifiers"] = ("svm",)
    with pytest.raises(ValueError, match=pattern):
        evaluate(real, {"syn": syn}, classifiers=kw.pop("classifiers", ("rf",)), repeats=1, progress=False, **kw)


def test_cli_no_mapped_label_is_one_line_exit_2(tmp_path, capsys):
    from imusim.generate.store import ShardWriter, finalize

    real = _npz(tmp_path / "real.npz")
    w = ShardWriter(tmp_path / "store", meta={"rate": 20.0, "sensors": [{"name": "wrist_l"}]})
    X = np.random.default_rng(0).normal(size=(6, 40, 1, 6)).astype(np.float32)
    w.write(X, ["jumping"] * 3 + ["dancing"] * 3, ["p"] * 6, ["s"] * 6, [0] * 6, list(range(6)), [0] * 3 + [1] * 3)
    w.close()
    finalize(tmp_path / "store")
    rc = main(["evaluate", "--real", str(real), "--synthetic", f"s={tmp_path / 'store'}", "--out", str(tmp_path / "r"),
               "--classifiers", "rf", "--repeats", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len([e for e in err if "error:" in e]) == 1
    assert "no synthetic set covers at least 2 of the real classes" in err[-1] and "--labels" in err[-1]


# ---------------------------------------------------------------------------- upper bound: cache/subsample/skip
def test_upper_bound_cached_by_content_subsampled_or_skipped(tmp_path, monkeypatch):
    real, syn = _set(n_per_class=20), _set(seed=1, gravity="included", name="syn")
    args = dict(classifiers=("rf",), repeats=1, progress=False, cnn_epochs=2)
    ev1 = evaluate(real, {"syn": syn}, bound_cache=tmp_path, **args)
    assert ev1["upper_bound"]["status"] == "computed" and ev1["upper_bound"]["windows"] == 60
    bound1 = [r for r in ev1["results"] if r["synthetic"].startswith("real (")]
    assert len(bound1) == 1 and len(list(tmp_path.glob("har-bound-*.json"))) == 1
    # second run: from the cache, no classifier is fitted for the bound
    fits = []
    orig = evaluate_mod.make_classifier
    monkeypatch.setattr(evaluate_mod, "make_classifier", lambda *a, **k: fits.append(1) or orig(*a, **k))
    ev2 = evaluate(real, {"syn": syn}, bound_cache=tmp_path, **args)
    # the synthetic fit and the embedding CNN of the distances only
    assert ev2["upper_bound"]["status"] == "cached" and len(fits) == 2
    assert [r for r in ev2["results"] if r["synthetic"].startswith("real (")] == bound1
    # another real set (one value, one label or one group changed) or protocol is another key
    key = evaluate_mod._bound_key(real, ("rf",), 1, 2, 5000)
    X = real.X.copy()
    X[0, 0, 0] += 1
    y = real.y.copy()
    y[[0, -1]] = y[[-1, 0]]
    g = real.groups.copy()
    g[0] = "other"
    for r2, proto in ((IMUSet(X, real.y, real.rate, CH, groups=real.groups), ("rf",)),
                      (IMUSet(real.X, y, real.rate, CH, groups=real.groups), ("rf",)),
                      (IMUSet(real.X, real.y, real.rate, CH, groups=g), ("rf",)), (real, ("cnn",))):
        assert evaluate_mod._bound_key(r2, proto, 1, 2, 5000) != key
    assert evaluate_mod._bound_key(real, ("rf",), 1, 2, 5000) == key
    # above bound_max_windows: a class-stratified subsample
    ev4 = evaluate(real, {"syn": syn}, bound_max_windows=30, **args)
    b = ev4["upper_bound"]
    assert b["status"] == "computed" and b["windows"] == 30 and b["of"] == 60
    # skipped: no real rows; the report says so
    ev5 = evaluate(real, {"syn": syn}, upper_bound="skip", **args)
    assert ev5["upper_bound"]["status"] == "skipped"
    assert not [r for r in ev5["results"] if r["synthetic"].startswith("real (")]
    rep = write_report(ev5, tmp_path / "rep").read_text()
    assert "Upper bound (real → real grouped cross-validation): skipped" in rep
    rep = write_report(ev4, tmp_path / "rep4").read_text()
    assert "computed on 30 of 60 real windows (a class-stratified random subsample" in rep
    assert json.loads((tmp_path / "rep4" / "results.json").read_text())["upper_bound"]["windows"] == 30


def test_subsample_is_stratified():
    y = np.array(["a"] * 900 + ["b"] * 90 + ["c"] * 10)
    idx = evaluate_mod._subsample(y, 100)
    got = {c: int((y[idx] == c).sum()) for c in "abc"}
    assert got == {"a": 90, "b": 9, "c": 2} and len(set(idx.tolist())) == len(idx)


def test_bound_skipped_when_a_class_has_one_recording():
    real = _set(groups=False)
    real = IMUSet(real.X, real.y, real.rate, CH, gravity="removed",
                  groups=np.array([f"{c}" for c in real.y]))  # one recording per class
    ev = evaluate(real, {"syn": _set(seed=1, gravity="included")}, classifiers=("rf",), repeats=1, progress=False,
                  cnn_epochs=2)
    assert ev["upper_bound"]["status"] == "skipped" and "only one recording" in ev["upper_bound"]["reason"]


# ------------------------------------------------------------------------------- streamed harmonisation
def test_harmonise_streams_in_chunks_with_the_same_result():
    src = _set(n_per_class=700, T=128, rate=50.0, gravity="included", name="syn")  # 2100 windows, 6.5 MB
    like = _set(n_per_class=2, T=26, rate=10.0, gravity="removed")
    ref = harmonise(src, like, chunk=10 ** 9)
    tracemalloc.start()
    out = harmonise(src, like, chunk=256)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    np.testing.assert_array_equal(out.X, ref.X)
    assert out.X.shape == (2100, 26, 6) and out.rate == 10.0 and out.gravity == "removed"
    tracemalloc.start()
    harmonise(src, like, chunk=10 ** 9)
    _, peak_all = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # streamed: output (1.3 MB) + one chunk's float64 filter intermediates; all at once: several full copies
    assert peak < 0.3 * peak_all and peak < src.X.nbytes, (peak, peak_all, src.X.nbytes)


def test_units_are_converted_per_chunk():
    src = _set(n_per_class=5, T=40, rate=20.0, gravity="removed", name="deg")
    g = IMUSet(src.X / 9.80665 * np.array([1, 1, 1, 0, 0, 0], np.float32) + src.X * np.array([0, 0, 0, 1, 1, 1])
               * np.float32(180 / np.pi), src.y, src.rate, CH, acc_unit="g", gyro_unit="deg/s", gravity="removed")
    out = harmonise(g, src, chunk=4)
    np.testing.assert_allclose(out.X, src.X, rtol=1e-5, atol=1e-5)
    assert out.acc_unit == "m/s^2" and out.gyro_unit == "rad/s"
