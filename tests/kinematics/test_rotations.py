import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from imusim.kinematics import rotations as R


def rand_R(n, seed=0):
    return torch.from_numpy(Rotation.random(n, random_state=seed).as_matrix())


def test_axis_angle_matches_scipy_and_roundtrips():
    aa = torch.from_numpy(Rotation.random(200, random_state=1).as_rotvec())
    aa = torch.cat([aa, torch.zeros(1, 3), torch.tensor([[np.pi, 0, 0], [0, 1e-9, 0]])])
    M = R.axis_angle_to_matrix(aa)
    torch.testing.assert_close(M, torch.from_numpy(Rotation.from_rotvec(aa.numpy()).as_matrix()))
    torch.testing.assert_close(R.axis_angle_to_matrix(R.matrix_to_axis_angle(M)), M, atol=1e-9, rtol=0)


def test_quaternion_matches_scipy():
    M = rand_R(300, 2)
    q = R.matrix_to_quaternion(M)
    qs = Rotation.from_matrix(M.numpy()).as_quat()  # x, y, z, w
    qs = torch.from_numpy(np.concatenate([qs[:, 3:], qs[:, :3]], 1))
    qs = torch.where(qs[:, :1] < 0, -qs, qs)
    torch.testing.assert_close(q, qs)
    torch.testing.assert_close(R.quaternion_to_matrix(q), M)
    # 180° rotations (w = 0) stay exact
    M180 = torch.from_numpy(Rotation.from_rotvec([[np.pi, 0, 0], [0, np.pi, 0], [0, 0, np.pi]]).as_matrix())
    torch.testing.assert_close(R.quaternion_to_matrix(R.matrix_to_quaternion(M180)), M180)
    aa = torch.from_numpy(Rotation.random(50, random_state=3).as_rotvec())
    torch.testing.assert_close(R.quaternion_to_axis_angle(R.axis_angle_to_quaternion(aa)), aa)


def test_rot6d_columns_and_gram_schmidt():
    M = rand_R(100, 4)
    d6 = R.matrix_to_rot6d(M)
    torch.testing.assert_close(d6[:, :3], M[:, :, 0])
    torch.testing.assert_close(R.rot6d_to_matrix(d6), M)
    noisy = d6 * 1.7 + 0.01 * torch.randn_like(d6)
    Mn = R.rot6d_to_matrix(noisy)
    torch.testing.assert_close(Mn @ Mn.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(100, 3, 3))


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "ZYX", "YXZ", "YZX", "XZY"])
def test_euler_any_order_matches_scipy(order):
    ang = torch.from_numpy(np.random.default_rng(5).uniform(-1.4, 1.4, (100, 3)))
    M = R.euler_to_matrix(ang, order)
    torch.testing.assert_close(M, torch.from_numpy(Rotation.from_euler(order.upper(), ang.numpy()).as_matrix()))
    torch.testing.assert_close(R.matrix_to_euler(M, order), ang)
    torch.testing.assert_close(R.euler_to_matrix(ang * 180 / np.pi, order, degrees=True), M)


def test_slerp_and_multiply():
    a, b = R.axis_angle_to_quaternion(torch.tensor([[0.0, 0, 0]], dtype=torch.float64)), \
        R.axis_angle_to_quaternion(torch.tensor([[0, 0, 1.2]], dtype=torch.float64))
    mid = R.quaternion_slerp(a, b, 0.25)
    torch.testing.assert_close(R.quaternion_to_axis_angle(mid), torch.tensor([[0, 0, 0.3]], dtype=torch.float64))
    torch.testing.assert_close(R.quaternion_slerp(a, -b, 0.5), R.quaternion_slerp(a, b, 0.5))  # shortest path
    q1, q2 = R.matrix_to_quaternion(rand_R(10, 6)), R.matrix_to_quaternion(rand_R(10, 7))
    torch.testing.assert_close(R.quaternion_to_matrix(R.quaternion_multiply(q1, q2)),
                               R.quaternion_to_matrix(q1) @ R.quaternion_to_matrix(q2))


def test_gradients():
    aa = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(R.axis_angle_to_matrix, (aa,))
    assert torch.autograd.gradcheck(R.axis_angle_to_matrix, (torch.zeros(1, 3, dtype=torch.float64, requires_grad=True),))
    d6 = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(R.rot6d_to_matrix, (d6,))
    q = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(R.quaternion_to_matrix, (q,))
    e = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: R.euler_to_matrix(x, "ZXY"), (e,))


def test_to_matrix_dispatch_and_errors():
    M = rand_R(3, 8)
    for fmt, x in (("matrix", M), ("rot6d", R.matrix_to_rot6d(M)), ("axis_angle", R.matrix_to_axis_angle(M)),
                   ("quaternion", R.matrix_to_quaternion(M))):
        torch.testing.assert_close(R.to_matrix(x, fmt), M)
    with pytest.raises(ValueError, match=r"rot_format='rot6d' expects rotations shaped \[\.\.\., 6\], got \[\.\.\., 3\]"):
        R.to_matrix(torch.zeros(2, 3), "rot6d")
    with pytest.raises(ValueError, match="rot_format must be one of"):
        R.to_matrix(M, "euler")
    with pytest.raises(ValueError, match="euler order"):
        R.euler_to_matrix(torch.zeros(3), "XXY")


@pytest.mark.parametrize("order", ["ZXY", "XYZ", "ZYX", "YXZ", "YZX", "XZY"])
def test_matrix_to_euler_gimbal_lock_and_180(order):
    rng = np.random.default_rng(9)
    ang = rng.uniform(-3, 3, (50, 3))
    ang[:25, 1] = np.pi / 2 * np.sign(rng.uniform(-1, 1, 25))  # gimbal lock
    ang[25:30] = [[np.pi, 0, 0], [0, 0, np.pi], [np.pi, 0, np.pi], [0, 0, 0], [1e-9, -1e-9, 1e-9]]
    M = torch.from_numpy(Rotation.from_euler(order, ang).as_matrix())
    e = R.matrix_to_euler(M, order)
    torch.testing.assert_close(R.euler_to_matrix(e, order), M, atol=1e-9, rtol=0)
    assert (e[:, 1].abs() <= np.pi / 2 + 1e-12).all()
