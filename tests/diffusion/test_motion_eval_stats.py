"""scripts/motion_eval_stats.py's L_acc decomposition on evaluate-motion JSON with known powers and products."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "motion_eval_stats.py"


def _file(path, checkpoints, p_real, acts, sampler=None):
    real = {"name": "real", "n": len(p_real), "l_acc": 0.0, "fid": 1.0, "acc_power": float(np.mean(p_real)),
            "jerk": 1.0, "joint_acc": 1.0, "foot_skating": 0.1,
            "per_clip": {"jerk": [1.0] * len(p_real), "joint_acc": [1.0] * len(p_real),
                         "foot_skating": [0.1] * len(p_real), "acc_power": list(p_real), "activity": acts}}
    cks = []
    for name, (pg, cross) in checkpoints.items():
        la = np.asarray(pg) + np.asarray(p_real) - 2 * np.asarray(cross)
        cks.append({"name": name, "l_acc": float(la.mean()), "fid": 1.0, "jerk": 1.0, "joint_acc": 1.0,
                    "foot_skating": 0.1, "acc_power": float(np.mean(pg)), "l_acc_high_dynamic": 0.0,
                    "l_acc_low_dynamic": 0.0,
                    "per_clip": {"l_acc": la.tolist(), "acc_power": list(pg), "jerk": [1.0] * len(pg),
                                 "joint_acc": [1.0] * len(pg), "foot_skating": [0.1] * len(pg), "activity": acts}})
    path.write_text(json.dumps({"split": "test", "n_clips": len(p_real), "samples_per_clip": 1,
                                "sampler": sampler or {"name": "ddim"}, "max_frames": 120, "real": real,
                                "checkpoints": cks}))


def test_damping_lowers_l_acc_but_not_the_matched_reading(tmp_path):
    """A model with half the control's acceleration power and the same (zero) alignment: L_acc falls, the L_acc at the
    real clip's power does not; a model aligned with its ground truth (C = P_real, its own power P_real) scores
    L_acc 0 and matched 0."""
    rng = np.random.default_rng(0)
    n = 40
    pr = rng.uniform(0.05, 0.3, n)
    acts = ["run" if i % 2 else "walk" for i in range(n)]
    pg = rng.uniform(0.05, 0.3, n)
    _file(tmp_path / "a.json", {"ctrl_s0": (pg, np.zeros(n)), "damp_s0": (pg / 2, np.zeros(n)),
                                "aligned_s0": (pr, pr)}, pr, acts)
    out = tmp_path / "stats.json"
    log = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a.json"), "--pair", "ctrl:damp", "--pair",
                          "ctrl:aligned", "--out", str(out)], check=True, capture_output=True, text=True).stdout
    res = json.loads(out.read_text())
    c = res["configs"]
    assert c["ctrl"]["acc_cross"]["mean"] == pytest.approx(0.0, abs=1e-12)
    assert c["ctrl"]["l_acc_matched_power"]["mean"] == pytest.approx(2 * pr.mean())
    assert c["aligned"]["acc_corr"]["mean"] == pytest.approx(1.0) and c["aligned"]["l_acc"]["mean"] == pytest.approx(0)
    damp = res["pairs"]["ctrl:damp"]
    assert damp["pooled_rel"] == pytest.approx((pg.sum() / 2 - pg.sum()) / (pg + pr).sum())
    assert damp["l_acc_matched_power"]["all"]["pooled_rel"] == pytest.approx(0.0, abs=1e-12)
    assert damp["acc_power"]["all"]["pooled_rel"] == pytest.approx(-0.5)
    assert res["pairs"]["ctrl:aligned"]["l_acc_matched_power"]["all"]["pooled_rel"] == pytest.approx(-1.0)
    assert "L_acc = P_gen + P_real - 2 C" in log


def test_files_pair_across_guidance_but_not_across_noise(tmp_path):
    """Each model at its own guidance pairs clip for clip (the guidance recorded per configuration); another sampler
    seed is another draw of noise and is refused."""
    rng = np.random.default_rng(1)
    n = 12
    pr, pg = rng.uniform(0.05, 0.3, n), rng.uniform(0.05, 0.3, n)
    acts = ["walk"] * n
    _file(tmp_path / "a.json", {"ctrl_s0": (pg, np.zeros(n))}, pr, acts, {"name": "ddim", "seed": 0, "guidance": 1.0})
    _file(tmp_path / "b.json", {"cand_s0": (pg / 2, np.zeros(n))}, pr, acts, {"name": "ddim", "seed": 0, "guidance": 2.0})
    _file(tmp_path / "c.json", {"other_s0": (pg, np.zeros(n))}, pr, acts, {"name": "ddim", "seed": 1, "guidance": 1.0})
    out = tmp_path / "stats.json"
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--pair",
                    "ctrl:cand", "--out", str(out)], check=True, capture_output=True, text=True)
    res = json.loads(out.read_text())
    assert res["configs"]["ctrl"]["guidance"] == [1.0] and res["configs"]["cand"]["guidance"] == [2.0]
    assert res["pairs"]["ctrl:cand"]["pooled_rel"] == pytest.approx((pg.sum() / 2 - pg.sum()) / (pg + pr).sum())
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a.json"), str(tmp_path / "c.json")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "cannot be paired" in bad.stderr


def test_a_spec_option_after_the_seed_is_its_own_configuration(tmp_path):
    """evaluate-motion names CKPT@stop=1 "RUN_s0+stop1": the configuration RUN+stop1 at seed 0, paired with RUN_s0."""
    rng = np.random.default_rng(2)
    n = 10
    pr, pg = rng.uniform(0.05, 0.3, n), rng.uniform(0.05, 0.3, n)
    acts = ["walk"] * n
    _file(tmp_path / "a.json", {"st_s0": (pg, np.zeros(n)), "st_s0+stop1": (pg / 2, np.zeros(n)),
                                "st_s1+stop1": (pg / 4, np.zeros(n)), "st_s1": (pg, np.zeros(n))}, pr, acts)
    out = tmp_path / "stats.json"
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "a.json"), "--pair", "st:st+stop1", "--out", str(out)],
                   check=True, capture_output=True, text=True)
    res = json.loads(out.read_text())
    assert sorted(res["configs"]) == ["st", "st+stop1"]
    assert res["pairs"]["st:st+stop1"]["pooled_rel"] == pytest.approx(((pg.sum() / 2 + pg.sum() / 4) - 2 * pg.sum())
                                                                      / (2 * (pg + pr).sum()))
    assert sorted(res["pairs"]["st:st+stop1"]["per_seed"]) in (["0", "1"], [0, 1])
