"""How much do motions of one activity differ in intensity? The variance of log acc intensity between motions (a
generated motion, a mocap rendering, a real recording or a real subject), pooled and within one prompt
(docs/realism.md §27.3). A synthetic set whose median is right can still miss the p90 when its motions are a mix of
shufflers and striders.

    python scripts/spread_probe.py --set shipped=runs/har/afu1i5hs7_s0,runs/har/afu1i5hs7_s1 --sensor wrist_r \\
        --json docs/realism/edge/spread.json

With ``--sample LABEL=CKPT,GUIDANCE,SAMPLER[,BELOW_T[,LOW_GUIDANCE]]`` (GUIDANCE ``rec``: the checkpoint's recorded
scale; SAMPLER ddim or ddpm; BELOW_T: a two-expert checkpoint's hand-over moved to that step, empty: the recorded one;
LOW_GUIDANCE: the low expert's own scale, GUIDANCE then the high expert's) the same at the motion level, where the
sampler's settings can be varied: N motions per prompt (120 frames, each its own seed; the checkpoint's recorded foot
anchor), decoded with features_to_rotations and forward kinematics, the variance over motions of log RMS |a| of the
right wrist (second differences of joint positions), against the built data set's walk and run clips of the normal
style (their first 120 frames, decoded the same way).

    python scripts/spread_probe.py --data runs/data_anat --sample refined=refined,rec,ddim \\
        --sample refined_g25=refined,2.5,ddim --json docs/realism/spread/sampler.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

WISDM = "../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz"


def group_var(logs: np.ndarray, groups: np.ndarray) -> float:
    """Variance over groups of the groups' mean log intensity."""
    return float(np.var([logs[groups == g].mean() for g in np.unique(groups)]))


def synthetic(stores, sensor: str, activity: str) -> dict:
    from imusim.generate import load
    from imusim.har.realism import window_intensity

    logs, motion, prompt = [], [], []
    for k, p in enumerate(stores):
        st = load(p)
        names = [s["name"] for s in st.meta.get("sensors", [])]
        sel = st.labels == activity
        logs.append(np.log(window_intensity(st.array(sensor=names.index(sensor))[sel][..., :3], True)))
        motion.append((st.window_ids[sel] >> 12) + (k << 40))
        prompt.append(st.prompts[sel])
    logs, motion, prompt = np.concatenate(logs), np.concatenate(motion), np.concatenate(prompt)
    per_prompt = {p: group_var(logs[prompt == p], motion[prompt == p]) for p in sorted(set(prompt.tolist()))}
    return {"windows": int(len(logs)), "motions": int(len(np.unique(motion))),
            "var_between_motions": group_var(logs, motion),
            "var_between_motions_within_prompt": float(np.mean(list(per_prompt.values()))), "per_prompt": per_prompt}


def real() -> dict:
    from imusim.har.realism import load_real, window_intensity

    out = {}
    bm = load_real("basicmotions")  # 10 Hz, gravity removed; one group per 10-s recording
    for act in ("walking", "running", "standing"):
        m = np.asarray(bm.y) == act
        logs = np.log(window_intensity(bm.X[m][..., :3], False))
        out[f"basicmotions {act}"] = {"windows": int(m.sum()), "groups": "recording",
                                      "var_between_groups": group_var(logs, np.asarray(bm.groups)[m])}
    if Path(WISDM).exists():
        d = np.load(WISDM, allow_pickle=True)
        for act in ("walking", "jogging", "standing"):
            m = d["y"] == act
            logs = np.log(np.maximum(window_intensity(d["X"][m][..., :3], True), 1e-6))
            out[f"wisdm {act}"] = {"windows": int(m.sum()), "groups": "subject",
                                   "var_between_groups": group_var(logs, d["subject"][m]),
                                   "var_all_windows": float(np.var(logs))}
    return out


PROMPTS = ["a person walks forward.", "a person walks slowly.", "a person runs forward."]


def log_var(x) -> float:
    return float(np.var(np.log(np.asarray(x))))


def sampled(data: Path, specs, prompts, n: int) -> dict:
    """--sample: per config and prompt the log-variance over N sampled motions of the right wrist's RMS |a|, and the
    same over the data's normal-style walk and run clips (their first FRAMES frames)."""
    import sys
    from types import SimpleNamespace

    import torch
    sys.path.insert(0, str(Path(__file__).parent))
    from gesture_probe import load_net
    from impulsiveness_probe import FRAMES, accel_stats, decode, sample_joints, sampling_entry
    from imusim.diffusion.text import get_text_encoder

    torch.set_num_threads(1)
    out = {"per_prompt": n, "frames": FRAMES, "data": {}, "configs": {}}
    clips = json.loads((data / "meta.json").read_text())["clips"]
    for content in ("walk", "run"):  # the clips the plain prompts were trained on: normal style, not mirrored
        rms = [accel_stats(decode(torch.from_numpy(np.load(data / "features" / f"{c['id']}.npy")).double()[None, :FRAMES]))
               ["wrist"]["rms"][0] for c in clips
               if c["content"] == content and c["style"] == "normal" and not c.get("mirror_of")]
        out["data"][f"{content} (normal style)"] = {"clips": len(rms), "log_var": log_var(rms),
                                                     "median_rms": float(np.median(rms))}
        print("data", content, out["data"][f"{content} (normal style)"], flush=True)
    for spec in specs:
        label, _, rest = spec.partition("=")
        ck, g, sampler, *more = rest.split(",")
        below, low_g = (more + ["", ""])[:2]
        model, mean, std, enc, meta, path = load_net(ck)
        how = sampling_entry(model, meta, path, SimpleNamespace(guidance=None if g == "rec" else float(g),
                                                                below_t=int(below) if below else None), ck)
        if low_g:
            if not hasattr(model, "low_guidance"):
                raise SystemExit(f"--sample {spec}: LOW_GUIDANCE needs a two-expert checkpoint")
            model.low_guidance = float(low_g)
        E = get_text_encoder(enc)
        entry = {"checkpoint": how["path"], "guidance": how["guidance"], "sampler": sampler, "below_t": how["below_t"],
                 "low_guidance": getattr(model, "low_guidance", None), "prompts": {}}
        for p in prompts:
            rms = accel_stats(sample_joints(model, mean, std, E, p, n, FRAMES, how, sampler=sampler))["wrist"]["rms"]
            entry["prompts"][p] = {"log_var": log_var(rms), "median_rms": float(np.median(rms)),
                                   "p10_rms": float(np.percentile(rms, 10)), "p90_rms": float(np.percentile(rms, 90))}
            print(label, p, {k: round(v, 3) for k, v in entry["prompts"][p].items()}, flush=True)
        out["configs"][label] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", action="append", default=[], metavar="NAME=STORE[,STORE]")
    ap.add_argument("--sample", action="append", default=[],
                    metavar="LABEL=CKPT,GUIDANCE,SAMPLER[,BELOW_T[,LOW_GUIDANCE]]",
                    help="sample motions instead of reading stores (see above)")
    ap.add_argument("--data", help="built data set (with --sample)")
    ap.add_argument("--prompt", action="append", default=None, help="prompts for --sample (default: PROMPTS)")
    ap.add_argument("--per-prompt", type=int, default=32)
    ap.add_argument("--sensor", default="wrist_r")
    ap.add_argument("--activity", action="append", default=None, help="default: walking, running")
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    if not a.set and not a.sample:
        ap.error("give --set or --sample")
    if a.sample:
        if not a.data:
            ap.error("--sample needs --data")
        res = sampled(Path(a.data), a.sample, a.prompt or PROMPTS, a.per_prompt)
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(res, indent=1))
        print("wrote", a.json)
        return
    res = {"sensor": a.sensor, "sets": {}, "real": real()}
    for k, v in res["real"].items():
        print(f"{k:>22s}  between {v['groups']}s {v['var_between_groups']:.3f}")
    for spec in a.set:
        name, _, paths = spec.partition("=")
        res["sets"][name] = {act: synthetic(paths.split(","), a.sensor, act) for act in a.activity or ["walking", "running"]}
        for act, v in res["sets"][name].items():
            print(f"{name:>14s} {act:>8s}  between motions {v['var_between_motions']:.3f}  within a prompt "
                  f"{v['var_between_motions_within_prompt']:.3f}")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1))
    print("wrote", a.json)


if __name__ == "__main__":
    main()
