"""scripts/scale_table.py on constructed probe outputs: the denoiser columns are the conditional rows' held-out loss
(mean of walking and running) and wrist figures at the named steps, names that differ only in their training seed
are summarised by mean and sample std, and the printed tables carry them."""

import json
import statistics

import pytest

from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def st():
    return load_script("scale_table")


def _denoiser(names_losses):
    rows = []
    for name, base in names_losses.items():
        for act, off in (("walk", 0.0), ("run", 0.2)):
            for t in (0, 300, 700):
                for mode, extra in (("cond", 0.0), ("cfg", 5.0)):  # cfg rows must be ignored
                    rows.append({"checkpoint": f"runs/ck/{name}.safetensors", "activity": act, "t": t, "mode": mode,
                                 "l_x0": base + off + t / 1000 + extra, "rms_err": 10 * base + off + extra,
                                 "ratio": 1 + t / 700 + extra, "rms_pred": 1.0, "rms_true": 1.0})
    return {"config": {}, "rows": rows}


def test_denoiser_rows_and_seed_means(st, tmp_path, capsys):
    js = _denoiser({"2l_4k_s0": 0.1, "2l_4k_s1": 0.3, "4l_4k_s0": 0.05})
    rows = st.denoiser_rows(js)
    assert rows["2l_4k_s0"]["l_x0 t=0"] == pytest.approx(0.2)          # (0.1 + 0.3) / 2
    assert rows["2l_4k_s1"]["l_x0 t=700"] == pytest.approx(0.4 + 0.7)
    assert rows["4l_4k_s0"]["wrist err run t=0"] == pytest.approx(0.7)
    assert rows["4l_4k_s0"]["wrist ratio walk t=700"] == pytest.approx(2.0)
    sm = st.seed_means(rows)
    assert set(sm) == {"2l_4k"}                                         # one seed alone gives no spread
    m, s, n = sm["2l_4k"]["l_x0 t=0"]
    assert (m, n) == (pytest.approx(0.3), 2)
    assert s == pytest.approx(statistics.stdev([0.2, 0.4]))
    (tmp_path / "denoiser.json").write_text(json.dumps(js))
    st.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "| 2l_4k | 0.300 ± 0.141 |" in out
    assert "| 4l_4k_s0 | 0.150 |" in out


def test_pace_rows(st, tmp_path):
    pace = {"prompts": ["p1", "p2"], "checkpoints": {"2l_4k_s0": {"prompts": {
        "p1": {"wrist": {"rms": {"median": 7.0}}, "root_speed": {"median": 0.8}},
        "p2": {"wrist": {"rms": {"median": 12.0}}, "root_speed": {"median": 1.3}}}}}}
    (tmp_path / "pace_2l_4k_s0.json").write_text(json.dumps(pace))
    rows, prompts = st.pace_rows(tmp_path)
    assert prompts == ["p1", "p2"]
    assert rows == {"2l_4k_s0": {"p1": (7.0, 0.8), "p2": (12.0, 1.3)}}
