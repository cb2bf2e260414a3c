"""The Triton kernels' math helpers (imusim/triton/_math.py) against torch, under TRITON_INTERPRET=1 on CPU
(or on a GPU): atan2 without libdevice, Rodrigues and its Jacobian, the SO(3) log map and its backward,
quaternion slerp."""

import math

import pytest
import torch

from imusim import _backend

pytestmark = pytest.mark.skipif(not (_backend._triton_ok() and (_backend.triton_interpret() or torch.cuda.is_available())),
                                reason="Triton needs a GPU or TRITON_INTERPRET=1")

if _backend._triton_ok():
    import triton
    import triton.language as tl

    from imusim.triton import _math as M

    @triton.jit
    def _atan_kernel(y_ptr, x_ptr, o_ptr, n, BLOCK: tl.constexpr):
        i = tl.arange(0, BLOCK)
        m = i < n
        y = tl.load(y_ptr + i, mask=m, other=0.0)
        x = tl.load(x_ptr + i, mask=m, other=1.0)
        tl.store(o_ptr + i, M.atan2_pos(y, x), mask=m)

    @triton.jit
    def _rot_kernel(a_ptr, g_ptr, R_ptr, ga_ptr, n, BLOCK: tl.constexpr):
        i = tl.arange(0, BLOCK)
        m = i < n
        a = M.load3(a_ptr, i * 3, m)
        g = M.load9(g_ptr, i * 9, m)
        M.store9(R_ptr, i * 9, M.rodrigues(a[0], a[1], a[2]), m)
        M.store3(ga_ptr, i * 3, M.rodrigues_backward(a[0], a[1], a[2], g), m)

    @triton.jit
    def _log_kernel(A_ptr, B_ptr, gw_ptr, w_ptr, gA_ptr, gB_ptr, S_ptr, u_ptr, n, BLOCK: tl.constexpr):
        i = tl.arange(0, BLOCK)
        m = i < n
        A = M.load9(A_ptr, i * 9, m)
        B = M.load9(B_ptr, i * 9, m)
        gw = M.load3(gw_ptr, i * 3, m)
        M.store3(w_ptr, i * 3, M.log_rel(A, B), m)
        gA, gB = M.log_rel_backward(A, B, gw)
        M.store9(gA_ptr, i * 9, gA, m)
        M.store9(gB_ptr, i * 9, gB, m)
        u = tl.load(u_ptr + i, mask=m, other=0.0)
        M.store9(S_ptr, i * 9, M.slerp_mat(A, B, u), m)


def dev():
    return "cuda" if torch.cuda.is_available() else "cpu"


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 4e-16), (torch.float32, 3e-7)])
def test_atan2_matches_torch(dtype, tol):
    g = torch.Generator().manual_seed(0)
    ang = torch.cat([torch.rand(40, generator=g, dtype=torch.float64) * math.pi,
                     torch.tensor([0.0, 1e-9, 1e-4, math.pi / 4, math.pi / 2, math.pi - 1e-7, math.pi],
                                  dtype=torch.float64)])
    r = torch.rand(ang.shape, generator=g, dtype=torch.float64) * 3 + 0.1
    y, x = (r * torch.sin(ang)).clamp_min(0).to(dtype), (r * torch.cos(ang)).to(dtype)
    o = torch.empty_like(y)
    _atan_kernel[(1,)](y.to(dev()), x.to(dev()), o_ := o.to(dev()), y.numel(), BLOCK=64)
    ref = torch.atan2(y.double(), x.double())
    assert (o_.cpu().double() - ref).abs().max().item() <= tol * math.pi * 2


def _rand_rot(n, g, scale=1.0, dtype=torch.float64):
    from imusim.kinematics.rotations import axis_angle_to_matrix
    return axis_angle_to_matrix(scale * torch.randn(n, 3, generator=g, dtype=torch.float64)).to(dtype)


def test_rodrigues_and_its_jacobian_match_autograd():
    from imusim.kinematics.rotations import axis_angle_to_matrix
    g = torch.Generator().manual_seed(1)
    a = torch.cat([torch.randn(12, 3, generator=g, dtype=torch.float64),
                   1e-5 * torch.randn(2, 3, generator=g, dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64)])
    gR = torch.randn(a.shape[0], 3, 3, generator=g, dtype=torch.float64)
    R = torch.empty(a.shape[0], 3, 3, dtype=torch.float64, device=dev())
    ga = torch.empty(a.shape[0], 3, dtype=torch.float64, device=dev())
    _rot_kernel[(1,)](a.to(dev()), gR.to(dev()), R, ga, a.shape[0], BLOCK=16)
    ar = a.clone().requires_grad_()
    Rr = axis_angle_to_matrix(ar)
    (Rr * gR).sum().backward()
    torch.testing.assert_close(R.cpu(), Rr.detach(), rtol=0, atol=1e-14)
    torch.testing.assert_close(ga.cpu(), ar.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [0.3, 1e-5])
def test_log_map_backward_and_slerp_match_the_reference(scale):
    from imusim.imu.synth import _slerp_rot
    from imusim.reference.imu import so3_log
    g = torch.Generator().manual_seed(2)
    n = 16
    A = _rand_rot(n, g)
    B = A @ _rand_rot(n, g, scale)  # relative rotations of scale rad (and near 0)
    gw = torch.randn(n, 3, generator=g, dtype=torch.float64)
    u = torch.rand(n, generator=g, dtype=torch.float64)
    out = [torch.empty(n, 3, dtype=torch.float64, device=dev())] + [
        torch.empty(n, 3, 3, dtype=torch.float64, device=dev()) for _ in range(3)]
    _log_kernel[(1,)](A.to(dev()), B.to(dev()), gw.to(dev()), out[0], out[1], out[2], out[3], u.to(dev()), n,
                      BLOCK=16)
    w, gA, gB, S = (o.cpu() for o in out)
    Ar, Br = A.clone().requires_grad_(), B.clone().requires_grad_()
    wr = so3_log(Ar.transpose(-1, -2) @ Br)
    (wr * gw).sum().backward()
    torch.testing.assert_close(w, wr.detach(), rtol=1e-9, atol=1e-13)
    torch.testing.assert_close(gA, Ar.grad, rtol=1e-7, atol=1e-9)
    torch.testing.assert_close(gB, Br.grad, rtol=1e-7, atol=1e-9)
    # slerp of each pair at its own fraction: the reference slerps a sequence at fractional frame indices
    ref = torch.stack([_slerp_rot(torch.stack([A[i], B[i]])[None, :, None], u[i:i + 1])[0, 0, 0] for i in range(n)])
    torch.testing.assert_close(S, ref, rtol=0, atol=1e-12)
