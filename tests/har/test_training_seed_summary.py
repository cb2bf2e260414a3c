"""scripts/training_seed_summary.py's fit-for-fit HAR comparison (--versus) on constructed results files, and --har
naming one real set twice: the second file adds only the sets the first lacks."""

import json
import re

import pytest

from tests.scripts_loader import load_script


def _rows(name, f1_by_store, fits=2):
    """evaluate's results rows of set ``name``: per generation store, ``fits`` RF fits at the given macro-F1s."""
    return [{"synthetic": name, "classifier": "rf", "seed": k, "store": s, "macro_f1": f1[k]}
            for s, f1 in enumerate(f1_by_store) for k in range(fits)]


def test_versus_pairs_stores_and_pools_a_second_file(tmp_path, capsys):
    new = tmp_path / "new.json"  # this run: the candidate and the shipped model
    old = tmp_path / "old.json"  # an earlier run of the protocol: the baselines, and the shipped model again
    new.write_text(json.dumps({"results": _rows("cand", [(0.8, 0.9), (0.7, 0.7), (0.6, 0.8)])
                               + _rows("shipped", [(0.9, 0.9), (0.5, 0.5), (0.6, 0.6)])}))
    old.write_text(json.dumps({"results": _rows("original", [(0.4, 0.4), (0.8, 0.8), (0.3, 0.5)])
                               + _rows("shipped", [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0)])}))
    out = tmp_path / "v.json"
    mod = load_script("training_seed_summary")
    mod.main(["--har", f"bm={new}", "--har", f"bm={old}", "--versus", "cand:original", "--versus", "cand:shipped",
              "--out", str(out)])
    v = json.loads(out.read_text())
    orig = v["versus"]["bm"]["cand:original"]["rf"]
    assert orig["pairs"] == 3 and orig["a_wins"] == 2  # store means 0.85 / 0.7 / 0.7 against 0.4 / 0.8 / 0.4
    assert orig["per_pair"] == pytest.approx({"t0/g0": 0.45, "t0/g1": -0.1, "t0/g2": 0.3})
    assert orig["min_diff"] == pytest.approx(-0.1)
    # the shipped model's rows of the second file are not read: it is compared with this run's
    ship = v["versus"]["bm"]["cand:shipped"]["rf"]
    assert ship["per_pair"] == pytest.approx({"t0/g0": -0.05, "t0/g1": 0.2, "t0/g2": 0.1})
    assert v["har"]["bm"]["shipped"]["rf"]["mean"] == pytest.approx(2 / 3)  # store means 0.9, 0.5, 0.6 pooled
    assert re.search(r"cand:original\s+rf\s+wins 2/3\s+mean diff \+0.217\s+min diff -0.100", capsys.readouterr().out)
