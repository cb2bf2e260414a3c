"""imusim.forward_kinematics on every backend of the harness (tests/harness.py: cpp, cuda, triton; triton on CPU
tensors under the interpreter) vs the naive reference, smplx parity, gradcheck of every backward, fullgraph
compile on every backend. Tolerances: absolute, 1e-12 (float64) / 2e-6 (float32) on rotations of unit scale,
4x on positions of a few metres."""

import pytest
import torch

import imusim
from imusim.kinematics import SMPL22, SMPL24, Skeleton
from imusim.kinematics.rotations import axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion, matrix_to_rot6d
from imusim.reference.fk import forward_kinematics as ref_fk
from tests.harness import grad_params, op_params, small

FK_BACKENDS = op_params("fk")


def rand_motion(shape, J, dtype=torch.float64, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    R = axis_angle_to_matrix(torch.randn(*shape, J, 3, generator=g, dtype=torch.float64))
    root = torch.randn(*shape, 3, generator=g, dtype=torch.float64)
    return R.to(dtype).to(device), root.to(dtype).to(device)


@pytest.mark.parametrize("device,backend", FK_BACKENDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 11), (2, 1, 5)])
@pytest.mark.parametrize("sk", [SMPL22, SMPL24], ids=["SMPL22", "SMPL24"])
def test_matches_reference(device, backend, dtype, shape, sk):
    R, root = rand_motion(shape, sk.num_joints, dtype, device=device)
    G, P = imusim.forward_kinematics(R, root, sk, backend=backend)
    G2, P2 = ref_fk(R.double(), root.double(), sk.parents, sk.offsets)
    tol = 1e-12 if dtype == torch.float64 else 2e-6
    torch.testing.assert_close(G.double(), G2, rtol=0, atol=tol)
    torch.testing.assert_close(P.double(), P2, rtol=0, atol=tol * 4)
    assert G.dtype == dtype and G.shape == R.shape and P.shape == (*shape, sk.num_joints, 3)


@pytest.mark.parametrize("device,backend", grad_params("fk"))
def test_gradcheck_float64(device, backend):
    # the interpreted Triton kernels run in gradcheck's fast mode (random projections uᵀ J v): the full
    # Jacobian would take one interpreted call per input element
    # and on a 5-joint branch of SMPL22 (both arms of the tree: a chain and a sibling)
    fast = small(backend)
    sk = SMPL22.subset(["pelvis", "left_hip", "left_knee", "right_hip", "right_knee"]) if fast else SMPL22
    R, root = rand_motion((2,) if fast else (2, 3), sk.num_joints, device=device)
    R.requires_grad_()
    root.requires_grad_()
    f = lambda a, b: imusim.forward_kinematics(a, b, sk, backend=backend)  # noqa: E731
    assert torch.autograd.gradcheck(f, (R, root), fast_mode=fast)
    # only one output used: the other gradient is treated as zero
    g = lambda a, b: imusim.forward_kinematics(a, b, sk, backend=backend)[1]  # noqa: E731
    assert torch.autograd.gradcheck(g, (R, root), fast_mode=fast)
    aa = matrix_to_axis_angle(R.detach()).requires_grad_()
    h = lambda a: imusim.forward_kinematics(a, root.detach(), sk, rot_format="axis_angle", backend=backend)[1]  # noqa
    assert torch.autograd.gradcheck(h, (aa,), fast_mode=fast)


@pytest.mark.parametrize("device,backend", FK_BACKENDS)
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.float64, 1e-10)])
def test_parity_with_smplx(device, backend, dtype, tol):
    # a test dependency (pyproject's test extra); skipped only where it is absent, e.g. a bare GPU image
    batch_rigid_transform = pytest.importorskip("smplx.lbs", reason="smplx is not installed").batch_rigid_transform

    g = torch.Generator().manual_seed(4)
    N, J = 64, 24
    rest = torch.randn(J, 3, generator=g, dtype=torch.float64) * 0.2
    parents = torch.tensor(SMPL24.parents)
    off = torch.stack([rest[0] * 0 if p < 0 else rest[j] - rest[p] for j, p in enumerate(SMPL24.parents)])
    sk = Skeleton(SMPL24.names, SMPL24.parents, off, "rand24")
    R, _ = rand_motion((N,), J, torch.float64, seed=5)
    posed, rel = batch_rigid_transform(R.to(dtype), rest.to(dtype).expand(N, J, 3).contiguous(), parents, dtype=dtype)
    G, P = imusim.forward_kinematics(R.to(dtype).to(device), rest[0].expand(N, 3).to(dtype).to(device), sk,
                                     backend=backend)
    torch.testing.assert_close(P.cpu(), posed, rtol=0, atol=tol)
    torch.testing.assert_close(G.cpu(), rel[..., :3, :3], rtol=0, atol=tol)


@pytest.mark.parametrize("fmt,conv", [("rot6d", matrix_to_rot6d), ("axis_angle", matrix_to_axis_angle),
                                      ("quaternion", matrix_to_quaternion)])
def test_rot_formats(fmt, conv):
    R, root = rand_motion((4,), 22)
    G, P = imusim.forward_kinematics(conv(R), root, SMPL22, rot_format=fmt)
    G2, P2 = imusim.forward_kinematics(R, root, SMPL22)
    torch.testing.assert_close(P, P2)
    torch.testing.assert_close(G, G2)


@pytest.mark.parametrize("device,backend", [p for p in FK_BACKENDS if not small(p.values[1])])
def test_torch_compile_fullgraph(device, backend):
    """The custom op traces without graph breaks whatever backend runs inside it (the interpreted Triton
    kernels run the same op: compiled here only on a GPU)."""
    torch._dynamo.reset()
    R, root = rand_motion((3, 6), 22, torch.float32, device=device)

    def f(R, root):
        G, P = imusim.forward_kinematics(R, root, SMPL22, backend=backend)
        return (P ** 2).sum() + G[..., 0, 0].sum()

    R1, R2 = R.clone().requires_grad_(), R.clone().requires_grad_()
    c = torch.compile(f, fullgraph=True)
    out_c, out_e = c(R1, root), f(R2, root)
    torch.testing.assert_close(out_c, out_e)
    torch.testing.assert_close(torch.autograd.grad(out_c, R1)[0], torch.autograd.grad(out_e, R2)[0])


@pytest.mark.parametrize("args,exc,pattern", [
    (lambda R, r: (R[..., :21, :, :], r, SMPL22), ValueError, r"local_rot must be \[\.\.\., T, 22, 3, 3\].*got \[4, 21, 3, 3\]"),
    (lambda R, r: (R, r[:3], SMPL22), ValueError, r"root_pos must have shape \[4, 3\]"),
    (lambda R, r: (R.long(), r, SMPL22), TypeError, "local_rot must have a floating dtype"),
    (lambda R, r: (R, r.float(), SMPL22), TypeError, "root_pos must have local_rot's dtype float64, got float32"),
    (lambda R, r: (R, r, "SMPL22"), TypeError, "skeleton must be an imusim Skeleton"),
])
def test_errors(args, exc, pattern):
    R, root = rand_motion((4,), 22)
    with pytest.raises(exc, match=pattern):
        imusim.forward_kinematics(*args(R, root))
    with pytest.raises(ValueError, match="rot_format must be one of"):
        imusim.forward_kinematics(R, root, SMPL22, rot_format="euler")
    with pytest.raises(ValueError, match="backend='cuda' is not available for tensors on device 'cpu'"):
        imusim.forward_kinematics(R, root, SMPL22, backend="cuda")
