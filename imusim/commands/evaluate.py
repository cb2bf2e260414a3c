"""``imusim evaluate``: train HAR on synthetic windows, test on real recordings, write a report."""

import argparse


def register(sub):
    p = sub.add_parser("evaluate", help="HAR: train on synthetic IMU windows, test on real recordings, report",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Train a 1D-CNN and a random forest only on each synthetic set and test on all "
                                   "real windows (plus real→real 5-fold CV as the upper bound), repeated over seeds. "
                                   "Writes report.md with t-SNE, confusion matrices, per-class F1 and example "
                                   "signals, and a JSON with a 'results' list.")
    p.add_argument("--real", default="basicmotions", help="'basicmotions' or a .npz / .yaml (CSV) file")
    p.add_argument("--synthetic", action="append", required=True, metavar="NAME=DIR[,DIR...]",
                   help="a generator store (repeatable); several comma-separated stores of one method (e.g. "
                        "generated with different --seed) are used in turn by the repeats")
    p.add_argument("--reference", metavar="NAME",
                   help="report every set's relative macro-F1/accuracy change against this one (e.g. original)")
    p.add_argument("--labels", help="YAML map real label -> synthetic activity (or a list of them)")
    p.add_argument("--out", required=True, help="report directory")
    p.add_argument("--json", help="results JSON (default OUT/results.json)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--classifiers", default="cnn,rf")
    p.add_argument("--epochs", type=int, default=40, help="CNN epochs")
    p.add_argument("--upper-bound", choices=["cv", "skip"], default="cv",
                   help="real→real grouped cross-validation as the upper bound, or skip it (it depends only on the "
                        "real set and dominates the run time on large real sets)")
    p.add_argument("--bound-max-windows", type=int, default=5000,
                   help="compute the upper bound on a class-stratified random subsample of this many real windows "
                        "when the real set is larger (0: all windows)")
    p.add_argument("--bound-cache", default=None, metavar="DIR",
                   help="cache of upper bounds keyed by the real set's content (default: $IMUSIM_CACHE, else "
                        "$XDG_CACHE_HOME/imusim or ~/.cache/imusim)")
    p.add_argument("--no-bound-cache", action="store_true", help="always recompute the upper bound")
    p.set_defaults(func=_run)


DEFAULT_BASICMOTIONS_MAP = {"standing": "standing", "walking": "walking", "running": "running",
                            "badminton": "badminton"}


def _run(a):
    from pathlib import Path

    import yaml

    from ..har import evaluate, load_basicmotions, load_csv, load_npz, write_report
    from ..har.evaluate import default_bound_cache
    from ..har.synthetic import from_store

    if a.real == "basicmotions":
        real = load_basicmotions()
        label_map = DEFAULT_BASICMOTIONS_MAP
    else:
        rp = Path(a.real)
        real = load_npz(rp) if rp.suffix == ".npz" else load_csv(rp)
        label_map = None
    if a.labels:
        lp = Path(a.labels)
        if not lp.is_file():
            raise FileNotFoundError(f"--labels file not found: {lp}")
        try:
            label_map = yaml.safe_load(lp.read_text(errors="replace"))
        except yaml.YAMLError as e:
            raise ValueError(f"{lp}: not valid YAML ({e})") from None
        if not isinstance(label_map, dict) or not all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in label_map.values()):
            raise ValueError(f"{lp}: expected a mapping 'real label: synthetic activity (or a list of them)', "
                             f"got {label_map!r:.200}")
        label_map = {str(k): v for k, v in label_map.items()}
    if a.repeats < 1 or a.epochs < 1 or a.bound_max_windows < 0:
        raise ValueError(f"--repeats and --epochs must be >= 1 and --bound-max-windows >= 0, got {a.repeats}, "
                         f"{a.epochs} and {a.bound_max_windows}")
    cache = None
    if not a.no_bound_cache:
        cache = Path(a.bound_cache) if a.bound_cache else default_bound_cache()
    syn = {}
    for spec in a.synthetic:
        if "=" not in spec:
            raise ValueError(f"--synthetic must be NAME=DIR, got {spec!r}")
        name, d = spec.split("=", 1)
        syn[name] = [from_store(x, real.placement, name) for x in d.split(",") if x]
    if a.reference and a.reference not in syn:
        raise ValueError(f"--reference {a.reference!r} must name one of the --synthetic sets {sorted(syn)}")
    ev = evaluate(real, syn, classifiers=tuple(c for c in a.classifiers.split(",") if c), repeats=a.repeats,
                  label_map=label_map, cnn_epochs=a.epochs, reference=a.reference, upper_bound=a.upper_bound,
                  bound_max_windows=a.bound_max_windows or None, bound_cache=cache)
    rep = write_report(ev, a.out, a.json)
    for s in ev["summary"]:
        print(f"{s['synthetic']:>20s} {s['classifier']:>4s}  macro-F1 {s['macro_f1']:.3f} ± {s['macro_f1_std']:.3f}  "
              f"acc {s['accuracy']:.3f}")
    b = ev["upper_bound"]
    print(f"upper bound: {b['status']}" + (f" ({b['windows']} of {b['of']} real windows)" if b["status"] != "skipped"
                                           else f" ({b.get('reason')})") + (f", cache {b['cache']}" if b.get("cache")
                                                                              else ""))
    print(f"report: {rep}")
    return 0
