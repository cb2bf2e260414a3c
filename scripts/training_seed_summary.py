#!/usr/bin/env python
"""Training-seed spread of the realism and HAR figures (issue 14, rigour).

Sets named ``<config>_t<seed>`` (one training seed each, pooled over its generation-seed stores) in `imusim
realism` JSONs and `imusim evaluate` results.json files are grouped per config: per training seed, the pooled
intensity ratios (median and p90 vs the reference, per activity) and the mean HAR macro-F1 over its fits; then the
mean ± std over training seeds and the per-seed values. ``--group CFG=NAME0,NAME1,...`` names the training seeds
0, 1, ... of CFG explicitly instead (sets named otherwise, e.g. ``afu1hs7``, ``afu1hs7t1``).
``--versus A:B`` compares HAR fit for fit: for each classifier, A's macro-F1 per (training seed, generation store)
minus B's on the same store index of the same training seed (B's seed 0 when B has one training seed), with the
number of pairs A wins and the smallest difference. ``--har`` may name one real set more than once: the later
files add the sets the earlier ones lack (e.g. `original` and the smoothing baseline from an earlier run of the same
protocol, whose stores and fit seeds are the same; a set already read is not read again). With ``mocap=`` and ``basicmotions=`` realism JSONs, the issue's
8 wrist intensity checks (median and p90 of walking and running in 0.75-1.33x of each) are counted per training seed.

    python scripts/training_seed_summary.py --realism mocap=docs/.../realism_mocap/realism.json \
        --har basicmotions=docs/.../har_basicmotions/results.json --out docs/.../training_seeds.json
"""
import argparse
import json
import re
from collections import defaultdict

import numpy as np


GROUPS = {}  # set name -> (config, training seed), from --group


def _split(name):
    if name in GROUPS:
        return GROUPS[name]
    m = re.fullmatch(r"(.+)_t(\d+)", name)
    return (m.group(1), int(m.group(2))) if m else (name, 0)


def _agg(per_seed):
    v = np.array([per_seed[s] for s in sorted(per_seed)], float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "per_seed": {str(s): float(per_seed[s]) for s in sorted(per_seed)}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realism", action="append", default=[], metavar="REF=JSON", help="imusim realism --json output")
    ap.add_argument("--har", action="append", default=[], metavar="REAL=JSON", help="imusim evaluate results.json")
    ap.add_argument("--group", action="append", default=[], metavar="CFG=NAME0,NAME1,...",
                    help="the sets that are training seeds 0, 1, ... of CFG")
    ap.add_argument("--versus", action="append", default=[], metavar="A:B", help="HAR of config A vs config B, paired")
    ap.add_argument("--band", default="0.75,1.33", help="intensity ratio band of the checks (default 0.75,1.33)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    for spec in a.group:
        cfg, names = spec.split("=", 1)
        for i, n in enumerate(names.split(",")):
            GROUPS[n] = (cfg, i)
    out = {"source": {"realism": a.realism, "har": a.har, "group": a.group, "versus": a.versus}, "realism": {},
           "har": {}, "versus": {}, "intensity_checks": {}}
    realism = {}  # reference name -> its realism JSON (read once: the spread and the intensity checks)
    for spec in a.realism:
        ref, path = spec.split("=", 1)
        d = realism[ref] = json.load(open(path))
        for sensor, sd in d["sensors"].items():
            for act, ad in sd["per_activity"].items():
                acc = defaultdict(lambda: defaultdict(dict))
                for name, st in ad["sets"].items():
                    cfg, seed = _split(name)
                    for k in ("acc_ratio_median", "acc_ratio_p90"):
                        acc[cfg][k][seed] = st["vs_reference"][k]
                for cfg, ks in acc.items():
                    out["realism"].setdefault(ref, {}).setdefault(f"{sensor}/{act}", {})[cfg] = {
                        k: _agg(v) for k, v in ks.items()}
    har = {}  # real set -> its results, pooled over the files that name it (the first file's sets first)
    for spec in a.har:
        real, path = spec.split("=", 1)
        rows = json.load(open(path))["results"]
        if real in har:
            have = {r["synthetic"] for r in har[real]}
            rows = [r for r in rows if r["synthetic"] not in have]
        har.setdefault(real, []).extend(rows)
    for real, rows in har.items():
        f1 = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        per_store = defaultdict(lambda: defaultdict(list))  # (cfg, clf, seed, store) -> F1 of its fits
        for r in rows:
            cfg, seed = _split(r["synthetic"])
            f1[cfg][r["classifier"]][seed].append(r["macro_f1"])
            if "store" in r:  # the real 5-fold CV bound has none
                per_store[(cfg, r["classifier"])][(seed, r["store"])].append(r["macro_f1"])
        out["har"][real] = {cfg: {clf: _agg({s: float(np.mean(v)) for s, v in by.items()}) for clf, by in c.items()}
                            for cfg, c in f1.items()}
        for vs in a.versus:
            ca, cb = vs.split(":")
            for clf in sorted({k[1] for k in per_store if k[0] == ca}):
                sa, sb = per_store[(ca, clf)], per_store[(cb, clf)]
                seeds_b = {k[0] for k in sb}
                diffs = {}
                for (seed, store), v in sorted(sa.items()):
                    kb = (seed if seed in seeds_b else 0, store)
                    if kb in sb:
                        diffs[f"t{seed}/g{store}"] = float(np.mean(v) - np.mean(sb[kb]))
                if diffs:
                    dv = np.array(list(diffs.values()))
                    out["versus"].setdefault(real, {}).setdefault(vs, {})[clf] = {
                        "pairs": len(dv), "a_wins": int((dv > 0).sum()), "min_diff": float(dv.min()),
                        "mean_diff": float(dv.mean()), "per_pair": diffs}
    lo, hi = (float(x) for x in a.band.split(","))
    if "mocap" in realism and "basicmotions" in realism:
        checks = defaultdict(lambda: defaultdict(list))  # cfg -> seed -> [(check, ratio)]
        for ref in ("mocap", "basicmotions"):
            for sd in realism[ref]["sensors"].values():
                for act in ("walking", "running"):
                    for name, st in sd["per_activity"].get(act, {}).get("sets", {}).items():
                        cfg, seed = _split(name)
                        for k in ("acc_ratio_median", "acc_ratio_p90"):
                            checks[cfg][seed].append((f"{ref}/{act}/{k[10:]}", st["vs_reference"][k]))
        out["intensity_checks"] = {
            "band": [lo, hi],
            **{cfg: {str(s): {"in_band": sum(lo <= v <= hi for _, v in c), "of": len(c), "ratios": dict(c)}
                     for s, c in sorted(by.items())} for cfg, by in checks.items()}}
    json.dump(out, open(a.out, "w"), indent=1)
    for ref, acts in out["realism"].items():
        for act, cfgs in acts.items():
            for cfg, ks in cfgs.items():
                print(f"{ref:>13} {act:<18} {cfg:<12} median {ks['acc_ratio_median']['mean']:.2f} ± "
                      f"{ks['acc_ratio_median']['std']:.2f}  p90 {ks['acc_ratio_p90']['mean']:.2f} ± "
                      f"{ks['acc_ratio_p90']['std']:.2f}  per seed {list(ks['acc_ratio_median']['per_seed'].values())}")
    for real, cfgs in out["har"].items():
        for cfg, c in cfgs.items():
            for clf, v in c.items():
                print(f"HAR {real:>13} {cfg:<12} {clf:<4} {v['mean']:.3f} ± {v['std']:.3f}  per seed "
                      f"{[round(x, 3) for x in v['per_seed'].values()]}")
    for real, vss in out["versus"].items():
        for vs, c in vss.items():
            for clf, v in c.items():
                print(f"HAR {real:>13} {vs:<20} {clf:<4} wins {v['a_wins']}/{v['pairs']}  mean diff "
                      f"{v['mean_diff']:+.3f}  min diff {v['min_diff']:+.3f}")
    for cfg, by in out["intensity_checks"].items():
        if cfg != "band":
            print(f"intensity checks {cfg:<12} " + " / ".join(f"{v['in_band']} of {v['of']}" for v in by.values()))


if __name__ == "__main__":
    main()
