#!/usr/bin/env python
"""Root forward speed of the data set's clips per activity, split and style (issue 14, docs/realism.md §30.5): are the
generated walkers slow because the training walks are? Reads the features (channel 2: the root's forward velocity in
its own frame, m/frame) of each clip's first ``--max-frames`` frames (evaluate-motion's crop) and prints, per
activity and style, the number of clips and the mean over clips of the clip's mean forward speed (m/s) in the train and
test splits.

    python scripts/walk_speed_probe.py --data runs/data_anat --json docs/realism/walkers/data_speed.json
"""
import argparse
import json
from collections import defaultdict

import numpy as np
import torch

from imusim.constants import HUMANML3D_FPS
from imusim.data.dataset import load_split


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the data set directory (imusim data build)")
    ap.add_argument("--activities", default="walk,run", help="activities to list (default walk,run)")
    ap.add_argument("--max-frames", type=int, default=120, help="frames per clip read, as evaluate-motion (default 120)")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args()
    acts = a.activities.split(",")
    out = {"data": a.data, "max_frames": a.max_frames, "speed": {}}
    for split in ("train", "test"):
        clips, _, _ = load_split(a.data, split)
        by = defaultdict(list)
        for c in clips:
            if c["activity"] in acts:
                f = torch.as_tensor(c["features"][:a.max_frames]).double()
                v = float(f[:, 2].mean()) * HUMANML3D_FPS
                by[(c["activity"], c["style"] or "-")].append(v)
                by[(c["activity"], "all")].append(v)
        out["speed"][split] = {f"{k[0]}/{k[1]}": {"n": len(v), "forward_m_s": float(np.mean(v))}
                               for k, v in sorted(by.items())}
    keys = sorted(set(out["speed"]["train"]) | set(out["speed"]["test"]))
    print(f"root forward speed (m/s), mean over clips of the clip's mean, first {a.max_frames} frames ({a.data})")
    print(f"{'activity/style':<28}{'train n':>9}{'train':>8}{'test n':>8}{'test':>8}")
    for k in keys:
        tr, te = out["speed"]["train"].get(k), out["speed"]["test"].get(k)
        print(f"{k:<28}{tr['n'] if tr else 0:>9}{tr['forward_m_s'] if tr else float('nan'):>8.2f}"
              f"{te['n'] if te else 0:>8}{te['forward_m_s'] if te else float('nan'):>8.2f}")
    if a.json:
        json.dump(out, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
