#!/usr/bin/env python
"""Where a routed pair's route falls, per activity (docs/realism.md §40).

Samples ``--per-prompt`` motions of every prompt of an activities file (the protocol's: docs/realism/still/
activities.yaml) with a two-expert checkpoint at its recorded settings (guidance 1 unless ``--guidance``; one noise
seed per motion, as the generator draws them), and reports per activity the quantiles (0, 10, 50, 90, 100 %) of the
mean joint acceleration (m/s², the mean over the 22 joints of each joint's mean |acceleration|, the route's
statistic) of the x0 prediction at the last high-noise step (what a routed pair's route reads) and of the finished
motion, per prompt the mean of the first, and, for a routed pair, the share of each activity's motions routed to its
moving expert. The hand-over depends only on the high expert and the noise: any pair with the same high expert gives
the same first figures, so the threshold of ``imusim route --min-acc`` is read off them.

    python scripts/route_probe.py --checkpoint refined --per-prompt 4 --out docs/realism/route/route_probe.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import yaml

QUANTILES = (0, 10, 50, 90, 100)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="two-expert checkpoint (zoo name or .safetensors)")
    ap.add_argument("--activities", default="docs/realism/still/activities.yaml", help="activity -> prompts (YAML)")
    ap.add_argument("--per-prompt", type=int, default=4, help="motions per prompt")
    ap.add_argument("--frames", type=int, default=120, help="frames per motion (20 fps)")
    ap.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance (the protocol's 1)")
    ap.add_argument("--threshold", type=float, default=None, metavar="M_S2",
                    help="also report the share routed at this threshold (default: the pair's own, if routed)")
    ap.add_argument("--still", type=float, default=None, metavar="M_S2",
                    help="with --threshold: also count the motions below this as routed (a band route, imusim route "
                         "--still-acc; default: the pair's own, if routed with one)")
    ap.add_argument("--out", required=True, help="output JSON")
    a = ap.parse_args(argv)
    if a.per_prompt < 1 or a.frames < 3:
        ap.error(f"--per-prompt must be >= 1 and --frames >= 3, got {a.per_prompt} and {a.frames}")

    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.experts import ExpertPair, moving_route
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.quality import crop_move_acc

    model, mean, std, enc, _ = load_checkpoint(resolve_checkpoint(a.checkpoint))
    if not isinstance(model, ExpertPair):
        ap.error(f"--checkpoint {a.checkpoint} is a single network; the route is read at a pair's hand-over")
    text = get_text_encoder(enc, device="cpu")
    acts = yaml.safe_load(open(a.activities))
    prompts, labels = [], []
    for act, ps in acts.items():
        for p in ps:
            prompts += [p] * a.per_prompt
            labels += [act] * a.per_prompt
    seen = {}

    def observe(k, i, x0):  # the last call at t >= below_t is the hand-over's
        if i >= model.below_t:
            seen["x0"] = x0.detach().clone()
    with torch.no_grad():
        out, mask = sample(model, mean, std, text, prompts, [a.frames] * len(prompts), steps=50, guidance=a.guidance,
                           seeds=list(range(len(prompts))), observe=observe, progress=True)

        hand, final = (crop_move_acc(f.double(), mask).numpy() for f in (seen["x0"] * std + mean, out))
    thr = a.threshold if a.threshold is not None else model.route_min_acc
    still = a.still if a.still is not None else getattr(model, "route_still_acc", None)
    res = {"checkpoint": a.checkpoint, "activities": a.activities, "per_prompt": a.per_prompt, "frames": a.frames,
           "guidance": a.guidance, "noise_seeds": f"0..{len(prompts) - 1}, one per motion", "quantiles": QUANTILES,
           "threshold": thr, "still": still, "handover": {}, "final": {}, "routed_moving": {},
           "per_prompt_handover_mean": {}}
    lab = np.array(labels)
    for act in acts:
        sel = lab == act
        for key, v in (("handover", hand), ("final", final)):
            res[key][act] = [round(float(np.percentile(v[sel], q)), 3) for q in QUANTILES]
        if thr is not None:
            routed = moving_route(torch.from_numpy(hand[sel]), thr, still)
            res["routed_moving"][act] = round(float(routed.double().mean()), 3)
        if model.routed:  # what the sampler itself routed
            res.setdefault("sampler_route", {})[act] = round(float(model.route.numpy()[sel].mean()), 3)
    pr = np.array(prompts)
    for p in dict.fromkeys(prompts):
        res["per_prompt_handover_mean"][p] = round(float(hand[pr == p].mean()), 3)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    for key in ("handover", "final"):
        for act, q in res[key].items():
            print(f"{key:9s} {act:10s} " + " ".join(f"{v:6.2f}" for v in q)
                  + (f"  routed {res['routed_moving'][act]:.2f}" if key == "handover" and thr is not None else ""))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
