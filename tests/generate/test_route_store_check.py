"""scripts/route_store_check.py on constructed stores: each window of a "routed" store is one of two stores' own
window (same ids), and the script counts which, per activity; a window that is neither is counted as such."""

import json

import numpy as np
import pytest

from imusim.generate.store import ShardWriter, finalize
from tests.scripts_loader import load_script


def _store(root, windows, labels, ids):
    w = ShardWriter(root)
    n = len(labels)
    w.write(windows.astype(np.float32), labels, ["p"] * n, ["src"] * n, [0] * n, ids, [0] * n)
    w.close()
    finalize(root)
    return str(root)


def test_route_store_check_counts_each_windows_source(tmp_path, capsys):
    g = np.random.default_rng(0)
    n = 6
    labels = ["run", "run", "run", "walk", "walk", "walk"]
    ids = [5, 1, 4, 2, 0, 3]  # written out of order: windows are matched by id, not position
    A, B = g.normal(size=(n, 8, 2, 6)) * 9.8, g.normal(size=(n, 8, 2, 6)) * 9.8
    routed = A.copy()
    routed[[0, 1]] = B[[0, 1]]  # two runs from B
    routed[2] = B[2] * (1 + 1e-5)  # within the tolerance: B's
    routed[5] = g.normal(size=(8, 2, 6))  # neither
    order = np.argsort(ids)[::-1]  # the reference stores in another order
    a = _store(tmp_path / "a", A[order], [labels[i] for i in order], [ids[i] for i in order])
    b = _store(tmp_path / "b", B, labels, ids)
    r = _store(tmp_path / "r", routed, labels, ids)
    out = tmp_path / "c.json"
    mod = load_script("route_store_check")
    assert mod.main(["--routed", r, "--low", a, "--moving", b, "--out", str(out)]) == 0
    res = json.loads(out.read_text())["by_activity"]
    assert (res["run"]["match_low"], res["run"]["match_moving"], res["run"]["match_neither"]) == (0, 3, 0)
    assert (res["walk"]["match_low"], res["walk"]["match_moving"], res["walk"]["match_neither"]) == (2, 0, 1)
    assert res["run"]["max_rel_diff_of_matches"] == pytest.approx(1e-5, rel=0.2)
    c = _store(tmp_path / "c", A[:5], labels[:5], ids[:5])
    with pytest.raises(SystemExit):
        mod.main(["--routed", r, "--low", c, "--moving", b, "--out", str(tmp_path / "x.json")])
    assert "different window ids" in capsys.readouterr().err
