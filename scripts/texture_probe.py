"""How do generated walkers move their wrists, against the training data's walks by acting style? (docs/realism.md §22)

Per motion (the first 120 frames, 20 fps; features decoded with features_to_rotations and forward kinematics, the
path the sensors see): the power of the right wrist's acceleration (second differences, m/s², mean removed) below
3 Hz ("swing": the arm swing at the stride frequency near 1 Hz and its first harmonics) and from 3 to 10 Hz
("texture"), their ratio, the arm swing's forward amplitude relative to the root (peak to peak along the walking
direction, m), the stride frequency (the peak of the left ankle's height spectrum, Hz) and the mean horizontal root
speed (m/s). Medians and 10th/90th percentiles over the data's walk clips of each acting style (not mirrored) and
over N motions per prompt of each checkpoint (its recorded sampling; DDIM 50).

    python scripts/texture_probe.py --data runs/data_anat --checkpoint refined --checkpoint original \\
        --json docs/realism/excess/texture.json [--trajectory refined]

With --trajectory the sampler's x0 predictions of the first prompt (before the foot anchor) are decoded at every
step and summarised alike: where along the sampling the swing and the texture are made. --below-t T samples a
two-expert checkpoint with its hand-over at step T (where the low expert's damping starts).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch

FRAMES, FPS, WRIST, ANKLE = 120, 20.0, 21, 7
STYLES = ["normal", "elderly", "exhausted", "masculine", "feminine", "youthful", "active"]
PROMPTS = ["a person walks forward.", "a person walks forward at a normal pace.", "a person walks.",
           "a person walks energetically.", "a person walks like an elderly person."]


def peak_freq(x: np.ndarray) -> np.ndarray:
    """``x`` [B, T] → the frequency of each row's spectral peak above 0.3 Hz (Hann taper, zero-padded to 1024)."""
    x = x - x.mean(1, keepdims=True)
    X = np.abs(np.fft.rfft(x * np.hanning(x.shape[1]), n=1024, axis=1))
    f = np.fft.rfftfreq(1024, 1 / FPS)
    X[:, f < 0.3] = 0
    return f[X.argmax(1)]


def per_motion(P: torch.Tensor) -> dict:
    """``P`` [B, T, 22, 3] joint positions (m) → per-motion lists (see the module docstring)."""
    P = P.numpy()
    a = (P[:, 2:, WRIST] - 2 * P[:, 1:-1, WRIST] + P[:, :-2, WRIST]) * FPS ** 2
    a = a - a.mean(1, keepdims=True)
    X = np.fft.rfft(a, axis=1)
    f = np.fft.rfftfreq(a.shape[1], 1 / FPS)
    p = (np.abs(X) ** 2).sum(-1) / a.shape[1] ** 2 * 2  # one-sided power per bin, (m/s²)²
    swing, texture = p[:, f < 3].sum(1), p[:, f >= 3].sum(1)
    rel = P[:, :, WRIST] - P[:, :, 0]
    d = P[:, -1, 0] - P[:, 0, 0]
    d[:, 1] = 0
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    fw = (rel * d[:, None]).sum(-1)
    speed = np.linalg.norm(np.diff(P[:, :, 0][:, :, [0, 2]], axis=1), axis=-1).mean(1) * FPS
    return {"swing_power": swing.tolist(), "texture_power": texture.tolist(),
            "texture_over_swing": (texture / np.maximum(swing, 1e-9)).tolist(),
            "swing_amplitude_m": (fw.max(1) - fw.min(1)).tolist(), "stride_hz": peak_freq(P[:, :, ANKLE, 1]).tolist(),
            "root_speed": speed.tolist()}


def walk_clips(data: Path, style: str) -> Optional[torch.Tensor]:
    """The built data set's walk clips of one acting style (not mirrored) that have ``FRAMES`` frames: features
    ``[N, FRAMES, 263]`` (float64), or None when there are none."""
    meta = json.loads((data / "meta.json").read_text())
    F = [torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).double()[:FRAMES]
         for c in meta["clips"] if c["content"] == "walk" and c["style"] == style and not c.get("mirror_of")]
    F = [f for f in F if len(f) == FRAMES]
    return torch.stack(F) if F else None


def summary(d: dict) -> dict:
    return {k: {"median": float(np.median(v)), "p10": float(np.percentile(v, 10)), "p90": float(np.percentile(v, 90))}
            for k, v in d.items()} | {"n": len(next(iter(d.values())))}


def main() -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from impulsiveness_probe import decode, probe_parser, sample_joints, sampling_entry

    a = probe_parser(__doc__).parse_args()
    from imusim.diffusion.checkpoint import load_checkpoint
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.zoo import resolve_checkpoint
    torch.set_num_threads(1)
    data = Path(a.data)
    res = {"frames": FRAMES, "fps": FPS, "per_prompt": a.per_prompt, "data": {}, "checkpoints": {}}
    for st in STYLES:
        F = walk_clips(data, st)
        if F is not None:
            res["data"][st] = summary(per_motion(decode(F)))
            print("data", st, {k: round(v["median"], 2) for k, v in res["data"][st].items() if k != "n"}, flush=True)
    for name, ck in zip(a.label or a.checkpoint, a.checkpoint):
        path = resolve_checkpoint(ck)
        model, mean, std, enc, m = load_checkpoint(path)
        entry = sampling_entry(model, m, path, a, ck)
        E = get_text_encoder(enc)
        rec: dict = {}  # step -> x0 prediction, the first prompt's (the wrapper is removed after it)
        inner = model.guided
        if ck in a.trajectory:
            def guided(x, t, *args, **kw):
                x0 = inner(x, t, *args, **kw)
                rec.setdefault(int(t[0]), x0.detach().clone())
                return x0
            model.guided = guided
        for p in a.prompt or PROMPTS:
            P = sample_joints(model, mean, std, E, p, a.per_prompt, FRAMES, entry)
            model.guided = inner
            entry["prompts"][p] = summary(per_motion(P))
            print(name, p, {k: round(v["median"], 2) for k, v in entry["prompts"][p].items() if k != "n"}, flush=True)
            if rec and "trajectory" not in entry:  # the first prompt's x0 predictions, step by step
                entry["trajectory"] = {"prompt": p, "steps": {}}
                for t in sorted(rec, reverse=True):
                    x0 = rec[t][:, :FRAMES].float() * std + mean
                    entry["trajectory"]["steps"][str(t)] = summary(per_motion(decode(x0.double())))
                    print("  x0 at t =", t, {k: round(v["median"], 2) for k, v in
                                             entry["trajectory"]["steps"][str(t)].items() if k != "n"}, flush=True)
        res["checkpoints"][name] = entry
    Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
