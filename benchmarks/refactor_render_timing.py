"""render_imu (cpp, BMI160, 512 motions of 240 frames, 2 sensors) timed in an old checkout and this one, each with
its own _C: python benchmarks/refactor_render_timing.py TREE SO (see benchmarks/RESULTS.md, issue 17)."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _two_builds import use_build  # noqa: E402

tree, so = sys.argv[1], sys.argv[2]
use_build(tree, so)
import numpy as np, torch
torch.set_num_threads(1)
from imusim.imu.render import render_imu
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
B, T = 512, 240
g = torch.Generator().manual_seed(0)
t = torch.arange(T, dtype=torch.float64)[None, :, None, None] / 20.0
aa = (0.5 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64) * torch.sin(6.0 * torch.rand(B, 1, 22, 3, generator=g, dtype=torch.float64) * t))
root = torch.cumsum(0.05 * torch.randn(B, T, 3, generator=g, dtype=torch.float64), 1)
out = {}
for dt in (torch.float32, torch.float64):
    L = axis_angle_to_matrix(aa).to(dt).reshape(B * T, 22, 3, 3).contiguous(); r = root.to(dt).reshape(B * T, 3).contiguous()
    for fps in (20.0, 50.0):
        kw = dict(start=np.arange(B) * T, length=[T] * B, fps=fps, rate=50.0, sensors="wrist_r,thigh_r", noise="bmi160", seeds=np.arange(B), backend="cpp")
        render_imu(L, r, SMPL22, **kw)
        best = 1e9
        for _ in range(8):
            t0 = time.perf_counter(); render_imu(L, r, SMPL22, **kw); best = min(best, time.perf_counter() - t0)
        out[f"{str(dt)[6:]}_fps{int(fps)}"] = round(best * 1e3, 2)
print(("old" if "old" in tree else "new"), out)
