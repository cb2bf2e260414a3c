"""Why selftune's trust region (--lambda-stay) compares pose channels, not global joint positions (docs/realism.md §20).

A pool of hand-over states is finished by the shipped `refined`'s low-noise expert, then again after a few Adam steps
of its own noised-truth recipe alone (selftune's lr, no self-sampled term): how far the finished motions move under
three measures, in cm² (mean over joints / channels and frames): global joint positions (recover_from_ric),
the same relative to the root, and the features' first 67 channels (selftune.stay_loss). Also the wrist's RMS |a|.

    python scripts/stay_drift_probe.py --data runs/data_anat --json docs/realism/stay/stay_drift_probe.json
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the shipped models' data set (imusim data build --facing anatomical)")
    ap.add_argument("--checkpoint", default="refined_v3")  # the `refined` shipped when this was measured (§16-§35)
    ap.add_argument("--pool", type=int, default=16)
    ap.add_argument("--steps", type=int, nargs="+", default=[1, 5], help="recipe steps after which to measure")
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()

    from imusim.data.dataset import load_split
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.gaussian import GaussianDiffusion
    from imusim.diffusion.selftune import (SHIPPED_LOW_RECIPE, STAY_CHANNELS, _Sampler, handover_pool,
                                           recipe_loss, stay_loss)
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import MotionTextData, TrainConfig
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.humanml import recover_from_ric

    torch.manual_seed(a.seed)
    ck = resolve_checkpoint(a.checkpoint)
    pair, mean, std, enc_name, meta = load_checkpoint(ck)
    clips, m, s = load_split(a.data, "train")
    data = MotionTextData(clips, m, s)
    sp = _Sampler(pair, mean, std, 50, recommended_guidance(meta, ck), recommended_anchor_feet(meta, ck))
    enc = get_text_encoder(enc_name, device="cpu")
    tab = data.caption_embeddings(enc)
    pool = handover_pool(sp, data, tab, a.pool, 120, 40, a.seed, progress=False)
    pair.eval()

    @torch.no_grad()
    def finish():
        x = sp.run(pair.low, pool["x"], pool["emb"], pool["mask"], sp.low_ts)
        f = x * std + mean
        return f[..., :STAY_CHANNELS], recover_from_ric(f, 22)

    f0, p0 = finish()
    mask = pool["mask"]

    def wrist_rms(p):
        acc = (p[:, 2:, 21] - 2 * p[:, 1:-1, 21] + p[:, :-2, 21]).norm(dim=-1) * 20.0 ** 2
        mm = mask[:, 2:].float()
        return float(((acc.square() * mm).sum() / mm.sum()).sqrt())

    rows = [{"recipe_steps": 0, "global_cm2": 0.0, "root_relative_cm2": 0.0, "stay_features_cm2": 0.0,
             "wrist_rms_acc": wrist_rms(p0)}]
    rcfg = replace(TrainConfig(**SHIPPED_LOW_RECIPE), seed=a.seed + 1)
    low = pair.low
    opt = torch.optim.AdamW(low.parameters(), lr=a.lr, weight_decay=0.0)
    diff = GaussianDiffusion(rcfg.diffusion_steps)
    for step in range(max(a.steps)):
        loss = recipe_loss(low, diff, data, rcfg, step, tab, mean, std)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(low.parameters(), 1.0)
        opt.step()
        if step + 1 in a.steps:
            low.eval()
            f, p = finish()
            rows.append({"recipe_steps": step + 1, "global_cm2": float(stay_loss(p.flatten(2), p0.flatten(2), mask)) * 3,
                         "root_relative_cm2": float(stay_loss((p - p[:, :, :1]).flatten(2),
                                                              (p0 - p0[:, :, :1]).flatten(2), mask)) * 3,
                         "stay_features_cm2": float(stay_loss(f, f0, mask)), "wrist_rms_acc": wrist_rms(p)})
            print(rows[-1])
    out = {"checkpoint": str(ck), "pool": a.pool, "lr": a.lr, "seed": a.seed,
           "note": "global / root-relative: squared joint distance in cm², mean over joints and frames; "
                   "stay_features: selftune.stay_loss on the features' first 67 channels",
           "rows": rows}
    from pathlib import Path
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
