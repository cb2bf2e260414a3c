import pytest
import torch

from imusim.kinematics.rotations import axis_angle_to_matrix

from imusim.kinematics.ik import kabsch, positions_to_rotations, rescale_positions, rotation_between
from imusim.kinematics.skeleton import Skeleton
from imusim.reference.fk import forward_kinematics


def _rand_rot(n, gen):
    q = torch.nn.functional.normalize(torch.randn(n, 4, generator=gen, dtype=torch.float64), dim=-1)
    w, x, y, z = q.unbind(-1)
    return torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1).view(n, 3, 3)


def tree():
    # pelvis with 3 children, a spine chain with a 3-way split, single-child limbs, leaves
    parents = (-1, 0, 0, 0, 1, 2, 3, 6, 6, 6, 7, 8)
    off = torch.tensor([[0, 0, 0], [0.1, -0.05, 0], [-0.1, -0.05, 0], [0, 0.12, 0.01], [0.01, -0.4, 0],
                        [-0.01, -0.4, 0], [0, 0.15, 0], [0, 0.2, 0.02], [0.15, 0.1, 0], [-0.15, 0.1, 0],
                        [0, 0.1, 0], [0.25, 0, 0]], dtype=torch.float64)
    return Skeleton(tuple(f"j{i}" for i in range(12)), parents, off, "test")


def test_rotation_between_and_kabsch():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(50, 3, generator=g, dtype=torch.float64), torch.randn(50, 3, generator=g, dtype=torch.float64)
    R = rotation_between(a, b)
    torch.testing.assert_close((R @ a[..., None]).squeeze(-1), b / b.norm(dim=-1, keepdim=True) * a.norm(dim=-1, keepdim=True))
    Ro = rotation_between(a, -a)
    torch.testing.assert_close((Ro @ a[..., None]).squeeze(-1), -a)
    torch.testing.assert_close(torch.linalg.det(Ro), torch.ones(50, dtype=torch.float64))
    Rt = _rand_rot(10, g)
    src = torch.randn(10, 4, 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(kabsch(src, src @ Rt.transpose(-1, -2)), Rt)


def test_ik_reproduces_positions_of_a_posed_skeleton():
    sk = tree()
    g = torch.Generator().manual_seed(1)
    T = 20
    local = _rand_rot(T * 12, g).view(T, 12, 3, 3)
    root = torch.randn(T, 3, generator=g, dtype=torch.float64)
    _, pos = forward_kinematics(local, root, sk.parents, sk.offsets)
    loc2, root2 = positions_to_rotations(pos, sk)
    _, pos2 = forward_kinematics(loc2, root2, sk.parents, sk.offsets)
    torch.testing.assert_close(pos2, pos, atol=1e-9, rtol=0)
    # multi-child joints get the full rotation back (twist observable)
    G, _ = forward_kinematics(local, root, sk.parents, sk.offsets)
    G2, _ = forward_kinematics(loc2, root2, sk.parents, sk.offsets)
    torch.testing.assert_close(G2[:, 0], G[:, 0], atol=1e-9, rtol=0)
    torch.testing.assert_close(G2[:, 6], G[:, 6], atol=1e-9, rtol=0)


def test_rescale_keeps_directions_sets_lengths():
    sk = tree()
    g = torch.Generator().manual_seed(2)
    pos = torch.randn(5, 12, 3, generator=g, dtype=torch.float64)
    out = rescale_positions(pos, sk)
    for j in range(1, 12):
        p = sk.parents[j]
        d0, d1 = pos[:, j] - pos[:, p], out[:, j] - out[:, p]
        torch.testing.assert_close(d1.norm(dim=-1), sk.bone_lengths()[j].expand(5))
        torch.testing.assert_close(d1 / d1.norm(dim=-1, keepdim=True), d0 / d0.norm(dim=-1, keepdim=True))


@pytest.mark.parametrize("coplanar", [False, True])
def test_kabsch_quaternion_equals_svd_kabsch(coplanar):
    """The device path of kabsch (Horn's quaternion form, no SVD: torch.linalg.svd synchronises a GPU) gives
    the SVD solution with the determinant correction, its gradients too; float32 inputs are solved in float64."""
    from imusim.kinematics.ik import kabsch, kabsch_quaternion

    g = torch.Generator().manual_seed(0)
    R = axis_angle_to_matrix(2 * torch.randn(300, 3, generator=g, dtype=torch.float64))
    src = torch.randn(300, 3, 3, generator=g, dtype=torch.float64)
    if coplanar:  # rank-2 cross-covariance: the determinant correction decides the third axis
        src[..., 2] = 0
    dst = src @ R.transpose(-1, -2) + 0.05 * torch.randn(300, 3, 3, generator=g, dtype=torch.float64)
    ref = kabsch(src, dst)  # CPU: SVD
    torch.testing.assert_close(kabsch_quaternion(src, dst), ref, rtol=0, atol=1e-10)
    torch.testing.assert_close(torch.linalg.det(kabsch_quaternion(src, dst)), torch.ones(300, dtype=torch.float64))
    q32 = kabsch_quaternion(src.float(), dst.float())
    assert q32.dtype == torch.float32 and (q32.double() - ref).abs().max() < 5e-6
    s1, d1 = src[:10].clone().requires_grad_(), dst[:10].clone().requires_grad_()
    s2, d2 = src[:10].clone().requires_grad_(), dst[:10].clone().requires_grad_()
    w = torch.randn(10, 3, 3, generator=g, dtype=torch.float64)
    ga = torch.autograd.grad((kabsch(s1, d1) * w).sum(), [s1, d1])
    gb = torch.autograd.grad((kabsch_quaternion(s2, d2) * w).sum(), [s2, d2])
    for a, b in zip(ga, gb):
        torch.testing.assert_close(b, a, rtol=1e-8, atol=1e-10)
