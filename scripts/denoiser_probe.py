#!/usr/bin/env python
"""How do the denoiser's x0 predictions move, per diffusion step t?  (issue 14, diagnosis)

For the test split's walking and running clips: noise the ground-truth features to step t
(q_sample, fixed seeds), predict x0 with the checkpoint (conditional, and CFG at --guidance), recover
joint positions and report, per t, the RMS wrist acceleration (m/s², second differences at 20 fps,
both wrists) of the prediction relative to the ground truth's (``ratio``: < 1 = damped, > 1 = jitter)
and the RMS of the acceleration error; ``l_x0`` is the held-out x0 loss (mean squared error of the prediction on the
normalised features, the training loss's L_simple on test clips). One line per (checkpoint, activity, t).

    python scripts/denoiser_probe.py --data runs/data --checkpoint imusim/checkpoints/original.safetensors \
        --json runs/denoiser_probe.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

WRISTS = (20, 21)
TS = (0, 10, 25, 50, 100, 200, 300, 500, 700, 900, 999)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--checkpoint", action="append", required=True)
    ap.add_argument("--guidance", type=float, default=2.5)
    ap.add_argument("--limit", type=int, default=24, help="clips per activity")
    ap.add_argument("--json", required=True)
    a = ap.parse_args(argv)

    from imusim.data.dataset import load_split
    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.gaussian import GaussianDiffusion
    from imusim.diffusion.text import get_text_encoder
    from imusim.motion.humanml import recover_from_ric

    torch.set_grad_enabled(False)
    clips, _, _ = load_split(a.data, "test")
    diff = GaussianDiffusion(1000)
    out = {"config": {"data": a.data, "guidance": a.guidance, "limit": a.limit, "ts": list(TS)}, "rows": []}
    for ck in a.checkpoint:
        model, mean, std, enc_name, _ = load_checkpoint(ck, "cpu")
        model.eval()
        enc = get_text_encoder(enc_name)
        for act in ("walk", "run"):
            cs = [c for c in clips if c["activity"] == act][: a.limit]
            T = min(120, min(len(c["features"]) for c in cs))
            x0 = torch.stack([(torch.as_tensor(c["features"][:T]).float() - mean) / std for c in cs])
            emb = enc.encode([c["captions"][0] for c in cs])
            P0 = recover_from_ric((x0 * std + mean).double(), 22)[:, :, WRISTS]
            a0 = (P0[:, 2:] - 2 * P0[:, 1:-1] + P0[:, :-2]) * 400.0
            rms0 = a0.square().sum(-1).mean().sqrt()
            g = torch.Generator().manual_seed(0)
            noise = torch.randn(x0.shape, generator=g)
            for t in TS:
                tt = torch.full((len(cs),), t, dtype=torch.long)
                xt = diff.q_sample(x0, tt, noise)
                for mode, gs in (("cond", 1.0), ("cfg", a.guidance)):
                    pred = model.guided(xt, tt, emb, None, gs)
                    P = recover_from_ric((pred * std + mean).double(), 22)[:, :, WRISTS]
                    ap_ = (P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * 400.0
                    row = {"checkpoint": ck, "activity": act, "t": t, "mode": mode,
                           "rms_pred": float(ap_.square().sum(-1).mean().sqrt()), "rms_true": float(rms0),
                           "rms_err": float((ap_ - a0).square().sum(-1).mean().sqrt()),
                           "l_x0": float((pred - x0).square().mean())}
                    row["ratio"] = row["rms_pred"] / row["rms_true"]
                    out["rows"].append(row)
                    print(f"{Path(ck).stem:28s} {act:5s} t={t:4d} {mode:4s} ratio {row['ratio']:5.2f} "
                          f"err {row['rms_err']:6.2f} m/s² (true {row['rms_true']:.2f}) l_x0 {row['l_x0']:.3f}", flush=True)
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
