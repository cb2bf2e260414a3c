#!/usr/bin/env python
"""Which crops of a selftune pool the joint-acceleration gate selects (docs/realism.md §25).

Draws the crops of ``imusim selftune``'s hand-over pool (``selftune.pool_crops``, what ``handover_pool`` draws) and counts, by a word of the caption (walk, run, jog, jump), how many move at ``--gate`` m/s² or more (the
mean over the 22 joints of the motion evaluation's joint acceleration: ``selftune --joint-acc-min-crop``).

    python scripts/pool_gate_probe.py --data runs/data_anat --pool 512 --seed 0 --gate 10 --json pool_gate_s0.json
"""
import argparse
import json

import numpy as np
from imusim.data.dataset import load_split
from imusim.diffusion.selftune import pool_crops
from imusim.diffusion.train import MotionTextData, joint_acc_per_joint
from imusim.motion.humanml import recover_from_ric


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the data set (imusim data build)")
    p.add_argument("--pool", type=int, default=512, help="selftune --pool")
    p.add_argument("--seed", type=int, default=0, help="selftune --seed")
    p.add_argument("--gate", type=float, default=10.0, help="selftune --joint-acc-min-crop, m/s^2")
    p.add_argument("--max-frames", type=int, default=120)
    p.add_argument("--min-frames", type=int, default=40)
    p.add_argument("--json", help="write the counts here")
    a = p.parse_args(argv)
    clips, mean, std = load_split(a.data, "train")
    d = MotionTextData(clips, mean, std)
    x0, mask, caps, _ = pool_crops(d, a.pool, a.max_frames, a.min_frames, a.seed)
    acc = joint_acc_per_joint(recover_from_ric(x0 * std + mean, 22), mask).mean(-1).numpy()
    sel = acc >= a.gate
    out = {"pool": a.pool, "seed": a.seed, "gate_m_s2": a.gate, "selected": int(sel.sum())}
    for w in ("walk", "run", "jog", "jump"):
        has = np.array([w in c for c in caps])
        out[w] = {"crops": int(has.sum()), "selected": int((has & sel).sum()),
                  "joint_acc_median": float(np.median(acc[has])) if has.any() else None}
    print(json.dumps(out, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
