"""Non-orthonormal rotation matrices are refused by the public ops (issue 16, item 8)."""

import pytest
import torch

import imusim
from imusim.kinematics.rotations import axis_angle_to_matrix, matrix_to_rot6d, rot6d_to_matrix
from imusim.kinematics import SMPL22


def _motion(T=12, dtype=torch.float64):
    g = torch.Generator().manual_seed(3)
    sk = SMPL22
    R = axis_angle_to_matrix(0.3 * torch.randn(2, T, sk.num_joints, 3, generator=g, dtype=dtype))
    root = torch.randn(2, T, 3, generator=g, dtype=dtype)
    return sk, R, root


@pytest.mark.parametrize("defect", ["scale", "shear", "reflect", "nan"])
def test_forward_kinematics_refuses_non_rotations(defect):
    sk, R, root = _motion()
    bad = R.clone()
    if defect == "scale":
        bad[1, 7, 4] *= 1.05
    elif defect == "shear":
        bad[1, 7, 4, 0, 1] += 0.05
    elif defect == "reflect":
        bad[1, 7, 4] = -bad[1, 7, 4]
    else:
        bad[1, 7, 4, 2, 2] = float("nan")
    with pytest.raises(ValueError, match=r"local_rot\[1, 7, 4\]"):
        imusim.forward_kinematics(bad, root, sk)
    imusim.forward_kinematics(R, root, sk)  # the clean input passes


def test_synthesize_imu_refuses_non_rotations():
    sk, R, root = _motion(T=30)
    bad = R.clone()
    bad[0, 3, 20] *= 2.0
    with pytest.raises(ValueError, match="rotation matrices"):
        imusim.synthesize_imu(bad, root, sk, ["wrist_r"], fps=20.0)


def test_large_batch_is_sampled_but_first_and_last_checked():
    sk, R, root = _motion(T=200)
    bad = R.clone()
    bad[-1, -1, -1] *= 1.5
    with pytest.raises(ValueError, match=r"local_rot\[1, 199, 21\]"):
        imusim.forward_kinematics(bad, root, sk)


def test_float32_roundoff_is_accepted_and_orthonormalised_fix_works():
    sk, R, root = _motion(dtype=torch.float32)
    R = R @ R @ R.transpose(-1, -2)  # products accumulate float32 round-off
    imusim.forward_kinematics(R, root, sk)
    noisy = R + 1e-2 * torch.randn_like(R)
    with pytest.raises(ValueError):
        imusim.forward_kinematics(noisy, root, sk)
    fixed = rot6d_to_matrix(matrix_to_rot6d(noisy))
    imusim.forward_kinematics(fixed, root, sk)


def test_trusted_rotations_skips_the_check_only_inside_the_block():
    from imusim.ops._validate import trusted_rotations

    sk, R, root = _motion()
    bad = R.clone()
    bad[0, 0, 0] *= 1.5
    with trusted_rotations():
        imusim.forward_kinematics(bad, root, sk)  # the caller vouches for its rotations
    with pytest.raises(ValueError):
        imusim.forward_kinematics(bad, root, sk)
