#!/usr/bin/env python
"""Which crops of a selftune pool the joint-acceleration gate selects (docs/realism.md §25, §26).

Draws the crops of ``imusim selftune``'s hand-over pool (``selftune.pool_crops``, what ``handover_pool`` draws) and
counts, by a word of the caption (walk, run, jog, jump) and by the clip's content (wave-right-hand, run, …), how many
the gate selects. ``--gate-kind moves`` (``selftune --joint-acc-min-crop``): the crops moving at ``--gate`` m/s² or
more (the mean over the 22 joints of the motion evaluation's joint acceleration). ``--gate-kind gestures``
(``selftune --joint-acc-gate gestures --gesture-ratio``): the crops whose elbows or wrists move at ``--gate`` times the
pelvis or more (``train.crop_gestures``).

    python scripts/pool_gate_probe.py --data runs/data_anat --pool 512 --seed 0 --gate 10 --json pool_gate_s0.json
"""
import argparse
import collections
import json
from pathlib import Path

import numpy as np
from imusim.data.dataset import load_split
from imusim.diffusion.selftune import pool_crops
from imusim.diffusion.train import MotionTextData, arms_over_pelvis, joint_acc_per_joint
from imusim.motion.humanml import recover_from_ric


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the data set (imusim data build)")
    p.add_argument("--pool", type=int, default=512, help="selftune --pool")
    p.add_argument("--seed", type=int, default=0, help="selftune --seed")
    p.add_argument("--gate-kind", choices=["moves", "gestures"], default="moves", help="selftune --joint-acc-gate")
    p.add_argument("--gate", type=float, default=10.0,
                   help="moves: selftune --joint-acc-min-crop, m/s^2; gestures: selftune --gesture-ratio")
    p.add_argument("--max-frames", type=int, default=120)
    p.add_argument("--min-frames", type=int, default=40)
    p.add_argument("--json", help="write the counts here")
    a = p.parse_args(argv)
    clips, mean, std = load_split(a.data, "train")
    d = MotionTextData(clips, mean, std)
    x0, mask, caps, _ = pool_crops(d, a.pool, a.max_frames, a.min_frames, a.seed)
    acc = joint_acc_per_joint(recover_from_ric(x0 * std + mean, 22), mask)  # [n, 22]
    if a.gate_kind == "moves":
        score = acc.mean(-1).numpy()  # train.crop_moves
        sel = score >= a.gate
    else:  # train.crop_gestures
        score = arms_over_pelvis(acc).numpy()
        sel = score >= a.gate
    out = {"pool": a.pool, "seed": a.seed, "gate_kind": a.gate_kind,
           ("gate_m_s2" if a.gate_kind == "moves" else "gesture_ratio"): a.gate, "selected": int(sel.sum())}
    for w in ("walk", "run", "jog", "jump"):
        has = np.array([w in c for c in caps])
        out[w] = {"crops": int(has.sum()), "selected": int((has & sel).sum()),
                  "joint_acc_median": float(np.median(acc.mean(-1).numpy()[has])) if has.any() else None}
    content = {}  # caption -> the content of the first clip it labels
    for c in json.loads((Path(a.data) / "meta.json").read_text())["clips"]:
        for t in c["captions"]:
            content.setdefault(t, c["content"])
    by = collections.defaultdict(list)
    for c, s, v in zip(caps, sel, score):
        by[content.get(c, "?")].append((bool(s), float(v)))
    out["by_content"] = {k: {"crops": len(v), "selected": sum(s for s, _ in v),
                             "score_median": float(np.median([x for _, x in v]))}
                         for k, v in sorted(by.items(), key=lambda kv: -len(kv[1]))}
    print(json.dumps(out, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
