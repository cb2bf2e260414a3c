"""How impulsive are generated accelerations? Crest factor (peak over RMS of |a|) and RMS of the wrist and root
accelerations of sampled motions against the training data's clips (docs/realism.md §18).

For each checkpoint: N motions per prompt (120 frames, 20 fps, its recorded sampling unless --guidance is given),
decoded with features_to_rotations and forward kinematics (the path the sensors see); |a| of the right wrist and the
root from second differences of joint positions (m/s²); per motion crest = max |a| / RMS |a|. With --trajectory the
sampler's x0 predictions are recorded at every step and the same figures computed on them (where in the sampling the
impulsiveness is made). The data: the built data set's walk and run clips (not mirrored), normal style and all
styles, first 120 frames, decoded from their features the same way.

    python scripts/impulsiveness_probe.py --data runs/data_anat --checkpoint refined --checkpoint original \\
        --json docs/realism/reference/impulsiveness.json [--trajectory refined]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

WRIST, ROOT, FRAMES, FPS = 21, 0, 120, 20.0
PROMPTS = ["a person walks forward.", "a person walks forward at a normal pace.", "a person walks slowly.",
           "a person runs forward.", "a person jogs forward."]


def accel_stats(P: torch.Tensor) -> dict:
    """P [B, T, 22, 3] joint positions (m) → per motion crest and RMS of |a| at the wrist and the root."""
    a = ((P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * FPS ** 2).norm(dim=-1)  # [B, T-2, 22]
    out = {}
    for name, j in (("wrist", WRIST), ("root", ROOT)):
        x = a[:, :, j]
        rms = x.pow(2).mean(1).sqrt()
        out[name] = {"crest": (x.amax(1) / rms.clamp_min(1e-9)).tolist(), "rms": rms.tolist()}
    return out


def summary(st: dict) -> dict:
    return {k: {q: {"median": float(np.median(v[q])), "p90": float(np.percentile(v[q], 90))} for q in ("crest", "rms")}
            for k, v in st.items()}


def decode(F: torch.Tensor) -> torch.Tensor:
    from imusim.diffusion.convert import features_to_rotations
    from imusim.kinematics import SMPL22
    from imusim.motion.clip import Motion
    local, root = features_to_rotations(F)
    return torch.stack([Motion(SMPL22, local[i], root[i], FPS).joint_positions() for i in range(len(F))])


def data_clips(data: Path) -> dict:
    meta = json.loads((data / "meta.json").read_text())
    groups = {}
    for c in meta["clips"]:
        if c["content"] not in ("walk", "run") or c.get("mirror_of"):
            continue
        F = torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).double()[:FRAMES]
        if len(F) < 40:
            continue
        st = accel_stats(decode(F[None]))
        for key in (f"{c['content']} (all styles)", f"{c['content']} (normal style)") if c["style"] == "normal" \
                else (f"{c['content']} (all styles)",):
            g = groups.setdefault(key, {"wrist": {"crest": [], "rms": []}, "root": {"crest": [], "rms": []}})
            for j in ("wrist", "root"):
                for q in ("crest", "rms"):
                    g[j][q] += st[j][q]
    return {k: {"clips": len(v["wrist"]["crest"]), **summary(v)} for k, v in sorted(groups.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="built data set (imusim data build --facing anatomical)")
    ap.add_argument("--checkpoint", action="append", default=[], help="zoo name or .safetensors (repeatable)")
    ap.add_argument("--label", action="append", default=None, help="a name per --checkpoint (default: the argument)")
    ap.add_argument("--per-prompt", type=int, default=16)
    ap.add_argument("--guidance", type=float, default=None, help="default: each checkpoint's recorded scale")
    ap.add_argument("--trajectory", action="append", default=[], help="checkpoint(s) whose x0 predictions to follow")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.humanml import recover_from_ric
    torch.set_num_threads(1)
    res = {"frames": FRAMES, "fps": FPS, "prompts": PROMPTS, "per_prompt": a.per_prompt, "data": data_clips(Path(a.data)),
           "checkpoints": {}, "trajectory": {}}
    labels = a.label or a.checkpoint
    for name, ck in zip(labels, a.checkpoint):
        path = resolve_checkpoint(ck)
        model, mean, std, enc, meta = load_checkpoint(path)
        g = recommended_guidance(meta, path) if a.guidance is None else a.guidance
        af = recommended_anchor_feet(meta, path)
        E = get_text_encoder(enc)
        rec = {}
        if ck in a.trajectory:
            inner = model.guided

            def guided(x, t, *args, _inner=inner, **kw):
                x0 = _inner(x, t, *args, **kw)
                rec.setdefault(int(t[0]), []).append(x0.detach().clone())
                return x0
            model.guided = guided
        entry = {"path": str(path), "guidance": g, "anchor_feet": af, "prompts": {}}
        for p in PROMPTS:
            n = a.per_prompt
            feats, _ = sample(model, mean, std, E, [p] * n, [FRAMES] * n, steps=50, guidance=g, seeds=list(range(n)),
                              anchor_feet=af)
            entry["prompts"][p] = summary(accel_stats(decode(torch.stack([f[:FRAMES] for f in feats]))))
            print(name, p, entry["prompts"][p]["wrist"], flush=True)
        res["checkpoints"][name] = entry
        if rec:  # every prompt's motions at each step: decoded from the x0 prediction (before the anchor)
            steps = sorted(rec, reverse=True)
            res["trajectory"][name] = {str(t): summary(accel_stats(
                recover_from_ric(torch.cat(rec[t])[:, :FRAMES].double() * std.double() + mean.double(), 22)))
                for t in steps}
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
