"""``imusim allan``: Allan deviation of a simulated static sensor with a noise profile, plotted against the
profile's terms."""

import argparse


def register(sub):
    from ..imu.profiles import list_noise_models

    p = sub.add_parser("allan", help="Allan deviation of a static virtual sensor with a noise profile (PNG + JSON)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Render a body at rest for --seconds at --rate with the sensor error model "
                                   "--noise (the fused render kernel; every term: white noise, bias instability, "
                                   "random walk, Gauss-Markov, bandwidth, quantisation, ...), compute the overlapping "
                                   "Allan deviation of the accelerometer and gyroscope (and magnetometer with --mag) "
                                   "and plot it, log-log, beside the profile's terms: white noise (slope -1/2, its "
                                   "density at 1 s), bias instability (the flat floor) and random walk (slope +1/2). "
                                   "Profiles: " + ", ".join(list_noise_models()) + ".")
    p.add_argument("--noise", default="bmi160", help="noise profile name")
    p.add_argument("--seconds", type=float, default=3600.0, help="length of the static recording (s)")
    p.add_argument("--rate", type=float, default=100.0, help="output data rate (Hz)")
    p.add_argument("--repeats", type=int, default=4, help="independent renderings averaged (their own seeds)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first rendering")
    p.add_argument("--mag", action="store_true", help="also the magnetometer")
    p.add_argument("--out", required=True, help="output PNG")
    p.add_argument("--json", help="also write the curves and the fitted terms to this JSON (default: next to --out)")
    p.set_defaults(func=_run)


def _run(a):
    import json
    from pathlib import Path

    from ..imu.allan import plot_allan, static_allan

    res = static_allan(a.noise, a.seconds, a.rate, a.repeats, a.seed, mag=a.mag)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_allan(res, out)
    js = Path(a.json) if a.json else out.with_suffix(".json")
    js.write_text(json.dumps(res, indent=1))
    for kind in ("acc", "gyro", "mag"):
        if kind in res and res[kind]["fit"]:
            f, p = res[kind]["fit"], res[kind]["profile"]
            print(f"{res['model']} {kind} ({res[kind]['unit']}): white {f['noise_density']:.3g} (profile "
                  f"{p['white_with_quantisation']:.3g}), floor {f['flicker_floor']:.3g} ({p['bias_instability']:.3g}), "
                  f"random walk {f['random_walk']:.3g} ({p['bias_rw']:.3g})")
    print(f"wrote {out} and {js}")
    return 0
