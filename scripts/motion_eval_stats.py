#!/usr/bin/env python
"""Seeds and paired intervals for `imusim evaluate-motion` JSON (issue 14, rigour).

Given one evaluate-motion JSON whose checkpoints are named ``<config>_s<seed>`` (e.g. ``ctrl_s0``,
``acc_s0``, ...; with evaluate-motion's spec options after the seed, ``acc_s0+stop1``, the configuration is
``acc+stop1``), prints and writes per configuration: mean ± std over training seeds of L_acc, jerk, joint
acceleration and foot skating (the physical ones also as ratio to the real test clips, with a paired bootstrap 95 %
interval over the test clips, pooled over seeds: each sample is paired with the real clip it was generated for), and
for each pair
``--pair A:B`` (B relative to A, same seed) the relative L_acc change per seed with a paired bootstrap
95 % interval over test clips (clips resampled, the same draw for both models), and pooled over seeds. FIDs are
only averaged over seeds embedded by one FID encoder (the files' ``fid_encoder``; older files have none recorded).
Files must share the split, the clips and the sampler's noise and steps; their guidance may differ (each model sampled
at its own scale, recorded per configuration as ``guidance``).

With the generated motions' per-clip acceleration power in the files (newer files) and the real clips' (from the
files, or from ``--data`` for older ones), also the decomposition L_acc = P_gen + P_real − 2·C
(``imusim.diffusion.evaluate.lacc_decomposition``) per configuration, and for each pair the relative change of the
L_acc at the real clip's power (``l_acc_matched_power``, a reading that does not fall when a model damps its motion)
and of the acceleration power, with the same paired intervals.

    python scripts/motion_eval_stats.py runs/motion_eval.json [more.json ...] --pair ctrl:acc --out stats.json
    python scripts/motion_eval_stats.py old.json --data runs/data_anat --pair ctrl:acc   # files without real powers
"""
import argparse
import json
import re
from collections import defaultdict

import numpy as np

from imusim.data.captions import DYNAMIC_ACTIVITIES


def paired_rel_ci(a, b, n_boot=2000, seed=0):
    """Relative change of the mean, (mean b − mean a)/mean a, and its paired bootstrap 95 % interval."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    rel = (b[idx].mean(1) - a[idx].mean(1)) / a[idx].mean(1)
    return float((b.mean() - a.mean()) / a.mean()), [float(np.percentile(rel, 2.5)), float(np.percentile(rel, 97.5))]


def decompose(res, data=None):
    """Adds the L_acc decomposition (``acc_cross``, ``acc_corr``, ``l_acc_matched_power``; per clip and mean) to each
    checkpoint of ``res`` that lacks it and has per-clip acceleration power; the real clips' per-clip power from the
    file or, when the file predates it, recomputed from the data set ``data`` (checked against the file's mean)."""
    import torch

    from imusim.diffusion.evaluate import acc_power, lacc_decomposition

    real = res["real"]
    pr = real.get("per_clip", {}).get("acc_power")
    if pr is None and data is not None:
        from imusim.data.dataset import load_split

        clips, dmean, dstd = load_split(data, res["split"])
        pr = [acc_power((torch.as_tensor(c["features"][:res["max_frames"]]).float() - dmean) / dstd) for c in clips]
        if len(pr) != res["n_clips"] or not np.isclose(np.nanmean(pr), real["acc_power"], rtol=1e-6):
            raise SystemExit(f"--data {data}: its {res['split']} clips do not reproduce the files' real acceleration "
                             f"power ({np.nanmean(pr):.6g} vs {real.get('acc_power')})")
        real.setdefault("per_clip", {})["acc_power"] = pr
    if pr is None:
        return
    pr = np.asarray(pr, float)
    for c in res["checkpoints"]:
        pc = c["per_clip"]
        if "acc_corr" in pc or "acc_power" not in pc:
            continue
        d = lacc_decomposition(pc["l_acc"], pc["acc_power"], np.tile(pr, res["samples_per_clip"]))
        pc.update({"acc_cross": d["cross"].tolist(), "acc_corr": d["corr"].tolist(),
                   "l_acc_matched_power": d["matched"].tolist()})
        c.update({"acc_cross": float(np.nanmean(d["cross"])), "acc_corr": float(np.nanmean(d["corr"])),
                  "l_acc_matched_power": float(np.nanmean(d["matched"]))})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+", help="evaluate-motion JSON(s) of the same data, split and sampler (merged)")
    ap.add_argument("--pair", action="append", default=[], help="A:B config names (B relative to A)")
    ap.add_argument("--out", help="write the summary JSON here")
    ap.add_argument("--data", help="the files' data set (imusim data build): the real test clips' per-clip "
                                   "acceleration power for files written before evaluate-motion recorded it")
    args = ap.parse_args()
    runs = [json.load(open(p)) for p in args.json]
    res = runs[0]
    for r in runs:  # FID is comparable only under one encoder (evaluate-motion's fid_encoder; None: not recorded)
        for c in r["checkpoints"]:
            c["_enc"] = r.get("fid_encoder")
            c["_guidance"] = r["sampler"].get("guidance")  # each file's models at their own scale (recorded per config)

    def sampler(r):  # the same noise and steps for every file; the guidance may differ (each model's own scale)
        return {k: v for k, v in r["sampler"].items() if k != "guidance"}

    for r in runs[1:]:
        same = (all(r[k] == res[k] for k in ("split", "n_clips", "samples_per_clip", "max_frames"))
                and sampler(r) == sampler(res))
        # the real clips' jerk identifies the clips; it may differ in the last bits between runs (thread count)
        if not same or not np.allclose(r["real"]["per_clip"]["jerk"], res["real"]["per_clip"]["jerk"], rtol=1e-9):
            raise SystemExit(f"{args.json}: the files differ in split, clips or sampler; they cannot be paired")
        res["checkpoints"] += [c for c in r["checkpoints"] if c["name"] not in {x["name"] for x in res["checkpoints"]}]
    real = res["real"]
    if "acc_power" not in real.get("per_clip", {}):  # the real clips' per-clip power from any file that recorded it
        for r in runs[1:]:
            if "acc_power" in r["real"].get("per_clip", {}):
                real.setdefault("per_clip", {})["acc_power"] = r["real"]["per_clip"]["acc_power"]
                break
    decompose(res, args.data)
    by = defaultdict(dict)
    for c in res["checkpoints"]:
        # CONFIG_sSEED, or with evaluate-motion's spec options after it (CONFIG_sSEED+stop1: the configuration
        # CONFIG+stop1, the same checkpoint sampled otherwise)
        m = re.fullmatch(r"(.+)_s(\d+)((?:\+[\w.]+)*)", c["name"])
        cfg, s = (m.group(1) + m.group(3), int(m.group(2))) if m else (c["name"], 0)
        by[cfg][s] = c
    out = {"source": args.json, "configs": {}, "pairs": {}}
    keys = ("l_acc", "l_acc_high_dynamic", "l_acc_low_dynamic", "fid", "jerk", "joint_acc", "foot_skating", "acc_power",
            "acc_cross", "acc_corr", "l_acc_matched_power")
    print(f"{'config':<16}{'seeds':>6}" + "".join(f"{k:>22}" for k in keys))
    for cfg, seeds in by.items():
        row = {}
        encs = {seeds[s]["_enc"] for s in seeds}
        for k in keys:
            v = np.array([seeds[s].get(k, np.nan) for s in sorted(seeds)], float)  # acc_power: newer JSONs only
            if k == "fid" and len(encs) > 1:
                v[:] = np.nan  # the seeds were embedded by different encoders: their FIDs do not average
            row[k] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                      "per_seed": v.tolist()}
            if k in ("jerk", "joint_acc", "foot_skating", "acc_power") and k in real:
                row[k]["ratio_to_real"] = float(v.mean() / real[k])
                per_real = real["per_clip"].get(k)
                if per_real is not None and all(k in seeds[s]["per_clip"] for s in seeds):
                    rel, ci = paired_rel_ci(np.tile(per_real, len(seeds)),
                                            np.concatenate([seeds[s]["per_clip"][k] for s in sorted(seeds)]))
                    row[k]["ratio_to_real_ci95"] = [1 + ci[0], 1 + ci[1]]
        out["configs"][cfg] = {"seeds": sorted(seeds), "fid_encoder": sorted(encs, key=str),
                               "guidance": sorted({seeds[s]["_guidance"] for s in seeds}, key=str), **row}
        print(f"{cfg:<16}{len(seeds):>6}" + "".join(f"{row[k]['mean']:>13.4g} ± {row[k]['std']:<6.2g}" for k in keys))
    print(f"{'real':<22}" + "".join(f"{real.get(k, float('nan')):>22.4g}" for k in keys))
    for cfg, row in out["configs"].items():
        print(f"{cfg:<16} ratio to the real test clips [paired 95 %]: " + ", ".join(
            f"{k} {row[k]['ratio_to_real']:.3f} [{row[k]['ratio_to_real_ci95'][0]:.3f}, {row[k]['ratio_to_real_ci95'][1]:.3f}]"
            for k in ("joint_acc", "jerk", "foot_skating") if "ratio_to_real_ci95" in row[k]))
    if "acc_power" in real.get("per_clip", {}):
        print("L_acc = P_gen + P_real - 2 C (means over clips; P: feature acceleration power, C: mean product of the "
              "generated and real acceleration sequences):")
        for cfg, row in out["configs"].items():
            (la, pg, c), pr = (row[k]["mean"] for k in ("l_acc", "acc_power", "acc_cross")), real["acc_power"]
            print(f"  {cfg:<16} {la:.4f} = {pg:.4f} + {pr:.4f} - 2 x {c:.4f}   cosine {row['acc_corr']['mean']:+.4f}, "
                  f"alignment's share of P_gen + P_real {2 * c / (pg + pr):+.2%}")
    for p in args.pair:
        a, b = p.split(":")
        common = sorted(set(by[a]) & set(by[b]))
        per = {}
        pa, pb = [], []
        for s in common:
            la, lb = by[a][s]["per_clip"]["l_acc"], by[b][s]["per_clip"]["l_acc"]
            rel, ci = paired_rel_ci(la, lb, seed=s)
            per[s] = {"rel": rel, "ci95": ci}
            pa.append(la)
            pb.append(lb)
        # pooled: clips resampled jointly across seeds (each seed's pair stays paired)
        rel, ci = paired_rel_ci(np.concatenate(pa), np.concatenate(pb)) if common else (float("nan"), [])
        rels = np.array([per[s]["rel"] for s in common])
        out["pairs"][p] = {"seeds": common, "per_seed": per, "pooled_rel": rel, "pooled_ci95": ci,
                           "rel_mean": float(rels.mean()) if len(rels) else float("nan"),
                           "rel_std": float(rels.std(ddof=1)) if len(rels) > 1 else 0.0}
        print(f"L_acc {b} vs {a}: " + ", ".join(f"s{s} {100 * per[s]['rel']:+.1f} % [{100 * per[s]['ci95'][0]:+.1f}, "
                                               f"{100 * per[s]['ci95'][1]:+.1f}]" for s in common)
              + f"; pooled {100 * rel:+.1f} % [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]")
        for k in ("l_acc_matched_power", "acc_power", "l_acc"):
            if not common or not all(k in by[x][s]["per_clip"] for x in (a, b) for s in common):
                continue
            va, vb = (np.concatenate([by[x][s]["per_clip"][k] for s in common]) for x in (a, b))
            dyn = np.concatenate([[x in DYNAMIC_ACTIVITIES for x in by[a][s]["per_clip"]["activity"]] for s in common])
            row = {}
            for part, sel in (("all", np.ones_like(dyn)), ("high_dynamic", dyn), ("low_dynamic", ~dyn)):
                if part == "all" and k == "l_acc":
                    continue  # printed above
                rel, ci = paired_rel_ci(va[sel], vb[sel])
                row[part] = {"pooled_rel": rel, "pooled_ci95": ci}
            out["pairs"][p][k] = row
            print(f"  {k} {b} vs {a}: " + ", ".join(
                f"{part} {100 * r['pooled_rel']:+.1f} % [{100 * r['pooled_ci95'][0]:+.1f}, "
                f"{100 * r['pooled_ci95'][1]:+.1f}]" for part, r in row.items()))
    encs = {c["_enc"] for c in res["checkpoints"]}
    if len(encs) > 1:
        print(f"FID encoders differ between the files ({', '.join(map(str, sorted(encs, key=str)))}): compare FIDs only "
              "between configs with the same fid_encoder")
    if args.out:
        json.dump(out, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
