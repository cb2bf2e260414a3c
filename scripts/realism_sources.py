"""Which clips (or prompts) make a store's windows intense? Per activity: the per-window acc intensity
RMS(|acc| − g) of one sensor at the store's own rate (gravity included, no resampling), grouped by
source clip (mocap) or prompt (diffusion), and by Bandai Namco style, with band-power fractions; JSON to
stdout or --json, a listing on stderr. ``--rate`` resamples first (anti-aliased, as imusim realism does), so
that the figures compare with a reference at that rate.

    python scripts/realism_sources.py out/realism/mocap_store --sensor wrist_r --rate 20 --json sources.json
"""

import argparse
import json
import re
import sys
from collections import defaultdict

import numpy as np

from imusim.har.realism import BANDS_HZ, acc_psd, band_key, band_powers, window_intensity
from imusim.har.synthetic import from_store


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store")
    p.add_argument("--sensor", default="wrist_r")
    p.add_argument("--top", type=int, default=15, help="groups listed per activity (most intense first)")
    p.add_argument("--rate", type=float, help="resample to this rate first (Hz; default: the store's rate)")
    p.add_argument("--json")
    a = p.parse_args(argv)
    from imusim.generate import load

    st = load(a.store)
    s = from_store(a.store, a.sensor)
    diffusion = str(st.meta.get("source", "")).startswith("diffusion")
    # mocap sources read "clip.bvh[a:b] mirrored x1.03": group by clip; diffusion: by prompt
    keys = st.prompts if diffusion else np.array([re.sub(r"\[.*$", "", x) for x in st.sources])
    rate = s.rate
    X = s.X
    if a.rate and abs(a.rate - s.rate) > 1e-9:
        from imusim.har.real import resample
        X, rate = resample(X, s.rate, a.rate), float(a.rate)
    acc = X[..., :3].astype(np.float64)
    inten = window_intensity(acc, gravity_included=True)
    out = {"store": a.store, "sensor": a.sensor, "store_rate_hz": s.rate, "rate_hz": rate, "grouped_by": "prompt" if diffusion else "clip",
           "intensity": "RMS over samples of (|acc| - g), m/s^2", "activities": {}}
    for act in sorted(set(s.y.tolist())):
        k = s.y == act
        groups = defaultdict(list)
        for i in np.flatnonzero(k):
            groups[keys[i]].append(i)
        rows = []
        for g, idx in groups.items():
            f, P = acc_psd(acc[idx], rate)
            bp = band_powers(f, P.mean(0), rate)
            tot = np.nansum(bp)
            rows.append({"source": str(g), "windows": len(idx), "median_intensity": float(np.median(inten[idx])),
                         "band_fraction": {band_key(*b): (None if np.isnan(v) else float(v / tot))
                                           for b, v in zip(BANDS_HZ, bp)}})
        rows.sort(key=lambda r: -r["median_intensity"])
        out["activities"][act] = {"windows": int(k.sum()), "median_intensity": float(np.median(inten[k])),
                                  "groups": len(rows), "most_intense": rows[:a.top]}
        if not diffusion:  # Bandai Namco names carry the style: dataset-2_walk_active_018.bvh.gz
            styles = defaultdict(list)
            for i in np.flatnonzero(k):
                m = re.search(r"_([a-z]+)_\d+\.bvh", str(keys[i]))
                styles[m.group(1) if m else "?"].append(inten[i])
            out["activities"][act]["by_style"] = {
                st_: {"windows": len(v), "median_intensity": float(np.median(v)), "p90_intensity": float(np.percentile(v, 90))}
                for st_, v in sorted(styles.items(), key=lambda kv: -np.median(kv[1]))}
    text = json.dumps(out, indent=1)
    if a.json:
        open(a.json, "w").write(text)
    else:
        sys.stdout.write(text + "\n")
    for act, v in out["activities"].items():
        print(f"{act}: {v['windows']} windows, median {v['median_intensity']:.2f} m/s^2", file=sys.stderr)
        for st_, w in v.get("by_style", {}).items():
            print(f"  style {st_:>12s}: n={w['windows']:3d} median {w['median_intensity']:6.2f} p90 {w['p90_intensity']:6.2f}",
                  file=sys.stderr)
        for r in v["most_intense"]:
            print(f"  {r['median_intensity']:6.2f}  n={r['windows']:3d}  >10 Hz {100 * (r['band_fraction'].get('10-nyquist') or 0):4.1f} %  "
                  f"{r['source']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
