"""Where in frequency and in noise level a model's clean-motion predictions move too much or too little.

For a fixed batch of test clips (runs/data_anat's test split, seeded crops), each checkpoint predicts x0 from the
clip noised to step t; both are rendered to virtual IMUs (wrist_r, thigh_r at 20 fps, as the training terms render
them) and compared per band (0-1, 1-3, 3-6, 6-10 Hz): the mean over clips of log(P_pred + floor²) − log(P_true +
floor²) (negative: the prediction moves less than the clip it denoises) and the mean square (what --lambda-spec
minimises). docs/realism.md §8.

    python scripts/denoiser_band_probe.py --checkpoint refined --checkpoint runs/sp_speclo_s0/model.safetensors \
        --json docs/realism/spec/band_probe.json
"""
import argparse
import json

import torch

from imusim.data.dataset import load_split
from imusim.diffusion.checkpoint import load_checkpoint
from imusim.diffusion.gaussian import GaussianDiffusion
from imusim.diffusion.text import get_text_encoder
from imusim.diffusion.train import MotionTextData, _imu_of_features, masked_band_powers
from imusim.diffusion.zoo import resolve_checkpoint
from imusim.ops.acc_loss import term_mask

SENSORS = ("wrist_r", "thigh_r")
BANDS = ("0-1", "1-3", "3-6", "6-10")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", action="append", required=True, help="zoo name or .safetensors (repeat)")
    p.add_argument("--data", default="runs/data_anat")
    p.add_argument("--clips", type=int, default=48)
    p.add_argument("--steps", default="0,50,200,500,900", help="diffusion steps t to probe")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", required=True)
    a = p.parse_args()
    torch.set_grad_enabled(False)
    clips, mean, std = load_split(a.data, "test")
    data = MotionTextData(clips, mean, std)
    gen = torch.Generator().manual_seed(a.seed)
    idx = torch.randint(0, len(data), (a.clips,), generator=gen).tolist()
    x0, mask, caps = data.batch(idx, gen, 120, 40)
    n = term_mask(mask).sum(1)
    true = _imu_of_features(x0 * std + mean, mask, ",".join(SENSORS), 20.0)
    diff = GaussianDiffusion(1000)
    out = {"clips": a.clips, "seed": a.seed, "sensors": SENSORS, "bands_hz": BANDS, "floors": {"acc": 0.1, "gyro": 0.05},
           "models": {}}
    for ck in a.checkpoint:
        model, _, _, encn, _ = load_checkpoint(resolve_checkpoint(ck))
        emb = get_text_encoder(encn).encode(caps).float()
        rows = {}
        for tt in (int(s) for s in a.steps.split(",")):
            t = torch.full((a.clips,), tt)
            noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(a.seed + 1))
            pred = model(diff.q_sample(x0, t, noise), t, emb, mask, uncond=torch.zeros(a.clips, dtype=torch.bool))
            r = _imu_of_features(pred * std + mean, mask, ",".join(SENSORS), 20.0)
            row = {}
            for key, fl in (("acc", 0.1), ("gyro", 0.05)):
                d = (torch.log(masked_band_powers(getattr(r, key), n, 20.0) + fl ** 2)
                     - torch.log(masked_band_powers(getattr(true, key), n, 20.0) + fl ** 2))  # [B, S, 4]
                row[key] = {s: dict(zip(BANDS, (round(float(v), 3) for v in d.mean(0)[i]))) for i, s in enumerate(SENSORS)}
                row[key + "_mean_square"] = round(float(d.square().mean()), 3)
            rows[str(tt)] = row
            print(ck, tt, row["acc"]["wrist_r"], row["acc_mean_square"], flush=True)
        out["models"][ck] = rows
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
