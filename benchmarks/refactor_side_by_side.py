"""Two builds side by side (issue 17): the same inputs through the public API of an old checkout and of this
one, each with its own compiled ``_C``; outputs compared bit for bit, kernel times best of N, ratios.

    python benchmarks/refactor_side_by_side.py --old-tree /tmp/old --old-so /tmp/old/build/_C*.so \\
        [--new-so build/.../_C*.so] [--rounds 3] [--json benchmarks/refactor_side_by_side.json]

Each side runs in its own process (the editable-install finder is removed, the tree put first on
``sys.path``, its ``_C`` loaded from the given file), alternately ``--rounds`` times; the outputs of the first
round are compared, the times are the best over all rounds. The gravity constant is fixed to the old one
(9.81 m/s²) on both sides, so that the comparison isolates the code (the new tree reads
``imusim.constants.GRAVITY`` at call time). Cases: FK forward/backward, synthesize_imu forward (matrix and
axis-angle input, float32/float64), its fused backward, the resampling path (sensor poses + Python), and
render_imu (frame pool, resampling, mirrored mounts, BMI160 error model, magnetometer, per-item temperature,
orientations, drawn errors) in float32 and float64; L_acc forward/backward (its kernels are untouched: a
control). Timing only: the generator's IMU stage as ``imusim bench generate`` runs it (1,024 motions of 10 s at
20 and 50 fps, BMI160 model and augmentation, windows, HDF5 shards), seconds per 1,000 windows.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r'''
import sys, time, pickle
tree, so, out, G, here = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
sys.path.insert(0, here)
from _two_builds import use_build
imusim = use_build(tree, so)
import numpy as np, torch
torch.set_num_threads(1)
import imusim.imu.profiles  # datasheet units (1 g = 9.80665 m/s² on both sides) are fixed at import
try:
    import imusim.constants as C
    C.GRAVITY = G
except ImportError:
    pass
from imusim import forward_kinematics, synthesize_imu
from imusim.imu.render import Mounts, mirror_mounts, render_imu
from imusim.imu.sensors import sensors_from_names
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix

res, times = {}, {}
def timed(name, fn, reps=5):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter(); r = fn(); best = min(best, time.perf_counter() - t0)
    times[name] = best
    return r

def motion(B, T, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T, dtype=torch.float64)[None, :, None, None] / 20.0
    aa = 0.6 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64) * torch.sin(
        2 * torch.pi * (0.3 + 2 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64)) * t)
    root = torch.cumsum(0.05 * torch.randn(B, T, 3, generator=g, dtype=torch.float64), 1)
    return aa.to(dtype), root.to(dtype)

SENS = "wrist_r,wrist_l,thigh_r,thigh_l,pelvis,head"
for dt in (torch.float32, torch.float64):
    tag = str(dt).split(".")[1]
    aa, root = motion(4, 400, dt, 1)
    L = axis_angle_to_matrix(aa)
    G_, P_ = timed(f"fk_fwd_{tag}", lambda: forward_kinematics(L, root, SMPL22, backend="cpp"))
    res[f"fk_G_{tag}"], res[f"fk_P_{tag}"] = G_.numpy(), P_.numpy()
    Lg = L.clone().requires_grad_(); rg = root.clone().requires_grad_()
    G2, P2 = forward_kinematics(Lg, rg, SMPL22, backend="cpp")
    w1 = torch.randn(G2.shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64).to(dt)
    w2 = torch.randn(P2.shape, generator=torch.Generator().manual_seed(6), dtype=torch.float64).to(dt)
    gL, gr = timed(f"fk_bwd_{tag}", lambda: torch.autograd.grad((G2 * w1).sum() + (P2 * w2).sum(), [Lg, rg], retain_graph=True))
    res[f"fk_gL_{tag}"], res[f"fk_gr_{tag}"] = gL.numpy(), gr.numpy()
    for fmt, x in (("matrix", L), ("axis_angle", aa)):
        r = timed(f"imu_fwd_{fmt}_{tag}", lambda: synthesize_imu(x, root, SMPL22, SENS, 20.0, rot_format=fmt, backend="cpp"))
        res[f"imu_acc_{fmt}_{tag}"], res[f"imu_gyro_{fmt}_{tag}"], res[f"imu_ori_{fmt}_{tag}"] = (
            r.acc.numpy(), r.gyro.numpy(), r.orientation.numpy())
        xg = x.clone().requires_grad_(); rg = root.clone().requires_grad_()
        r = synthesize_imu(xg, rg, SMPL22, SENS, 20.0, rot_format=fmt, backend="cpp")
        wa = torch.randn(r.acc.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64).to(dt)
        wg = torch.randn(r.gyro.shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64).to(dt)
        loss = (r.acc * wa).sum() + (r.gyro * wg).sum()
        gx, gr = timed(f"imu_bwd_{fmt}_{tag}", lambda: torch.autograd.grad(loss, [xg, rg], retain_graph=True))
        res[f"imu_gx_{fmt}_{tag}"], res[f"imu_gr_{fmt}_{tag}"] = gx.numpy(), gr.numpy()
    r = timed(f"imu_resample_{tag}", lambda: synthesize_imu(L, root, SMPL22, SENS, 20.0, rate=50.0, backend="cpp"))
    res[f"imu_rs_acc_{tag}"], res[f"imu_rs_gyro_{tag}"] = r.acc.numpy(), r.gyro.numpy()
    # render_imu: a frame pool of 64 motions of different lengths, rates, mounts (mirrored half), noise
    B = 64
    aa2, root2 = motion(B, 240, dt, 2)
    lens = np.array([60 + (37 * b) % 180 for b in range(B)])
    fps = np.array([20.0, 50.0, 30.0, 24.0] * (B // 4))
    starts = np.arange(B) * 240
    pool_aa = aa2.reshape(B * 240, 22, 3).contiguous()
    pool_L = axis_angle_to_matrix(pool_aa).contiguous()
    pool_r = root2.reshape(B * 240, 3).contiguous()
    base = Mounts.from_sensors(sensors_from_names("wrist_r,thigh_l,head"), SMPL22, B)
    m = mirror_mounts(base, np.arange(B) % 2 == 1, SMPL22)
    temps = np.linspace(10.0, 40.0, B)  # per item
    for fmt, pool in (("matrix", pool_L), ("axis_angle", pool_aa)):
        kw = dict(start=starts, length=lens, fps=fps, rate=50.0, sensors=m, noise="bmi160", seeds=np.arange(B) * 7919 + 3,
                  rot_format=fmt, backend="cpp")
        r = timed(f"render_{fmt}_{tag}", lambda: render_imu(pool, pool_r, SMPL22, **kw))
        res[f"render_{fmt}_{tag}"] = r.data.numpy()
        r = render_imu(pool, pool_r, SMPL22, **kw, orientation=True, mag_field=True, temperature=temps, errors=True)
        res[f"render_full_{fmt}_{tag}"], res[f"render_ori_{fmt}_{tag}"] = r.data.numpy(), r.orientation.numpy()
        res[f"render_err_{fmt}_{tag}"] = np.concatenate([r.errors.matrix.reshape(-1), r.errors.bias.reshape(-1)])
        r = render_imu(pool, pool_r, SMPL22, **{**kw, "noise": None, "seeds": None})
        res[f"render_clean_{fmt}_{tag}"] = r.data.numpy()
    p = motion(8, 196, dt, 3)[0].reshape(8, 196, 66).requires_grad_()
    q = motion(8, 196, dt, 4)[0].reshape(8, 196, 66)
    mask = torch.arange(196)[None] < torch.tensor([196, 150, 100, 196, 60, 196, 80, 120])[:, None]
    lo = timed(f"acc_loss_fwd_{tag}", lambda: imusim.acc_loss(p, q, mask, backend="cpp"))
    res[f"acc_loss_{tag}"] = lo.detach().numpy()
    res[f"acc_loss_grad_{tag}"] = torch.autograd.grad(imusim.acc_loss(p, q, mask, backend="cpp"), p)[0].numpy()
# the generator's IMU stage through its own path (imusim bench generate: render, windows, HDF5 shards), s per 1k windows
from imusim.bench.generate import bench
for fps_in in (20.0, 50.0):
    row = bench(1024, 256, 10.0, "wrist_r,thigh_r", fps_in, True, 1, repeats=2)
    times[f"generate_stage_fps{int(fps_in)}_per_1k_windows"] = 1000.0 / row["windows/s"]
pickle.dump({"res": res, "times": times}, open(out, "wb"))
'''


def run_side(tree, so, out, g):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": "2147483647",
           "MALLOC_TRIM_THRESHOLD_": "4294967296"}
    env.pop("IMUSIM_BACKEND", None)
    rc = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(so), str(out), repr(g),
                         str(Path(__file__).resolve().parent)], env=env).returncode
    if rc:
        raise SystemExit(f"the {tree} side failed (exit {rc})")
    import pickle
    with open(out, "rb") as f:
        return pickle.load(f)


def main(argv=None):
    import numpy as np

    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-tree", required=True, help="checkout of the old commit (e.g. a git worktree)")
    ap.add_argument("--old-so", required=True, help="its compiled _C (glob allowed)")
    ap.add_argument("--new-tree", default=str(root))
    ap.add_argument("--new-so", default=None, help="this tree's _C (default: build/*/_C*.so)")
    ap.add_argument("--gravity", type=float, default=9.81, help="gravity both sides use (m/s²)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    old_so = sorted(glob.glob(a.old_so))[0]
    new_so = sorted(glob.glob(a.new_so or str(root / "build" / "*" / "_C*.so")))[0]
    sides = {"old": (a.old_tree, old_so), "new": (a.new_tree, new_so)}
    first, best = {}, {"old": {}, "new": {}}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                out = run_side(*sides[name], Path(d) / f"{name}{r}.pkl", a.gravity)
                first.setdefault(name, out["res"])
                for k, v in out["times"].items():
                    best[name][k] = min(best[name].get(k, float("inf")), v)
    o, n = first["old"], first["new"]
    rows = []
    for k in sorted(set(o) | set(n)):
        same = k in o and k in n and o[k].dtype == n[k].dtype and o[k].shape == n[k].shape and \
            o[k].tobytes() == n[k].tobytes()
        diff = None if same or k not in o or k not in n or o[k].shape != n[k].shape else \
            float(np.nanmax(np.abs(o[k].astype(np.float64) - n[k].astype(np.float64))))
        rows.append({"output": k, "shape": list(n.get(k, o.get(k)).shape), "bitwise_identical": bool(same),
                     "max_abs_diff": diff})
    timing = [{"case": k, "old_ms": round(1e3 * best["old"][k], 3), "new_ms": round(1e3 * best["new"][k], 3),
               "new/old": round(best["new"][k] / best["old"][k], 3)} for k in sorted(best["old"]) if k in best["new"]]
    res = {"command": "python benchmarks/refactor_side_by_side.py " + " ".join(argv or sys.argv[1:]),
           "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, OMP_NUM_THREADS=1",
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "old_so": old_so, "new_so": new_so,
           "gravity": a.gravity, "rounds": a.rounds,
           "identical": sum(r["bitwise_identical"] for r in rows), "outputs": len(rows), "compare": rows, "timing": timing}
    for r in rows:
        if not r["bitwise_identical"]:
            print(f"DIFFERENT {r['output']} {r['shape']} max |diff| {r['max_abs_diff']}")
    print(f"{res['identical']} of {res['outputs']} outputs bitwise identical")
    print("| case | old ms | new ms | new/old |\n|---|---|---|---|")
    for t in timing:
        print(f"| {t['case']} | {t['old_ms']} | {t['new_ms']} | {t['new/old']} |")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    return 0 if res["identical"] == res["outputs"] else 1


if __name__ == "__main__":
    sys.exit(main())
