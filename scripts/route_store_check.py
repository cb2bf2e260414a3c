#!/usr/bin/env python
"""Which of two pairs each window of a routed pair's generation store comes from (docs/realism.md §40).

A routed pair (`imusim route --pair A --moving B`) finishes each motion with A's or B's low expert under their
shared high expert, so a store generated from it with the same prompts and seeds as A's and B's stores holds, window
for window (the same window ids), A's or B's windows, up to the batch's floating-point order. This reads the three
stores and reports per activity how many windows match A's, how many B's (largest |difference| below --tol of the
window's largest |value|), how many neither, and the largest relative differences.

    python scripts/route_store_check.py --routed runs/har_still/route7_s0 --low runs/har_still/st_kv3ts1px_s0 \\
        --moving runs/har_still/shipped_s0 --out docs/realism/route/store_check_route7_s0_s0.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--routed", required=True, help="the routed pair's store")
    ap.add_argument("--low", required=True, help="the store of the pair whose low expert the route leaves (A)")
    ap.add_argument("--moving", required=True, help="the store of the pair whose low expert is the moving one (B)")
    ap.add_argument("--tol", type=float, default=1e-3, help="relative tolerance of a match (default 1e-3)")
    ap.add_argument("--out", required=True, help="output JSON")
    a = ap.parse_args(argv)
    from imusim.generate.store import load

    stores = {k: load(getattr(a, k)) for k in ("routed", "low", "moving")}
    ids = {k: s.window_ids for k, s in stores.items()}
    if not (np.array_equal(np.sort(ids["routed"]), np.sort(ids["low"]))
            and np.array_equal(np.sort(ids["routed"]), np.sort(ids["moving"]))):
        ap.error("the three stores hold different window ids: generate them with the same prompts and seeds")
    arr = {k: s.array() for k, s in stores.items()}  # [N, W, S, C]
    order = {k: np.argsort(ids[k]) for k in arr}
    X = {k: arr[k][order[k]].astype(np.float64) for k in arr}
    labels = stores["routed"].labels[order["routed"]]
    scale = np.abs(X["routed"]).reshape(len(labels), -1).max(1) + 1e-12
    rel = {k: np.abs(X["routed"] - X[k]).reshape(len(labels), -1).max(1) / scale for k in ("low", "moving")}
    res = {"routed": a.routed, "low": a.low, "moving": a.moving, "tol": a.tol, "windows": int(len(labels)),
           "by_activity": {}}
    for act in sorted(set(labels)):
        sel = labels == act
        lo, mv = rel["low"][sel] < a.tol, rel["moving"][sel] < a.tol
        res["by_activity"][act] = {
            "windows": int(sel.sum()), "match_low": int(lo.sum()), "match_moving": int(mv.sum()),
            "match_neither": int((~lo & ~mv).sum()),
            "max_rel_diff_of_matches": float(max(rel["low"][sel][lo].max(initial=0), rel["moving"][sel][mv].max(initial=0))),
            "min_rel_diff_of_non_matches": float(min(rel["low"][sel][~lo].min(initial=np.inf),
                                                     rel["moving"][sel][~mv].min(initial=np.inf)))}
        r = res["by_activity"][act]
        print(f"{act:10s} {r['windows']:5d} windows: {r['match_low']:5d} as --low, {r['match_moving']:5d} as --moving, "
              f"{r['match_neither']:3d} neither (largest match {r['max_rel_diff_of_matches']:.1e}, smallest "
              f"non-match {r['min_rel_diff_of_non_matches']:.1e})")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
