"""``imusim sample PROMPT... --checkpoint refined``: text → motions (features, joints, rotations)."""

import argparse

from ..constants import HUMANML3D_FPS


ANCHOR_FEET_HELP = ("at the sampler's steps t < A, move the root so the standing foot does not slide (removes the "
                    "root trajectory's foot skating; 1: the final motion only, 1000: every step, 0: off; which feet "
                    "stand and how the anchored root is smoothed are the checkpoint's, docs/realism.md §15; default: "
                    "the value the checkpoint records: 300 for the shipped refined, which was trained through the "
                    "anchor, 0 for the others, docs/realism.md §10, §16)")
STOP_T_HELP = ("end the DDIM chain at the x0 prediction of its last step at t >= T instead of the t = 0 step's "
               "(with 50 steps, 1: the x0 predicted at t = 20; 0: the whole chain; default: the value the checkpoint "
               "records: 100 for the shipped refined, 0 for the others; docs/realism.md §36)")


def register(sub):
    p = sub.add_parser("sample", help="generate motions from text with a diffusion checkpoint",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Sample motions for each prompt with the fast DDIM sampler (or DDPM). Writes one "
                                   "motion .npz per sample (SMPL22 local rotations, root, fps, labels: loadable by "
                                   "'imusim synth'), plus features.npy [n, T, 263] and joints.npy [n, T, 22, 3].")
    p.add_argument("prompts", nargs="+", help="text prompts")
    p.add_argument("--checkpoint", default="refined",
                   help="shipped name (original, refined), a .safetensors path, or mdm:DIR (a pretrained MDM)")
    p.add_argument("--clip-weights", metavar="DIR", default=None,
                   help="local CLIP directory for checkpoints with the 'clip' text encoder (MDM's; default "
                        "$IMUSIM_CLIP_WEIGHTS)")
    p.add_argument("--n", type=int, default=1, help="samples per prompt")
    p.add_argument("--seconds", type=float, default=4.0, help="motion length (s, at 20 fps)")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--sampler", choices=["ddim", "ddpm"], default="ddim")
    p.add_argument("--guidance", type=float, default=None,
                   help="classifier-free guidance scale (default: the scale the checkpoint records as validated: 1 for the shipped refined, docs/realism.md §8; 2.5, MDM's, for the others)")
    p.add_argument("--anchor-feet", type=int, default=None, metavar="A",
                   help=ANCHOR_FEET_HELP)
    p.add_argument("--stop-t", type=int, default=None, metavar="T", help=STOP_T_HELP)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--plot", action="store_true", help="also draw each motion as a stick-figure PNG")
    p.set_defaults(func=_run)


def generate_motions(checkpoint, prompts, n, seconds, steps=50, guidance=None, seed=0, sampler="ddim", device=None,
                     progress=True, anchor_feet=None, stop_t=None):
    """List of (prompt, features [T, 263], Motion) for each prompt × n. ``guidance`` and ``anchor_feet`` None: the
    checkpoint's recorded values (:func:`imusim.diffusion.checkpoint.recommended_guidance`,
    :func:`~imusim.diffusion.checkpoint.recommended_anchor_feet`); ``stop_t`` None: the checkpoint's recorded one
    (:func:`~imusim.diffusion.checkpoint.recommended_stop_t`)."""
    import torch

    from ..diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from ..diffusion.convert import features_to_motion
    from ..diffusion.text import get_text_encoder
    from ..diffusion.train import sample
    from ..diffusion.zoo import resolve_checkpoint

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    path = resolve_checkpoint(checkpoint)
    model, mean, std, enc_name, meta = load_checkpoint(path, device)
    guidance = recommended_guidance(meta, path) if guidance is None else guidance
    anchor_feet = recommended_anchor_feet(meta, path) if anchor_feet is None else anchor_feet
    enc = get_text_encoder(enc_name, device=device)
    T = int(round(seconds * 20))
    allp = [pr for pr in prompts for _ in range(n)]
    feats, mask = sample(model, mean, std, enc, allp, [T] * len(allp), steps=steps, guidance=guidance, seed=seed,
                         sampler=sampler, progress=progress, anchor_feet=anchor_feet, stop_t=stop_t)
    out = []
    for i, pr in enumerate(allp):
        f = feats[i, :T].cpu()
        out.append((pr, f, features_to_motion(f, HUMANML3D_FPS, source=f"{checkpoint}: {pr}", labels={"prompt": pr})))
    return out


def _run(a):
    import os
    from pathlib import Path

    import numpy as np

    if a.clip_weights:
        os.environ["IMUSIM_CLIP_WEIGHTS"] = a.clip_weights
    res = generate_motions(a.checkpoint, a.prompts, a.n, a.seconds, a.steps, a.guidance, a.seed, a.sampler, a.device,
                           anchor_feet=a.anchor_feet, stop_t=a.stop_t)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "features.npy", np.stack([f.numpy() for _, f, _ in res]).astype(np.float32))
    joints = []
    for i, (pr, f, m) in enumerate(res):
        m.save_npz(out / f"sample_{i:03d}.npz")
        joints.append(m.joint_positions().numpy())
        if a.plot:
            from ..viz import plot_motion
            plot_motion(m, out / f"sample_{i:03d}.png", title=pr)
    np.save(out / "joints.npy", np.stack(joints).astype(np.float32))
    (out / "prompts.txt").write_text("\n".join(pr for pr, _, _ in res) + "\n")
    print(f"wrote {len(res)} motions to {out}")
    return 0
