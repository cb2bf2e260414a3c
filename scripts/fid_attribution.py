"""Where an FID change comes from, between two `imusim evaluate-motion` JSONs of the same clips, sampler and FID
encoder (issue 14, §29): the base and the candidate generated each test clip from the same caption, length and
noise, so their per-clip embeddings are paired.

Writes (and prints) for base and candidate: FID and its mean and covariance terms, the FID encoder's activity
accuracy, overall and per activity; per activity the swap attribution (the candidate's FID with that activity's
motions replaced by the base's: how much of the candidate's FID those motions make) and the mean paired embedding
shift; how the encoder's activity of the same clip changed (base → candidate counts); the clips whose own swap gains
most, with their captions.

    python scripts/fid_attribution.py --base docs/realism/fid/motion_eval_afu1i5hs7.json \\
        --cand docs/realism/fid/motion_eval_st_kv3_s0.json --top 12 --json docs/realism/fid/attribution_s0.json
"""
from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np

from imusim.diffusion.evaluate import fid_swap_attribution


def _load(path: str, name: str | None):
    d = json.load(open(path))
    cks = d["checkpoints"]
    c = next((c for c in cks if c["name"] == name), None) if name else (cks[0] if len(cks) == 1 else None)
    if c is None:
        raise SystemExit(f"{path}: checkpoints {[c['name'] for c in cks]}; name one with {path}:NAME")
    if "embedding" not in c["per_clip"]:
        raise SystemExit(f"{path}: no per-clip embeddings (written by evaluate-motion since §29); evaluate again")
    return d, c


def _spec(s: str):
    path, _, name = s.partition(".json:")
    return (path + ".json", name or None) if name else (s, None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", required=True, metavar="JSON[:NAME]", help="the reference evaluation (e.g. shipped)")
    ap.add_argument("--cand", required=True, metavar="JSON[:NAME]", help="the evaluation whose FID changed")
    ap.add_argument("--top", type=int, default=12, help="clips listed by their own swap gain (default 12)")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args()
    (db, cb), (dc, cc) = _load(*_spec(a.base)), _load(*_spec(a.cand))
    for d in (db, dc):
        d.setdefault("fid_features", "generated")  # evaluations before --fid-features read the features as generated
    for k in ("fid_encoder", "fid_features", "data", "split", "max_frames", "sampler", "captions"):
        if db.get(k) != dc.get(k):
            raise SystemExit(f"--base and --cand differ in {k!r}: {db.get(k)!r} vs {dc.get(k)!r}; their clips are "
                             "not paired")
    ref = np.array(db["real"]["per_clip"]["embedding"])
    eb, ec = np.array(cb["per_clip"]["embedding"]), np.array(cc["per_clip"]["embedding"])
    acts = cb["per_clip"]["activity"]
    if cc["per_clip"]["activity"] != acts:
        raise SystemExit("--base and --cand list different activities per clip: not paired")
    caps = db["captions"] * (len(acts) // len(db["captions"]))
    pb, pc = cb["per_clip"]["encoder_activity"], cc["per_clip"]["encoder_activity"]
    out = {"base": cb["name"], "cand": cc["name"], "fid_encoder": db["fid_encoder"],
           "real_encoder_accuracy": db["real"]["encoder_accuracy"]}
    for key, c in (("base_terms", cb), ("cand_terms", cc)):  # as the evaluation computed them
        out[key] = {"fid": c["fid"], "mean": c["fid_mean_term"], "cov": c["fid_cov_term"],
                    "encoder_accuracy": c["encoder_accuracy"]}
    per = fid_swap_attribution(ec, eb, ref, acts)
    for g, v in per.items():
        m = [i for i, x in enumerate(acts) if x == g]
        v["encoder_accuracy_base"] = float(np.mean([pb[i] == g for i in m]))
        v["encoder_accuracy_cand"] = float(np.mean([pc[i] == g for i in m]))
        v["real_encoder_accuracy"] = float(np.mean([db["real"]["per_clip"]["encoder_activity"][i] == g for i in m]))
    out["per_activity"] = dict(sorted(per.items(), key=lambda kv: -kv[1]["swap_gain"]))
    out["encoder_changes"] = {f"{x} -> {y}": n for (x, y), n in Counter(
        (x, y) for x, y in zip(pb, pc) if x != y).most_common()}
    own = fid_swap_attribution(ec, eb, ref, range(len(acts)))  # each clip its own group
    clips = [{"clip": i, "caption": caps[i], "activity": acts[i], "swap_gain": own[i]["swap_gain"],
              "paired_shift": own[i]["paired_shift"], "encoder_base": pb[i], "encoder_cand": pc[i]}
             for i in range(len(acts))]
    clips.sort(key=lambda c: -c["swap_gain"])
    out["top_clips"] = clips[: a.top]
    gains = np.array([c["swap_gain"] for c in clips])
    out["clip_gain_share_top"] = float(gains[: a.top].sum() / max(gains[gains > 0].sum(), 1e-12))

    bt, ct = out["base_terms"], out["cand_terms"]
    print(f"FID {out['base']} {bt['fid']:.1f} (mean term {bt['mean']:.1f}, covariance {bt['cov']:.1f}; encoder "
          f"accuracy {bt['encoder_accuracy']:.3f}) -> {out['cand']} {ct['fid']:.1f} ({ct['mean']:.1f}, "
          f"{ct['cov']:.1f}; {ct['encoder_accuracy']:.3f}); real test clips' encoder accuracy "
          f"{out['real_encoder_accuracy']:.3f}")
    print("\n| activity | n | swap gain | FID swapped | paired shift | encoder accuracy base / cand / real |")
    print("|---|---|---|---|---|---|")
    for g, v in out["per_activity"].items():
        acc = f"{v['encoder_accuracy_base']:.2f} / {v['encoder_accuracy_cand']:.2f} / {v['real_encoder_accuracy']:.2f}"
        print(f"| {g} | {v['n']} | {v['swap_gain']:+.1f} | {v['fid_swapped']:.1f} | {v['paired_shift']:.2f} | {acc} |")
    print("\nencoder activity, base -> cand (same clip):", out["encoder_changes"])
    share = 100 * out["clip_gain_share_top"]
    print(f"\ntop {a.top} clips by their own swap gain ({share:.0f} % of the positive gains):")
    for c in out["top_clips"]:
        print(f"  {c['swap_gain']:+7.1f}  shift {c['paired_shift']:5.2f}  {c['activity']:<10} "
              f"{c['encoder_base']} -> {c['encoder_cand']}  {c['caption']!r}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
