#!/usr/bin/env python
"""Does the model jump when asked to?  (issue 14, "a person jumps up" stands still; docs/realism.md §11)

Samples ``--n`` motions per prompt and checkpoint (DDIM 50 steps, the given guidance scales) and measures the
pelvis's vertical excursion: the rise of the root above its median height (m), its peak upward speed (m/s), and
the share of motions whose pelvis rises ≥ 10 cm (a jump that leaves the floor lifts the pelvis well above standing
height; a squat-and-stand does not). The training clips whose activity is ``jump`` are measured the same way, with
the share of the training split they make up: the reason the model cannot jump is then a number.

    python scripts/jump_probe.py --data runs/data_anat --checkpoint original --checkpoint refined \\
        --json docs/realism/style/jump_probe.json
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from imusim.constants import HUMANML3D_FPS as FPS

PROMPTS = ["a person jumps up.", "a woman jumps up.", "a person jumps.", "a person jumps up and down in place."]


def pelvis(P: torch.Tensor) -> dict:
    """Rise (m) of the pelvis above its median height and its peak upward speed (m/s); ``P`` [T, 22, 3], Y up."""
    y = P[:, 0, 1].double()
    return {"rise": float(y.max() - y.median()), "up_speed": float(((y[1:] - y[:-1]) * FPS).max())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", required=True, help="data set directory (imusim data build): its jump clips and their share")
    ap.add_argument("--checkpoint", action="append", default=[], help="checkpoint name or path; repeatable")
    ap.add_argument("--guidance", type=float, action="append", default=None,
                    help="classifier-free guidance scale; repeatable (default: 1 and 2.5)")
    ap.add_argument("--n", type=int, default=16, help="motions per prompt, checkpoint and guidance")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each motion (s)")
    ap.add_argument("--json", required=True, help="output JSON")
    a = ap.parse_args(argv)
    guidances = a.guidance or [1.0, 2.5]

    from imusim.data.dataset import load_split
    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.humanml import recover_from_ric

    train, _, _ = load_split(a.data, "train")
    jumps = [c for c in train if c.get("activity") == "jump"]
    frames = sum(int(c["features"].shape[0]) for c in train)
    res = {"data": a.data, "sampler": "ddim 50", "n": a.n, "seconds": a.seconds, "prompts": PROMPTS,
           "training": {"clips": len(train), "jump_clips": [c["id"] for c in jumps],
                        "jump_frame_share": sum(int(c["features"].shape[0]) for c in jumps) / frames,
                        "per_clip": {c["id"]: pelvis(recover_from_ric(torch.as_tensor(c["features"]).float()))
                                     for c in jumps}},
           "models": {}}
    T = int(round(a.seconds * FPS))
    for ck in a.checkpoint:
        model, mean, std, enc, _ = load_checkpoint(resolve_checkpoint(ck), "cpu")
        text = get_text_encoder(enc, device="cpu")
        for g in guidances:
            rows = {}
            for p in PROMPTS:
                f, _ = sample(model, mean, std, text, [p] * a.n, [T] * a.n, steps=50, guidance=g,
                              seeds=list(range(a.n)), device="cpu")
                m = [pelvis(recover_from_ric(f[i].float())) for i in range(a.n)]
                rise = np.array([x["rise"] for x in m])
                rows[p] = {"rise_median": float(np.median(rise)), "rise_max": float(rise.max()),
                           "up_speed_median": float(np.median([x["up_speed"] for x in m])),
                           "share_rise_10cm": float((rise >= 0.10).mean()), "per_motion": m}
                print(f"{ck:>12} g{g}: {p:<40} pelvis rise median {rows[p]['rise_median']:.3f} m, max "
                      f"{rows[p]['rise_max']:.3f} m, ≥10 cm in {rows[p]['share_rise_10cm']:.0%}")
            res["models"][f"{ck}@g{g}"] = rows
    for cid, m in res["training"]["per_clip"].items():
        print(f"training clip {cid}: pelvis rise {m['rise']:.3f} m, up speed {m['up_speed']:.2f} m/s")
    print(f"jump clips: {len(jumps)} of {len(train)} training clips, {res['training']['jump_frame_share']:.2%} of frames")
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
