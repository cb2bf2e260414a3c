"""scripts/har_class_spread.py on constructed har_versus.json / results.json files: per-class F1 and confusion are
the means and sums over a config's fits, the same stores met twice count once, another protocol's stores under the
same name get their own row, and Spearman's rho matches scipy's with ties."""

import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def spread():
    return load_script("har_class_spread")


def _write(d, name, per_cfg):
    """A results.json (two rf fits and one cnn fit per config) and a har_versus.json pointing at it, in d/name."""
    out = d / name
    (out / "har_basicmotions").mkdir(parents=True)
    classes = ["a", "b"]
    results, har, realism = [], {}, {}
    for cfg, (f1_a, f1_b, ratio) in per_cfg.items():
        for k, clf in enumerate(("rf", "rf", "cnn")):
            results.append({"synthetic": cfg, "classifier": clf, "seed": k, "store": f"s{k}", "classes": classes,
                            "macro_f1": (f1_a + f1_b) / 2, "per_class_f1": {"a": f1_a + 0.1 * (k - 0.5),
                                                                             "b": f1_b},
                            "confusion": [[k + 1, 1], [0, 2]]})
        har[cfg] = {"rf": {"mean": (f1_a + f1_b) / 2}, "cnn": {"mean": 0.1}}
        realism.setdefault("wrist_l/walking", {})[cfg] = {"acc_ratio_median": {"mean": ratio},
                                                          "acc_ratio_p90": {"mean": 2 * ratio}}
    har["real (5-fold CV)"] = {"rf": {"mean": 1.0}}
    res = out / "har_basicmotions" / "results.json"
    res.write_text(json.dumps({"classes": classes, "results": results}))
    v = out / "har_versus.json"
    v.write_text(json.dumps({"source": {"har": [f"basicmotions={res}"]}, "har": {"basicmotions": har},
                             "realism": {"basicmotions": realism}}))
    return v


def test_collect_means_sums_and_duplicates(spread, tmp_path):
    v1 = _write(tmp_path, "one", {"x": (0.5, 0.9, 1.0), "y": (0.2, 0.6, 2.0)})
    v2 = _write(tmp_path, "two", {"x": (0.5, 0.9, 1.0), "y": (0.4, 0.6, 3.0), "z": (0.8, 0.8, 0.5)})
    got = spread.collect([v1, v2])
    assert sorted(got) == ["x", "y", f"y@{tmp_path / 'two'}", "z"]  # x repeated: once; y changed: own row
    x = got["x"]
    assert x["macro_f1"] == pytest.approx(0.7)
    assert x["per_class_f1"] == pytest.approx({"a": 0.5, "b": 0.9})  # rf fits only, averaged
    assert x["confusion"] == [[3, 2], [0, 4]]  # the two rf fits summed
    assert x["intensity"] == {"walking": {"median": 1.0, "p90": 2.0}}
    assert "real (5-fold CV)" not in got
    corr = spread.correlations(got)
    assert corr["f1/a"]["rho"] == pytest.approx(1.0) and corr["f1/a"]["n"] == 4
    assert corr["walking/median"]["rho"] == pytest.approx(spearmanr([0.7, 0.4, 0.5, 0.8], [1, 2, 3, 0.5])[0])


def test_spearman_matches_scipy_with_ties(spread):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 12).astype(float)
    y = x + rng.normal(0, 1, 12)
    assert spread.spearman(x, y) == pytest.approx(spearmanr(x, y)[0])
    assert np.isnan(spread.spearman([1, 2], [2, 1]))  # too few pairs
    assert np.isnan(spread.spearman([1, 1, 1], [1, 2, 3]))  # constant
    with pytest.raises(ValueError, match="spearman: x and y must have the same length"):
        spread.spearman([1, 2, 3], [1, 2])


def test_intensity_from_another_spread(spread, tmp_path):
    v = _write(tmp_path, "one", {"x": (0.5, 0.9, 1.0), "y": (0.2, 0.6, 2.0)})
    got = spread.collect([v])
    got["y"]["intensity"] = {}  # as from a har_versus.json without realism
    got["x"]["intensity"] = {"walking": {"median": 7.0, "p90": 8.0}}  # has its own: kept
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"configs": {"x": {"intensity": {"walking": {"median": 1.0, "p90": 1.0}}},
                                             "y": {"intensity": {"walking": {"median": 3.0, "p90": 4.0}}}}}))
    assert spread.fill_intensity(got, other) == 1
    assert got["y"]["intensity"] == {"walking": {"median": 3.0, "p90": 4.0}} and got["y"]["intensity_from"] == str(other)
    assert got["x"]["intensity"]["walking"]["median"] == 7.0


def test_classes_of_the_fits_not_of_the_real_set(spread, tmp_path):
    """A label map that drops a real class (imusim evaluate --labels): the fits name the classes they were scored
    on, and the per-class F1 and confusion are over those."""
    v = _write(tmp_path, "one", {"x": (0.5, 0.9, 1.0)})
    res = tmp_path / "one" / "har_basicmotions" / "results.json"
    d = json.loads(res.read_text())
    d["classes"] = ["a", "b", "gone"]
    res.write_text(json.dumps(d))
    got = spread.collect([v])
    assert got["x"]["classes"] == ["a", "b"] and set(got["x"]["per_class_f1"]) == {"a", "b"}
    d["results"][1]["classes"] = ["a", "gone"]
    res.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="scored on different classes"):
        spread.collect([v])
