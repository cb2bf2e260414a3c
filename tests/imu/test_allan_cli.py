"""``imusim allan``: PNG + JSON of a static sensor's Allan deviation beside the profile's terms."""

import json

import numpy as np
import pytest

from imusim.cli import main
from imusim.imu.allan import expected_adev, fit_noise_terms


def test_allan_cli_writes_png_and_json_with_the_profile_terms(tmp_path, capsys):
    out = tmp_path / "mti.png"
    assert main(["allan", "--noise", "mti630", "--seconds", "1800", "--rate", "10", "--repeats", "4",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = json.loads(out.with_suffix(".json").read_text())
    assert res["model"] == "Xsens MTi-630" and set(res) >= {"acc", "gyro", "taus"}
    for kind in ("acc", "gyro"):
        d = res[kind]
        # short recording: the white density is well determined, the curve follows the profile's model
        assert d["fit"]["noise_density"] == pytest.approx(d["profile"]["noise_density"], rel=0.05)
        np.testing.assert_allclose(d["adev"], d["expected"], rtol=0.25)
    assert "white" in capsys.readouterr().out


def test_allan_cli_unknown_profile_lists_the_known_ones(tmp_path, capsys):
    assert main(["allan", "--noise", "nope", "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "unknown noise model 'nope'" in err and "bmi160" in err and "mti630" in err


def test_fit_noise_terms_recovers_a_textbook_curve():
    t = np.logspace(-2, 4, 40)
    a = expected_adev(t, 2e-3, 5e-4, 1e-5)
    f = fit_noise_terms(t, a)
    assert f["noise_density"] == pytest.approx(2e-3, rel=1e-6)
    assert f["flicker_floor"] == pytest.approx(5e-4, rel=1e-6)
    assert f["random_walk"] == pytest.approx(1e-5, rel=1e-6)
    # Gauss–Markov: the IEEE-952 curve peaks near 1.89 T_c at about 0.62 σ
    tt = np.logspace(-1, 3, 2000)
    g = expected_adev(tt, gm_std=1.0, gm_tau=10.0)
    assert tt[g.argmax()] == pytest.approx(18.9, rel=0.03) and g.max() == pytest.approx(0.618, rel=0.01)
