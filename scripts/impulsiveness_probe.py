"""How impulsive are generated accelerations? Crest factor (peak over RMS of |a|) and RMS of the wrist and root
accelerations of sampled motions against the training data's clips (docs/realism.md §18).

For each checkpoint: N motions per prompt (120 frames, 20 fps, its recorded sampling unless --guidance is given),
decoded with features_to_rotations and forward kinematics (the path the sensors see); |a| of the right wrist and the
root from second differences of joint positions (m/s²); RMS |a| per motion and crest = max |a| / RMS |a| per 2-s
window. With --trajectory the
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

WRIST, ROOT, FRAMES, FPS, WINDOW = 21, 0, 120, 20.0, 38  # WINDOW: acceleration samples (40 frames, 2 s)
PROMPTS = ["a person walks forward.", "a person walks forward at a normal pace.", "a person walks slowly.",
           "a person runs forward.", "a person jogs forward."]


def accel_stats(P: torch.Tensor) -> dict:
    """P [B, T, 22, 3] joint positions (m) → RMS of |a| per motion and crest factor per 2-s window (WINDOW frames,
    non-overlapping; a crest grows with the number of samples, so motions and clips of different lengths are
    compared window by window) at the wrist and the root."""
    a = ((P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * FPS ** 2).norm(dim=-1)  # [B, T-2, 22]
    out = {}
    for name, j in (("wrist", WRIST), ("root", ROOT)):
        x = a[:, :, j]
        rms = x.pow(2).mean(1).sqrt()
        w = x[:, : (x.shape[1] // WINDOW) * WINDOW].reshape(len(x), -1, WINDOW)  # [B, n, WINDOW]
        crest = w.amax(-1) / w.pow(2).mean(-1).sqrt().clamp_min(1e-9)
        out[name] = {"crest": crest.flatten().tolist(), "rms": rms.tolist()}
    return out


def gait_stats(P: torch.Tensor) -> dict:
    """Per motion: mean horizontal root speed (m/s) and foot skating (imusim.motion.quality.foot_skating)."""
    from imusim.motion.quality import foot_skating
    v = (P[:, 1:, ROOT][..., [0, 2]] - P[:, :-1, ROOT][..., [0, 2]]).norm(dim=-1) * FPS
    return {"root_speed": v.mean(1).tolist(), "skating": [foot_skating(p) for p in P]}


def summary(st: dict) -> dict:
    out = {k: {q: {"median": float(np.median(v[q])), "p90": float(np.percentile(v[q], 90))} for q in ("crest", "rms")}
           for k, v in st.items() if k in ("wrist", "root")}
    for k in ("root_speed", "skating"):
        if k in st:
            out[k] = {"median": float(np.median(st[k])), "mean": float(np.mean(st[k]))}
    return out


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
        if len(F) < WINDOW + 2:  # at least one 2-s window
            continue
        st = accel_stats(decode(F[None]))
        for key in (f"{c['content']} (all styles)", f"{c['content']} (normal style)") if c["style"] == "normal" \
                else (f"{c['content']} (all styles)",):
            g = groups.setdefault(key, {"wrist": {"crest": [], "rms": []}, "root": {"crest": [], "rms": []}, "n": 0})
            g["n"] += 1
            for j in ("wrist", "root"):
                for q in ("crest", "rms"):
                    g[j][q] += st[j][q]
    return {k: {"clips": v.pop("n"), "windows": len(v["wrist"]["crest"]), **summary(v)} for k, v in sorted(groups.items())}


def probe_parser(doc: str) -> argparse.ArgumentParser:
    """The arguments the sampling probes share (this one, texture_probe.py): the data set, the checkpoints and their
    labels, motions per prompt, a guidance override, the checkpoints whose x0 predictions to follow, prompts, JSON."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="built data set (imusim data build --facing anatomical)")
    ap.add_argument("--checkpoint", action="append", default=[], help="zoo name or .safetensors (repeatable)")
    ap.add_argument("--label", action="append", default=None, help="a name per --checkpoint (default: the argument)")
    ap.add_argument("--per-prompt", type=int, default=16)
    ap.add_argument("--guidance", type=float, default=None, help="default: each checkpoint's recorded scale")
    ap.add_argument("--trajectory", action="append", default=[], help="checkpoint(s) whose x0 predictions to follow")
    ap.add_argument("--prompt", action="append", default=None, help="prompts (repeatable; default: PROMPTS)")
    ap.add_argument("--below-t", type=int, default=None, metavar="T",
                    help="two-expert checkpoints: sample with the hand-over at step T instead of the recorded one")
    ap.add_argument("--json", required=True)
    return ap


def set_below_t(model, below_t, ck: str) -> None:
    """--below-t: move a two-expert checkpoint's hand-over (``None``: keep the recorded one)."""
    if below_t is None:
        return
    if not hasattr(model, "below_t"):
        raise SystemExit(f"--below-t: {ck} is a single network, not a two-expert checkpoint")
    model.below_t = int(below_t)


def sampling_entry(model, meta: dict, path, a, ck: str) -> dict:
    """How a probe samples checkpoint ``ck`` (loaded as ``model``, ``meta`` from ``path``): its recorded guidance unless
    --guidance, its recorded foot anchor, the hand-over of --below-t (applied to ``model``); the JSON entry the probes
    start from (``prompts`` empty)."""
    from imusim.diffusion.checkpoint import recommended_anchor_feet, recommended_guidance

    set_below_t(model, a.below_t, ck)
    return {"path": str(path), "guidance": recommended_guidance(meta, path) if a.guidance is None else a.guidance,
            "anchor_feet": recommended_anchor_feet(meta, path), "below_t": getattr(model, "below_t", None),
            "prompts": {}}


def sample_joints(model, mean, std, E, prompt: str, n: int, frames: int, entry: dict, sampler: str = "ddim",
                  double: bool = True) -> torch.Tensor:
    """``n`` motions of ``prompt`` sampled as ``entry`` says (:func:`sampling_entry`'s guidance and foot anchor; DDIM
    50 steps, each motion its own seed; DDPM: one seed for the batch), cut to ``frames`` and decoded
    (:func:`decode`, in float64 when ``double``): joint positions ``[n, frames, 22, 3]`` (m)."""
    from imusim.diffusion.train import sample

    kw = {"seeds": list(range(n))} if sampler == "ddim" else {"seed": 0}
    feats, _ = sample(model, mean, std, E, [prompt] * n, [frames] * n, steps=50, guidance=entry["guidance"],
                      sampler=sampler, anchor_feet=entry["anchor_feet"], **kw)
    F = torch.stack([f[:frames] for f in feats])
    return decode(F.double() if double else F)


def main() -> None:
    ap = probe_parser(__doc__)
    ap.add_argument("--anchor-contact", default=None, help="sample every anchored checkpoint with this contact rule "
                                                              "instead of its recorded one (e.g. planted)")
    a = ap.parse_args()
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.motion.humanml import recover_from_ric
    torch.set_num_threads(1)
    prompts = a.prompt or PROMPTS
    res = {"frames": FRAMES, "fps": FPS, "prompts": prompts, "anchor_contact_override": a.anchor_contact,
           "per_prompt": a.per_prompt, "data": data_clips(Path(a.data)), "checkpoints": {}, "trajectory": {}}
    labels = a.label or a.checkpoint
    for name, ck in zip(labels, a.checkpoint):
        path = resolve_checkpoint(ck)
        model, mean, std, enc, meta = load_checkpoint(path)
        g = recommended_guidance(meta, path) if a.guidance is None else a.guidance
        af = recommended_anchor_feet(meta, path)
        E = get_text_encoder(enc)
        set_below_t(model, a.below_t, ck)
        rec = {}
        if ck in a.trajectory:
            inner = model.guided

            def guided(x, t, *args, _inner=inner, **kw):
                x0 = _inner(x, t, *args, **kw)
                rec.setdefault(int(t[0]), []).append(x0.detach().clone())
                return x0
            model.guided = guided
        if a.anchor_contact:
            model.anchor_contact = a.anchor_contact  # what sample() reads (load_checkpoint set the recorded one)
        entry = {"path": str(path), "guidance": g, "anchor_feet": af,
                 "anchor_contact": getattr(model, "anchor_contact", None),
                 "anchor_smooth": getattr(model, "anchor_smooth", None), "prompts": {}}
        for p in prompts:
            P = sample_joints(model, mean, std, E, p, a.per_prompt, FRAMES, entry, double=False)
            entry["prompts"][p] = summary({**accel_stats(P), **gait_stats(P)})
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
