"""L_acc under inputs that used to break it (issue 16): empty batches, NaN/inf in masked frames, double
backward and the functorch transforms. Every backend against the naive reference."""

from __future__ import annotations

import pytest
import torch

import imusim
from imusim.reference.acc_loss import acc_loss as ref_acc_loss
from tests import harness

BACKENDS = harness.op_params("acc_loss")
ALL = BACKENDS + [pytest.param("cpu", "torch", id="cpu-torch")]
REDUCTIONS = ["mean", "sum", "none"]


# ----------------------------------------------------------------------------------- empty batches
@pytest.mark.parametrize("device,backend", ALL)
@pytest.mark.parametrize("shape,td", [((0, 8, 3), 1), ((0, 263, 1, 10), -1), ((0, 5), 1), ((3, 8, 0), 1)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_empty_batch_is_zero_on_every_backend(device, backend, shape, td, reduction):
    """B = 0 (or F = 0) used to kill the process (SIGFPE in the cpp kernel) or raise a reshape error."""
    p = torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
    q = torch.randn(shape, dtype=torch.float64, device=device, requires_grad=True)
    T = shape[td]
    mask = torch.ones(shape[0], T, dtype=torch.bool, device=device)
    for m in (None, mask):
        out = imusim.acc_loss(p, q, m, time_dim=td, reduction=reduction, backend=backend)
        if reduction == "none":
            assert out.shape == (shape[0],) and (out == 0).all()
        else:
            assert out.shape == () and out.item() == 0.0
        gp, gq = torch.autograd.grad(out.sum(), (p, q), allow_unused=True)
        for g, x in ((gp, p), (gq, q)):
            assert g is None or (g.shape == x.shape and (g == 0).all())
        with torch.no_grad():
            assert torch.equal(imusim.acc_loss(p, q, m, time_dim=td, reduction=reduction, backend=backend), out.detach())


def test_empty_batch_kernels_do_not_divide_by_zero():
    """The C++ kernels themselves return zeros for B = 0 / F = 0 (the Python layer never calls them with
    such shapes, but a kernel must not die of a division by zero)."""
    from imusim.ops.acc_loss import _grads_op, _sums_op
    for shape in ((0, 8, 3), (2, 8, 0)):
        p, q = torch.zeros(shape), torch.zeros(shape)
        s = _sums_op(p, q, None, 1, "cpp")
        assert s.shape == (shape[0],) and (s == 0).all()
        gp, gq = _grads_op(torch.ones(shape[0], dtype=torch.float64), p, q, None, 1, "cpp", True)
        assert gp.shape == shape and gq.shape == shape
    from imusim import _backend
    C = _backend.cpu_module()
    out = torch.full((2,), 7.0, dtype=torch.float64)
    x = torch.zeros(2, 8, 0)
    C.acc_loss_forward(dtype="float32", pred=x.data_ptr(), size=[2, 8, 0], pred_strides=[0, 0, 1], target=x.data_ptr(),
                       target_strides=[0, 0, 1], mask=0, out=out.data_ptr())
    assert (out == 0).all()
    C.acc_loss_forward(dtype="float32", pred=x.data_ptr(), size=[0, 8, 3], pred_strides=[24, 3, 1],
                       target=x.data_ptr(), target_strides=[24, 3, 1], mask=0, out=out.data_ptr())


# ------------------------------------------------------------------------- NaN in masked-out frames
def _padded(kind, fill, device, gen):
    """pred/target whose invalid frames hold ``fill`` (NaN or inf); layout ``kind``."""
    shape, td = {"btj3": ((4, 15, 5, 3), 1),     # unit feature stride: the one-pass row loop
                 "mdm": ((3, 40, 1, 13), -1),    # time stride < feature stride: the column path
                 "strided": ((3, 12, 8), 1)}[kind]  # sliced below to feature stride 2: the generic row path
    p = torch.randn(shape, generator=gen, dtype=torch.float64)
    q = torch.randn(shape, generator=gen, dtype=torch.float64)
    T = shape[td]
    mask = torch.arange(T)[None] < torch.tensor([T, T - 4, 3, 1][:shape[0]])[:, None]
    mask[0, 5] = False  # a hole inside a sample too
    view = [mask.shape[0]] + [T if d == td % p.dim() else 1 for d in range(1, p.dim())]
    bad = (~mask).reshape(view).expand(shape)
    p[bad] = fill
    q[bad] = -fill
    if kind == "strided":
        p, q = p[:, :, ::2], q[:, :, ::2]
    return p.to(device), q.to(device), mask.to(device), td


@pytest.mark.parametrize("device,backend", ALL)
@pytest.mark.parametrize("kind", ["btj3", "mdm", "strided"])
@pytest.mark.parametrize("fill", [float("nan"), float("inf")])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_masked_nan_and_inf_never_leak(device, backend, kind, fill, reduction):
    """Garbage in padding frames must give exactly what zeros in them give: loss and gradients, with and
    without requires_grad (the cpp loss used to be finite without grad and NaN with it)."""
    gen = harness.gen(kind, reduction)
    p_bad, q_bad, mask, td = _padded(kind, fill, device, gen)
    clean = torch.where(torch.isfinite(p_bad), p_bad, 0.0), torch.where(torch.isfinite(q_bad), q_bad, 0.0)
    with torch.no_grad():
        expect = ref_acc_loss(*clean, mask, time_dim=td % p_bad.dim(), reduction=reduction)
        got = imusim.acc_loss(p_bad, q_bad, mask, time_dim=td, reduction=reduction, backend=backend)
    assert torch.isfinite(expect).all()
    torch.testing.assert_close(got, expect, rtol=1e-10, atol=1e-12)
    pc, qc = (x.clone().requires_grad_() for x in clean)
    pb, qb = p_bad.clone().requires_grad_(), q_bad.clone().requires_grad_()
    w = torch.randn(expect.shape, generator=gen, dtype=torch.float64).to(device)
    ref = ref_acc_loss(pc, qc, mask, time_dim=td % pc.dim(), reduction=reduction)
    out = imusim.acc_loss(pb, qb, mask, time_dim=td, reduction=reduction, backend=backend)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
    for a, b in zip(torch.autograd.grad((out * w).sum(), (pb, qb)), torch.autograd.grad((ref * w).sum(), (pc, qc))):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    # only pred requires grad (the one-pass cpp path), float32
    p32 = p_bad.float().requires_grad_()
    out32 = imusim.acc_loss(p32, q_bad.float(), mask, time_dim=td, reduction=reduction, backend=backend)
    g32, = torch.autograd.grad(out32.sum(), p32)
    assert torch.isfinite(out32).all() and torch.isfinite(g32).all()
    assert (g32[~torch.isfinite(p_bad)] == 0).all()


# ------------------------------------------------------------------------------- double backward
@pytest.mark.parametrize("device,backend", ALL)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("layout", ["btf", "mdm"])
def test_gradgradcheck_float64(device, backend, reduction, layout):
    """create_graph=True used to return a gradient without requires_grad (silently wrong 2nd order)."""
    if backend == "triton" and device == "cpu":
        pytest.skip("the Triton interpreter needs minutes for a gradgradcheck; the Triton kernels' double "
                    "backward is checked against the reference in test_gradient_penalty_matches_reference")
    gen = torch.Generator().manual_seed(13)
    shape, td = ((2, 7, 3), 1) if layout == "btf" else ((2, 3, 1, 7), -1)
    p = torch.randn(shape, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    q = torch.randn(shape, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], dtype=torch.bool, device=device)

    def f(x, y):
        return imusim.acc_loss(x, y, mask, time_dim=td, reduction=reduction, dt=0.5, backend=backend)

    assert torch.autograd.gradgradcheck(f, (p, q))
    assert torch.autograd.gradgradcheck(lambda x: f(x, q.detach()), (p,))  # only pred needs a gradient


@pytest.mark.parametrize("device,backend", ALL)
def test_gradient_penalty_matches_reference(device, backend):
    """A training step with a gradient penalty: d/dθ [L + ||∂L/∂pred||²] through create_graph=True,
    with pred = f(θ), on the one-pass path (only pred requires grad) and with a target gradient."""
    gen = torch.Generator().manual_seed(5)
    theta = torch.randn(3, 10, 4, generator=gen, dtype=torch.float64).to(device)
    q = torch.randn(3, 10, 4, generator=gen, dtype=torch.float64).to(device)
    mask = torch.arange(10, device=device)[None] < torch.tensor([10, 7, 4], device=device)[:, None]
    grads = []
    for impl in ("imusim", "ref"):
        th = theta.clone().requires_grad_()
        tq = q.clone().requires_grad_()
        pred = torch.sin(th) * 2
        fn = (lambda a, b: imusim.acc_loss(a, b, mask, reduction="none", backend=backend)) if impl == "imusim" else \
            (lambda a, b: ref_acc_loss(a, b, mask, reduction="none"))
        loss = fn(pred, tq)
        g, = torch.autograd.grad(loss.sum(), pred, create_graph=True)
        assert g.requires_grad
        total = loss.mean() + (g ** 2).sum()
        grads.append(torch.autograd.grad(total, (th, tq)))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device,backend", ALL)
def test_third_order(device, backend):
    """The loss is quadratic: the third derivative is 0 and every backend must say so (not fail)."""
    p = torch.randn(2, 6, 2, dtype=torch.float64, device=device, requires_grad=True)
    q = torch.randn(2, 6, 2, dtype=torch.float64, device=device)
    v = torch.randn(2, 6, 2, dtype=torch.float64, device=device)
    g, = torch.autograd.grad(imusim.acc_loss(p, q, backend=backend), p, create_graph=True)
    hv, = torch.autograd.grad((g * v).sum(), p, create_graph=True)
    # H v for the quadratic loss is independent of p: compare with the reference at another point
    p2 = torch.randn_like(p).requires_grad_()
    g2, = torch.autograd.grad(ref_acc_loss(p2, q), p2, create_graph=True)
    hv2, = torch.autograd.grad((g2 * v).sum(), p2)
    torch.testing.assert_close(hv, hv2, rtol=1e-10, atol=1e-12)
    if hv.requires_grad:  # third order through the grads op: zero
        t3, = torch.autograd.grad(hv.sum(), p, allow_unused=True)
        assert t3 is None or (t3.abs() < 1e-12).all()


# ------------------------------------------------------------------------------------ torch.func
@pytest.mark.parametrize("device,backend", ALL)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_torch_func_grad_vmap_jacrev_jvp_hessian(device, backend, reduction):
    """torch.func.grad used to raise from inside PyTorch although the docstring promised functorch."""
    if backend == "triton" and device == "cpu" and reduction != "mean":
        pytest.skip("Triton interpreter: one reduction is enough (the reductions are backend-independent)")
    from torch.func import grad, hessian, jacfwd, jacrev, jvp, vmap

    gen = torch.Generator().manual_seed(17)
    p = torch.randn(3, 8, 2, generator=gen, dtype=torch.float64).to(device)
    q = torch.randn(3, 8, 2, generator=gen, dtype=torch.float64).to(device)
    mask = torch.arange(8, device=device)[None] < torch.tensor([8, 6, 2], device=device)[:, None]

    def f(x, y):
        out = imusim.acc_loss(x, y, mask, reduction=reduction, backend=backend)
        return out.sum()

    def r(x, y):
        return ref_acc_loss(x, y, mask, reduction=reduction).sum()

    tol = dict(rtol=1e-10, atol=1e-12)
    for argnums in (0, 1, (0, 1)):
        torch.testing.assert_close(grad(f, argnums)(p, q), grad(r, argnums)(p, q), **tol)
    # vmap over a stack of predictions (one kernel call for all of them), target shared / batched too
    P = torch.randn(4, 3, 8, 2, generator=gen, dtype=torch.float64).to(device)
    Q = torch.randn(4, 3, 8, 2, generator=gen, dtype=torch.float64).to(device)
    torch.testing.assert_close(vmap(f, (0, None))(P, q), vmap(r, (0, None))(P, q), **tol)
    torch.testing.assert_close(vmap(f)(P, Q), vmap(r)(P, Q), **tol)
    torch.testing.assert_close(vmap(grad(f))(P, Q), vmap(grad(r))(P, Q), **tol)  # per-example gradients
    torch.testing.assert_close(jacrev(f)(p, q), jacrev(r)(p, q), **tol)
    t = torch.randn_like(p)
    torch.testing.assert_close(jvp(lambda x: f(x, q), (p,), (t,))[1], jvp(lambda x: r(x, q), (p,), (t,))[1], **tol)
    small_p, small_q, m2 = p[:2, :5], q[:2, :5], mask[:2, :5]

    def f2(x):
        return imusim.acc_loss(x, small_q, m2, reduction=reduction, backend=backend).sum()

    def r2(x):
        return ref_acc_loss(x, small_q, m2, reduction=reduction).sum()

    torch.testing.assert_close(hessian(f2)(small_p), hessian(r2)(small_p), **tol)
    torch.testing.assert_close(jacfwd(jacrev(f2))(small_p), hessian(r2)(small_p), **tol)


@pytest.mark.parametrize("device,backend", ALL)
def test_vmap_none_reduction_and_batched_mask(device, backend):
    from torch.func import vmap

    gen = torch.Generator().manual_seed(3)
    P = torch.randn(3, 2, 2, 9, generator=gen, dtype=torch.float64).to(device)  # vmapped dim first
    Q = torch.randn(3, 2, 2, 9, generator=gen, dtype=torch.float64).to(device)
    M = torch.rand(3, 2, 9, generator=gen).to(device) > 0.2
    got = vmap(lambda a, b, m: imusim.acc_loss(a, b, m, time_dim=-1, reduction="none", backend=backend))(P, Q, M)
    want = torch.stack([ref_acc_loss(P[i], Q[i], M[i], time_dim=2, reduction="none") for i in range(3)])
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    got = vmap(lambda b: imusim.acc_loss(P[0], b, M[0], time_dim=-1, backend=backend), in_dims=0)(Q)
    want = torch.stack([ref_acc_loss(P[0], Q[i], M[0], time_dim=2) for i in range(3)])
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
