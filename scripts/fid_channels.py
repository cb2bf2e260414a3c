"""Which feature channels make an FID change, and are they consistent with the motion's joint positions (issue 14,
§29)? The 263-d features carry the motion twice: root + joint positions (``root_*``, ``ric``: what
``features_to_motion`` and so every IMU reads) and rotations, local velocities and foot contacts (``rot6d``,
``local_vel``, ``foot_contact``: what the FID encoder reads too, and what no IMU term constrains).

Generates the test clips through ``--base`` and ``--cand`` exactly as ``imusim evaluate-motion`` does (the same
captions, lengths, noise and FID encoder), then writes (and prints):

* ``fid_swap``: per channel group, the candidate's FID with that group's channels taken from the base's motion of
  the same clip, and the base's with the candidate's;
* ``consistency``: per model (the real test clips too) and activity, per redundant group the RMS (in the data set's
  std units) of the generated channels minus the same channels re-derived from the motion's own joint positions and
  root frame (``imusim.motion.humanml.consistent_features``; the real clips' value is rounding);
* ``level``/``motion``: per model, activity and group, the distance of the channels' mean from the real clips'
  (std units, per channel RMS) and their temporal standard deviation relative to the real clips';
* ``speed``: per model and activity, the root's mean forward and horizontal speed (m/s).

    python scripts/fid_channels.py --data runs/data_anat --base runs/eval/pair_afu1i5hs7/model.safetensors \\
        --cand runs/eval/st_kv3_s0/model.safetensors --json docs/realism/fid/channels_s0.json
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from imusim.constants import HUMANML3D_FPS
from imusim.data.dataset import load_split
from imusim.diffusion.evaluate import (embed_motions, encoder_fingerprint, encoder_for, frechet_distance,
                                       generate_for_clips)
from imusim.motion.humanml import GROUPS, consistent_features


REDUNDANT = ("rot6d", "local_vel", "foot_contact")


def _consistency(f_norm: torch.Tensor, dmean, dstd) -> dict:
    """Per redundant group, the RMS over frames 0..T−2 of (channels − the channels consistent_features re-derives
    from the motion's own positions and root frame) / std."""
    f = (f_norm * dstd + dmean).double()
    d = (consistent_features(f) - f[:-1]) / dstd.double()
    return {g: float(d[:, GROUPS[g]].square().mean().sqrt()) for g in REDUNDANT}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="the data set directory (imusim data build)")
    ap.add_argument("--base", required=True, help="checkpoint the FID change is measured from")
    ap.add_argument("--cand", required=True, help="checkpoint whose FID changed")
    ap.add_argument("--split", default="test")
    ap.add_argument("--max-frames", type=int, default=120, help="as evaluate-motion's --max-frames (default 120)")
    ap.add_argument("--guidance", default="1.0",
                    help="as evaluate-motion's --guidance (default 1), or 'checkpoint': each at the scale it records")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--activities", default="run,walk", help="activities of the level/motion/consistency tables")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args()
    try:
        guidance = None if a.guidance == "checkpoint" else float(a.guidance)
    except ValueError:
        raise SystemExit(f"--guidance must be a number or 'checkpoint', got {a.guidance!r}") from None
    torch.set_grad_enabled(False)
    clips, dmean, dstd = load_split(a.data, a.split)
    gt = [torch.as_tensor(c["features"][: a.max_frames]).float() for c in clips]
    acts = np.array([c["activity"] for c in clips])
    caps = [c["captions"][0] for c in clips]
    lengths = [g.shape[0] for g in gt]
    enc = encoder_for(a.data, dmean, dstd)
    real = [(g - dmean) / dstd for g in gt]
    r_emb = embed_motions(real, enc)
    models = {"real": real}
    names, out_guidance = {}, {}
    for key in ("base", "cand"):
        gen, _, info = generate_for_clips(getattr(a, key), caps, lengths, dmean, dstd, steps=a.steps,
                                          guidance=guidance, seed=a.seed)
        models[key], names[key] = gen, info["name"]
        out_guidance[key] = info["guidance"]
    fid = {k: frechet_distance(embed_motions(models[k], enc), r_emb) for k in ("base", "cand")}
    out = {"base": names["base"], "cand": names["cand"], "fid_encoder": encoder_fingerprint(enc),
           "guidance": out_guidance, "fid": fid,
           "fid_swap": {}, "consistency": {}, "level": {}, "motion": {}, "speed": {}}
    print(f"FID {names['base']} {fid['base']:.1f} -> {names['cand']} {fid['cand']:.1f} (encoder "
          f"{out['fid_encoder']})\n\n| channel group | cand with base's | base with cand's |\n|---|---|---|")
    for g, s in GROUPS.items():
        row = {}
        for key, other in (("cand_with_base", ("cand", "base")), ("base_with_cand", ("base", "cand"))):
            mixed = []
            for x, y in zip(models[other[0]], models[other[1]]):
                x = x.clone()
                x[:, s] = y[:, s]
                mixed.append(x)
            row[key] = frechet_distance(embed_motions(mixed, enc), r_emb)
        out["fid_swap"][g] = row
        print(f"| {g} | {row['cand_with_base']:.1f} | {row['base_with_cand']:.1f} |")
    sel = a.activities.split(",")
    for act in sel:
        m = np.flatnonzero(acts == act)
        if not len(m):
            raise SystemExit(f"--activities: no {a.split} clip of {act!r} (have {sorted(set(acts.tolist()))})")
        ref_cat = torch.cat([models["real"][i] for i in m])
        ref_sd = torch.stack([models["real"][i].std(0) for i in m]).mean(0)
        for key in ("real", "base", "cand"):
            cons = [_consistency(models[key][i], dmean, dstd) for i in m]
            out["consistency"].setdefault(key, {})[act] = {g: float(np.mean([c[g] for c in cons])) for g in REDUNDANT}
            cat = torch.cat([models[key][i] for i in m])
            sd = torch.stack([models[key][i].std(0) for i in m]).mean(0)
            out["level"].setdefault(key, {})[act] = {
                g: float((cat[:, s].mean(0) - ref_cat[:, s].mean(0)).square().mean().sqrt()) for g, s in GROUPS.items()}
            v = [(models[key][i] * dstd + dmean)[:, 1:3] * HUMANML3D_FPS for i in m]
            out["speed"].setdefault(key, {})[act] = {
                "forward_m_s": float(np.mean([x[:, 1].mean() for x in v])),
                "horizontal_m_s": float(np.mean([x.norm(dim=-1).mean() for x in v]))}
            out["motion"].setdefault(key, {})[act] = {
                g: float(sd[s].mean() / ref_sd[s].mean().clamp_min(1e-8)) for g, s in GROUPS.items()}
    for table, what, cols in (("consistency", "RMS of channels minus re-derived, std units", REDUNDANT),
                              ("level", "mean's distance from the real clips', std units", tuple(GROUPS)),
                              ("motion", "temporal std relative to the real clips'", tuple(GROUPS))):
        print(f"\n{table} ({what}):\n\n| model | activity | " + " | ".join(cols) + " |\n" + "|---" * (len(cols) + 2)
              + "|")
        for key in ("real", "base", "cand"):
            for act in sel:
                v = out[table][key][act]
                print(f"| {names.get(key, key)} | {act} | " + " | ".join(f"{v[g]:.3f}" for g in cols) + " |")
    print("\nroot speed (m/s, mean over clips of the clip's mean; forward = along the facing direction):\n")
    for key in ("real", "base", "cand"):
        print(f"  {names.get(key, key)}: " + ", ".join(
            f"{act} forward {v['forward_m_s']:.2f} / horizontal {v['horizontal_m_s']:.2f}"
            for act, v in out["speed"][key].items()))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
