"""Within-motion comparison of a store's windows by position (docs/realism.md §27.2): for every motion cut into three
windows or more, its first and its last window's acc intensity over the median of its middle windows.
`imusim realism --by position` pools windows by position, and its "middle" windows come only from the longer motions;
pairing inside each motion removes that. (The spread between motions: scripts/spread_probe.py.)

    python scripts/position_pairs.py --set shipped=runs/har/afu1i5hs7_s0,runs/har/afu1i5hs7_s1 \\
        --set mocap=out/realism/mocap_store_normal --sensor wrist_l --json docs/realism/edge/position_pairs.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def pairs(stores, sensor: str, word: str) -> dict:
    from imusim.generate import load
    from imusim.har.realism import window_intensity, window_positions

    first, last, n_win, n_mot = [], [], 0, 0
    for p in stores:
        st = load(p)
        names = [s["name"] for s in st.meta.get("sensors", [])]
        if sensor not in names:
            raise SystemExit(f"{p}: no sensor {sensor!r} (it has {names})")
        sel = np.array([word in str(lab) for lab in st.labels])
        if not sel.any():
            continue
        inten = window_intensity(st.array(sensor=names.index(sensor))[sel][..., :3], True)
        ids = st.window_ids[sel]
        ren, k = ids >> 12, ids & 4095
        pos = window_positions(ids)
        n_win += len(inten)
        for r in np.unique(ren):
            m = ren == r
            n_mot += 1
            if m.sum() >= 3:
                mid = np.median(inten[m & (pos == "middle")])
                first.append(float(inten[m & (k == 0)][0] / mid))
                last.append(float(inten[m & (pos == "last")][0] / mid))
    q = lambda x: {"median": float(np.median(x)), "share_above_1": float(np.mean(np.array(x) > 1)),  # noqa: E731
                   "p25": float(np.percentile(x, 25)), "p75": float(np.percentile(x, 75))} if x else None
    return {"windows": n_win, "motions": n_mot, "motions_3plus": len(first), "first_over_middle": q(first),
            "last_over_middle": q(last)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="NAME=STORE[,STORE]")
    ap.add_argument("--sensor", default="wrist_l")
    ap.add_argument("--activity", action="append", default=None, help="activity labels (default: walking, running)")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    res = {"sensor": a.sensor, "sets": {}}
    for spec in a.set:
        name, _, paths = spec.partition("=")
        res["sets"][name] = {act: pairs(paths.split(","), a.sensor, act) for act in a.activity or ["walking", "running"]}
        for act, v in res["sets"][name].items():
            f, l_ = v["first_over_middle"], v["last_over_middle"]
            print(f"{name:>14s} {act:>8s} motions {v['motions']:4d} (3+ windows {v['motions_3plus']:3d})  first/middle "
                  f"{f['median'] if f else float('nan'):.2f}  last/middle {l_['median'] if l_ else float('nan'):.2f} "
                  f"(above 1: {l_['share_above_1'] if l_ else float('nan'):.2f})")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
