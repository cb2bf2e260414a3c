"""Where do the anchored root's spikes come from? One sampled walk of the shipped `refined` (prompt, seed), frame by
frame around its largest root accelerations: which foot joints are on the floor (within 5 cm in both frames), their
horizontal speeds in the sampled (anchored, smoothed) motion, the one the height rule would hold there, the root
velocity and |root acc| (docs/realism.md §18.3). Prints a log.

    python scripts/anchor_spike_probe.py [--prompt "a person walks forward."] [--seed 0] > anchor_spike_probe.log
"""
import argparse

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompt", default="a person walks forward.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=120)
    a = ap.parse_args()
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.humanml import FEET_L, FEET_R, recover_from_ric
    from imusim.motion.quality import CONTACT_HEIGHT
    torch.set_num_threads(1)
    path = resolve_checkpoint("refined_v3")  # the `refined` shipped when this was measured (docs/realism.md §16-§35)
    model, mean, std, enc, meta = load_checkpoint(path)
    g, af = recommended_guidance(meta, path), recommended_anchor_feet(meta, path)
    feats, _ = sample(model, mean, std, get_text_encoder(enc), [a.prompt], [a.frames], steps=50, guidance=g,
                      seeds=[a.seed], anchor_feet=af)
    P = recover_from_ric(feats[0][: a.frames].double(), 22)
    joints = (*FEET_L, *FEET_R)
    h = P[:, list(joints), 1]
    low = (h - h.min()) < CONTACT_HEIGHT
    sp = (P[1:, list(joints)][..., [0, 2]] - P[:-1, list(joints)][..., [0, 2]]).norm(dim=-1) * 20
    root = P[:, 0]
    rv = (root[1:] - root[:-1]) * 20
    ra = ((root[2:] - 2 * root[1:-1] + root[:-2]) * 400).norm(dim=-1)
    print(f"refined ({path}), guidance {g}, anchor_feet {af}, contact {getattr(model, 'anchor_contact', None)}, "
          f"smooth {getattr(model, 'anchor_smooth', None)}; prompt {a.prompt!r}, seed {a.seed}")
    print(f"foot joints {joints} (l_ankle, l_toe, r_ankle, r_toe); |root acc| RMS {float(ra.pow(2).mean().sqrt()):.1f}, "
          f"max {float(ra.max()):.1f} m/s^2")
    np.set_printoptions(precision=2, suppress=True)
    top = sorted(set(int(t) + 1 for t in torch.argsort(ra, descending=True)[:3]))
    frames = sorted({t for c in top for t in range(max(0, c - 3), min(len(sp), c + 3))})
    for i, t in enumerate(frames):
        if i and t != frames[i - 1] + 1:
            print()
        on = (low[t] & low[t + 1]).numpy()
        s = sp[t].numpy()
        held = int(np.argmin(np.where(on, s, np.inf))) if on.any() else -1
        acc = f"{float(ra[t - 1]):5.1f}" if t >= 1 else "    -"
        print(f"t={t:3d} on floor {on.astype(int)} held {held:2d} speeds {s} m/s  root v {rv[t].numpy()} m/s  "
              f"|root acc| {acc}")


if __name__ == "__main__":
    main()
