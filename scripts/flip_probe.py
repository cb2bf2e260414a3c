#!/usr/bin/env python
"""Do generated clips carry one-frame rotation flips?  (issue 14, docs/realism.md §16)

The demo's "a person runs forward" (the shipped refined, 2026-12-05) shows an 8 g spike at the wrist and the thigh in
the frame in which its right knee rotates 65 degrees. Per clip of the test split (the real motions) and per
``--checkpoint`` sampled from the same captions, lengths and seeds (as ``skating_probe.py``), every joint's local
rotation as the virtual sensors see it (features -> ``features_to_rotations``, the IK path of ``generate``) and its
per-frame step, the geodesic angle between consecutive frames (degrees, at 20 fps):

* ``step_p99``: the 99th percentile over the clip's joints and frame pairs;
* ``step_max``: the largest step;
* ``share_over_T``: the share of (joint, frame pair) steps above ``--threshold`` degrees (default 45: 15.7 rad/s);
* ``clip_has_flip``: 1 if any step exceeds the threshold.

Per joint, the share of steps over the threshold pooled over the clips is in the JSON (``per_joint_share``).

    python scripts/flip_probe.py --data runs/data_anat --activity walk,run --checkpoint refined \\
        --checkpoint refined_v2 --json docs/realism/ship/flip_probe.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def rotation_steps(features: torch.Tensor) -> np.ndarray:
    """Geodesic angle (degrees) between consecutive frames of every joint's local rotation, ``[T-1, 22]``, from
    features ``[T, 263]`` through the IK path the virtual sensors use."""
    from imusim.diffusion.convert import features_to_rotations
    local, _ = features_to_rotations(features)
    R = torch.as_tensor(local, dtype=torch.float64)
    rel = R[1:] @ R[:-1].transpose(-1, -2)
    cos = ((rel.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1, 1)
    return torch.rad2deg(torch.arccos(cos)).numpy()


def measures(feats, threshold: float) -> tuple[dict, np.ndarray]:
    r = {"step_p99": [], "step_max": [], "share_over_T": [], "clip_has_flip": []}
    over = np.zeros(22)
    n = 0
    for f in feats:
        a = rotation_steps(f)
        r["step_p99"].append(float(np.percentile(a, 99)))
        r["step_max"].append(float(a.max()))
        r["share_over_T"].append(float((a > threshold).mean()))
        r["clip_has_flip"].append(float((a > threshold).any()))
        over += (a > threshold).sum(0)
        n += a.shape[0]
    return r, over / max(n, 1)


def main(argv=None) -> int:
    from skating_probe import sample_clips, summary, test_clips
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", required=True, help="data set directory (imusim data build) with a test split")
    ap.add_argument("--checkpoint", action="append", default=[], help="checkpoint name or path (repeatable), sampled "
                    "with its recorded guidance-independent settings (anchor, rule, smoothing)")
    ap.add_argument("--activity", default="", help="comma-separated activity labels: only the test clips of those")
    ap.add_argument("--max-frames", type=int, default=120, help="frames per clip (as evaluate-motion --max-frames)")
    ap.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale")
    ap.add_argument("--seed", type=int, default=0, help="generation seed (sample i gets seed·1000003 + i)")
    ap.add_argument("--threshold", type=float, default=45.0, help="a step above this many degrees per frame is a flip")
    ap.add_argument("--json", required=True, help="output JSON")
    a = ap.parse_args(argv)
    if not a.threshold > 0:
        raise SystemExit(f"--threshold must be > 0 degrees, got {a.threshold}")

    from imusim.kinematics.smpl import SMPL_NAMES
    ids, clips, gt = test_clips(a.data, a.activity, a.max_frames)
    lengths = [g.shape[0] for g in gt]
    res = {"data": a.data, "n_clips": len(clips), "activity": a.activity or "all", "guidance": a.guidance,
           "seed": a.seed, "threshold_deg": a.threshold, "models": {}}
    sets = [("real", gt)] + [(ck, sample_clips(ck, clips, lengths, a.guidance, a.seed, desc=f"sample {ck}", ids=ids))
                             for ck in a.checkpoint]
    for name, feats in sets:
        per_clip, share = measures(feats, a.threshold)
        res["models"][name] = {"per_clip": per_clip, "summary": summary(per_clip),
                               "per_joint_share": {SMPL_NAMES[j]: float(share[j]) for j in range(22)}}
        s = res["models"][name]["summary"]
        top = sorted(res["models"][name]["per_joint_share"].items(), key=lambda kv: -kv[1])[:3]
        print(f"{name:>12}: step p99 {s['step_p99']['mean']:.1f} deg  max {s['step_max']['mean']:.1f}  "
              f"steps > {a.threshold:g} deg {100 * s['share_over_T']['mean']:.2f} %  clips with one "
              f"{100 * s['clip_has_flip']['mean']:.0f} %  most: " + ", ".join(f"{k} {100 * v:.2f} %" for k, v in top))
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
