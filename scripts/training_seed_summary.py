#!/usr/bin/env python
"""Training-seed spread of the realism and HAR figures (issue 14, rigour).

Sets named ``<config>_t<seed>`` (one training seed each, pooled over its generation-seed stores) in `imusim
realism` JSONs and `imusim evaluate` results.json files are grouped per config: per training seed, the pooled
intensity ratios (median and p90 vs the reference, per activity) and the mean HAR macro-F1 over its fits; then the
mean ± std over training seeds and the per-seed values.

    python scripts/training_seed_summary.py --realism mocap=docs/.../realism_mocap/realism.json \
        --har basicmotions=docs/.../har_basicmotions/results.json --out docs/.../training_seeds.json
"""
import argparse
import json
import re
from collections import defaultdict

import numpy as np


def _split(name):
    m = re.fullmatch(r"(.+)_t(\d+)", name)
    return (m.group(1), int(m.group(2))) if m else (name, 0)


def _agg(per_seed):
    v = np.array([per_seed[s] for s in sorted(per_seed)], float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
            "per_seed": {str(s): float(per_seed[s]) for s in sorted(per_seed)}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realism", action="append", default=[], metavar="REF=JSON", help="imusim realism --json output")
    ap.add_argument("--har", action="append", default=[], metavar="REAL=JSON", help="imusim evaluate results.json")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = {"source": {"realism": a.realism, "har": a.har}, "realism": {}, "har": {}}
    for spec in a.realism:
        ref, path = spec.split("=", 1)
        d = json.load(open(path))
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
    for spec in a.har:
        real, path = spec.split("=", 1)
        d = json.load(open(path))
        f1 = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        for r in d["results"]:
            cfg, seed = _split(r["synthetic"])
            f1[cfg][r["classifier"]][seed].append(r["macro_f1"])
        out["har"][real] = {cfg: {clf: _agg({s: float(np.mean(v)) for s, v in by.items()}) for clf, by in c.items()}
                            for cfg, c in f1.items()}
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


if __name__ == "__main__":
    main()
