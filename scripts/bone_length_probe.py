"""Do the generated skeletons keep their bones, and what does the sensors' decoding do with the ones that do not?
(docs/realism.md §23.2)

Per motion (the first 120 frames, 20 fps): the length of the arm bones (collar, upper arm, forearm; both sides) from
``recover_from_ric`` (what the network outputs), mean over frames and range within the motion (m), and the right
wrist's swing (< 3 Hz) and texture (3-10 Hz) acceleration power as scripts/texture_probe.py measures them, on three
decodings of the same features: the network's joint positions, those positions with every bone rescaled to the body
model's length (``rescale_positions``, the first step of ``features_to_rotations``), and the sensors' path (IK and
forward kinematics). Medians over the training data's normal-style walk clips and over N motions of "a person walks
forward." per checkpoint (its recorded sampling, DDIM 50, guidance 1).

    python scripts/bone_length_probe.py --data runs/data_anat --checkpoint refined --checkpoint refined_lacc \\
        --checkpoint original --json docs/realism/texture/bones.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

ARM = {"l_collar": 16, "r_collar": 17, "l_upper_arm": 18, "r_upper_arm": 19, "l_forearm": 20, "r_forearm": 21}
PROMPT = "a person walks forward."


def bones(P: np.ndarray, parents) -> dict:
    """``P`` [B, T, 22, 3] → per bone of ARM (named by the joint it ends at): per-motion mean length and range (m)."""
    out = {}
    for name, j in ARM.items():
        L = np.linalg.norm(P[:, :, j] - P[:, :, parents[j]], axis=-1)  # [B, T]
        out[name] = {"mean_m": L.mean(1).tolist(), "range_m": (L.max(1) - L.min(1)).tolist()}
    return out


def describe(F: torch.Tensor) -> dict:
    """Features ``[B, T, 263]`` (float64) → the bone lengths and the wrist spectra of the three decodings (medians).
    Needs the scripts folder on ``sys.path`` (:func:`main` puts it there)."""
    from impulsiveness_probe import decode
    from texture_probe import per_motion
    from imusim.kinematics.ik import rescale_positions
    from imusim.kinematics.presets import SMPL22
    from imusim.motion.humanml import recover_from_ric

    P = recover_from_ric(F, 22)
    med = lambda v: float(np.median(v))  # noqa: E731
    res = {"n": int(F.shape[0]), "bones": {k: {q: med(x) for q, x in v.items()}
                                           for k, v in bones(P.numpy(), SMPL22.parents).items()}, "wrist": {}}
    for name, Q in (("network", P), ("rescaled", rescale_positions(P, SMPL22)), ("sensor_path", decode(F))):
        m = per_motion(Q.double())
        res["wrist"][name] = {k: med(m[k]) for k in ("swing_power", "texture_power", "texture_over_swing",
                                                      "swing_amplitude_m")}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the built data set (imusim data build), for its walk clips")
    ap.add_argument("--checkpoint", action="append", required=True, help="zoo name or .safetensors (repeatable)")
    ap.add_argument("--label", action="append", help="a name per --checkpoint (default: the argument)")
    ap.add_argument("--per-prompt", type=int, default=16, help="motions per checkpoint")
    ap.add_argument("--json", required=True, help="output JSON")
    a = ap.parse_args()
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from texture_probe import FRAMES, walk_clips
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    from imusim.kinematics.presets import SMPL22

    if a.label and len(a.label) != len(a.checkpoint):
        raise SystemExit(f"--label: one per --checkpoint ({len(a.checkpoint)}), got {len(a.label)}")
    torch.set_num_threads(1)
    res = {"frames": FRAMES, "prompt": PROMPT, "per_prompt": a.per_prompt,
           "body_model_m": {k: float(np.linalg.norm(np.asarray(SMPL22.offsets)[j])) for k, j in ARM.items()},
           "data_normal": describe(walk_clips(Path(a.data), "normal")), "checkpoints": {}}
    print("data normal", json.dumps(res["data_normal"]), flush=True)
    for name, ck in zip(a.label or a.checkpoint, a.checkpoint):
        path = resolve_checkpoint(ck)
        model, mean, std, enc, m = load_checkpoint(path)
        n = a.per_prompt
        feats, _ = sample(model, mean, std, get_text_encoder(enc), [PROMPT] * n, [FRAMES] * n, steps=50,
                          guidance=1.0, seeds=list(range(n)), anchor_feet=recommended_anchor_feet(m, path))
        res["checkpoints"][name] = {"path": str(path), **describe(torch.stack([f[:FRAMES] for f in feats]).double())}
        print(name, json.dumps(res["checkpoints"][name]), flush=True)
    Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
