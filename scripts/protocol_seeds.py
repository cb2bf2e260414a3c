#!/usr/bin/env python
"""One candidate's still-standers protocol over its training seeds (issue 14, rigour).

Each training seed N of candidate CAND went through its own protocol run (scripts/realism_hightune.sh with
``SEEDS=N OUT=DIR``), whose ``har_versus.json`` (BasicMotions: HAR, the wrist realism, the intensity checks and the
fit-for-fit comparisons) and ``har_wisdm_versus.json`` (WISDM HAR) name the set ``CAND_sN``. Per seed: the RF and
CNN macro-F1 means on both real sets, the issue's wrist checks in band, the median and p90 intensity ratios of the
four BasicMotions activities at the left wrist, and how many of the generation seeds' RF fits beat `original`, the
smoothing baseline and the shipped refined; where the run also holds the RF and CNN without badminton
(``har_bm3_versus.json``, docs/realism.md §35.2), those; where it holds the candidate's motion evaluation
(``motion_eval_CAND_sN.json``) and by-style probe (``skating_probe_CAND_sN.json``, scripts/skating_probe.py): its FID
and joint acceleration × real, and the plain-caption (walk/normal) walkers' wrist acceleration at the joints and
speed, the other styles' wrist and their ratio; then the mean ± sample std over the seeds (of the figures every
seed has).

    python scripts/protocol_seeds.py --cand ht1c2g2 --run 0=docs/.../caption --run 1=docs/.../caption/s1 \
        --run 2=docs/.../caption/s2 --out docs/.../caption/s2/seeds3.json
"""
import argparse
import json
from pathlib import Path

import numpy as np

ACTIVITIES = ("walking", "running", "standing", "badminton")
VERSUS = ("original", "smooth2", "afu1i5hs7")


def _need(d, key, what):
    if key not in d:
        raise SystemExit(f"{what}: no entry {key!r} (has {sorted(d)})")
    return d[key]


def seed_row(run_dir, name):
    """The protocol figures of the set NAME in RUN_DIR/har_versus.json and RUN_DIR/har_wisdm_versus.json."""
    run_dir = Path(run_dir)
    files = [run_dir / "har_versus.json", run_dir / "har_wisdm_versus.json"]
    for f in files:
        if not f.is_file():
            raise SystemExit(f"{f}: missing (the protocol of {name} has not run into {run_dir})")
    b, x = (json.loads(f.read_text()) for f in files)
    bh = _need(b["har"]["basicmotions"], name, f"{files[0]} har.basicmotions")
    xh = _need(x["har"]["wisdm"], name, f"{files[1]} har.wisdm")
    real = b["realism"]["basicmotions"]
    row = {"bm_rf": bh["rf"]["mean"], "bm_cnn": bh["cnn"]["mean"], "wisdm_rf": xh["rf"]["mean"],
           "wisdm_cnn": xh["cnn"]["mean"],
           "wrist_checks": _need(b["intensity_checks"], name, f"{files[0]} intensity_checks")["0"]["in_band"]}
    for a in ACTIVITIES:
        r = _need(real[f"wrist_l/{a}"], name, f"{files[0]} realism wrist_l/{a}")
        for q in ("median", "p90"):
            row[f"{a}_{q}"] = r[f"acc_ratio_{q}"]["mean"]
    for v in VERSUS:
        row[f"bm_rf_wins_{v}"] = _need(b["versus"]["basicmotions"], f"{name}:{v}", f"{files[0]} versus")["rf"]["a_wins"]
    bm3 = run_dir / "har_bm3_versus.json"  # BasicMotions without badminton, where the protocol ran it (§35.2)
    if bm3.is_file():
        h = _need(json.loads(bm3.read_text())["har"]["bm3"], name, f"{bm3} har.bm3")
        row.update({f"bm3_{c}": h[c]["mean"] for c in ("rf", "cnn") if c in h})
    return row


def motion_row(run_dir, name, variant=""):
    """The motion figures of NAME from RUN_DIR's motion_eval_NAME.json and skating_probe_NAME.json (each optional).
    ``variant`` V: the checkpoint NAME+V of motion_eval_NAME.json (evaluate-motion's spec option, e.g. stop1 for
    NAME@stop=1), and no by-style probe (which samples NAME as recorded)."""
    run_dir, row = Path(run_dir), {}
    me = run_dir / f"motion_eval_{name}.json"
    if me.is_file():
        want = f"{name}+{variant}" if variant else name
        ck = [c for c in json.loads(me.read_text())["checkpoints"] if c["name"] == want]
        if not ck:
            raise SystemExit(f"{me}: no checkpoint named {want!r}")
        row["fid"], row["joint_acc_x_real"] = ck[0]["fid"], ck[0]["joint_acc_ratio_to_real"]
    sp = run_dir / f"skating_probe_{name}.json"
    if sp.is_file() and not variant:
        models = json.loads(sp.read_text())["models"]
        m = [v for k, v in models.items() if k != "real" and Path(k).parent.name == name]
        if len(m) != 1:
            raise SystemExit(f"{sp}: expected one model of run {name!r}, has {sorted(models)}")
        walk = m[0]["by_style"]
        row["walk_normal_wrist"] = walk["walk/normal"]["wrist_acc"]
        row["walk_normal_speed"] = walk["walk/normal"]["root_speed"]
        row["walk_other_wrist"] = walk["walk/other styles"]["wrist_acc"]
        row["walk_style_ratio"] = row["walk_normal_wrist"] / row["walk_other_wrist"]
    return row


def summarize(rows):
    """{key: {"mean", "std"}} over the seeds (std with ddof 1; 0 for one seed), of the keys every seed has."""
    keys = [k for k in next(iter(rows.values())) if all(k in r for r in rows.values())]
    out = {}
    for k in keys:
        v = np.array([rows[s][k] for s in rows], float)
        out[k] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}
    return out


def table(rows, summary):
    lines = [f"{'':22s}" + "".join(f"{'seed ' + str(s):>9s}" for s in rows) + "   mean ± sd"]
    for k in summary:
        lines.append(f"{k:22s}" + "".join(f"{rows[s][k]:9.3f}" for s in rows)
                     + f"   {summary[k]['mean']:.3f} ± {summary[k]['std']:.3f}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cand", required=True, help="the candidate; its training seed N is the set CAND_sN")
    ap.add_argument("--run", action="append", required=True, metavar="SEED=DIR",
                    help="the protocol output directory of training seed SEED (repeat per seed)")
    ap.add_argument("--variant", default="", metavar="V",
                    help="a sampling variant of the candidate: the protocol's set CAND_sN_V and the motion evaluation's "
                         "checkpoint CAND_sN+V in motion_eval_CAND_sN.json (scripts/realism_stop.sh: V = stop1)")
    ap.add_argument("--out", required=True, help="JSON of the per-seed rows and the summary")
    a = ap.parse_args()
    runs = {}
    for spec in a.run:
        seed, sep, d = spec.partition("=")
        if not sep or not seed.isdigit():
            raise SystemExit(f"--run: expected SEED=DIR with an integer SEED, got {spec!r}")
        runs[int(seed)] = d
    sfx = f"_{a.variant}" if a.variant else ""
    rows = {s: {**seed_row(d, f"{a.cand}_s{s}{sfx}"), **motion_row(d, f"{a.cand}_s{s}", a.variant)}
            for s, d in sorted(runs.items())}
    summary = summarize(rows)
    print(table(rows, summary))
    Path(a.out).write_text(json.dumps({"per_seed": rows, "summary": summary, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
