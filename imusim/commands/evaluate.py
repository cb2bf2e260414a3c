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
    p.set_defaults(func=_run)


DEFAULT_BASICMOTIONS_MAP = {"standing": "standing", "walking": "walking", "running": "running",
                            "badminton": "badminton"}


def _run(a):
    from pathlib import Path

    import yaml

    from ..har import evaluate, load_basicmotions, load_csv, load_npz, write_report
    from ..har.synthetic import from_store

    if a.real == "basicmotions":
        real = load_basicmotions()
        label_map = DEFAULT_BASICMOTIONS_MAP
    else:
        rp = Path(a.real)
        real = load_npz(rp) if rp.suffix == ".npz" else load_csv(rp)
        label_map = None
    if a.labels:
        label_map = yaml.safe_load(Path(a.labels).read_text())
    syn = {}
    for spec in a.synthetic:
        if "=" not in spec:
            raise ValueError(f"--synthetic must be NAME=DIR, got {spec!r}")
        name, d = spec.split("=", 1)
        syn[name] = [from_store(x, real.placement, name) for x in d.split(",") if x]
    if a.reference and a.reference not in syn:
        raise ValueError(f"--reference {a.reference!r} must name one of the --synthetic sets {sorted(syn)}")
    ev = evaluate(real, syn, classifiers=tuple(a.classifiers.split(",")), repeats=a.repeats, label_map=label_map,
                  cnn_epochs=a.epochs, reference=a.reference)
    rep = write_report(ev, a.out, a.json)
    for s in ev["summary"]:
        print(f"{s['synthetic']:>20s} {s['classifier']:>4s}  macro-F1 {s['macro_f1']:.3f} ± {s['macro_f1_std']:.3f}  "
              f"acc {s['accuracy']:.3f}")
    print(f"report: {rep}")
    return 0
