"""How much do motions of one activity differ in intensity? The variance of log acc intensity between motions (a
generated motion, a mocap rendering, a real recording or a real subject), pooled and within one prompt
(docs/realism.md §27.3). A synthetic set whose median is right can still miss the p90 when its motions are a mix of
shufflers and striders.

    python scripts/spread_probe.py --set shipped=runs/har/afu1i5hs7_s0,runs/har/afu1i5hs7_s1 --sensor wrist_r \\
        --json docs/realism/edge/spread.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

WISDM = "../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz"


def group_var(logs: np.ndarray, groups: np.ndarray) -> float:
    """Variance over groups of the groups' mean log intensity."""
    return float(np.var([logs[groups == g].mean() for g in np.unique(groups)]))


def synthetic(stores, sensor: str, activity: str) -> dict:
    from imusim.generate import load
    from imusim.har.realism import window_intensity

    logs, motion, prompt = [], [], []
    for k, p in enumerate(stores):
        st = load(p)
        names = [s["name"] for s in st.meta.get("sensors", [])]
        sel = st.labels == activity
        logs.append(np.log(window_intensity(st.array(sensor=names.index(sensor))[sel][..., :3], True)))
        motion.append((st.window_ids[sel] >> 12) + (k << 40))
        prompt.append(st.prompts[sel])
    logs, motion, prompt = np.concatenate(logs), np.concatenate(motion), np.concatenate(prompt)
    per_prompt = {p: group_var(logs[prompt == p], motion[prompt == p]) for p in sorted(set(prompt.tolist()))}
    return {"windows": int(len(logs)), "motions": int(len(np.unique(motion))),
            "var_between_motions": group_var(logs, motion),
            "var_between_motions_within_prompt": float(np.mean(list(per_prompt.values()))), "per_prompt": per_prompt}


def real() -> dict:
    from imusim.har.realism import load_real, window_intensity

    out = {}
    bm = load_real("basicmotions")  # 10 Hz, gravity removed; one group per 10-s recording
    for act in ("walking", "running", "standing"):
        m = np.asarray(bm.y) == act
        logs = np.log(window_intensity(bm.X[m][..., :3], False))
        out[f"basicmotions {act}"] = {"windows": int(m.sum()), "groups": "recording",
                                      "var_between_groups": group_var(logs, np.asarray(bm.groups)[m])}
    if Path(WISDM).exists():
        d = np.load(WISDM, allow_pickle=True)
        for act in ("walking", "jogging", "standing"):
            m = d["y"] == act
            logs = np.log(np.maximum(window_intensity(d["X"][m][..., :3], True), 1e-6))
            out[f"wisdm {act}"] = {"windows": int(m.sum()), "groups": "subject",
                                   "var_between_groups": group_var(logs, d["subject"][m]),
                                   "var_all_windows": float(np.var(logs))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", required=True, metavar="NAME=STORE[,STORE]")
    ap.add_argument("--sensor", default="wrist_r")
    ap.add_argument("--activity", action="append", default=None, help="default: walking, running")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    res = {"sensor": a.sensor, "sets": {}, "real": real()}
    for k, v in res["real"].items():
        print(f"{k:>22s}  between {v['groups']}s {v['var_between_groups']:.3f}")
    for spec in a.set:
        name, _, paths = spec.partition("=")
        res["sets"][name] = {act: synthetic(paths.split(","), a.sensor, act) for act in a.activity or ["walking", "running"]}
        for act, v in res["sets"][name].items():
            print(f"{name:>14s} {act:>8s}  between motions {v['var_between_motions']:.3f}  within a prompt "
                  f"{v['var_between_motions_within_prompt']:.3f}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
