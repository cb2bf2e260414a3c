#!/usr/bin/env python
"""Which contact-channel threshold should ``--anchor-feet`` use?  (issue 14, docs/realism.md §11.6)

The sampler's anchor (:func:`imusim.motion.quality.anchor_root_features`) takes the standing foot from the
features' own contact channels (259:263) above a threshold (0.5 so far). Diffusion samples' contact channels are
not binary, so a foot on the floor may be left unmarked. This samples the captions of the validation split (to
choose) and of the test split (to report) with each ``--checkpoint`` (DDIM 50, the evaluate-motion noise: sample i
gets seed·1000003 + i, first caption, first ``--max-frames`` frames), anchors the final motion at every threshold
(the same as ``anchor_feet`` 1, which corrects the final x0 only) and writes, per split and threshold, foot skating,
joint acceleration and jerk (means with bootstrap 95 % intervals) beside the real clips'.

    python scripts/contact_threshold_probe.py --data runs/data_anat --checkpoint refined \\
        --json docs/realism/contact/threshold_probe.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skating_probe import sample_clips, summary  # noqa: E402  (sampling as evaluate-motion; bootstrap means)


def stats(feats, thr):
    from imusim.motion.humanml import recover_from_ric
    from imusim.motion.quality import anchor_root_features, foot_skating, jerk, joint_acc
    r = {"foot_skating": [], "joint_acc": [], "jerk": []}
    for f in feats:
        g = f if thr is None else anchor_root_features(f.double(), threshold=thr).float()
        P = recover_from_ric(g)
        r["foot_skating"].append(foot_skating(P))
        r["joint_acc"].append(joint_acc(P))
        r["jerk"].append(jerk(P))
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", required=True, help="data set directory (imusim data build) with val and test splits")
    ap.add_argument("--checkpoint", action="append", default=[], help="checkpoint name or path; repeatable")
    ap.add_argument("--thresholds", default="0.5,0.4,0.3,0.2,0.1,0.05", help="contact-channel thresholds, comma-separated")
    ap.add_argument("--max-frames", type=int, default=120, help="frames per clip (as evaluate-motion --max-frames)")
    ap.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale")
    ap.add_argument("--seed", type=int, default=0, help="generation seed")
    ap.add_argument("--json", required=True, help="output JSON")
    a = ap.parse_args(argv)
    thrs = [float(t) for t in a.thresholds.split(",")]

    from imusim.data.dataset import load_split

    res = {"data": a.data, "guidance": a.guidance, "seed": a.seed, "sampler": "ddim 50", "thresholds": thrs, "splits": {}}
    for split in ("val", "test"):
        clips, _, _ = load_split(a.data, split)
        gt = [torch.as_tensor(c["features"][: a.max_frames]).float() for c in clips]
        lengths = [g.shape[0] for g in gt]
        S = res["splits"][split] = {"n_clips": len(clips), "real": summary(stats(gt, None)), "models": {}}
        for ck in a.checkpoint:
            # unanchored (every threshold is applied to the final motion below)
            feats = sample_clips(ck, clips, lengths, a.guidance, a.seed, anchor_feet=0, desc=f"{split} {ck}")
            c = torch.cat([f[:, 259:263] for f in feats]).flatten()
            M = S["models"][ck] = {"contact_channel_quantiles": {str(q): float(c.quantile(q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9)},
                                   "decoded": summary(stats(feats, None))}
            for t in thrs:
                M[f"anchored@{t}"] = summary(stats(feats, t))
            real = S["real"]
            for k in ["decoded"] + [f"anchored@{t}" for t in thrs]:
                m = M[k]
                print(f"{split:>4} {ck:>10} {k:>14}: skating {m['foot_skating']['mean'] / real['foot_skating']['mean']:.2f}x "
                      f"joint acc {m['joint_acc']['mean'] / real['joint_acc']['mean']:.2f}x "
                      f"jerk {m['jerk']['mean'] / real['jerk']['mean']:.2f}x", flush=True)
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
