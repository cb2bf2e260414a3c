"""render_imu with the sensor error model, side by side with a baseline build (an older commit).

CPU time (``time.process_time``, one OpenMP thread) of the generator's render call — 256 motions of 10 s
at 20 fps resampled to 50 Hz, 2 sensors (``imusim bench generate``'s motions) — for several noise models,
in alternating subprocesses of this checkout and of a baseline checkout built in place; the minimum over
rounds and repetitions. CPU time rather than wall time: the 2-core machine is shared, and waiting for the
CPU is not the kernel's cost.

    # the baseline: an older commit, built in place (no pip install, so the shared .venv is untouched)
    git archive 622ed7e | tar -x -C /tmp/base && cmake -S /tmp/base -B /tmp/base/build -DIMUSIM_CUDA=OFF \\
        -DPython_EXECUTABLE=$(which python) -Dpybind11_DIR=$(python -m pybind11 --cmakedir) && \\
        cmake --build /tmp/base/build -j2 && cp /tmp/base/build/_C*.so /tmp/base/imusim/
    python benchmarks/noise_side_by_side.py --baseline /tmp/base --json benchmarks/noise_side_by_side.json

Models: ``none`` (ideal sensors), ``bmi160-legacy`` (the BMI160 profile restricted to the first model's terms:
white, bias, random walk, scale, misalignment, range, resolution), ``bmi160`` (every term); the baseline's
``bmi160`` is the first model itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r'''
import sys, time, json
base = sys.argv[1]
if base:
    sys.meta_path[:] = [f for f in sys.meta_path if "ScikitBuildRedirectingFinder" not in type(f).__name__]
    sys.path.insert(0, base)
import numpy as np
from imusim.imu.render import render_imu
from imusim.kinematics import SMPL22
from imusim.bench.generate import _pool
models = {"none": None}
if base:
    models["bmi160"] = "bmi160"
else:
    from imusim.bench.generate import noise_model
    models.update({"bmi160-legacy": noise_model("bmi160-legacy"), "bmi160": noise_model("on")})
B = int(sys.argv[2])
L, root, T = _pool(B, 10.0, 20.0)
kw = dict(start=np.arange(B) * T, length=[T] * B, fps=20.0, rate=50.0, sensors=["wrist_r", "thigh_r"])
best = {k: 1e9 for k in models}
rows = 0
for _ in range(int(sys.argv[3])):
    for k, m in models.items():
        t = time.process_time()
        r = render_imu(L, root, SMPL22, noise=m, seeds=np.arange(B) + 1, **kw)
        best[k] = min(best[k], time.process_time() - t)
        rows = int(r.offsets[-1])
print(json.dumps({"ms": {k: v * 1e3 for k, v in best.items()}, "rows": rows}))
'''


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", required=True, help="a checkout of an older commit with its _C module built in place")
    p.add_argument("--motions", type=int, default=256)
    p.add_argument("--rounds", type=int, default=3, help="alternating baseline/current subprocess pairs")
    p.add_argument("--reps", type=int, default=15, help="render calls per model per subprocess (min taken)")
    p.add_argument("--json", help="write the result here")
    a = p.parse_args(argv)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = {"baseline": {}, "current": {}}
    rows = None
    for _ in range(a.rounds):
        for which, base in (("baseline", a.baseline), ("current", "")):
            r = subprocess.run([sys.executable, "-c", CHILD, base, str(a.motions), str(a.reps)], env=env,
                               capture_output=True, text=True, cwd="/tmp")
            if r.returncode:
                sys.exit(r.stderr[-3000:])
            d = json.loads(r.stdout.strip().splitlines()[-1])
            rows = d["rows"]
            for k, v in d["ms"].items():
                out[which][k] = min(out[which].get(k, 1e9), v)
    base_ms = out["baseline"]["bmi160"]
    res = {"command": "python benchmarks/noise_side_by_side.py " + " ".join(argv or sys.argv[1:]),
           "workload": f"{a.motions} motions x 10 s, 20 fps -> 50 Hz, 2 sensors ({rows} output rows), 1 thread, "
                       f"CPU time, min over {a.rounds} rounds x {a.reps} calls",
           "ms": out,
           "ratio_vs_baseline_bmi160": {k: round(base_ms / v, 3) for k, v in out["current"].items()}}
    print(json.dumps(res, indent=1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
