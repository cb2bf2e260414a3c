"""Triton virtual IMU (imusim/triton/imu.py: fused forward, sensor poses, fused backward) under
TRITON_INTERPRET=1 on CPU tensors (or on a GPU): analytic physics, the naive reference (forward and
autograd), resampling, block boundaries, gradcheck. Small shapes: the interpreter is slow."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

import imusim
from imusim.constants import GRAVITY
from imusim import _backend
from imusim.imu import Sensor, synthesize_imu
from imusim.kinematics import SMPL22, Skeleton
from imusim.kinematics.rotations import axis_angle_to_matrix, matrix_to_axis_angle

pytestmark = pytest.mark.skipif(not (_backend._triton_ok() and (_backend.triton_interpret() or torch.cuda.is_available())),
                                reason="Triton needs a GPU or TRITON_INTERPRET=1")
DEV = "cuda" if torch.cuda.is_available() else "cpu"
G = GRAVITY  # the project's one gravity constant (standard gravity)
ONE = Skeleton(("root",), (-1,), torch.zeros(1, 3), "one")
SMALL = Skeleton(("r", "a", "b", "c", "d"), (-1, 0, 1, 0, 3),
                 torch.tensor([[0, 0, 0], [0.1, 0.2, 0], [0, 0.3, 0.05], [-0.1, -0.2, 0], [0.02, -0.4, 0.1]]), "small")
SENS = "wrist_r,thigh_l,head"


def smooth_motion(T, fps, seed=0, J=22):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T, dtype=torch.float64)[:, None, None] / fps
    amp = 0.4 * torch.rand(1, J, 3, generator=g, dtype=torch.float64)
    freq = 0.3 + 1.2 * torch.rand(1, J, 3, generator=g, dtype=torch.float64)
    L = axis_angle_to_matrix(amp * torch.sin(2 * math.pi * freq * t + 6.28 * torch.rand(1, J, 3, generator=g,
                                                                                         dtype=torch.float64)))
    root = torch.stack([0.8 * t[:, 0, 0], 0.9 + 0.03 * torch.sin(4 * t[:, 0, 0]), 0.1 * torch.cos(t[:, 0, 0])], -1)
    return L, root


def batch(T, fps, seeds=(0, 1), J=22):
    ms = [smooth_motion(T, fps, s, J) for s in seeds]
    return torch.stack([m[0] for m in ms]), torch.stack([m[1] for m in ms])


def test_rest_reads_plus_g_and_spin_reads_omega():
    # at rest, any mount: acc = R_wsᵀ (0, g, 0), gyro = 0
    g = torch.Generator().manual_seed(0)
    L = axis_angle_to_matrix(0.5 * torch.randn(22, 3, generator=g, dtype=torch.float64)).expand(6, 22, 3, 3).clone()
    root = torch.tensor([0.3, 0.9, -0.2], dtype=torch.float64).expand(6, 3).clone()
    mounts = [Sensor(f"s{i}", SMPL22.names[(5 * i) % 22], tuple(np.random.default_rng(i).normal(0, 0.1, 3)),
                     Rotation.random(random_state=i).as_matrix().tolist()) for i in range(3)]
    r = synthesize_imu(L.to(DEV), root.to(DEV), SMPL22, mounts, 30.0, backend="triton")
    up = torch.tensor([0.0, G, 0.0], dtype=torch.float64, device=DEV)
    torch.testing.assert_close(r.acc, (r.orientation.transpose(-1, -2) @ up[:, None]).squeeze(-1), atol=1e-9, rtol=0)
    assert r.gyro.abs().max() < 1e-9
    # a joint spinning at w about world up with the sensor 0.4 m out: gyro = R_jsᵀ w, |a_horizontal| = w² r
    fps, T, w = 200.0, 8, 3.0
    t = torch.arange(T, dtype=torch.float64) / fps
    axis = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    Ls = axis_angle_to_matrix(axis * (w * t)[:, None])[:, None]
    mount = torch.from_numpy(Rotation.random(random_state=3).as_matrix())
    res = synthesize_imu(Ls.to(DEV), torch.zeros(T, 3, dtype=torch.float64, device=DEV), ONE,
                         [Sensor("s", "root", (0.4, 0.0, 0.0), mount.tolist())], fps, backend="triton")
    torch.testing.assert_close(res.gyro[:, 0].cpu(), (mount.T @ (w * axis)).expand(T - 2, 3), atol=1e-9, rtol=0)
    f_world = (res.orientation[:, 0] @ res.acc[:, 0, :, None]).squeeze(-1).cpu()
    torch.testing.assert_close(f_world[:, [0, 2]].norm(dim=-1), torch.full((T - 2,), w * w * 0.4, dtype=torch.float64),
                               rtol=(w / fps) ** 2 / 6, atol=0)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-9), (torch.float32, 2e-3)])
def test_forward_matches_reference_across_blocks(dtype, tol):
    # 70 frames: 68 outputs = two 64-lane blocks; a non-contiguous batch (every other sequence)
    L, root = batch(70, 30.0, seeds=(0, 5, 1))
    Ln, rn = L[::2], root[::2]
    assert not Ln.is_contiguous()
    a = synthesize_imu(Ln.to(dtype).to(DEV), rn.to(dtype).to(DEV), SMPL22, SENS, 30.0, backend="triton")
    b = synthesize_imu(Ln, rn, SMPL22, SENS, 30.0, backend="torch")
    assert a.acc.dtype == dtype and a.acc.shape == b.acc.shape == (2, 68, 3, 3)
    torch.testing.assert_close(a.acc.double().cpu(), b.acc, atol=tol * 10, rtol=tol)
    torch.testing.assert_close(a.gyro.double().cpu(), b.gyro, atol=tol, rtol=tol)
    torch.testing.assert_close(a.orientation.double().cpu(), b.orientation, atol=tol, rtol=0)


@pytest.mark.parametrize("T,rot_format", [(9, "matrix"), (9, "axis_angle"), (70, "axis_angle")])
def test_fused_backward_matches_reference_autograd(T, rot_format):
    """acc, gyro and orientation all weighted; T = 70 crosses the backward's 64-frame blocks."""
    L, root = batch(T, 30.0)
    x = matrix_to_axis_angle(L) if rot_format == "axis_angle" else L
    g = torch.Generator().manual_seed(3)
    grads, w = [], None
    for be in ("triton", "torch"):
        xi, ri = x.clone().to(DEV).requires_grad_(), root.clone().to(DEV).requires_grad_()
        r = synthesize_imu(xi, ri, SMPL22, SENS, 30.0, rot_format=rot_format, backend=be)
        if w is None:
            w = [torch.randn(o.shape, generator=g, dtype=torch.float64).to(DEV) for o in (r.acc, r.gyro, r.orientation)]
        ((r.acc * w[0]).sum() + (r.gyro * w[1]).sum() + (r.orientation * w[2]).sum()).backward()
        grads.append((xi.grad.cpu(), ri.grad.cpu()))
    for a, b in zip(*grads):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9 * b.abs().max().item())
    # joints off the sensors' chains get exactly zero gradient
    on = set()
    for name in ("right_wrist", "left_hip", "head"):
        j = SMPL22.index(name)
        while j >= 0:
            on.add(j)
            j = SMPL22.parents[j]
    off_chain = [j for j in range(22) if j not in on]
    assert grads[0][0][:, :, off_chain].abs().max() == 0 and grads[0][0][:, :, sorted(on)].abs().max() > 0


def test_float32_backward_and_unused_outputs():
    L, root = batch(9, 30.0)
    Lf, rf = L.float().to(DEV).requires_grad_(), root.float().to(DEV).requires_grad_()
    synthesize_imu(Lf, rf, SMPL22, "wrist_r", 30.0, backend="triton").acc.square().sum().backward()  # gyro, ori unused
    Ld, rd = L.clone().requires_grad_(), root.clone().requires_grad_()
    synthesize_imu(Ld, rd, SMPL22, "wrist_r", 30.0, backend="torch").acc.square().sum().backward()
    assert Lf.grad.dtype == torch.float32
    torch.testing.assert_close(Lf.grad.double().cpu(), Ld.grad, rtol=2e-3, atol=2e-3 * Ld.grad.abs().max().item())
    torch.testing.assert_close(rf.grad.double().cpu(), rd.grad, rtol=2e-3, atol=2e-3 * rd.grad.abs().max().item())


def test_resampled_forward_and_backward_match_reference():
    """rate ≠ fps: Triton sensor-pose kernel (backward through the Triton FK kernels) + the resampling."""
    L, root = batch(12, 30.0)
    aa = matrix_to_axis_angle(L)
    outs = []
    for be in ("triton", "torch"):
        xi, ri = aa.clone().to(DEV).requires_grad_(), root.clone().to(DEV).requires_grad_()
        r = synthesize_imu(xi, ri, SMPL22, "wrist_r,thigh_l", 30.0, rate=45.0, rot_format="axis_angle", backend=be)
        (r.acc.sum() + 3 * r.gyro.sum()).backward()
        outs.append((r.acc.cpu(), r.gyro.cpu(), xi.grad.cpu(), ri.grad.cpu()))
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-9 * max(1.0, b.abs().max().item()))


def test_gradcheck_float64():
    # fast mode: random projections (the full Jacobian would take one interpreted backward per output)
    L, root = batch(5, 30.0, seeds=(2,), J=5)
    aa = matrix_to_axis_angle(L).to(DEV).requires_grad_()
    r = root.to(DEV).requires_grad_()
    f = lambda a, b: synthesize_imu(a, b, SMALL, "joint:b,joint:d", 30.0, rot_format="axis_angle",  # noqa: E731
                                    backend="triton").stacked()
    assert torch.autograd.gradcheck(f, (aa, r), atol=1e-6, fast_mode=True)


def test_default_backends():
    from imusim.ops.imu import IMU_BACKENDS
    assert _backend.resolve(None, "cpu", supported=IMU_BACKENDS) == ("cpp" if _backend.cpu_module() else "torch")
    if torch.cuda.is_available():  # triton is the GPU default (verified path, docs/design.md)
        assert _backend.resolve(None, "cuda", supported=IMU_BACKENDS) == "triton"
    with pytest.raises(ValueError, match="backend='cuda' is not available for tensors on device 'cpu'"):
        synthesize_imu(*batch(5, 30.0), SMPL22, "wrist_r", 30.0, backend="cuda")
