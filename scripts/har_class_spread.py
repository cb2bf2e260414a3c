#!/usr/bin/env python
"""Which classes carry the HAR differences between models (issue 14, docs/realism.md §33.4).

Reads `scripts/training_seed_summary.py` outputs (``har_versus.json``: per config the HAR macro-F1 and the
realism intensity ratios to the real set) and, through their ``source``, the `imusim evaluate` results.json behind
them (per fit the per-class F1 and the confusion matrix). Per config (a set name as `imusim evaluate` wrote it; a
config met in several files with the same macro-F1 is the same stores and counted once; with a different one it is
another protocol's stores and gets its own row, ``NAME@DIR``): the classifier's macro-F1, the per-class F1 (mean
over its fits, over the real classes the fits were scored on), the summed confusion matrix, and the median and p90
intensity ratios of each activity at ``--sensor``. Across the configs: Spearman's rank correlation of the macro-F1
with each class's F1 and with each intensity ratio, so a reader sees which class and which intensity the spread
between models runs through.

    python scripts/har_class_spread.py docs/realism/walkers/*/har_versus.json --real basicmotions --classifier rf \\
        --out docs/.../har_class_spread.json
"""
import argparse
import json
from pathlib import Path

import numpy as np


def spearman(x, y) -> float:
    """Spearman's rank correlation of two equal-length sequences (average ranks for ties); nan under 3 pairs or
    when either is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape:
        raise ValueError(f"spearman: x and y must have the same length, got {x.shape} and {y.shape}")
    if len(x) < 3:
        return float("nan")

    def rank(v):
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        for u in np.unique(v):  # ties share their mean rank
            r[v == u] = r[v == u].mean()
        return r

    rx, ry = rank(x), rank(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _results_path(versus: dict, real: str, where: Path) -> Path:
    for entry in versus["source"]["har"]:
        name, _, path = entry.partition("=")
        if name == real:
            p = Path(path)
            if not p.exists():
                raise FileNotFoundError(f"{where}: its HAR results {p} (source har {entry!r}) do not exist; run "
                                        f"from the directory it was written from")
            return p
    raise ValueError(f"{where}: no HAR results for the real set {real!r} in its source ({versus['source']['har']})")


def collect(files, real: str = "basicmotions", classifier: str = "rf", sensor: str = "wrist_l") -> dict:
    """Per config: macro-F1, per-class F1, confusion (rows: real class) and intensity ratios, from ``files``
    (har_versus.json paths). ValueError naming the file when a config's macro-F1 differs between files."""
    configs = {}
    for f in map(Path, files):
        v = json.loads(f.read_text())
        har = v["har"].get(real)
        if har is None:
            raise ValueError(f"{f}: no HAR results for the real set {real!r} (has {sorted(v['har'])})")
        res = json.loads(_results_path(v, real, f).read_text())
        classes = res["classes"]
        ratios = v.get("realism", {}).get(real, {})
        for cfg, per_clf in har.items():
            if cfg.startswith("real") or classifier not in per_clf:
                continue
            f1 = per_clf[classifier]["mean"]
            seen = [c for n, c in configs.items() if n == cfg or n.startswith(cfg + "@")]
            if any(abs(c["macro_f1"] - f1) <= 1e-9 for c in seen):
                continue  # the same stores again
            name = f"{cfg}@{f.parent}" if seen else cfg  # another protocol's stores under the same name: own row
            fits = [r for r in res["results"] if r["synthetic"] == cfg and r["classifier"] == classifier]
            if not fits:
                raise ValueError(f"{f}: no {classifier} fits of {cfg} in its results.json")
            cls = fits[0].get("classes", classes)  # the real classes the set covers (a label map may drop some)
            if any(r.get("classes", classes) != cls for r in fits):
                raise ValueError(f"{f}: the {classifier} fits of {cfg} were scored on different classes")
            per_class = {c: float(np.mean([r["per_class_f1"][c] if isinstance(r["per_class_f1"], dict)
                                           else r["per_class_f1"][i] for r in fits])) for i, c in enumerate(cls)}
            conf = np.sum([np.asarray(r["confusion"]) for r in fits], 0).astype(int).tolist()
            ints = {}
            for key, per_cfg in ratios.items():
                s, _, act = key.partition("/")
                if s == sensor and cfg in per_cfg:
                    ints[act] = {q: per_cfg[cfg][f"acc_ratio_{q}"]["mean"] for q in ("median", "p90")}
            configs[name] = {"file": str(f), "macro_f1": float(f1), "per_class_f1": per_class, "classes": cls,
                            "confusion": conf, "intensity": ints}
    return configs


def fill_intensity(configs: dict, spread_json) -> int:
    """Fill the intensity ratios of the configs that have none (a har_versus.json without realism, e.g. one written
    from a results.json alone) from another har_class_spread JSON's configs of the same name; the number filled.
    A config the JSON lacks keeps none (it drops out of the intensity correlations)."""
    other = json.loads(Path(spread_json).read_text())["configs"]
    n = 0
    for name, c in configs.items():
        if not c["intensity"] and other.get(name, {}).get("intensity"):
            c["intensity"] = other[name]["intensity"]
            c["intensity_from"] = str(spread_json)
            n += 1
    return n


def correlations(configs: dict) -> dict:
    """Spearman's rank correlation over the configs of the macro-F1 with each class's F1 ("f1/CLASS") and with
    each activity's intensity ratio ("ACT/median", "ACT/p90"), over the configs that have the value."""
    keys = set()
    for c in configs.values():
        keys |= {f"f1/{k}" for k in c["per_class_f1"]}
        keys |= {f"{a}/{q}" for a, qs in c["intensity"].items() for q in qs}

    def value(c, key):
        kind, _, rest = key.partition("/")
        if kind == "f1":
            return c["per_class_f1"].get(rest)
        return c["intensity"].get(kind, {}).get(rest)

    out = {}
    for key in sorted(keys):
        pairs = [(c["macro_f1"], value(c, key)) for c in configs.values() if value(c, key) is not None]
        out[key] = {"rho": spearman(*zip(*pairs)) if pairs else float("nan"), "n": len(pairs)}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("versus", nargs="+", help="har_versus.json files (scripts/training_seed_summary.py)")
    ap.add_argument("--real", default="basicmotions", help="the real set the HAR was tested on (default basicmotions)")
    ap.add_argument("--classifier", default="rf", help="rf or cnn (default rf)")
    ap.add_argument("--sensor", default="wrist_l", help="the intensity ratios' sensor (default wrist_l)")
    ap.add_argument("--intensity-from", metavar="JSON",
                    help="another har_class_spread JSON whose configs' intensity ratios fill those without any "
                         "(by config name; e.g. the same stores scored on another class set)")
    ap.add_argument("--out", help="JSON output")
    a = ap.parse_args(argv)
    configs = collect(a.versus, a.real, a.classifier, a.sensor)
    if not configs:
        raise SystemExit(f"har_class_spread: no configs with {a.classifier} results on {a.real} in {a.versus}")
    if a.intensity_from:
        print(f"intensity ratios of {fill_intensity(configs, a.intensity_from)} configs from {a.intensity_from}")
    corr = correlations(configs)
    classes = next(iter(configs.values()))["classes"]
    acts = sorted({k for c in configs.values() for k in c["intensity"]})
    print(f"{a.real} {a.classifier}: macro-F1, per-class F1 ({', '.join(classes)}), {a.sensor} intensity ratio "
          f"median/p90 ({', '.join(acts)})")
    for name, c in sorted(configs.items(), key=lambda kv: kv[1]["macro_f1"]):
        f1s = " ".join(f"{c['per_class_f1'][k]:.2f}" for k in classes)
        ints = " ".join(f"{c['intensity'][x]['median']:.2f}/{c['intensity'][x]['p90']:.2f}" if x in c["intensity"]
                        else "-" for x in acts)
        print(f"  {name:22s} {c['macro_f1']:.3f}   {f1s}   {ints}")
    print(f"Spearman rho of the macro-F1 with (over {len(configs)} configs):")
    for k, v in corr.items():
        print(f"  {k:22s} {v['rho']:+.2f} (n {v['n']})")
    if a.out:
        Path(a.out).write_text(json.dumps({"real": a.real, "classifier": a.classifier, "sensor": a.sensor,
                                           "files": a.versus, "intensity_from": a.intensity_from, "configs": configs,
                                           "spearman": corr}, indent=1))


if __name__ == "__main__":
    main()
