"""synthesize_imu's fused op on every backend of the harness (tests/harness.py: cpp, cuda, triton; triton on CPU
tensors under the interpreter): forward against the naive PyTorch reference (float32 and float64, matrix and
axis-angle input), the fused backward against autograd through the reference, float64 gradcheck of every
backward, and fullgraph torch.compile of a loss on the signals. Tolerances: float64 1e-9 relative (acc: 1e-8
absolute, it is a second difference divided by dt²), float32 2e-3 (acc 2e-2); gradients 1e-7 relative to the
largest entry (float64)."""


import pytest
import torch

from imusim.imu import synthesize_imu
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import matrix_to_axis_angle
from tests.harness import grad_params, op_params, small, smooth_motion

IMU_BACKENDS = op_params("imu")


@pytest.mark.parametrize("device,backend", IMU_BACKENDS)
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-9), (torch.float32, 2e-3)])
def test_fused_matches_reference(device, backend, dtype, tol):
    L, root = smooth_motion(40 if not small(backend) else 12, 30.0)
    L = torch.stack([L, L.flip(0)])
    root = torch.stack([root, root.flip(0)])
    sens = "wrist_r,wrist_l,thigh_r,thigh_l,pelvis,chest,head,ankle_r"
    a = synthesize_imu(L.to(dtype).to(device), root.to(dtype).to(device), SMPL22, sens, 30.0, backend=backend)
    b = synthesize_imu(L, root, SMPL22, sens, 30.0, backend="torch")
    torch.testing.assert_close(a.acc.double().cpu(), b.acc, atol=tol * 10, rtol=tol)
    torch.testing.assert_close(a.gyro.double().cpu(), b.gyro, atol=tol, rtol=tol)
    torch.testing.assert_close(a.orientation.double().cpu(), b.orientation, atol=tol, rtol=0)


@pytest.mark.parametrize("device,backend", grad_params("imu"))
def test_gradcheck(device, backend):
    """float64 gradcheck of the fused backward of every backend that has one (the interpreted Triton kernels in
    fast mode: random projections uᵀ J v; the full Jacobian would take one interpreted call per element)."""
    fast = small(backend)
    L, root = smooth_motion(6 if not fast else 5, 30.0)
    L, root = L.to(device), root.to(device)
    # axis-angle inputs keep gradcheck's perturbations on the rotation manifold (vee(log) of a
    # non-orthogonal matrix is not smooth)
    aa = matrix_to_axis_angle(L).requires_grad_()
    root = root.clone().requires_grad_()
    kw = dict(rot_format="axis_angle", backend=backend)
    f = lambda a, b: synthesize_imu(a, b, SMPL22, "wrist_r,thigh_l", 30.0, **kw).stacked()  # noqa: E731
    assert torch.autograd.gradcheck(f, (aa, root), atol=1e-6, fast_mode=fast)
    if not fast:  # the resampled path of the interpreted kernels: tests/triton/test_triton_imu.py (against autograd)
        f2 = lambda a, b: synthesize_imu(a, b, SMPL22, "wrist_r", 30.0, rate=45.0, **kw).stacked()  # noqa: E731
        assert torch.autograd.gradcheck(f2, (aa, root), atol=1e-6)
    L = L.clone().requires_grad_()
    # a loss on the IMU signals themselves trains the motion
    loss = synthesize_imu(L, root, SMPL22, "wrist_r", 30.0, backend=backend).acc.square().mean()
    loss.backward()
    assert L.grad.abs().sum() > 0 and root.grad.abs().sum() > 0


@pytest.mark.parametrize("device,backend", grad_params("imu"))
@pytest.mark.parametrize("rot_format", ["matrix", "axis_angle"])
def test_fused_backward_matches_reference_across_chunks(device, backend, rot_format):
    """The fused backward (C++: frame chunks of 256 with a 2-frame halo, rolling window; Triton: 64-frame
    blocks; CUDA: pose kernel + reference differences + FK kernels) against autograd through the PyTorch
    reference, long sequences (the interpreter: 70 frames), a batch, all three outputs weighted."""
    from imusim.kinematics.rotations import matrix_to_axis_angle

    seqs = [smooth_motion(600 if not small(backend) else 70, 60.0, seed=s) for s in range(2)]
    L = torch.stack([s[0] for s in seqs])
    root = torch.stack([s[1] for s in seqs])
    x = matrix_to_axis_angle(L) if rot_format == "axis_angle" else L
    sens = "wrist_r,thigh_l,head"
    g = torch.Generator().manual_seed(3)
    grads = []
    for be in (backend, "torch"):
        dev = device if be == backend else "cpu"
        xi, ri = x.clone().to(dev).requires_grad_(), root.clone().to(dev).requires_grad_()
        r = synthesize_imu(xi, ri, SMPL22, sens, 60.0, rot_format=rot_format, backend=be)
        wa = torch.randn(r.acc.shape, generator=g, dtype=torch.float64) if be == backend else wa
        wg = torch.randn(r.gyro.shape, generator=g, dtype=torch.float64) if be == backend else wg
        wo = torch.randn(r.orientation.shape, generator=g, dtype=torch.float64) if be == backend else wo
        ((r.acc * wa.to(dev)).sum() + (r.gyro * wg.to(dev)).sum() + (r.orientation * wo.to(dev)).sum()).backward()
        grads.append((xi.grad.cpu(), ri.grad.cpu()))
    for a, b in zip(grads[0], grads[1]):
        assert a.shape == b.shape
        assert torch.allclose(a, b, rtol=1e-7, atol=1e-7 * b.abs().max()), (a - b).abs().max()


@pytest.mark.parametrize("device,backend", [p for p in IMU_BACKENDS if not small(p.values[1])])
@pytest.mark.parametrize("rot_format", ["matrix", "axis_angle"])
def test_torch_compile_fullgraph(device, backend, rot_format):
    """A loss on the virtual IMU signals compiles without graph breaks (the op and its autograd), same value
    and gradient as eager."""
    from imusim.kinematics.rotations import matrix_to_axis_angle

    torch._dynamo.reset()
    L, root = smooth_motion(20, 30.0)
    x = (matrix_to_axis_angle(L) if rot_format == "axis_angle" else L).float().to(device)
    root = root.float().to(device)

    def f(x, root):
        r = synthesize_imu(x, root, SMPL22, "wrist_r,thigh_l", 30.0, rot_format=rot_format, backend=backend)
        return r.acc.square().mean() + 0.5 * r.gyro.square().mean()

    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    c = torch.compile(f, fullgraph=True)
    out_c, out_e = c(x1, root), f(x2, root)
    torch.testing.assert_close(out_c, out_e)
    torch.testing.assert_close(torch.autograd.grad(out_c, x1)[0], torch.autograd.grad(out_e, x2)[0])


def test_one_sample_count_rule_and_rate_check():
    """resampled_frames: the count of times k / rate up to the last frame, scalar and array forms equal; the
    rate check names the argument."""
    import numpy as np

    from imusim.ops._validate import check_rate, resampled_frames

    rng = np.random.default_rng(0)
    lengths = rng.integers(2, 500, 400)
    fps = rng.choice([20.0, 23.976, 30.0, 50.0, 60.0, 120.0], 400)
    arr = resampled_frames(lengths, fps, 50.0)
    for L, f, n in zip(lengths.tolist(), fps.tolist(), arr.tolist()):
        assert resampled_frames(L, f, 50.0) == n
        t_last = (n - 1) / 50.0  # the last sample lies within the motion, the next one beyond it
        assert t_last <= (L - 1) / f + 1e-6 and (f == 50.0 or n / 50.0 > (L - 1) / f - 1e-6)
    assert resampled_frames(100, 50.0, 50.0) == 100 and resampled_frames(21, 20.0, 50.0) == 51
    with pytest.raises(ValueError, match=r"op: rate must be a positive number \(Hz\), got inf"):
        check_rate("rate", float("inf"), op="op")
    with pytest.raises(ValueError, match=r"op: fps must be a positive number \(Hz\) or None, got -1"):
        check_rate("fps", -1, op="op", optional=True)
    assert check_rate("rate", None, op="op", optional=True) is None and check_rate("rate", 50, op="op") == 50.0
