"""What the rotation-matrix check (ops/_validate.check_rotation_matrices) costs a synthesize_imu call.

The same call on rotation-matrix input with the check and inside ``trusted_rotations()`` (no check), rounds
alternating in one process, best of N per round, minimum over rounds.

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 python benchmarks/rotation_check_cost.py
"""
import time

import torch

import imusim
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
from imusim.ops._validate import trusted_rotations


def best(fn, n):
    t_best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best


def main():
    torch.manual_seed(0)
    for B, T, n in [(1, 120, 200), (64, 196, 30), (1024, 196, 8)]:
        R = axis_angle_to_matrix(0.3 * torch.randn(B, T, 22, 3))
        root = torch.randn(B, T, 3)

        def call():
            imusim.synthesize_imu(R, root, SMPL22, ["wrist_r", "thigh_r"], 20.0)

        def unchecked():
            with trusted_rotations():
                call()

        call(), unchecked()
        a, b = [], []
        for _ in range(3):
            a.append(best(call, n))
            b.append(best(unchecked, n))
        print(f"[{B}, {T}, 22, 3, 3] float32: checked {min(a) * 1e3:.3f} ms, unchecked {min(b) * 1e3:.3f} ms, "
              f"ratio {min(a) / min(b):.2f}")


if __name__ == "__main__":
    main()
