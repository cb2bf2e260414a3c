"""imusim realism: per-window intensity, spectra, distances and ratios on signals with known answers."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from imusim.har.real import G, IMUSet
from imusim.har.realism import (acc_psd, band_edges, band_powers, compare, gyro_intensity, load_reference,
                                realism_report, wasserstein1, window_intensity)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
ACC3 = ["acc_x", "acc_y", "acc_z"]
ALL6 = ACC3 + ["gyro_x", "gyro_y", "gyro_z"]


def sine_windows(n, T, rate, amp, freq, axis, gravity_axis=1, gravity=True, phase_step=0.37):
    """``[n, T, 3]``: ``amp·sin(2π f t + φ_i)`` on ``axis`` plus +g on ``gravity_axis`` (specific force at rest)."""
    t = np.arange(T) / rate
    X = np.zeros((n, T, 3))
    for i in range(n):
        X[i, :, axis] = amp * np.sin(2 * np.pi * freq * t + phase_step * i)
    if gravity:
        X[..., gravity_axis] += G
    return X


def rms_over_period(fn, freq):
    """sqrt((1/P) ∫_0^P fn(t)² dt), by adaptive quadrature (independent of the code under test)."""
    P = 1.0 / freq
    v, _ = quad(lambda t: fn(t) ** 2, 0.0, P, limit=200)
    return np.sqrt(v / P)


# ------------------------------------------------------------------------------------------ intensity
def test_still_sensor_with_gravity_has_zero_intensity_in_any_orientation():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(5, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    acc = np.repeat((G * u)[:, None], 64, axis=1)  # +g along an arbitrary sensor axis, constant
    np.testing.assert_allclose(window_intensity(acc, gravity_included=True), 0.0, atol=1e-12)
    # the same windows read as gravity-removed are 1 g of linear acceleration
    np.testing.assert_allclose(window_intensity(acc, gravity_included=False), G, rtol=1e-12)
    np.testing.assert_allclose(window_intensity(np.zeros((2, 10, 3)), gravity_included=False), 0.0)


@pytest.mark.parametrize("axis", [1, 0], ids=["along-gravity", "orthogonal"])
def test_sine_on_gravity_gives_the_analytic_rms(axis):
    a, f, rate = 5.0, 2.0, 400.0
    T = int(rate * 3 / f)  # three whole periods
    acc = sine_windows(1, T, rate, a, f, axis, phase_step=0.0)
    if axis == 1:  # |g + a sin| − g = a sin (a < g)
        fn = lambda t: abs(G + a * np.sin(2 * np.pi * f * t)) - G  # noqa: E731
    else:  # |(a sin, g, 0)| − g
        fn = lambda t: np.hypot(a * np.sin(2 * np.pi * f * t), G) - G  # noqa: E731
    expected = rms_over_period(fn, f)
    got = window_intensity(acc, gravity_included=True)[0]
    assert got == pytest.approx(expected, rel=1e-6)
    if axis == 1:
        assert expected == pytest.approx(a / np.sqrt(2), rel=1e-9)
    else:  # the orthogonal case is a second-order effect, far below a/√2
        assert expected < 0.3 * a / np.sqrt(2)
    # gravity removed: RMS |a sin| = a/√2 whatever the axis
    lin = sine_windows(1, T, rate, a, f, axis, gravity=False, phase_step=0.0)
    assert window_intensity(lin, gravity_included=False)[0] == pytest.approx(a / np.sqrt(2), rel=1e-9)


def test_gyro_intensity_is_rms_of_the_rate_norm():
    w = np.zeros((1, 100, 3))
    w[0, :, 2] = 3.0  # constant 3 rad/s about z
    w[0, :50, 0] = 4.0  # plus 4 rad/s about x for half the window: |ω| = 5 then 3
    assert gyro_intensity(w)[0] == pytest.approx(np.sqrt((25 + 9) / 2), rel=1e-12)


def test_shape_and_dtype_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"acc must be \[N, T, 3\], got shape \[4, 3\]"):
        window_intensity(np.zeros((4, 3)), True)
    with pytest.raises(ValueError, match="acc must be a floating-point array, got dtype int64"):
        window_intensity(np.zeros((1, 4, 3), dtype=np.int64), True)
    with pytest.raises(ValueError, match="gyro must be"):
        gyro_intensity(np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="rate must be > 0"):
        acc_psd(np.zeros((1, 8, 3)), 0.0)


# ------------------------------------------------------------------------------------------ spectra
def test_two_hz_sine_puts_its_power_in_the_1_3_hz_band():
    a, rate, T = 3.0, 20.0, 51  # 2.55 s at a watch's 20 Hz, as in the WISDM comparison
    acc = sine_windows(16, T, rate, a, 2.0, axis=0)  # gravity on y is constant: removed with the mean
    f, P = acc_psd(acc, rate)
    bp = band_powers(f, P.mean(0), rate)  # bands 0-1, 1-3, 3-6, 6-10 Hz
    assert bp[1] / np.nansum(bp) > 0.95
    # Parseval: the PSD integrates to the signal's variance, a²/2 (Hann-weighted over 5 periods: ±3 %)
    assert np.nansum(bp) == pytest.approx(a * a / 2, rel=0.03)
    # and a 5 Hz sine lands in 3-6 Hz
    f5, P5 = acc_psd(sine_windows(16, T, rate, a, 5.0, axis=2), rate)
    b5 = band_powers(f5, P5.mean(0), rate)
    assert b5[2] / np.nansum(b5) > 0.95


def test_bands_are_capped_at_nyquist():
    assert band_edges(50.0) == [(0.0, 1.0), (1.0, 3.0), (3.0, 6.0), (6.0, 10.0), (10.0, 25.0)]
    assert band_edges(20.0) == [(0.0, 1.0), (1.0, 3.0), (3.0, 6.0), (6.0, 10.0), None]
    assert band_edges(10.0) == [(0.0, 1.0), (1.0, 3.0), (3.0, 5.0), None, None]
    f, P = acc_psd(sine_windows(4, 40, 10.0, 1.0, 4.5, axis=0), 10.0)
    bp = band_powers(f, P.mean(0), 10.0)
    assert np.isnan(bp[3:]).all() and bp[2] / np.nansum(bp) > 0.9  # 4.5 Hz counted in the capped 3-5 Hz band
    # at 50 Hz, 15 Hz jitter lands in the 10 Hz–Nyquist band
    f, P = acc_psd(sine_windows(4, 128, 50.0, 1.0, 15.0, axis=0), 50.0)
    bp = band_powers(f, P.mean(0), 50.0)
    assert bp[4] / bp.sum() > 0.95


# ------------------------------------------------------------------------------------------ distances
def test_wasserstein_of_a_constant_shift_is_the_shift():
    x = np.random.default_rng(1).gamma(2.0, 1.5, size=300)
    assert wasserstein1(x, x + 0.7) == pytest.approx(0.7, rel=1e-9)
    # equal sizes: W1 is the mean absolute difference of the sorted samples
    y = np.random.default_rng(2).normal(3, 2, size=300)
    assert wasserstein1(x, y) == pytest.approx(np.mean(np.abs(np.sort(x) - np.sort(y))), rel=1e-9)


def _set(X, y, rate, channels=ACC3, gravity="included", name="s", groups=None, placement="wrist_r"):
    return IMUSet(X.astype(np.float32), np.asarray(y), rate, list(channels), placement=placement, gravity=gravity,
                  name=name, groups=groups)


def test_scaling_the_synthetic_signal_by_k_scales_the_ratios_by_k():
    rng = np.random.default_rng(3)
    n, T, rate = 40, 64, 25.0
    t = np.arange(T) / rate
    # linear acceleration + angular rate with a random amplitude per window (gravity removed, as BasicMotions)
    amp = rng.uniform(0.5, 4.0, size=(n, 1, 1))
    X = amp * np.sin(2 * np.pi * rng.uniform(0.5, 4, size=(n, 1, 6)) * t[None, :, None] + rng.uniform(0, 6, (n, 1, 6)))
    y = np.array(["walking"] * (n // 2) + ["running"] * (n // 2))
    ref = _set(X, y, rate, ALL6, gravity="removed", name="ref", groups=np.arange(n) // 2)
    k = 1.7
    syn = _set(k * X, y, rate, ALL6, gravity="removed", name="syn", groups=np.arange(n))
    res = compare({"scaled": syn}, ref, bootstrap=200)
    assert res["analysis"]["gravity"] == "removed" and "RMS over samples of |acc|" in res["analysis"]["acc_intensity"]
    assert res["activities"] == ["running", "walking"]
    for act in ("running", "walking"):
        e = res["per_activity"][act]
        v = e["sets"]["scaled"]["vs_reference"]
        assert v["acc_ratio_median"] == pytest.approx(k, rel=1e-5)
        assert v["acc_ratio_p90"] == pytest.approx(k, rel=1e-5)
        assert v["gyro_ratio_median"] == pytest.approx(k, rel=1e-5)
        lo, hi = v["acc_ratio_median_ci95"]
        assert lo <= k * (1 + 1e-5) and hi >= k * (1 - 1e-5)  # a scaled copy: every bootstrap ratio is k
        for r in v["band_power_ratio"].values():
            if r is not None:
                assert r == pytest.approx(k * k, rel=1e-4)  # power scales with k²
        # W1 between x and k·x (same order) is (k − 1)·mean(x)
        ref_int = window_intensity(X[y == act][..., :3], gravity_included=False)
        assert v["acc_w1"] == pytest.approx((k - 1) * ref_int.mean(), rel=1e-5)
        assert e["sets"]["scaled"]["windows"] == e["reference"]["windows"] == n // 2
        assert v["acc_in_target"] is False  # 1.7× is outside 0.75–1.33×
    # the same set is in target against itself
    same = compare({"same": ref}, ref, bootstrap=0)
    assert same["per_activity"]["walking"]["sets"]["same"]["vs_reference"]["acc_in_target"] is True


def test_resampling_50_to_20_hz_keeps_2_hz_and_removes_18_hz():
    a = 3.0
    ref = _set(sine_windows(8, 51, 20.0, a, 1.0, axis=1), ["walking"] * 8, 20.0, name="ref")
    syn2 = _set(sine_windows(8, 128, 50.0, a, 2.0, axis=1), ["walking"] * 8, 50.0, name="2Hz")
    syn18 = _set(sine_windows(8, 128, 50.0, a, 18.0, axis=1), ["walking"] * 8, 50.0, name="18Hz")
    res = compare({"2Hz": syn2, "18Hz": syn18}, ref, bootstrap=0)
    assert res["analysis"]["rate_hz"] == 20.0 and res["analysis"]["window_samples"] == 51
    s = res["per_activity"]["walking"]["sets"]
    # along gravity, RMS(|acc| − g) = a/√2 before and after resampling
    assert s["2Hz"]["acc_intensity"]["median"] == pytest.approx(a / np.sqrt(2), rel=0.03)
    # 18 Hz is above the 10 Hz Nyquist frequency: filtered out, not folded onto 2 Hz. Resampling each
    # window on its own leaves a small transient at the two ends (evaluate's harmonise does the same):
    # < 10 % of the intensity instead of 100 %, and no 2 Hz alias in the spectrum
    assert s["18Hz"]["acc_intensity"]["median"] < 0.1 * a / np.sqrt(2)
    assert s["18Hz"]["band_power"]["1-3"] < 0.01 * s["2Hz"]["band_power"]["1-3"]
    # an analysis rate below the reference's resamples the reference the same way
    r10 = compare({"2Hz": syn2}, ref, rate=10.0, bootstrap=0)
    assert r10["analysis"]["rate_hz"] == 10.0 and r10["reference"]["native_rate_hz"] == 20.0
    assert r10["per_activity"]["walking"]["sets"]["2Hz"]["acc_intensity"]["median"] == pytest.approx(a / np.sqrt(2),
                                                                                                     rel=0.05)
    # (plain decimation would have folded it onto 2 Hz at full amplitude: the test can fail)
    t = np.arange(51) / 20.0
    assert np.abs(a * np.sin(2 * np.pi * 18.0 * t)).max() > 0.9 * a


def test_gravity_removed_reference_removes_gravity_from_the_synthetic_windows():
    # a BasicMotions-like reference: 10 Hz, 100 samples, acc + gyro, gravity removed
    rng = np.random.default_rng(4)
    Xr = rng.normal(0, 0.5, size=(6, 100, 6))
    ref = _set(Xr, ["standing"] * 3 + ["walking"] * 3, 10.0, ALL6, gravity="removed", name="bm")
    n, T = 4, 128
    still = np.zeros((n, T, 6))
    still[..., :3] = G * np.array([0.6, 0.8, 0.0])  # still, gravity included, tilted
    a = 2.5
    moving = np.zeros((n, T, 6))
    moving[..., :3] = sine_windows(n, T, 50.0, a, 2.0, axis=0)  # 2 Hz along x, +g along y
    syn = _set(np.concatenate([still, moving]), ["standing"] * n + ["walking"] * n, 50.0, ALL6, name="syn")
    res = compare({"syn": syn}, ref, bootstrap=0)
    assert res["analysis"]["gravity"] == "removed" and res["analysis"]["gyro"] is True
    assert res["reference"]["rewindowed_to_synthetic_length"] is True  # 10 s recordings → 2.56 s windows
    s = res["per_activity"]
    assert s["standing"]["sets"]["syn"]["acc_intensity"]["median"] < 0.05  # gravity gone, nothing left
    # RMS |a sin| = a/√2 (the 0.3 Hz gravity high-pass barely touches 2 Hz)
    assert s["walking"]["sets"]["syn"]["acc_intensity"]["median"] == pytest.approx(a / np.sqrt(2), rel=0.1)
    # without gravity removal the still windows would read 1 g
    assert window_intensity(still[..., :3], gravity_included=False)[0] == pytest.approx(G)


def test_several_stores_are_pooled_and_reported_one_by_one():
    # whole periods (2 Hz, 2.5 s): every window has the same intensity whatever its phase
    ref = _set(sine_windows(10, 50, 20.0, 2.0, 2.0, axis=1), ["walking"] * 10, 20.0, name="ref")
    s1 = _set(sine_windows(5, 50, 20.0, 2.0, 2.0, axis=1), ["walking"] * 5, 20.0, name="seed0")
    s2 = _set(sine_windows(5, 50, 20.0, 4.0, 2.0, axis=1), ["walking"] * 5, 20.0, name="seed1")
    res = compare({"m": [s1, s2]}, ref, bootstrap=0)
    st = res["per_activity"]["walking"]["sets"]["m"]
    assert st["windows"] == 10
    ps = st["per_store"]
    assert [p["store"] for p in ps] == ["seed0", "seed1"]
    assert ps[0]["acc_ratio_median"] == pytest.approx(1.0, rel=1e-5)
    assert ps[1]["acc_ratio_median"] == pytest.approx(2.0, rel=1e-5)


def test_label_map_and_no_overlap_error():
    ref = _set(sine_windows(6, 51, 20.0, 2.0, 1.5, axis=1), ["walking"] * 3 + ["jogging"] * 3, 20.0, name="wisdm")
    syn = _set(sine_windows(6, 51, 20.0, 2.0, 1.5, axis=1), ["walking", "running", "badminton"] * 2, 20.0, name="syn")
    res = compare({"syn": syn}, ref, label_map={"walking": "walking", "jogging": "running"}, bootstrap=0)
    assert res["activities"] == ["jogging", "walking"]
    assert res["per_activity"]["jogging"]["synthetic_activities"] == ["running"]
    assert res["synthetic"]["syn"]["labels_not_mapped"] == ["badminton"]
    with pytest.raises(ValueError, match=r"no activity in common.*\['jogging', 'walking'\].*\['badminton', 'running'"):
        compare({"syn": _set(syn.X[1:3], ["running", "badminton"], 20.0)}, ref, bootstrap=0)


def test_clear_errors():
    ref = _set(sine_windows(2, 51, 20.0, 2.0, 1.5, axis=1), ["walking"] * 2, 20.0, name="ref")
    syn = _set(sine_windows(2, 128, 50.0, 2.0, 1.5, axis=1), ["walking"] * 2, 50.0, name="syn")
    with pytest.raises(ValueError, match="rate 50 Hz exceeds the reference's rate 20 Hz"):
        compare({"s": syn}, ref, rate=50.0)
    gyro_only = IMUSet(np.zeros((2, 51, 3), np.float32), ["walking"] * 2, 20.0, ["gyro_x", "gyro_y", "gyro_z"])
    with pytest.raises(ValueError, match=r"must have the channels \['acc_x', 'acc_y', 'acc_z'\]"):
        compare({"s": syn}, gyro_only)
    acc_only = _set(sine_windows(2, 51, 20.0, 2.0, 1.5, axis=1), ["walking"] * 2, 20.0)
    ref6 = _set(np.zeros((2, 51, 6)), ["walking"] * 2, 20.0, ALL6)
    with pytest.raises(ValueError, match=r"synthetic set 's'.*lacks channel\(s\) \['gyro_x'"):
        compare({"s": acc_only}, ref6)
    with pytest.raises(ValueError, match="unknown reference 'wisdm'"):
        load_reference("wisdm", sensors=["wrist_r"])
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_reference("/nonexistent/real.npz", sensors=["wrist_r"])
    with pytest.raises(TypeError, match="reference must be an IMUSet"):
        compare({"s": syn}, "basicmotions")


def test_corrupt_reference_file_is_named(tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_text("not a zip archive")
    with pytest.raises(ValueError, match=r"broken.npz: not a readable .npz file"):
        load_reference(str(bad), sensors=["wrist_r"])


def test_warnings_for_upsampled_or_padded_synthetic_windows():
    ref = _set(sine_windows(2, 60, 20.0, 2.0, 1.5, axis=1), ["walking"] * 2, 20.0, name="ref")  # 3 s
    syn = _set(sine_windows(2, 26, 10.0, 2.0, 1.5, axis=1), ["walking"] * 2, 10.0, name="slow")  # 2.6 s at 10 Hz
    w = compare({"s": syn}, ref, bootstrap=0)["warnings"]
    assert any("below the analysis rate 20 Hz" in x for x in w)
    assert any("padded with their last sample" in x for x in w)
    assert compare({"s": ref}, ref, bootstrap=0)["warnings"] == []


def test_report_files_from_a_compare_result(tmp_path):
    ref = _set(sine_windows(6, 51, 20.0, 2.0, 1.5, axis=1), ["walking"] * 3 + ["jogging"] * 3, 20.0, name="ref")
    syn = _set(sine_windows(6, 128, 50.0, 3.0, 1.5, axis=1), ["walking"] * 3 + ["jogging"] * 3, 50.0, name="syn")
    files = realism_report(compare({"syn": syn}, ref, bootstrap=50), tmp_path)
    js = json.loads(files["json"].read_text())  # strict JSON: no NaN, no numpy types
    assert set(js["sensors"]["wrist_r"]["per_activity"]) == {"jogging", "walking"}
    assert files["png_wrist_r"].stat().st_size > 10_000
    md = files["summary"].read_text()
    assert "| walking | syn | 3 |" in md and "realism_wrist_r.png" in md


# ------------------------------------------------------------------------------------------ CLI
@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found: {SHARED_DATA}")
    from imusim.cli import main

    d = tmp_path_factory.mktemp("realism")
    (d / "acts.yaml").write_text("walking: [a person walks.]\nrunning: [a person runs.]\n")
    assert main(["generate", "--from-mocap", str(SHARED_DATA), "--per-activity", "2", "--sensors", "wrist_r,thigh_r",
                 "--activities", str(d / "acts.yaml"), "--seconds", "4,6", "--out", str(d / "store")]) == 0
    return d


def test_cli_against_a_tiny_npz_with_a_label_map(tiny_store, tmp_path, capsys):
    from imusim.cli import main
    from imusim.generate import load

    n = 6
    X = np.concatenate([sine_windows(n, 100, 20.0, 2.0, 1.8, axis=1), sine_windows(n, 100, 20.0, 8.0, 2.8, axis=1)])
    np.savez(tmp_path / "real.npz", X=X.astype(np.float32), y=np.array(["walking"] * n + ["jogging"] * n), rate=20.0,
             channels=np.array(ACC3), placement="wrist_r", acc_unit="m/s^2", subject=np.arange(2 * n) % 3)
    (tmp_path / "map.yaml").write_text("walking: walking\njogging: running\n")
    out = tmp_path / "out"
    store = tiny_store / "store"
    assert main(["realism", "--synthetic", f"mocap={store}", "--reference", str(tmp_path / "real.npz"),
                 "--labels", str(tmp_path / "map.yaml"), "--out", str(out), "--bootstrap", "50"]) == 0
    assert "intensity ratio median" in capsys.readouterr().out
    js = json.loads((out / "realism.json").read_text())
    r = js["sensors"]["wrist_r"]
    assert r["analysis"]["rate_hz"] == 20.0 and r["analysis"]["gravity"] == "included"
    assert r["reference"]["rewindowed_to_synthetic_length"] is True  # 5 s recordings → 2.56 s windows
    labels = load(store).labels
    for act, syn_act in (("walking", "walking"), ("jogging", "running")):
        e = r["per_activity"][act]
        assert e["sets"]["mocap"]["windows"] == int((labels == syn_act).sum()) > 0
        # reference: 5 s (100 samples) recordings cut into windows of 51 samples: one per recording
        assert e["reference"]["windows"] == n
        # the reference is a pure sine along gravity: its intensity is a/√2
        a = 2.0 if act == "walking" else 8.0
        assert e["reference"]["acc_intensity"]["median"] == pytest.approx(a / np.sqrt(2), rel=0.03)
        v = e["sets"]["mocap"]["vs_reference"]
        assert v["acc_ratio_median"] > 0 and v["acc_w1"] > 0
    assert js["config"]["reference"]["kind"] == "real" and js["config"]["synthetic"]["mocap"][0]["seed"] == 0
    assert (out / "realism_wrist_r.png").stat().st_size > 10_000 and (out / "summary.md").exists()
    # errors: no overlap (names both label sets), missing sensor, unknown reference, bad --synthetic
    np.savez(tmp_path / "other.npz", X=X.astype(np.float32), y=np.array(["sitting"] * (2 * n)), rate=20.0,
             channels=np.array(ACC3), placement="wrist_r", acc_unit="m/s^2")
    assert main(["realism", "--synthetic", f"m={store}", "--reference", str(tmp_path / "other.npz"), "--out",
                 str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "no activity in common" in err and "['sitting']" in err and "'running'" in err
    assert main(["realism", "--synthetic", f"m={store}", "--reference", str(tmp_path / "real.npz"), "--sensor",
                 "ankle_l", "--out", str(tmp_path / "o3")]) == 2
    assert "has no sensor ['ankle_l']" in capsys.readouterr().err
    assert main(["realism", "--synthetic", f"m={store}", "--reference", "nope", "--out", str(tmp_path / "o4")]) == 2
    assert "unknown reference 'nope'" in capsys.readouterr().err
    assert main(["realism", "--synthetic", str(store), "--reference", "basicmotions", "--out", str(tmp_path / "o5")]) == 2
    assert "NAME=STORE" in capsys.readouterr().err


def test_cli_against_mocap_rendered_like_generate(tiny_store, tmp_path):
    from imusim.cli import main

    out = tmp_path / "out"
    store = tiny_store / "store"
    assert main(["realism", "--synthetic", f"a={store}", f"b={store},{store}", "--reference", f"mocap:{SHARED_DATA}",
                 "--reference-per-activity", "2", "--out", str(out), "--bootstrap", "0"]) == 0
    js = json.loads((out / "realism.json").read_text())
    assert js["config"]["reference"]["kind"] == "mocap"
    cmd = js["config"]["reference"]["generate_command"]
    assert "--from-mocap" in cmd and "--activities ACTIVITIES.yaml" in cmd and "--per-activity 2" in cmd
    assert set(js["config"]["reference"]["activities_yaml"]) == {"walking", "running"}
    assert set(js["sensors"]) == {"wrist_r", "thigh_r"}  # the sensors both stores have
    for sensor, r in js["sensors"].items():
        assert r["analysis"]["rate_hz"] == 50.0 and r["analysis"]["gyro"] is True
        assert set(r["activities"]) <= {"walking", "running"} and r["activities"]
        for e in r["per_activity"].values():
            a, b = e["sets"]["a"], e["sets"]["b"]
            assert b["windows"] == 2 * a["windows"]  # the same store twice
            assert b["vs_reference"]["acc_ratio_median"] == pytest.approx(a["vs_reference"]["acc_ratio_median"])
            assert len(b["per_store"]) == 2
        assert (out / f"realism_{sensor}.png").exists()


def test_by_tag_rows_give_each_tags_own_ratio():
    """Windows tagged by prompt: a tag whose windows are k× the reference reads k at its median and p90, and the
    set's pooled figure lies between its tags'; a label map drops the same windows from the tags as from the set."""
    n, T, rate = 30, 64, 25.0  # sines along gravity: |acc| − g is the sine itself, intensity ∝ amplitude
    ref = _set(sine_windows(n, T, rate, 2.0, 1.5, axis=1), ["walking"] * n, rate, groups=np.arange(n))
    X = np.concatenate([sine_windows(n, T, rate, 2.0 * 0.5, 1.5, axis=1), sine_windows(n, T, rate, 2.0 * 3.0, 1.5, axis=1),
                        sine_windows(4, T, rate, 9.0, 1.5, axis=1)])
    y = ["walking"] * (2 * n) + ["jumping"] * 4
    tags = np.array(["slowly"] * n + ["at a normal pace"] * n + ["jumps"] * 4)
    syn = _set(X, y, rate, groups=np.arange(len(y)) // 2)
    res = compare({"g": syn}, ref, bootstrap=0, tags={"g": [tags]}, tag_kind="prompt",
                  label_map={"walking": "walking"})
    rows = res["per_activity"]["walking"]["sets"]["g"]["by_prompt"]
    assert [r["tag"] for r in rows] == ["at a normal pace", "slowly"]  # highest ratio first; 'jumps' mapped out
    assert rows[0]["acc_ratio_median"] == pytest.approx(3.0, rel=1e-3) and rows[0]["acc_ratio_p90"] == pytest.approx(3.0, rel=1e-3)
    assert rows[1]["acc_ratio_median"] == pytest.approx(0.5, rel=1e-3)
    assert rows[0]["windows"] == n and rows[0]["motions"] == n // 2
    pooled = res["per_activity"]["walking"]["sets"]["g"]["vs_reference"]["acc_ratio_median"]
    assert 0.5 < pooled < 3.0
    with pytest.raises(ValueError, match=r"tags\['g'\] must hold one array per set.*\[3\] for \[64\] windows"):
        compare({"g": syn}, ref, tags={"g": [tags[:3]]})
    with pytest.raises(ValueError, match="'h' is not a synthetic set"):
        compare({"g": syn}, ref, tags={"h": [tags]})


def test_cli_by_style_and_a_styled_mocap_reference(tiny_store, tmp_path, capsys):
    """--by style tags a mocap store's windows with their clips' acting styles; --mocap-styles normal renders
    the mocap reference from normal clips only and records it in the equivalent generate command."""
    from imusim.cli import main
    from imusim.data.captions import labels_from_path
    from imusim.generate import load

    out = tmp_path / "out"
    store = tiny_store / "store"
    assert main(["realism", "--synthetic", f"a={store}", "--reference", f"mocap:{SHARED_DATA}", "--mocap-styles",
                 "normal", "--reference-per-activity", "2", "--sensor", "wrist_r", "--by", "style", "--out", str(out),
                 "--bootstrap", "0"]) == 0
    js = json.loads((out / "realism.json").read_text())
    assert js["config"]["by"] == "style" and js["config"]["reference"]["styles"] == ["normal"]
    assert "--mocap-styles normal" in js["config"]["reference"]["generate_command"]
    st = load(store)
    want = {}
    for lab, src in zip(st.labels, st.sources):
        sty = labels_from_path(src.split("[")[0])["style"]
        want.setdefault(str(lab), {}).setdefault(sty, 0)
        want[str(lab)][sty] += 1
    r = js["sensors"]["wrist_r"]
    for act, e in r["per_activity"].items():
        rows = e["sets"]["a"]["by_style"]
        assert {x["tag"]: x["windows"] for x in rows} == want[act]
    assert "By style" in (out / "summary.md").read_text()
    printed = capsys.readouterr().out
    for act, e in r["per_activity"].items():
        for x in e["sets"]["a"]["by_style"]:
            assert f"{x['tag']!r}: windows {x['windows']}, ratio median" in printed
    assert main(["realism", "--synthetic", f"a={store}", "--reference", "basicmotions", "--mocap-styles", "normal",
                 "--out", str(tmp_path / "o2")]) == 2


def test_crest_factor_of_a_sine_a_spike_and_in_compare():
    """A sine along gravity has crest √2 (peak a over RMS a/√2); one spike in T samples has √T; compare reports
    the medians and their ratio, and a still window (RMS 0) reads NaN instead of dividing by zero."""
    from imusim.har.realism import window_crest

    T, rate = 200, 50.0  # 4 s of a 2 Hz sine: whole periods, peaks sampled exactly
    sine = sine_windows(3, T, rate, 2.0, 2.0, axis=1, phase_step=0.0)
    sine[..., 1] = G + 2.0 * np.cos(2 * np.pi * 2.0 * np.arange(T) / rate)  # cos: the peak at sample 0
    assert window_crest(sine, True) == pytest.approx([np.sqrt(2)] * 3, rel=1e-3)
    spike = np.zeros((2, T, 3))
    spike[:, 17, 0] = 5.0
    assert window_crest(spike, False) == pytest.approx([np.sqrt(T)] * 2, rel=1e-9)
    still = np.zeros((1, T, 3))
    still[..., 2] = G
    assert np.isnan(window_crest(still, True)[0])
    ref = _set(sine, ["walking"] * 3, rate, groups=np.arange(3))
    spiky = sine.copy()
    spiky[:, 100, 1] += 30.0  # one 3 g spike on top of the swing
    res = compare({"s": _set(spiky, ["walking"] * 3, rate, groups=np.arange(3))}, ref, bootstrap=0)
    e = res["per_activity"]["walking"]
    assert e["reference"]["acc_crest"]["median"] == pytest.approx(np.sqrt(2), rel=1e-3)
    n = np.abs(np.linalg.norm(spiky[0], axis=-1) - G)
    want = n.max() / np.sqrt(np.mean(n ** 2))
    assert e["sets"]["s"]["acc_crest"]["median"] == pytest.approx(want, rel=1e-6)
    assert e["sets"]["s"]["vs_reference"]["acc_crest_ratio_median"] == pytest.approx(want / np.sqrt(2), rel=1e-3)


def test_window_positions_from_window_ids():
    """A window's place in its rendering comes from its generator id (rendering above bit 12, index below), in any
    window order; a rendering cut into one window is 'only'."""
    from imusim.generate.plan import window_id
    from imusim.har.realism import window_positions

    ids = [window_id(7, 2), window_id(3, 0), window_id(7, 0), window_id(7, 1), window_id(3, 0, variant=1),
           window_id(3, 1, variant=1), window_id(9, 0)]
    assert window_positions(ids).tolist() == ["last", "only", "first", "middle", "first", "last", "only"]
    assert window_positions([]).tolist() == []


def test_cli_by_position_finds_an_intense_last_window(tmp_path, capsys):
    """A store whose motions end in a window twice as intense as their first and middle ones: --by position reads
    the last windows at 2x the reference (a sine of the first windows' amplitude along gravity) and the others at 1x,
    from the store's window ids alone (the windows are written in shuffled order)."""
    from imusim.cli import main
    from imusim.generate.plan import window_id
    from imusim.generate.store import ShardWriter

    n, T, rate, amp = 12, 64, 25.0, 2.0
    store = tmp_path / "store"
    w = ShardWriter(store, rank=0, meta={"rate": rate, "sensors": [{"name": "wrist_r"}]})
    X, ids, items = [], [], []
    for m in range(n):  # motion m: windows 0, 1, 2; the last at twice the amplitude
        for k, a in enumerate((amp, amp, 2 * amp)):
            acc = sine_windows(1, T, rate, a, 1.5, axis=1, phase_step=0.0)[0]
            X.append(np.concatenate([acc, np.zeros((T, 3))], -1)[:, None, :])
            ids.append(window_id(m, k))
            items.append(m)
    order = np.random.default_rng(0).permutation(len(X))
    X, ids, items = np.stack(X)[order], np.array(ids)[order], np.array(items)[order]
    w.write(X, ["walking"] * len(X), ["a person walks."] * len(X), ["diffusion"] * len(X), [0] * len(X), ids, items)
    w.close()
    ref = sine_windows(n, T, rate, amp, 1.5, axis=1, phase_step=0.0)
    np.savez(tmp_path / "real.npz", X=ref.astype(np.float32), y=np.array(["walking"] * n), rate=rate,
             channels=np.array(ACC3), placement="wrist_r", acc_unit="m/s^2", subject=np.arange(n) % 3)
    out = tmp_path / "out"
    assert main(["realism", "--synthetic", f"s={store}", "--reference", str(tmp_path / "real.npz"), "--by", "position",
                 "--bootstrap", "0", "--out", str(out)]) == 0
    rows = json.loads((out / "realism.json").read_text())["sensors"]["wrist_r"]["per_activity"]["walking"]["sets"]["s"][
        "by_position"]
    got = {r["tag"]: r for r in rows}
    assert set(got) == {"first", "middle", "last"} and all(r["windows"] == n and r["motions"] == n for r in rows)
    assert got["last"]["acc_ratio_median"] == pytest.approx(2.0, rel=1e-3)
    assert got["first"]["acc_ratio_median"] == pytest.approx(1.0, rel=1e-3)
    assert got["middle"]["acc_ratio_p90"] == pytest.approx(1.0, rel=1e-3)
    assert "'last': windows 12, ratio median 2.00x" in capsys.readouterr().out
    with pytest.raises(ValueError, match=r"by must be None or one of \['prompt', 'style', 'position'\], got 'frame'"):
        from imusim.har.realism import realism
        realism({"s": str(store)}, str(tmp_path / "real.npz"), by="frame")
