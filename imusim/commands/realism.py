"""``imusim realism``: are synthetic IMU windows as intense, and with the same spectra, as a reference?"""

import argparse

EPILOG = """\
examples:
  # generated walking/running at the right wrist vs real smart-watch recordings (20 Hz, gravity included)
  imusim realism --synthetic refined=store_a,store_b mocap=store_mocap \\
      --reference ../shared/data/real/wisdm19_watch_dev/wisdm19_watch_dev.npz --labels map.yaml --out realism/
  # map.yaml (reference label: synthetic activity, or a list of them):
  #   walking: walking
  #   jogging: running
  # vs BasicMotions (10 Hz, gravity removed by the watch: the synthetic windows get it removed too)
  imusim realism --synthetic refined=store_a --reference basicmotions --sensor wrist_r --out realism_bm/
  # vs retargeted mocap rendered exactly like `imusim generate --from-mocap` (several sensors at once)
  imusim realism --synthetic refined=store_a --reference mocap:../shared/data --sensor wrist_r,thigh_r --out r/
  # the same against the 'normal' acting style only (the clips that prompts without a style word were trained
  # on), broken down by prompt: which prompts give too intense or too weak signals
  imusim realism --synthetic refined=store_a --reference mocap:../shared/data --mocap-styles normal \
      --sensor wrist_r --by prompt --out r_normal/

Per activity (and sensor) it reports the per-window acc intensity (gravity included: RMS over samples
of |acc| - g; gravity removed: RMS of |acc|), its median and 90th percentile and their synthetic /
reference ratios (target 0.75-1.33x) with cluster-bootstrap 95 % intervals, the Wasserstein-1
distance of the intensity distributions, |gyro| (when both sides have a gyroscope), |acc|
percentiles 5/50/95, the Welch PSD of the acc vector and its band powers 0-1/1-3/3-6/6-10 Hz (capped
at Nyquist), and window counts. Writes OUT/realism.json, OUT/summary.md and OUT/realism_SENSOR.png.
"""


def register(sub):
    p = sub.add_parser("realism", help="compare synthetic IMU windows with real (or mocap) ones: intensity, spectra, "
                                       "ratios, Wasserstein-1, per activity",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
                       description="Harmonise synthetic generator stores to a reference exactly as 'imusim evaluate' "
                                   "does (units, channels, sensor placement, anti-aliased resampling to the "
                                   "reference rate, window length, gravity convention, label map) and compare their "
                                   "acceleration intensity, angular rate and spectra per activity.")
    p.add_argument("--synthetic", action="extend", nargs="+", required=True, metavar="NAME=STORE[,STORE...]",
                   help="generator store(s) of one method (imusim generate --out); several comma-separated stores "
                        "(e.g. generation seeds) are pooled and also reported one by one")
    p.add_argument("--reference", required=True,
                   help="'basicmotions', a real .npz (imusim.har.real.load_npz) or .yaml (CSV description) file, "
                        "'mocap:DIR' (retargeted mocap under DIR rendered like imusim generate --from-mocap), or "
                        "'store:DIR' (a generator store)")
    p.add_argument("--labels", help="YAML map reference label -> synthetic activity (or a list of them), as in "
                                    "imusim evaluate --labels")
    p.add_argument("--sensor", help="synthetic sensor(s), comma-separated (a real reference takes one; default: the "
                                    "reference's placement, or for mocap/store references the sensors all stores have)")
    p.add_argument("--rate", type=float, help="analysis rate in Hz (real/store reference: resample it down to this "
                                              "rate, default its own; mocap: rendering rate, default the stores')")
    p.add_argument("--reference-per-activity", type=int, default=100,
                   help="mocap reference: motions rendered per activity")
    p.add_argument("--reference-seed", type=int, default=1000003,
                   help="mocap reference: generate --seed (differs from the generator's default 0 so that a mocap "
                        "store is not compared with its own crops)")
    p.add_argument("--by", choices=["prompt", "style", "position"],
                   help="also break each activity down by the windows' prompt, by the acting style of the mocap "
                        "clip they were cut from (mocap stores; diffusion windows read 'generated'), or by their "
                        "place in their motion (first, middle, last; 'only' for a one-window motion): which "
                        "prompts or styles are too intense or too weak, and whether a motion's ends differ")
    p.add_argument("--mocap-styles", metavar="STYLE[,STYLE]",
                   help="mocap:DIR reference: render only clips of these acting styles (as imusim generate "
                        "--mocap-styles; 'normal' matches prompts without a style word)")
    p.add_argument("--bootstrap", type=int, default=500, help="bootstrap replicates for the ratio intervals (0: none)")
    p.add_argument("--out", required=True, help="output directory (summary.md, realism_SENSOR.png, realism.json)")
    p.add_argument("--json", help="results JSON (default OUT/realism.json)")
    p.set_defaults(func=_run)


def parse_synthetic(specs):
    syn = {}
    for spec in specs:
        if "=" not in spec:
            raise ValueError(f"--synthetic must be NAME=STORE[,STORE...], got {spec!r}")
        name, d = spec.split("=", 1)
        paths = [x for x in d.split(",") if x]
        if not name or not paths:
            raise ValueError(f"--synthetic must be NAME=STORE[,STORE...], got {spec!r}")
        if name in syn:
            raise ValueError(f"--synthetic: the name {name!r} is given twice (pass several stores of one method "
                             f"comma-separated)")
        syn[name] = paths
    return syn


def _run(a):
    from pathlib import Path

    import yaml

    from ..har.realism import realism, realism_report

    label_map = None
    if a.labels:
        lp = Path(a.labels)
        if not lp.exists():
            raise FileNotFoundError(f"--labels {lp}: no such file")
        label_map = yaml.safe_load(lp.read_text())
        if not isinstance(label_map, dict) or not label_map:
            raise ValueError(f"--labels {lp}: expected a mapping 'reference label: synthetic activity', got "
                             f"{type(label_map).__name__}")
    if a.reference_per_activity < 1:
        raise ValueError(f"--reference-per-activity must be >= 1, got {a.reference_per_activity}")
    if a.bootstrap < 0:
        raise ValueError(f"--bootstrap must be >= 0, got {a.bootstrap}")
    sensors = [s.strip() for s in a.sensor.split(",") if s.strip()] if a.sensor else None
    res = realism(parse_synthetic(a.synthetic), a.reference, sensors=sensors, label_map=label_map, rate=a.rate,
                  reference_per_activity=a.reference_per_activity, reference_seed=a.reference_seed,
                  bootstrap=a.bootstrap, by=a.by,
                  reference_styles=[x.strip() for x in a.mocap_styles.split(",") if x.strip()] if a.mocap_styles
                  else None)
    files = realism_report(res, a.out, a.json)
    for sensor, r in res["sensors"].items():
        print(f"{sensor} vs {r['reference']['name']} ({r['analysis']['rate_hz']:g} Hz, gravity "
              f"{r['analysis']['gravity']}):")
        for w in r.get("warnings", []):
            print(f"  warning: {w}")
        for act, e in r["per_activity"].items():
            for name, st in e["sets"].items():
                v = st.get("vs_reference") or {}
                f = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
                print(f"  {act:>12s} {name:>14s}  windows {st['windows']:5d}  intensity ratio median "
                      f"{f(v.get('acc_ratio_median'))}x  p90 {f(v.get('acc_ratio_p90'))}x  W1 {f(v.get('acc_w1'))} m/s^2")
                for t in (st.get(f"by_{a.by}") or []) if a.by else []:
                    print(f"  {'':>12s} {'':>14s}    {t['tag'][:60]!r}: windows {t['windows']}, ratio median "
                          f"{f(t['acc_ratio_median'])}x  p90 {f(t['acc_ratio_p90'])}x")
    print(f"report: {files['summary']}  json: {files['json']}")
    return 0
