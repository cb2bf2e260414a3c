#!/usr/bin/env python
"""Where does the foot skating of generated motion come from?  (issue 14, docs/realism.md §10)

For the test split's clips (the real motions) and each ``--checkpoint`` sampled from the same captions, lengths and
seeds (DDIM 50 steps), the foot skating ratio (:func:`imusim.motion.quality.foot_skating`: among frame pairs in which
a foot joint stays within 5 cm of the floor, the fraction in which it slides faster than 0.5 m/s):

* ``decoded``: the motion as every consumer sees it (features → recover_from_ric);
* ``root_anchored``: the same motion with its horizontal root trajectory re-anchored on the standing foot
  (:func:`imusim.motion.quality.anchor_root_on_feet`; the pose relative to the root untouched): what is left is
  skating of the legs themselves, the rest was the root trajectory disagreeing with them;
* ``velocity_channels``: the same contact frames (by height), the feet's speed read from the features' own
  velocity channels (193:259) instead of position differences: what the model says about its feet.

Beside them, per clip: the joint acceleration (as decoded and root-anchored), the root's mean horizontal speed
(m/s: does the body travel as far as the real one?) and the RMS of its horizontal acceleration (m/s²: the per-step
surge of the body), both as decoded, and the root speed once more after ``anchor_root_features`` with the
features' own contact channels (on the real clips: whether the root-from-feet rule itself keeps the body's speed), and
the decoded skating split by stance and joint (``stance_*``, :func:`imusim.motion.quality.skating_breakdown`: single or
double stance, in double stance the held joint or the other, ankle or toe) and the toes' gait (``toe_height_p90``: 90th
percentile of the toes' height above the floor, m; ``toe_low_share``: share of toe frames within 5 cm of it;
``toe_speed_p90``: 90th percentile of their horizontal speed, m/s), and where the wrists' acceleration comes from
(:func:`wrist_parts`: the wrists' RMS acceleration, the root's, and the wrists' relative to the root, m/s²; a
checkpoint given as ``CKPT@smooth=S`` is sampled with its anchored root smoothed by S frames instead of its
recorded smoothing: docs/realism.md §32). Per-activity means are in the JSON (``by_activity``), and per activity for
the normal style's clips apart from the other styles' (``by_style``: the normal style's captions name no manner);
NaN-free means over the clips that have such entries.

    python scripts/skating_probe.py --data runs/data_anat --checkpoint refined --checkpoint refined@anchor=1 \\
        --json docs/realism/root/skating_probe.json
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import torch

from imusim.constants import HUMANML3D_FPS as FPS
from imusim.diffusion.checkpoint import ANCHOR_SMOOTH_MAX


def velocity_channel_skating(f: torch.Tensor, P: torch.Tensor) -> float:
    """Skating ratio of features ``f`` [T, 263] with the feet's horizontal speed from the velocity channels
    (193:259) and contact (5 cm of the floor) from the decoded positions ``P`` [T, 22, 3]."""
    from imusim.motion.humanml import LOCAL_VEL
    from imusim.motion.quality import FOOT_JOINTS, floor_contact, skating_fraction
    v = f[:-1, LOCAL_VEL].reshape(-1, 22, 3)[:, list(FOOT_JOINTS)][..., [0, 2]].norm(dim=-1) * FPS  # [T-1, 4]
    return skating_fraction(v, floor_contact(P))


def measures(feats) -> dict:
    from imusim.motion.humanml import recover_from_ric
    from imusim.motion.quality import (CONTACT_HEIGHT, FOOT_JOINTS, anchor_root_features, anchor_root_on_feet,
                                       foot_skating, foot_speeds, joint_acc, skating_breakdown)
    r = {"decoded": [], "root_anchored": [], "velocity_channels": [], "joint_acc": [], "joint_acc_root_anchored": [],
         "root_speed": [], "root_surge": [], "root_speed_channel_anchored": []}
    for f in feats:
        P = recover_from_ric(f)
        for k, v in skating_breakdown(P).items():  # where the decoded skating is (stance, held joint, ankle/toe)
            r.setdefault(f"stance_{k}", []).append(v)
        # the gait: how high and fast the toes (FOOT_JOINTS[2:]) swing
        h = (P[:, list(FOOT_JOINTS[2:]), 1] - P[:, list(FOOT_JOINTS), 1].min()).double()
        r.setdefault("toe_height_p90", []).append(float(h.quantile(0.9)))  # m above the clip's floor
        r.setdefault("toe_low_share", []).append(float((h < CONTACT_HEIGHT).double().mean()))
        sp = foot_speeds(P.double(), FPS)[:, 2:]
        r.setdefault("toe_speed_p90", []).append(float(sp.quantile(0.9)) if len(sp) else float("nan"))  # m/s
        A = anchor_root_on_feet(P)
        r["decoded"].append(foot_skating(P))
        r["root_anchored"].append(foot_skating(A))
        r["velocity_channels"].append(velocity_channel_skating(f, P))
        r["joint_acc"].append(joint_acc(P))
        r["joint_acc_root_anchored"].append(joint_acc(A))
        root = P[:, 0, [0, 2]].double()
        r["root_speed"].append(float((root[1:] - root[:-1]).norm(dim=-1).mean()) * FPS)
        r["root_surge"].append(rms_acc(root))  # the horizontal acceleration's RMS
        ra = recover_from_ric(anchor_root_features(f.double()))[:, 0, [0, 2]]  # the features' own contact channels
        r["root_speed_channel_anchored"].append(float((ra[1:] - ra[:-1]).norm(dim=-1).mean()) * FPS)
        for k, v in wrist_parts(P).items():
            r.setdefault(k, []).append(v)
    return r


def rms_acc(x: torch.Tensor, fps: float = FPS) -> float:
    """RMS over samples of |Δ²x|·fps² (m/s²) of ``x`` [T, ..., D] (NaN for fewer than 3 frames)."""
    if x.shape[0] < 3:
        return float("nan")
    d2 = (x[2:] - 2 * x[1:-1] + x[:-2]) * fps ** 2
    return float(d2.square().sum(-1).mean().sqrt())


def wrist_parts(P: torch.Tensor, fps: float = FPS) -> dict:
    """Where the wrists' acceleration comes from, for ``P`` [T, 22, 3] (y up, m): RMS (m/s², over frames and both
    wrists, joints 20 and 21) of the wrists' world acceleration (``wrist_acc``; gravity-free, as BasicMotions' wrist
    reads it, at the motion's rate), of the root's whole acceleration (``root_acc``, 3-D) and of the wrists relative to
    the root (``wrist_rel_acc``: arm swing and trunk, the body's travel taken off). ``wrist_acc``² = ``root_acc``² +
    ``wrist_rel_acc``² + twice their covariance, so the two parts say whether an excess at the wrist is the body's
    travel or the arms'."""
    P = P.double()
    w, root = P[:, [20, 21]], P[:, :1]
    return {"wrist_acc": rms_acc(w, fps), "root_acc": rms_acc(root, fps), "wrist_rel_acc": rms_acc(w - root, fps)}


def style_group(clip) -> str:
    """``ACT/normal`` for a clip of the normal style (plain captions: "a person walks."), else ``ACT/other styles``
    (the styled ones: "... energetically.")."""
    return f"{clip.get('activity', '')}/{'normal' if clip.get('style') == 'normal' else 'other styles'}"


def sample_clips(ck: str, clips, lengths, guidance: float, seed: int, anchor_feet=None, desc: str = "sample",
                 contact: str = "", ids=None, used=None, smooth=None, low_guidance=None):
    """Features [n_i, 263] (denormalised) sampled by checkpoint ``ck`` from each clip's first caption at its length
    (DDIM 50 on CPU; sample i gets the noise of seed·1000003 + ids[i], as evaluate-motion; ``ids``: the clips'
    indices in the test split, default 0, 1, ...). ``anchor_feet`` None: the checkpoint's recorded anchor (as
    evaluate-motion and generate); ``contact`` "": its recorded rule; ``smooth`` None: its recorded smoothing of the
    anchored root (frames); ``low_guidance``: a two-expert checkpoint's low expert sampled at this guidance scale
    instead of ``guidance`` (ExpertPair.low_guidance; SystemExit for a single network). ``used`` (a dict): filled
    with the anchor, rule, smoothing and low expert's guidance actually sampled with."""
    from tqdm import tqdm
    from imusim.diffusion.checkpoint import load_checkpoint, recommended_anchor_feet
    from imusim.diffusion.text import get_text_encoder
    from imusim.diffusion.train import sample
    from imusim.diffusion.zoo import resolve_checkpoint
    model, mean, std, enc, meta = load_checkpoint(resolve_checkpoint(ck), "cpu")
    if anchor_feet is None:
        anchor_feet = recommended_anchor_feet(meta, ck)
    if contact:  # the anchor's contact rule, instead of the checkpoint's recorded one
        model.anchor_contact = contact
    if smooth is not None:  # likewise its smoothing of the anchored root velocity
        model.anchor_smooth = float(smooth)
    if low_guidance is not None:  # the low expert's own guidance (the high one's is the sampler's)
        if not hasattr(model, "low_guidance"):
            raise SystemExit(f"--checkpoint {ck}@lowg={low_guidance:g}: a single network has no low expert")
        model.low_guidance = float(low_guidance)
    if used is not None:
        used.update(anchor_feet=int(anchor_feet), anchor_contact=getattr(model, "anchor_contact", "channels"),
                    anchor_smooth=float(getattr(model, "anchor_smooth", 0.0)),
                    low_guidance=getattr(model, "low_guidance", None))
    text = get_text_encoder(enc, device="cpu")
    feats = []
    for b in tqdm(range(0, len(clips), 32), desc=desc, unit="batch"):
        idx = range(b, min(b + 32, len(clips)))
        f, _ = sample(model, mean, std, text, [clips[i]["captions"][0] for i in idx], [lengths[i] for i in idx],
                      steps=50, guidance=guidance, seeds=[seed * 1_000_003 + (ids[i] if ids else i) for i in idx],
                      device="cpu", anchor_feet=anchor_feet)
        feats += [f[k, : lengths[i]].float() for k, i in enumerate(idx)]
    return feats


def checkpoint_spec(spec: str, contacts):
    """``CKPT[@anchor=A[:RULE]][@smooth=S][@lowg=G]`` → (checkpoint, anchor_feet or None, contact rule or "",
    smoothing or None, the low expert's guidance or None); SystemExit naming the spec for anything else."""
    ck, *opts = spec.split("@")
    anchor, contact, smooth, lowg = None, "", None, None
    for o in opts:
        k, _, v = o.partition("=")
        try:
            if k == "anchor":
                v, _, contact = v.partition(":")
                anchor = int(v)
                if contact and contact not in contacts:
                    raise ValueError(f"the contact rule after ':' must be one of {list(contacts)}")
            elif k == "smooth":
                smooth = float(v)
                if not 0 <= smooth <= ANCHOR_SMOOTH_MAX:
                    raise ValueError(f"smooth must be in [0, {ANCHOR_SMOOTH_MAX:g}] frames, got {smooth:g}")
            elif k == "lowg":
                lowg = float(v)
                if not 0 <= lowg <= 20:
                    raise ValueError(f"lowg must be a guidance scale in [0, 20], got {lowg:g}")
            else:
                raise ValueError(f"unknown option {k!r} (expected @anchor=A[:RULE], @smooth=S or @lowg=G)")
        except ValueError as e:
            raise SystemExit(f"--checkpoint {spec}: {e}") from None
    return ck, anchor, contact, smooth, lowg


def test_clips(data: str, activity: str = "", max_frames: int = 120, limit: int = 0):
    """The test split's clips to probe: (their indices in the split, the clips, their features [n_i, 263] cropped to
    ``max_frames``), the first ``limit`` (0: all), only those labelled with one of the comma-separated ``activity``
    labels when given (none: SystemExit naming the option). The indices give each clip the noise it has in the full
    probe."""
    from imusim.data.dataset import load_split
    clips, _, _ = load_split(data, "test")
    ids = list(range(len(clips)))[: limit or None]
    if activity:
        keep = set(activity.split(","))
        ids = [i for i in ids if clips[i].get("activity", "") in keep]
        if not ids:
            raise SystemExit(f"--activity {activity}: no test clip has such a label")
    clips = [clips[i] for i in ids]
    return ids, clips, [torch.as_tensor(c["features"][:max_frames]).float() for c in clips]


def summary(r: dict, boot: int = 2000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for k, v in r.items():
        a = np.asarray(v, float)
        a = a[np.isfinite(a)]  # the stance_* fractions of clips without such entries
        if not len(a):
            out[k] = {"mean": float("nan"), "ci95": [float("nan")] * 2}
            continue
        bs = a[rng.integers(0, len(a), (boot, len(a)))].mean(1)
        out[k] = {"mean": float(a.mean()), "ci95": [float(np.quantile(bs, 0.025)), float(np.quantile(bs, 0.975))]}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--data", required=True, help="data set directory (imusim data build) with a test split")
    ap.add_argument("--checkpoint", action="append", default=[],
                    help="checkpoint name or path, optionally @anchor=A: sampled with anchor_feet=A (the root follows "
                         "the standing foot at the steps t < A; imusim.diffusion.train.sample; without it the "
                         "checkpoint's recorded anchor, as evaluate-motion; @anchor=0: none), optionally then "
                         ":union, :height or :channels, the anchor's contact rule (default: the checkpoint's); "
                         "optionally @smooth=S: the anchored root velocity smoothed by a Gaussian of S frames "
                         "(default: the checkpoint's recorded smoothing), optionally @lowg=G: a two-expert "
                         "checkpoint's low expert at guidance G, the high one at --guidance; repeatable")
    ap.add_argument("--limit", type=int, default=0, help="the first N test clips only (0: all)")
    ap.add_argument("--activity", default="", help="comma-separated activity labels: only the test clips of those")
    ap.add_argument("--max-frames", type=int, default=120, help="frames per clip (as evaluate-motion --max-frames)")
    ap.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale")
    ap.add_argument("--seed", type=int, default=0, help="generation seed (sample i gets seed·1000003 + i)")
    ap.add_argument("--json", required=True, help="output JSON (per clip and bootstrap 95 %% intervals of the means)")
    a = ap.parse_args(argv)

    from imusim.motion.quality import ANCHOR_CONTACTS

    ids, clips, gt = test_clips(a.data, a.activity, a.max_frames, a.limit)
    lengths = [g.shape[0] for g in gt]
    res = {"data": a.data, "n_clips": len(clips), "activity": a.activity or "all", "guidance": a.guidance,
           "seed": a.seed, "sampler": "ddim 50",
           "models": {"real": {"per_clip": measures(gt)}}}
    for spec in a.checkpoint:
        ck, anchor, contact, smooth, lowg = checkpoint_spec(spec, ANCHOR_CONTACTS)
        used = {}
        feats = sample_clips(ck, clips, lengths, a.guidance, a.seed, anchor_feet=anchor, desc=f"sample {spec}",
                             contact=contact, ids=ids, used=used, smooth=smooth, low_guidance=lowg)
        res["models"][spec] = {**used, "per_clip": measures(feats)}
    acts = [c.get("activity", "") for c in clips]
    styled = [style_group(c) for c in clips]  # the normal style's clips apart from the styled ones
    res["clips_per_style"] = {g: styled.count(g) for g in sorted(set(styled))}
    for m in res["models"].values():
        m["summary"] = summary(m["per_clip"])
        for key, groups in (("by_activity", acts), ("by_style", styled)):
            m[key] = {g: {k: float(np.nanmean([v[i] for i in range(len(groups)) if groups[i] == g]))
                          for k, v in m["per_clip"].items()} for g in sorted(set(groups))}
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=1)
    for name, m in res["models"].items():
        s = m["summary"]
        print(f"{name:>24}: skating decoded {s['decoded']['mean']:.3f}  root-anchored {s['root_anchored']['mean']:.3f}  "
              f"velocity channels {s['velocity_channels']['mean']:.3f}  joint acc {s['joint_acc']['mean']:.2f} -> "
              f"{s['joint_acc_root_anchored']['mean']:.2f} m/s²  root speed {s['root_speed']['mean']:.2f} m/s  "
              f"surge {s['root_surge']['mean']:.2f} m/s²  wrist {s['wrist_acc']['mean']:.2f} = root "
              f"{s['root_acc']['mean']:.2f} + arms {s['wrist_rel_acc']['mean']:.2f} m/s²")
    return 0


if __name__ == "__main__":
    sys.exit(main())
