"""scripts/protocol_seeds.py on constructed protocol outputs: each training seed's figures come from its own run's
har_versus.json / har_wisdm_versus.json under the name CAND_sN, the summary is the mean and sample std over the
seeds, and a missing run, set or comparison is an error that names it."""

import json

import numpy as np
import pytest

from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def ps():
    return load_script("protocol_seeds")


def _run(d, name, rf, wrist_ratio, wins=(4, 3, 2), wisdm=True):
    """A protocol run's two JSONs in d, with the set NAME at BasicMotions RF rf and walking median ratio."""
    d.mkdir(parents=True, exist_ok=True)
    realism = {f"wrist_l/{a}": {name: {"acc_ratio_median": {"mean": wrist_ratio * (k + 1)},
                                       "acc_ratio_p90": {"mean": 2 * wrist_ratio * (k + 1)}},
                                "afu1i5hs7": {"acc_ratio_median": {"mean": 9.0}, "acc_ratio_p90": {"mean": 9.0}}}
               for k, a in enumerate(("walking", "running", "standing", "badminton"))}
    versus = {f"{name}:{v}": {"rf": {"a_wins": w}, "cnn": {"a_wins": 0}}
              for v, w in zip(("original", "smooth2", "afu1i5hs7"), wins)}
    (d / "har_versus.json").write_text(json.dumps({
        "har": {"basicmotions": {name: {"rf": {"mean": rf}, "cnn": {"mean": rf / 2}},
                                 "afu1i5hs7": {"rf": {"mean": 0}}}},
        "realism": {"basicmotions": realism},
        "intensity_checks": {name: {"0": {"in_band": 3}}},
        "versus": {"basicmotions": versus}}))
    if wisdm:
        (d / "har_wisdm_versus.json").write_text(json.dumps(
            {"har": {"wisdm": {name: {"rf": {"mean": rf - 0.1}, "cnn": {"mean": 0.4}}}}}))


def test_rows_and_summary(ps, tmp_path):
    _run(tmp_path / "a", "c_s0", 0.8, 2.0)
    _run(tmp_path / "b", "c_s1", 0.6, 3.0, wins=(1, 0, 0))
    rows = {0: ps.seed_row(tmp_path / "a", "c_s0"), 1: ps.seed_row(tmp_path / "b", "c_s1")}
    assert rows[0]["bm_rf"] == 0.8 and rows[0]["bm_cnn"] == 0.4 and rows[0]["wisdm_rf"] == pytest.approx(0.7)
    assert rows[1]["walking_median"] == 3.0 and rows[1]["running_p90"] == 12.0  # the candidate's, not afu1i5hs7's
    assert rows[0]["bm_rf_wins_smooth2"] == 3 and rows[1]["bm_rf_wins_original"] == 1
    assert rows[0]["wrist_checks"] == 3
    assert "bm3_rf" not in rows[0]  # no run without badminton there
    (tmp_path / "b" / "har_bm3_versus.json").write_text(json.dumps(
        {"har": {"bm3": {"c_s1": {"rf": {"mean": 0.93}, "cnn": {"mean": 0.8}}}}}))
    r1 = ps.seed_row(tmp_path / "b", "c_s1")
    assert r1["bm3_rf"] == 0.93 and r1["bm3_cnn"] == 0.8 and r1["bm_rf"] == 0.6
    s = ps.summarize(rows)
    assert s["bm_rf"]["mean"] == pytest.approx(0.7)
    assert s["bm_rf"]["std"] == pytest.approx(np.std([0.8, 0.6], ddof=1))
    assert s["wrist_checks"]["std"] == 0.0
    assert ps.summarize({0: rows[0]})["bm_rf"]["std"] == 0.0
    assert "0.700 ± 0.141" in ps.table(rows, s).splitlines()[1]


def test_errors_name_what_is_missing(ps, tmp_path):
    _run(tmp_path / "a", "c_s0", 0.8, 2.0, wisdm=False)
    with pytest.raises(SystemExit, match="har_wisdm_versus.json: missing"):
        ps.seed_row(tmp_path / "a", "c_s0")
    _run(tmp_path / "b", "c_s0", 0.8, 2.0)
    with pytest.raises(SystemExit, match=r"har.basicmotions: no entry 'c_s1'"):
        ps.seed_row(tmp_path / "b", "c_s1")


def test_motion_row_from_the_runs_own_files(ps, tmp_path):
    d = tmp_path / "a"
    d.mkdir()
    assert ps.motion_row(d, "c_s0") == {}  # a run without the motion files: none of their figures
    (d / "motion_eval_c_s0.json").write_text(json.dumps({"checkpoints": [
        {"name": "other", "fid": 1.0, "joint_acc_ratio_to_real": 9.0},
        {"name": "c_s0", "fid": 80.0, "joint_acc_ratio_to_real": 1.05}]}))
    style = {"walk/normal": {"wrist_acc": 10.0, "root_speed": 0.9}, "walk/other styles": {"wrist_acc": 12.5}}
    (d / "skating_probe_c_s0.json").write_text(json.dumps({"models": {
        "real": {"by_style": {"walk/normal": {"wrist_acc": 6.77}}},
        "runs/st/c_s0/model.safetensors": {"by_style": style}}}))
    row = ps.motion_row(d, "c_s0")
    assert row == pytest.approx({"fid": 80.0, "joint_acc_x_real": 1.05, "walk_normal_wrist": 10.0,
                                 "walk_normal_speed": 0.9, "walk_other_wrist": 12.5, "walk_style_ratio": 0.8})
    (d / "motion_eval_c_s1.json").write_text(json.dumps({"checkpoints": [{"name": "other", "fid": 1.0}]}))
    with pytest.raises(SystemExit, match="no checkpoint named 'c_s1'"):
        ps.motion_row(d, "c_s1")
    # the summary keeps the figures every seed has
    s = ps.summarize({0: {"bm_rf": 0.5, "fid": 80.0}, 1: {"bm_rf": 0.7}})
    assert list(s) == ["bm_rf"]


def test_a_sampling_variant_reads_its_own_set_and_checkpoint(ps, tmp_path):
    """--variant stop1: the protocol's set CAND_sN_stop1, the motion evaluation's checkpoint CAND_sN+stop1 in
    motion_eval_CAND_sN.json, and not the by-style probe (which sampled the run as recorded)."""
    d = tmp_path / "a"
    _run(d, "c_s0_stop1", 0.9, 1.5)
    (d / "motion_eval_c_s0.json").write_text(json.dumps({"checkpoints": [
        {"name": "c_s0", "fid": 80.0, "joint_acc_ratio_to_real": 1.05},
        {"name": "c_s0+stop1", "fid": 70.0, "joint_acc_ratio_to_real": 0.9}]}))
    (d / "skating_probe_c_s0.json").write_text(json.dumps({"models": {
        "runs/st/c_s0/model.safetensors": {"by_style": {"walk/normal": {"wrist_acc": 10.0, "root_speed": 0.9},
                                                        "walk/other styles": {"wrist_acc": 12.5}}}}}))
    assert ps.motion_row(d, "c_s0", "stop1") == {"fid": 70.0, "joint_acc_x_real": 0.9}
    assert ps.motion_row(d, "c_s0")["walk_normal_wrist"] == 10.0
    with pytest.raises(SystemExit, match="no checkpoint named 'c_s0\\+stop100'"):
        ps.motion_row(d, "c_s0", "stop100")
    out = tmp_path / "seeds.json"
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / "scripts" / "protocol_seeds.py"
    subprocess.run([sys.executable, str(script), "--cand", "c", "--variant", "stop1", "--run", f"0={d}",
                    "--out", str(out)], check=True, capture_output=True, text=True)
    row = json.loads(out.read_text())["per_seed"]["0"]
    assert row["bm_rf"] == 0.9 and row["walking_median"] == 1.5 and row["fid"] == 70.0
