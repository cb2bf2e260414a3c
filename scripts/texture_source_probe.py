"""Where is the generated wrists' 3-10 Hz texture made? (docs/realism.md §22.1)

For the shipped `refined` (or --checkpoint): 16 motions each of "a person walks forward." and "... at a normal
pace." (120 frames, 20 fps), the right wrist's acceleration band powers (0-1, 1-3, 3-6, 6-10 Hz; (m/s²)², mean
removed, mean over motions) as sampled with DDIM 20 / 50 / 100 / 250 steps, and at 50 steps with one group of
feature channels smoothed before decoding (Gaussian, sigma 1.5 frames): the root's yaw rate (channel 0), its
horizontal velocity (1:3), the root-relative joint positions (4:67). The data's normal-style walks alike.

    python scripts/texture_source_probe.py --data runs/data_anat --json docs/realism/excess/texture_source.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

FRAMES, FPS = 120, 20.0
BANDS = ((0, 1), (1, 3), (3, 6), (6, 10.01))
PROMPTS = ["a person walks forward.", "a person walks forward at a normal pace."]
GROUPS = {"yaw_rate": slice(0, 1), "root_velocity": slice(1, 3), "root_relative_positions": slice(4, 67)}


def wrist_bands(P: torch.Tensor) -> list:
    P = P.numpy()
    a = (P[:, 2:, 21] - 2 * P[:, 1:-1, 21] + P[:, :-2, 21]) * FPS ** 2
    a = a - a.mean(1, keepdims=True)
    X = np.fft.rfft(a, axis=1)
    f = np.fft.rfftfreq(a.shape[1], 1 / FPS)
    p = (np.abs(X) ** 2).sum(-1) / a.shape[1] ** 2 * 2
    return [float(p[:, (f >= lo) & (f < hi)].sum(1).mean()) for lo, hi in BANDS]


def with_smoothing(F: torch.Tensor, decode) -> dict:
    out = {"as_sampled": wrist_bands(decode(F))}
    for name, sl in GROUPS.items():
        G = F.clone()
        G[:, :, sl] = torch.from_numpy(gaussian_filter1d(F[:, :, sl].numpy(), 1.5, axis=1))
        out[f"{name}_smoothed"] = wrist_bands(decode(G))
    return out


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from impulsiveness_probe import decode
    from texture_probe import walk_clips  # FRAMES there is this probe's too (120)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--checkpoint", default="refined_v3")  # the `refined` shipped when this was measured (§16-§35)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    torch.set_num_threads(1)
    data = Path(a.data)
    res = {"bands_hz": BANDS, "sigma_frames": 1.5, "checkpoint": a.checkpoint,
           "data_walk_normal": with_smoothing(walk_clips(data, "normal"), decode), "prompts": {}}
    path = resolve_checkpoint(a.checkpoint)
    model, mean, std, enc, m = load_checkpoint(path)
    E = get_text_encoder(enc)
    g, af = recommended_guidance(m, path), recommended_anchor_feet(m, path)
    for p in PROMPTS:
        r = {}
        for steps in (20, 50, 100, 250):
            feats, _ = sample(model, mean, std, E, [p] * 16, [FRAMES] * 16, steps=steps, guidance=g,
                              seeds=list(range(16)), anchor_feet=af)
            F = torch.stack([f[:FRAMES] for f in feats]).double()
            if steps == 50:
                r.update(with_smoothing(F, decode))
            r[f"ddim_{steps}"] = wrist_bands(decode(F))
            print(p, steps, r[f"ddim_{steps}"], flush=True)
        res["prompts"][p] = r
    Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
