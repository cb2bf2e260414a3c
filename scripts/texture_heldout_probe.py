"""Does `selftune --lambda-texture` generalise beyond its pool? (docs/realism.md §23.1)

The texture-ratio term (train.texture_ratio_loss) of the motions that each low-noise expert finishes from a fresh
hand-over pool (N training crops drawn with a seed the fine-tunes never used, sampled by the shipped `refined`'s
high-noise expert down to t = 300, as selftune draws its pool), against the crops; the mean over all crops and over
the crops whose caption says "walk".

    python scripts/texture_heldout_probe.py --data runs/data_anat --seed 777 --n 64 \\
        --low shipped=refined_v3 --low st_tx1=runs/st/st_tx1_s0/model.safetensors --json OUT.json
"""
import argparse
import json

import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--seed", type=int, default=777, help="the fresh pool's seed")
    ap.add_argument("--n", type=int, default=64, help="crops in the fresh pool")
    ap.add_argument("--low", action="append", required=True, metavar="NAME=CKPT",
                    help="a two-expert checkpoint whose low-noise expert finishes the pool (repeatable)")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    from imusim.data.dataset import load_split
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.selftune import _Sampler, handover_pool
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import MotionTextData, texture_ratio_loss
    from imusim.diffusion.zoo import resolve_checkpoint

    torch.set_num_threads(1)
    clips, mean, std = load_split(a.data, "train")
    data = MotionTextData(clips, mean, std)
    path = resolve_checkpoint("refined_v3")  # the `refined` shipped when this was measured (docs/realism.md §16-§35)
    pair, _, _, enc, meta = load_checkpoint(path)
    sampler = _Sampler(pair, mean, std, 50, recommended_guidance(meta, path), recommended_anchor_feet(meta, path))
    pool = handover_pool(sampler, data, data.caption_embeddings(get_text_encoder(enc, device="cpu")), a.n, 120, 40,
                         a.seed, progress=False)
    true = (pool["x0"] * std + mean).double()
    walk = torch.tensor(["walk" in c for c in pool["captions"]])
    res = {"seed": a.seed, "n": a.n, "n_walk": int(walk.sum()), "lows": {}}
    for spec in a.low:
        name, _, ck = spec.partition("=")
        low = load_checkpoint(resolve_checkpoint(ck))[0].low.eval()
        with torch.no_grad():
            fin = (sampler.run(low, pool["x"], pool["emb"], pool["mask"], sampler.low_ts) * std + mean).double()
        per = torch.stack([texture_ratio_loss(fin[i:i + 1], true[i:i + 1], pool["mask"][i:i + 1]) for i in range(a.n)])
        res["lows"][name] = {"all": float(per.mean()), "walk": float(per[walk].mean()) if walk.any() else None}
        print(name, res["lows"][name], flush=True)
    with open(a.json, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
