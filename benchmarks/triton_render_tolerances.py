"""How the statistical tolerances of tests/triton/test_triton_render_errors.py were sized: the same checks on
the same workloads, rendered by the CPU kernel (same laws, its own draws; fast) with many seeds. Prints, per
check, the failures and the worst and 95th-percentile deviation as a fraction of the test's tolerance, and
writes them to a JSON.

    OMP_NUM_THREADS=1 python benchmarks/triton_render_tolerances.py --json benchmarks/triton_render_tolerances.json
"""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from scipy import signal, stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from imusim.imu import allan_deviation  # noqa: E402
from imusim.imu.noise import AxisNoise, NoiseModel  # noqa: E402
from imusim.imu.render import render_imu  # noqa: E402
from imusim.kinematics import SMPL22  # noqa: E402
from tests.triton.test_triton_render_errors import all_terms  # noqa: E402

RATE = 50.0


def still(T, B=1):
    L = torch.eye(3).expand(T * B, 22, 3, 3).contiguous()
    return L, torch.tensor([0.0, 0.9, 0.0]).expand(T * B, 3).contiguous()


def single_item(seeds):
    """test_lowpass_flicker_and_gauss_markov_statistics, one item and 2 sensors per seed."""
    T, fc, F, sig, tau = 8192, 10.0, 0.004, 0.3, 0.4
    model = NoiseModel(acc=AxisNoise(noise_density=0.02, bandwidth=fc, filter_order=2),
                       gyro=AxisNoise(bias_instability=F), mag=AxisNoise(bias_gm_std=sig, bias_gm_tau=tau))
    sens = ["thigh_r", "wrist_l"]
    Ls, rs = still(5)
    ideal = render_imu(Ls, rs, SMPL22, start=[0], length=[5], fps=RATE, rate=RATE, sensors=sens, mag_field=True).data[:1]
    L, root = still(T)
    out = {k: [] for k in ("psd_gain", "f3", "flicker_increment_std", "flicker_allan_floor", "gm_std", "gm_corr",
                           "gm_allan")}
    for seed in seeds:
        y = render_imu(L, root, SMPL22, start=[0], length=[T], fps=RATE, rate=RATE, sensors=sens, mag_field=True,
                       noise=model, seeds=[seed])
        e = (y.data - ideal).double().numpy().reshape(1, T - 2, 2, 9)
        a = e[..., :3].transpose(0, 2, 3, 1).reshape(-1, T - 2)
        f, p = signal.welch(a, fs=RATE, nperseg=128, axis=-1)
        psd = p.mean(0)
        r = psd[(f > 1) & (f < 0.45 * RATE)] / psd[(f > 0.5) & (f < 3.0)].mean()
        fb = f[(f > 1) & (f < 0.45 * RATE)]
        gain = 1 / (1 + (np.tan(np.pi * fb / RATE) / np.tan(np.pi * fc / RATE)) ** 4)
        out["psd_gain"].append(float(np.max(np.abs(r - gain) / (3e-3 + 0.2 * gain))))
        i = int(np.argmax(r < 0.5))
        f3 = fb[i - 1] + (r[i - 1] - 0.5) / (r[i - 1] - r[i]) * (fb[i] - fb[i - 1])
        out["f3"].append(abs(f3 / fc - 1) / 0.1)
        gy = e[..., 3:6]
        out["flicker_increment_std"].append(abs(np.diff(gy, axis=1).std() / F - 1) / 0.03)
        _, ad = allan_deviation(gy.transpose(1, 0, 2, 3).reshape(T - 2, -1), RATE, taus=np.array([16, 64, 256]) / RATE)
        out["flicker_allan_floor"].append(float(np.max(np.abs(np.sqrt((ad ** 2).mean(1)) / F - 1)) / 0.2))
        m = e[..., 6:9]
        out["gm_std"].append(abs(m.std() / sig - 1) / 0.12)
        lag = int(tau * RATE)
        out["gm_corr"].append(abs(np.corrcoef(m[:, :-lag].ravel(), m[:, lag:].ravel())[0, 1] - math.exp(-1)) / 0.08)
        gt = np.array([0.1, 0.4, 2.0])
        _, ad = allan_deviation(m.transpose(1, 0, 2, 3).reshape(T - 2, -1), RATE, taus=gt)
        q = tau / gt
        expect = np.sqrt(2 * sig ** 2 * q * (1 - 0.5 * q * (3 - 4 * np.exp(-1 / q) + np.exp(-2 / q))))
        out["gm_allan"].append(float(np.max(np.abs(np.sqrt((ad ** 2).mean(1)) / expect - 1)) / 0.15))
    return out


def every_term(seeds):
    """test_every_term_together_has_the_cpu_kernels_statistics: 2 items against 16."""
    T, rate = 4096, 20.0

    def run(B, s0):
        L, root = still(T, B)
        y = render_imu(L, root, SMPL22, start=np.arange(B) * T, length=[T] * B, fps=rate, rate=rate,
                       sensors=["thigh_r"], mag_field=True, temperature=30.0, noise=all_terms(),
                       seeds=np.arange(B) + s0).data
        e = y.double().numpy().reshape(B, T - 2, 9)
        d = np.diff(e, axis=1).reshape(-1, 9)
        _, ad = allan_deviation(e.transpose(1, 0, 2).reshape(T - 2, -1), rate, taus=[0.5, 5.0])
        return d.std(0), stats.kurtosis(d, axis=0), np.sqrt((ad.reshape(2, B, 9) ** 2).mean(1))

    bd, bk, ba = run(16, 100)
    out = {k: [] for k in ("diff_std", "kurtosis", "allan_0.5s", "allan_5s")}
    for s in seeds:
        d, k, a = run(2, s)
        out["diff_std"].append(float(np.max(np.abs(d / bd - 1)) / 0.06))
        out["kurtosis"].append(float(np.max(np.abs(k - bk)) / 0.3))
        out["allan_0.5s"].append(float(np.max(np.abs(a[0] / ba[0] - 1)) / 0.1))
        out["allan_5s"].append(float(np.max(np.abs(a[1] / ba[1] - 1)) / 0.35))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=150, help="seeds of the single-item checks (every-term: a quarter)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    res = {"single_item": single_item(range(1000, 1000 + a.seeds)),
           "every_term": every_term(range(2000, 2000 + 7 * max(a.seeds // 4, 1), 7))}
    summary = {}
    for grp, checks in res.items():
        for k, v in checks.items():
            v = np.asarray(v)
            summary[f"{grp}.{k}"] = {"seeds": len(v), "failures": int((v > 1).sum()), "worst": round(float(v.max()), 3),
                                     "p95": round(float(np.percentile(v, 95)), 3)}
            print(f"{grp}.{k:24s} seeds {len(v):4d}  failures {int((v > 1).sum()):3d}  worst {v.max():.2f}  "
                  f"p95 {np.percentile(v, 95):.2f}  (fractions of the test's tolerance)")
    if a.json:
        Path(a.json).write_text(json.dumps({"command": " ".join(sys.argv), "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
