"""Are the ends of a generated motion more intense than its middle? The wrists' acceleration along the sequence of
sampled motions against the training clips' (docs/realism.md §27).

The protocol's stores showed it window by window: the last 2.56-s window of a generated walker is more intense than
the motion's middle windows (the shipped `refined` 1.21x, `original` 1.81x in median), the rendered mocap's is not
(0.99x). Here per frame: N motions per prompt and length (20 fps, each checkpoint's recorded sampling unless --guidance
is given), decoded with features_to_rotations and forward kinematics (the path the sensors see); |a| (second
differences of joint positions, m/s²) of both wrists, averaged over the two, and of the root. Per motion the mean over
the first and the last second of acceleration samples and over the rest ("middle"); reported: the median over motions
of first/middle and last/middle, the median profile along the sequence, and the same for the training data's walk
and run clips (normal style, not mirrored) cut to their first and to their last LENGTH frames (does a clip start or
end differently from its middle?).

    python scripts/edge_probe.py --data runs/data_anat --checkpoint refined --checkpoint original \\
        --json docs/realism/still/edge_probe.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

FPS = 20.0
WRISTS, ROOT, EDGE = (20, 21), 0, 20  # EDGE: acceleration samples in one second
PROMPTS = ["a person walks forward.", "a person runs forward."]


def profile(P: torch.Tensor) -> dict:
    """``P`` [B, T, 22, 3] joint positions (m) → per motion the wrists' mean |a| (m/s², the two wrists averaged) over
    the first EDGE and the last EDGE acceleration samples and over the rest, their ratios, and the per-sample |a|
    [B, T-2] (for the profile); the root's ratios too."""
    a = ((P[:, 2:] - 2 * P[:, 1:-1] + P[:, :-2]) * FPS ** 2).norm(dim=-1)  # [B, T-2, 22]
    out = {}
    for name, x in (("wrist", a[:, :, list(WRISTS)].mean(-1)), ("root", a[:, :, ROOT])):
        first, last, mid = x[:, :EDGE].mean(1), x[:, -EDGE:].mean(1), x[:, EDGE:-EDGE].mean(1).clamp_min(1e-9)
        out[name] = {"first_over_middle": (first / mid).tolist(), "last_over_middle": (last / mid).tolist(),
                     "middle": mid.tolist(), "per_sample": x}
    return out


def summarise(st: dict) -> dict:
    """Medians over motions of the ratios and of the middle, and the wrists' median profile in 10 segments."""
    out = {}
    for name, v in st.items():
        seg = np.array_split(v["per_sample"].median(0).values.numpy(), 10)
        out[name] = {"first_over_middle": float(np.median(v["first_over_middle"])),
                     "last_over_middle": float(np.median(v["last_over_middle"])),
                     "last_above_middle_share": float(np.mean(np.array(v["last_over_middle"]) > 1)),
                     "middle_median": float(np.median(v["middle"])), "n": len(v["middle"]),
                     "profile_deciles": [float(s.mean()) for s in seg]}
    return out


def merge(parts: list) -> dict:
    out = {}
    for p in parts:
        for name, v in p.items():
            o = out.setdefault(name, {"first_over_middle": [], "last_over_middle": [], "middle": [], "per_sample": []})
            for k in ("first_over_middle", "last_over_middle", "middle"):
                o[k] += v[k]
            o["per_sample"].append(v["per_sample"])
    for o in out.values():
        o["per_sample"] = torch.cat(o["per_sample"])
    return out


def data_edges(data: Path, content: str, length: int) -> dict:
    """The built data set's clips of ``content`` (normal style, not mirrored, at least ``length`` + 2·EDGE frames
    long) cut to their first and to their last ``length`` frames."""
    from impulsiveness_probe import decode
    meta = json.loads((data / "meta.json").read_text())
    heads, tails = [], []
    for c in meta["clips"]:
        if c["content"] != content or c["style"] != "normal" or c.get("mirror_of"):
            continue
        F = torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).double()
        if len(F) < length + 2 * EDGE:
            continue
        heads.append(profile(decode(F[None, :length])))
        tails.append(profile(decode(F[None, -length:])))
    return {"clips": len(heads), "start": summarise(merge(heads)) if heads else None,
            "end": summarise(merge(tails)) if tails else None}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from impulsiveness_probe import probe_parser, sample_joints, sampling_entry

    ap = probe_parser(__doc__)
    ap.add_argument("--length", type=int, action="append", default=None,
                    help="motion length in frames (repeatable; default 120 and 80)")
    a = ap.parse_args()
    from gesture_probe import load_net
    from imusim.diffusion.text import get_text_encoder
    torch.set_num_threads(1)
    data, prompts, lengths = Path(a.data), a.prompt or PROMPTS, a.length or [120, 80]
    res = {"fps": FPS, "edge_samples": EDGE, "per_prompt": a.per_prompt, "prompts": prompts, "lengths": lengths,
           "data": {}, "checkpoints": {}}
    for content in ("walk", "run"):
        for L in lengths:
            res["data"][f"{content} {L}"] = d = data_edges(data, content, L)
            print("data", content, L, d["clips"], {k: {q: round(v[q], 2) for q in ("first_over_middle", "last_over_middle")}
                                                     for k, v in (d["end"] or {}).items()}, "(end)",
                  {k: round(v["first_over_middle"], 2) for k, v in (d["start"] or {}).items()}, "(start)", flush=True)
    for name, ck in zip(a.label or a.checkpoint, a.checkpoint):
        model, mean, std, enc, m, path = load_net(ck)
        entry = sampling_entry(model, m, path, a, ck)
        E = get_text_encoder(enc)
        for p in prompts:
            for L in lengths:
                s = summarise(profile(sample_joints(model, mean, std, E, p, a.per_prompt, L, entry)))
                entry["prompts"][f"{p} {L}"] = s
                print(name, p, L, {k: {q: round(v[q], 2) for q in ("first_over_middle", "last_over_middle",
                                                                     "middle_median")} for k, v in s.items()}, flush=True)
        res["checkpoints"][name] = entry
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
