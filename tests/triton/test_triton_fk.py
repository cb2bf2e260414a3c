"""Triton forward kinematics (imusim/triton/fk.py) against the naive reference and by gradcheck, under
TRITON_INTERPRET=1 on CPU tensors (or on a GPU): small shapes, the interpreter is slow."""

import pytest
import torch

import imusim
from imusim import _backend
from imusim.kinematics import SMPL22, Skeleton
from imusim.kinematics.rotations import axis_angle_to_matrix
from imusim.reference.fk import forward_kinematics as ref_fk

pytestmark = pytest.mark.skipif(not (_backend._triton_ok() and (_backend.triton_interpret() or torch.cuda.is_available())),
                                reason="Triton needs a GPU or TRITON_INTERPRET=1")
DEV = "cuda" if torch.cuda.is_available() else "cpu"
# a small branching tree: root → a → b, root → c → d (gradcheck stays fast under the interpreter)
SMALL = Skeleton(("r", "a", "b", "c", "d"), (-1, 0, 1, 0, 3),
                 torch.tensor([[0, 0, 0], [0.1, 0.2, 0], [0, 0.3, 0.05], [-0.1, -0.2, 0], [0.02, -0.4, 0.1]]), "small")


def rand_motion(shape, J, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    R = axis_angle_to_matrix(torch.randn(*shape, J, 3, generator=g, dtype=torch.float64))
    root = torch.randn(*shape, 3, generator=g, dtype=torch.float64)
    return R.to(dtype).to(DEV), root.to(dtype).to(DEV)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 2e-6)])
@pytest.mark.parametrize("shape", [(3,), (2, 1, 70)])  # 140 frames: three lane blocks of 64
def test_forward_backward_match_reference(dtype, tol, shape):
    R, root = rand_motion(shape, 22, dtype)
    R1, r1 = R.clone().requires_grad_(), root.clone().requires_grad_()
    G, P = imusim.forward_kinematics(R1, r1, SMPL22, backend="triton")
    # a strided view: every other frame of a longer motion
    Rs, rs = rand_motion((2 * shape[-1],), 22, dtype, seed=9)
    Gs, Ps = imusim.forward_kinematics(Rs[::2], rs[::2], SMPL22, backend="triton")
    Gs2, Ps2 = ref_fk(Rs[::2].double(), rs[::2].double(), SMPL22.parents, SMPL22.offsets)
    torch.testing.assert_close(Ps.double().cpu(), Ps2.cpu(), rtol=0, atol=4 * tol)
    torch.testing.assert_close(Gs.double().cpu(), Gs2.cpu(), rtol=0, atol=tol)
    R2, r2 = R.double().clone().requires_grad_(), root.double().clone().requires_grad_()
    G2, P2 = ref_fk(R2, r2, SMPL22.parents, SMPL22.offsets)
    assert G.dtype == dtype and G.shape == R.shape and P.shape == (*shape, 22, 3)
    torch.testing.assert_close(G.double().cpu(), G2.detach().cpu(), rtol=0, atol=tol)
    torch.testing.assert_close(P.double().cpu(), P2.detach().cpu(), rtol=0, atol=4 * tol)
    g = torch.Generator().manual_seed(1)
    wG, wP = torch.randn(G.shape, generator=g, dtype=torch.float64), torch.randn(P.shape, generator=g, dtype=torch.float64)
    ((G * wG.to(G)).sum() + (P * wP.to(P)).sum()).backward()
    ((G2 * wG.to(G2)).sum() + (P2 * wP.to(P2)).sum()).backward()
    scale = R2.grad.abs().max()
    torch.testing.assert_close(R1.grad.double().cpu(), R2.grad.cpu(), rtol=0, atol=tol * 10 * scale)
    torch.testing.assert_close(r1.grad.double().cpu(), r2.grad.cpu(), rtol=0, atol=tol * 10 * scale)


def test_gradcheck_float64():
    # fast mode (random projections uᵀ J v, numerical vs analytical): the full Jacobian would take one
    # interpreted backward per output element
    R, root = rand_motion((2,), 5, seed=3)
    f = lambda a, b: imusim.forward_kinematics(a, b, SMALL, backend="triton")  # noqa: E731
    assert torch.autograd.gradcheck(f, (R.requires_grad_(), root.requires_grad_()), fast_mode=True)
    g = lambda a, b: imusim.forward_kinematics(a, b, SMALL, backend="triton")[1]  # noqa: E731  (G unused)
    assert torch.autograd.gradcheck(g, (R, root), fast_mode=True)


@pytest.mark.skipif(not _backend.triton_interpret(), reason="interpreter mode only")
def test_default_backend_on_cpu_is_not_the_interpreter():
    assert "triton" in imusim.backends("cpu")  # interpreter mode: listed ...
    R, root = rand_motion((2,), 22)
    assert _backend.resolve(None, "cpu", supported=("triton", "cuda", "cpp", "torch")) in ("cpp", "torch")  # ... never the default


def test_backends_list_triton_on_cpu_only_in_interpreter_mode():
    import os
    import subprocess
    import sys

    code = "import imusim; print(imusim.backends('cpu'))"
    for flag, expect in (("0", False), ("1", True)):
        env = {**os.environ, "TRITON_INTERPRET": flag}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120).stdout
        assert ("'triton'" in out) == expect, (flag, out)
