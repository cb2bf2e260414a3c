"""Per-call time of small calls (synthesize_imu 1 x 5 frames, FK, L_acc; cpp) in an old checkout and this one, each
with its own _C: python benchmarks/refactor_call_overhead.py TREE SO (best of 7 x 500 calls, us; issue 17)."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _two_builds import use_build  # noqa: E402

tree, so = sys.argv[1], sys.argv[2]
use_build(tree, so)
import torch
torch.set_num_threads(1)
import imusim  # noqa: E402
from imusim import synthesize_imu, forward_kinematics
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
aa = 0.3 * torch.randn(1, 5, 22, 3); L = axis_angle_to_matrix(aa); root = torch.randn(1, 5, 3)
out = {}
for name, fn in (("imu_small", lambda: synthesize_imu(L, root, SMPL22, "wrist_r,thigh_r", 30.0, backend="cpp")),
                 ("fk_small", lambda: forward_kinematics(L, root, SMPL22, backend="cpp")),
                 ("acc_loss_small", lambda: imusim.acc_loss(L.reshape(1, 5, -1), L.reshape(1, 5, -1), backend="cpp"))):
    for _ in range(200): fn()
    best = 1e9
    for r in range(7):
        t0 = time.perf_counter()
        for _ in range(500): fn()
        best = min(best, (time.perf_counter() - t0) / 500)
    out[name] = best * 1e6
print(tree, {k: round(v, 1) for k, v in out.items()})
