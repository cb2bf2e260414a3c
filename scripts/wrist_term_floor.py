#!/usr/bin/env python
"""The floor of the per-crop wrist term (issue 14, docs/realism.md §34).

`imusim selftune/hightune --lambda-true-wrist` compares each sampled motion's wrists' RMS acceleration with its own
ground-truth crop's (squared log ratio, +0.5 m/s² each; imusim.diffusion.selftune.wrist_ratio_loss). The sample is
drawn from noise given the crop's caption only, so even a model whose samples follow each caption's distribution
exactly pays, per crop, the spread of the crops that share the caption: E[(L_sample - L_crop)²] = 2 Var(L | caption)
for independent draws (L = log(wrist + 0.5)). This draws crops as the fine-tunes' pools draw them (``pool_crops``,
lengths ``--min-frames``..``--max-frames``), pairs every crop with another crop of the same caption (at random) and
reports the mean squared log ratio of the pairs: the term's floor. Beside it, per activity/style group, each group's
share of the crops and its mean L, so a reader can weigh what a group's bias contributes to the term (a bias b on a
group of share s adds s·b²).

    python scripts/wrist_term_floor.py --data runs/data_anat --crops 4096 --json docs/.../wrist_term_floor.json
"""
import argparse
import json
from collections import defaultdict

import numpy as np


def floor_from_pairs(log_w: np.ndarray, groups) -> dict:
    """The mean squared difference of ``log_w`` over pairs drawn within each group of ``groups`` (a label per item):
    every item of a group with >= 2 items is paired with a random other item of its group (seed 0). Returns
    ``{"floor": mean, "paired": items used, "groups": groups with >= 2 items}``."""
    rng = np.random.default_rng(0)
    by = defaultdict(list)
    for i, g in enumerate(groups):
        by[g].append(i)
    d2 = []
    for idx in by.values():
        if len(idx) < 2:
            continue
        for k, i in enumerate(idx):
            j = idx[(k + 1 + rng.integers(0, len(idx) - 1)) % len(idx)]  # any other item of the group
            d2.append((log_w[i] - log_w[j]) ** 2)
    return {"floor": float(np.mean(d2)) if d2 else float("nan"), "paired": len(d2),
            "groups": sum(len(v) >= 2 for v in by.values())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--data", required=True, help="prepared data directory (imusim prepare-data)")
    ap.add_argument("--crops", type=int, default=4096, help="crops to draw (default 4096)")
    ap.add_argument("--max-frames", type=int, default=120)
    ap.add_argument("--min-frames", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="JSON output")
    a = ap.parse_args(argv)
    from imusim.data.dataset import load_split
    from imusim.diffusion.selftune import WRIST_FLOOR, crop_log_wrists, pool_index
    from imusim.diffusion.train import MotionTextData

    clips, mean, std = load_split(a.data, "train")
    data = MotionTextData(clips, mean, std)
    idx, gen = pool_index(data, a.crops, a.seed)  # the crops pool_crops draws, with their clips
    groups = [f"{clips[i].get('activity', '?')}/{clips[i].get('style') or 'normal'}" for i in idx]
    x0, mask, caps = data.batch(idx, gen, a.max_frames, a.min_frames)
    log_w = crop_log_wrists(x0, mask, std, mean).double().numpy()
    w = np.exp(log_w) - WRIST_FLOOR
    out = {"crops": a.crops, "seed": a.seed, "frames": [a.min_frames, a.max_frames], "wrist_floor": WRIST_FLOOR,
           "by_caption": floor_from_pairs(log_w, caps), "by_clip": floor_from_pairs(log_w, idx),
           "by_group": floor_from_pairs(log_w, groups), "all": floor_from_pairs(log_w, [0] * len(caps))}
    share = defaultdict(list)
    for g, v, wv in zip(groups, log_w, w):
        share[g].append((v, wv))
    out["groups"] = {g: {"share": len(v) / a.crops, "mean_log": float(np.mean([x[0] for x in v])),
                         "median_wrist": float(np.median([x[1] for x in v]))}
                     for g, v in sorted(share.items(), key=lambda kv: -len(kv[1]))}
    print(f"{a.crops} crops ({a.min_frames}-{a.max_frames} frames, pool seed {a.seed}); the per-crop wrist term "
          f"(squared log ratio) between two crops of the same ...")
    for k in ("by_clip", "by_caption", "by_group", "all"):
        f = out[k]
        print(f"  {k:11s} {f['floor']:.3f}  ({f['paired']} crops in {f['groups']} groups)")
    print("groups (activity/style): share of the crops, median wrist RMS (m/s^2)")
    for g, v in list(out["groups"].items())[:12]:
        print(f"  {g:28s} {v['share']:.3f}  {v['median_wrist']:.2f}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
