#!/usr/bin/env python
"""Where along the sampler do the generated walkers lose their speed? (issue 14, docs/realism.md §31.)

Two probes of one checkpoint, each reading the root's forward speed (feature channel 2, m/frame, in the root's own
frame; m/s here) of the model's x0 predictions, per activity, over each clip's frames (evaluate-motion's crop):

``--chain``: the test clips' sampling chain with ``evaluate-motion``'s captions, lengths and noise
(:func:`imusim.diffusion.evaluate.generate_for_clips` with its ``observe`` hook): the mean over clips of the speed of
the x0 prediction at every DDIM step. The last step's is the generated motion's (walk_speed_probe.py's figures).
For an exact denoiser the expected x0 prediction is the same at every step (a martingale), so a drift along the chain
is the model's, and the step range where it happens says which part of the model (the high or the low expert,
below_t) loses the speed. With ``--legs`` also the speed the prediction's standing feet imply: its root re-anchored
on the standing foot (``imusim.motion.quality.anchor_root_features`` with the shipped refined's rule, height contact
and 0.7 frames of smoothing), the root speed the sampler's foot anchor would give it at that step.
With ``--wrists`` also the wrists' world acceleration (RMS m/s² over frames and both wrists, gravity-free:
scripts/skating_probe.py's ``wrist_acc``) of each step's prediction decoded to joints, per activity and style
(``walk/normal``: the plain captions' clips; ``walk/other styles``): at which steps the plain walkers' wrists get
their excess (before or after the hand-over to a pair's low expert); with ``--noised --wrists`` the same reading of
each one-step prediction from the noised real clips, i.e. what a real walker's wrists read as at each level (the
target a term on the hand-over's prediction has to meet).
With ``--noised --legs`` the same reading of each one-step prediction and of the clips themselves: does the denoiser
keep the stride of a real walk it is handed noised, or shorten it?

``--noised``: one-step predictions from real clips noised to the levels ``--levels`` (one fixed noise per clip, the
same at every level), with each clip's first caption and the sampler's guidance and foot anchoring, for the test clips
and up to ``--train-clips`` training clips per activity. At the top level the prediction is nearly the model's
conditional mean given the caption alone; at low levels it reads the clip. Printed as the mean over clips of the
prediction's speed and its ratio to the clips' own.

    python scripts/chain_speed_probe.py --data runs/data_anat --checkpoint refined --chain --noised \\
        --json docs/realism/walkers/chain_refined.json
"""
import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from imusim.data.dataset import load_split
from imusim.motion.humanml import recover_from_ric
from imusim.motion.humanml import root_forward_speed as mean_speed
from imusim.motion.quality import anchor_root_features

sys.path.insert(0, str(Path(__file__).resolve().parent))
from skating_probe import style_group, wrist_parts  # noqa: E402  (scripts/ is not a package)

LEVELS = (999, 900, 800, 700, 600, 500, 400, 300, 200, 100, 50, 10)


def on_legs(feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Raw features ``[B, T, 263]`` with the root re-anchored on the standing foot by the shipped refined's rule
    (height contact, 0.7 frames of smoothing; ``mask`` ``[B, T]``): their root speed is the one the legs imply."""
    return anchor_root_features(feats.double(), "height", mask=mask, smooth=0.7)


def wrist_intensity(f: torch.Tensor, n: int) -> float:
    """RMS world acceleration of both wrists (m/s², gravity-free) of raw features ``f`` [T, 263]'s first n frames,
    decoded to joints (scripts/skating_probe.py's ``wrist_acc``)."""
    return wrist_parts(recover_from_ric(f[:n].double()))["wrist_acc"]


def chain(a, acts):
    from imusim.diffusion.evaluate import generate_for_clips

    clips, dmean, dstd = load_split(a.data, "test")
    lengths = [min(len(c["features"]), a.max_frames) for c in clips]
    steps_seen, by = {}, defaultdict(lambda: defaultdict(list))  # by[act][k] = speeds
    legs = defaultdict(lambda: defaultdict(list))
    wrists = defaultdict(lambda: defaultdict(list))  # wrists[style group][k] = wrist intensities
    want_wrists = getattr(a, "wrists", False)

    def observe(jobs, k, step, x0):
        steps_seen[k] = int(step)
        x0 = x0.cpu()
        if a.legs:
            n = torch.tensor([lengths[i] for _, i in jobs])
            anchored = on_legs(x0, torch.arange(x0.shape[1])[None] < n[:, None])
        for b, ((_, i), f) in enumerate(zip(jobs, x0)):
            if clips[i]["activity"] in acts:
                by[clips[i]["activity"]][k].append(mean_speed(f, lengths[i]))
                if a.legs:
                    legs[clips[i]["activity"]][k].append(mean_speed(anchored[b], lengths[i]))
                if want_wrists:
                    wrists[style_group(clips[i])][k].append(wrist_intensity(f, lengths[i]))

    gen, jobs, info = generate_for_clips(a.checkpoint, [c["captions"][0] for c in clips], lengths, dmean, dstd,
                                         guidance=a.guidance, steps=a.steps, anchor_feet=a.anchor_feet,
                                         observe=observe)
    real = defaultdict(list)
    for c, n in zip(clips, lengths):
        if c["activity"] in acts:
            real[c["activity"]].append(mean_speed(torch.as_tensor(c["features"]), n))
    ks = sorted(steps_seen)
    out = {"guidance": info["guidance"], "anchor_feet": info["anchor_feet"], "steps": a.steps,
           "timesteps": [steps_seen[k] for k in ks],
           "speed": {act: {"n": len(real[act]), "real_m_s": float(np.mean(real[act])),
                           "x0_m_s": [float(np.mean(by[act][k])) for k in ks],
                           **({"legs_m_s": [float(np.mean(legs[act][k])) for k in ks]} if a.legs else {})}
                     for act in acts if real[act]}}
    if want_wrists:
        real_w = defaultdict(list)
        for c, n in zip(clips, lengths):
            if c["activity"] in acts:
                real_w[style_group(c)].append(wrist_intensity(torch.as_tensor(c["features"]), n))
        out["wrist"] = {g: {"n": len(real_w[g]), "real_m_s2": float(np.mean(real_w[g])),
                            "x0_m_s2": [float(np.mean(wrists[g][k])) for k in ks]} for g in sorted(real_w)}
    return out


@torch.no_grad()
def noised(a, acts):
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet, recommended_guidance
    from imusim.diffusion.gaussian import GaussianDiffusion
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import predict_x0
    from imusim.diffusion.zoo import resolve_checkpoint

    path = resolve_checkpoint(a.checkpoint)
    model, mean, std, enc_name, meta = load_checkpoint(path, "cpu")
    g = recommended_guidance(meta, path) if a.guidance is None else a.guidance
    af = recommended_anchor_feet(meta, path) if a.anchor_feet is None else a.anchor_feet
    contact, smooth = getattr(model, "anchor_contact", "channels"), getattr(model, "anchor_smooth", 0.0)
    text = get_text_encoder(enc_name, device="cpu")
    diffusion = GaussianDiffusion(model.cfg.schedule_steps)
    out = {"guidance": g, "anchor_feet": af, "levels": list(a.levels), "splits": {}}
    for split in ("test", "train"):
        clips, _, _ = load_split(a.data, split)
        rng = np.random.default_rng(0)
        chosen = []
        for act in acts:
            idx = [j for j, c in enumerate(clips) if c["activity"] == act]
            if split == "train" and len(idx) > a.train_clips:
                idx = sorted(rng.choice(idx, a.train_clips, replace=False).tolist())
            chosen += idx
        if not chosen:
            continue
        lengths = [min(len(clips[j]["features"]), a.max_frames) for j in chosen]
        T = max(lengths)
        x0 = torch.zeros(len(chosen), T, model.cfg.n_feats)
        for b, (j, n) in enumerate(zip(chosen, lengths)):
            x0[b, :n] = (torch.as_tensor(clips[j]["features"][:n]).float() - mean) / std
        mask = torch.arange(T)[None] < torch.tensor(lengths)[:, None]
        eps = torch.stack([torch.randn(T, model.cfg.n_feats, generator=torch.Generator().manual_seed(7_000_003 + j))
                           for j in chosen])
        emb = text.encode([clips[j]["captions"][0] for j in chosen])
        sels = {act: [b for b, j in enumerate(chosen) if clips[j]["activity"] == act] for act in acts}

        def over(f, sel):  # the mean over the clips ``sel`` of their mean forward speed in raw features f [B, T, F]
            return float(np.mean([mean_speed(f[b], lengths[b]) for b in sel])) if sel else 0

        real = x0 * std + mean
        real_legs = on_legs(real, mask) if a.legs else None  # the clips' own legs by the same rule
        res = {act: {"n": len(sel), "real_m_s": over(real, sel), "pred_m_s": [],
                     **({"real_legs_m_s": over(real_legs, sel), "legs_m_s": []} if a.legs else {})}
               for act, sel in sels.items()}
        groups = {}  # --wrists: style group -> the clips (batch rows) in it
        if getattr(a, "wrists", False):
            for b, j in enumerate(chosen):
                groups.setdefault(style_group(clips[j]), []).append(b)
            wr = {grp: {"n": len(sel), "pred_m_s2": [],
                        "real_m_s2": float(np.mean([wrist_intensity(real[b], lengths[b]) for b in sel]))}
                  for grp, sel in sorted(groups.items())}
        for lvl in a.levels:
            preds = []
            for s in range(0, len(chosen), 32):
                sl = slice(s, s + 32)
                t = torch.full((len(chosen[sl]),), int(lvl), dtype=torch.long)
                xt = diffusion.q_sample(x0[sl], t, eps[sl]) * mask[sl, :, None]
                preds.append(predict_x0(model, xt, t, emb[sl], mask[sl], mask[sl], g, af, mean, std, contact, smooth))
            p = torch.cat(preds) * std + mean
            pa = on_legs(p, mask) if a.legs else None
            for act, sel in sels.items():
                res[act]["pred_m_s"].append(over(p, sel))
                if a.legs:
                    res[act]["legs_m_s"].append(over(pa, sel))
            for grp, sel in groups.items():  # (not g: the guidance)
                wr[grp]["pred_m_s2"].append(float(np.mean([wrist_intensity(p[b], lengths[b]) for b in sel])))
        out["splits"][split] = res
        if groups:
            out.setdefault("wrist", {})[split] = wr
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="the data set directory (imusim data build)")
    ap.add_argument("--checkpoint", required=True, help="checkpoint name or path")
    ap.add_argument("--chain", action="store_true", help="probe the test clips' sampling chain")
    ap.add_argument("--noised", action="store_true", help="probe one-step predictions from noised real clips")
    ap.add_argument("--legs", action="store_true",
                    help="also the root speed the standing feet imply (--chain: of each step's prediction; --noised: "
                         "of each prediction and of the clips themselves)")
    ap.add_argument("--wrists", action="store_true",
                    help="also the wrists' world acceleration by style (--chain: of each step's prediction; "
                         "--noised: of each one-step prediction and of the clips themselves)")
    ap.add_argument("--activities", default="walk,run", help="activities (default walk,run)")
    ap.add_argument("--levels", type=lambda s: [int(v) for v in s.split(",")], default=list(LEVELS),
                    help="noise levels of --noised, comma-separated timesteps (default %(default)s)")
    ap.add_argument("--train-clips", type=int, default=72, help="training clips per activity in --noised (default 72)")
    ap.add_argument("--max-frames", type=int, default=120, help="frames per clip, as evaluate-motion (default 120)")
    ap.add_argument("--guidance", type=float, default=None, help="guidance (default: the checkpoint's recorded)")
    ap.add_argument("--anchor-feet", type=int, default=None, help="foot anchoring below this step (default: recorded)")
    ap.add_argument("--steps", type=int, default=50, help="DDIM steps of --chain (default 50, evaluate-motion's)")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args()
    if not (a.chain or a.noised):
        ap.error("give --chain and/or --noised")
    if a.train_clips < 0 or a.max_frames < 1:
        ap.error(f"--train-clips must be >= 0 and --max-frames >= 1, got {a.train_clips}, {a.max_frames}")
    acts = a.activities.split(",")
    out = {"data": a.data, "checkpoint": a.checkpoint, "max_frames": a.max_frames}
    if a.chain:
        out["chain"] = c = chain(a, acts)
        print(f"{a.checkpoint}: mean forward speed (m/s) of the x0 prediction along the sampling chain "
              f"(guidance {c['guidance']}, anchor_feet {c['anchor_feet']}, {a.steps} DDIM steps, test clips)")
        cols = [(act, "x0_m_s", act) for act in c["speed"]]
        if a.legs:
            cols += [(act, "legs_m_s", f"{act} legs") for act in c["speed"]]
        print(f"{'step':>5}{'t':>6}" + "".join(f"{h:>11}" for _, _, h in cols))
        ks = list(range(len(c["timesteps"])))
        rows = ks[::max(1, len(ks) // 10)] + ([ks[-1]] if (len(ks) - 1) % max(1, len(ks) // 10) else [])
        for k in rows:
            print(f"{k:>5}{c['timesteps'][k]:>6}"
                  + "".join(f"{c['speed'][act][key][k]:>11.2f}" for act, key, _ in cols))
        print(f"{'real':>11}" + "".join(f"{c['speed'][act]['real_m_s']:>11.2f}" for act, _, _ in cols))
        if "wrist" in c:
            w = c["wrist"]
            print("the wrists' world acceleration (m/s², RMS) of the x0 prediction, by style")
            print(f"{'step':>5}{'t':>6}" + "".join(f"{g:>19}" for g in w))
            for k in rows:
                print(f"{k:>5}{c['timesteps'][k]:>6}" + "".join(f"{w[g]['x0_m_s2'][k]:>19.2f}" for g in w))
            print(f"{'real':>11}" + "".join(f"{w[g]['real_m_s2']:>19.2f}" for g in w))
    if a.noised:
        out["noised"] = nz = noised(a, acts)
        print(f"{a.checkpoint}: one-step x0 prediction's mean forward speed (m/s) from real clips noised to level t "
              f"(guidance {nz['guidance']}, anchor_feet {nz['anchor_feet']}); ratio to the clips' own")
        for split, res in nz["splits"].items():
            print(f"{split}: " + ", ".join(f"{act} n={r['n']} real {r['real_m_s']:.2f}" for act, r in res.items()))
            if a.legs:
                print("  the clips' legs (re-anchored): " + ", ".join(f"{act} {r['real_legs_m_s']:.2f}"
                                                                  for act, r in res.items()))
            print(f"{'t':>6}" + "".join(f"{act:>9}{'ratio':>7}" for act in res)
                  + ("".join(f"{act + ' legs':>11}{'ratio':>7}" for act in res) if a.legs else ""))
            for q, lvl in enumerate(nz["levels"]):
                print(f"{lvl:>6}" + "".join(f"{r['pred_m_s'][q]:>9.2f}{r['pred_m_s'][q] / r['real_m_s']:>7.2f}"
                                            for r in res.values())
                      + ("".join(f"{r['legs_m_s'][q]:>11.2f}{r['legs_m_s'][q] / r['real_legs_m_s']:>7.2f}"
                                 for r in res.values()) if a.legs else ""))
        for split, wr in nz.get("wrist", {}).items():
            print(f"{split}: the wrists' world acceleration (m/s², RMS) of the one-step prediction by style; "
                  "ratio to the clips' own")
            print(f"{'t':>6}" + "".join(f"{g:>19}{'ratio':>7}" for g in wr))
            for q, lvl in enumerate(nz["levels"]):
                print(f"{lvl:>6}" + "".join(f"{r['pred_m_s2'][q]:>19.2f}{r['pred_m_s2'][q] / r['real_m_s2']:>7.2f}"
                                            for r in wr.values()))
            print(f"{'real':>6}" + "".join(f"{r['real_m_s2']:>19.2f}{'':>7}" for r in wr.values()))
    if a.json:
        json.dump(out, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
