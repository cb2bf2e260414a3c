"""Do arm gestures survive generation? The wrists of sampled motions against the training clips of the same caption
(docs/realism.md §26).

For each prompt (by default training captions of arm gestures, normal acting style, and the HAR protocol's standing
and badminton prompts): N motions per checkpoint (120 frames, 20 fps, its recorded sampling unless --guidance is
given), decoded with features_to_rotations and forward kinematics (the path the sensors see). Per motion the RMS of
|a| (second differences of joint positions, m/s²) at the left and right wrist and the root, and the more active
wrist's RMS ("arm": a wave with the left hand is still a wave). The reference: every clip of the built data set
whose captions contain the prompt (any split, mirrored copies included), its first 120 frames decoded the same way.
Medians over motions and over clips; ``ratio`` = the checkpoint's arm median over the clips', ``amp_ratio`` the same
for the wrists' amplitude.

With ``--sdedit T1,T2,...`` the network is handed the real clips instead (SDEdit): each prompt's clips (at most 16,
cut to the shortest of them), noised to step T of the 1,000-step schedule and finished from there by the sampler's
DDIM steps below T (50-step schedule, guidance 1, no foot anchor); per T the median over clips and two noise draws of
the finished motion's arm RMS over the clip's (and under "amp" the same for the wrists' amplitude). How much of a motion it is handed does a network keep? A checkpoint
``NAME:low`` / ``NAME:high`` is one expert of a two-expert checkpoint, answering every step.

    python scripts/gesture_probe.py --data runs/data_anat --checkpoint refined --checkpoint original \\
        --json docs/realism/gesture/gesture_probe.json
    python scripts/gesture_probe.py --data runs/data_anat --sdedit 50,100,300 --checkpoint refined:low \\
        --checkpoint refined:high --json docs/realism/gesture/sdedit.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

FRAMES, FPS = 120, 20.0
WRIST_L, WRIST_R, ROOT = 20, 21, 0
PROMPTS = ["a person waves the right hand.", "a person waves both hands.",
           "a person lifts the right arm up.", "the person swings an arm as if slashing with a sword.",
           "a person kicks.", "a person walks forward.", "a person runs forward.",
           "a person stands in place and waves a hand.", "a person plays badminton, swinging a racket.",
           "a person swings an arm overhead as if hitting a shuttlecock."]


def arm_stats(P: torch.Tensor) -> dict:
    """``P`` [B, T, 22, 3] joint positions (m) → per-motion lists: RMS |a| of each wrist, the root and the more
    active wrist ("arm"), m/s²; and "arm_amp", the larger of the two wrists' amplitude about the pelvis (m: the root
    of the summed variances over time of the wrist's position relative to the pelvis), which frame-to-frame jitter
    barely changes: a wave that is kept keeps its amplitude, a jittery wave has a higher RMS |a| but not a larger
    amplitude."""
    a = ((P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * FPS ** 2).norm(dim=-1)  # [B, T-2, 22]
    rms = a.pow(2).mean(1).sqrt()
    rel = P[:, :, [WRIST_L, WRIST_R]] - P[:, :, ROOT:ROOT + 1]  # [B, T, 2, 3]
    amp = rel.var(1, unbiased=False).sum(-1).sqrt()  # [B, 2]
    return {"wrist_l": rms[:, WRIST_L].tolist(), "wrist_r": rms[:, WRIST_R].tolist(), "root": rms[:, ROOT].tolist(),
            "arm": rms[:, [WRIST_L, WRIST_R]].amax(1).tolist(), "arm_amp": amp.amax(1).tolist()}


def medians(st: dict) -> dict:
    return {k: float(np.median(v)) for k, v in st.items()} | {"n": len(st["arm"])}


def caption_clips(data: Path, prompts: list) -> dict:
    """Per prompt, the clips of the built data set whose captions contain it (meta.json read once)."""
    clips = json.loads((data / "meta.json").read_text())["clips"]
    return {p: [c for c in clips if p in c["captions"]] for p in prompts}


def load_net(ck: str):
    """``(network, mean, std, text encoder name, meta, path)`` of ``ck``; ``NAME:low`` / ``NAME:high``: that expert of
    a two-expert checkpoint."""
    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.zoo import resolve_checkpoint

    name, _, part = ck.rpartition(":") if ck.endswith((":low", ":high")) else (ck, "", "")
    path = resolve_checkpoint(name)
    model, mean, std, enc, meta = load_checkpoint(path)
    if part:
        if not hasattr(model, part):
            raise SystemExit(f"{ck}: {name} is a single network, not a two-expert checkpoint")
        model = getattr(model, part)
    return model, mean, std, enc, meta, path


@torch.no_grad()
def sdedit(net, mean, std, E, prompt: str, clips: list, data: Path, steps: list, draws: int = 2) -> dict:
    """The clips of ``prompt`` noised to each step of ``steps`` and finished by ``net``: per step the median over
    clips and draws of the finished arm RMS over the clip's, and under "amp" of the wrists' amplitude (see the
    module docstring)."""
    from imusim.diffusion.gaussian import GaussianDiffusion
    from impulsiveness_probe import decode

    F = [torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).float() for c in clips[:16]]
    L = min(FRAMES, min(len(f) for f in F))
    X = torch.stack([f[:L] for f in F]).repeat(draws, 1, 1)
    clip = arm_stats(decode(X.double()))
    ref, ref_amp = torch.tensor(clip["arm"]), torch.tensor(clip["arm_amp"])
    D = GaussianDiffusion(1000)
    ts = D.ddim_timesteps(50)
    emb = E.encode([prompt] * len(X))
    mask = torch.ones(X.shape[:2], dtype=torch.bool)
    net.eval()
    out = {"clips": len(F), "frames": L, "draws": draws, "clip_arm_median": float(ref.median()),
           "clip_amp_median": float(ref_amp.median()), "amp": {}}
    x0 = (X - mean) / std
    for T in steps:
        x = D.q_sample(x0, torch.full((len(X),), T), torch.randn(x0.shape, generator=torch.Generator().manual_seed(T)))
        sub = [T] + [t for t in ts if t < T]
        for k, i in enumerate(sub):
            p = net.guided(x, torch.full((len(X),), i, dtype=torch.long), emb, mask, 1.0).float()
            x = D.ddim_step(x, p, i, sub[k + 1] if k + 1 < len(sub) else None)
        st = arm_stats(decode((x * std + mean).double()))
        out[str(T)] = float((torch.tensor(st["arm"]) / ref).median())
        out["amp"][str(T)] = float((torch.tensor(st["arm_amp"]) / ref_amp).median())
    return out


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from impulsiveness_probe import decode, probe_parser, sample_joints, sampling_entry

    ap = probe_parser(__doc__)
    ap.add_argument("--sdedit", default=None, metavar="T1,T2",
                    help="hand each network the prompts' real clips noised to these steps instead of sampling")
    a = ap.parse_args()
    from imusim.diffusion.text import get_text_encoder
    torch.set_num_threads(1)
    data, prompts = Path(a.data), a.prompt or PROMPTS
    by_prompt = caption_clips(data, prompts)
    res = {"frames": FRAMES, "fps": FPS, "per_prompt": a.per_prompt, "prompts": prompts, "data": {},
           "checkpoints": {}}
    for p in prompts:
        clips = by_prompt[p]
        if not clips:
            res["data"][p] = None
            continue
        st = {"wrist_l": [], "wrist_r": [], "root": [], "arm": [], "arm_amp": []}
        for c in clips:
            F = torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).double()[:FRAMES]
            for k, v in arm_stats(decode(F[None])).items():
                st[k] += v
        res["data"][p] = medians(st) | {"clips": len(clips), "styles": sorted({c["style"] for c in clips}),
                                        "splits": sorted({c["split"] for c in clips})}
        print("data", p, {k: round(v, 2) for k, v in res["data"][p].items() if k in ("arm", "arm_amp", "root", "n")},
              flush=True)
    for name, ck in zip(a.label or a.checkpoint, a.checkpoint):
        model, mean, std, enc, m, path = load_net(ck)
        if a.sdedit:
            E = get_text_encoder(enc)
            steps = [int(v) for v in a.sdedit.split(",")]
            res["checkpoints"][name] = {"path": str(path), "sdedit": {
                p: sdedit(model, mean, std, E, p, by_prompt[p], data, steps) for p in prompts if by_prompt[p]}}
            for p, v in res["checkpoints"][name]["sdedit"].items():
                print(name, p, {k: round(x, 2) for k, x in v.items() if k.isdigit()},
                      {k: round(x, 2) for k, x in v["amp"].items()}, flush=True)
            continue
        entry = sampling_entry(model, m, path, a, ck)
        E = get_text_encoder(enc)
        for p in prompts:
            s = medians(arm_stats(sample_joints(model, mean, std, E, p, a.per_prompt, FRAMES, entry, double=False)))
            ref = res["data"].get(p)
            s["ratio"] = s["arm"] / ref["arm"] if ref else None
            s["amp_ratio"] = s["arm_amp"] / ref["arm_amp"] if ref else None
            entry["prompts"][p] = s
            print(name, p, {k: (round(v, 2) if v is not None else None) for k, v in s.items()
                            if k in ("arm", "arm_amp", "root", "ratio", "amp_ratio")}, flush=True)
        res["checkpoints"][name] = entry
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
