"""imusim.acc_loss on every available backend against the naive reference."""

from __future__ import annotations

import pytest
import torch

import imusim
from imusim.losses import AccelerationLoss
from imusim.reference.acc_loss import acc_loss as ref_acc_loss
from tests import harness
from tests.harness import TOL

BACKENDS = harness.op_params("acc_loss")


def lengths_mask(B, T, gen, min_len=0):
    L = torch.randint(min_len, T + 1, (B,), generator=gen)
    return torch.arange(T)[None] < L[:, None]


def case_inputs(kind, dtype, device, gen):
    if kind == "btj3":
        shape, td = (5, 23, 7, 3), 1
    elif kind == "one_feature":
        shape, td = (4, 9), 1
    elif kind == "many":
        shape, td = (3, 17, 129), 1
    elif kind == "mdm":
        shape, td = (3, 263, 1, 31), -1
    elif kind == "mdm_dim3":
        shape, td = (2, 263, 1, 12), 3
    p = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype).to(device)
    q = torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype).to(device)
    return p, q, td


KINDS = ["btj3", "one_feature", "many", "mdm", "mdm_dim3"]


def small(be):  # the Triton interpreter is slow: keep its shapes small
    return be == "triton"


@pytest.mark.parametrize("device,backend", BACKENDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("masked", [False, True])
def test_forward_backward_match_reference(device, backend, kind, reduction, masked):
    gen = harness.gen(kind, reduction, masked)
    dtype = torch.float64
    p, q, td = case_inputs(kind, dtype, device, gen)
    T = p.shape[td]
    mask = lengths_mask(p.shape[0], T, gen).to(device) if masked else None
    p1, q1 = p.clone().requires_grad_(), q.clone().requires_grad_()
    p2, q2 = p.clone().requires_grad_(), q.clone().requires_grad_()
    out = imusim.acc_loss(p1, q1, mask, time_dim=td, reduction=reduction, backend=backend)
    ref = ref_acc_loss(p2, q2, mask, time_dim=td % p.dim(), reduction=reduction)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
    w = torch.randn(out.shape, generator=gen, dtype=dtype).to(device)
    g1 = torch.autograd.grad((out * w).sum(), [p1, q1])
    g2 = torch.autograd.grad((ref * w).sum(), [p2, q2])
    for a, b in zip(g1, g2):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device,backend", BACKENDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_dtypes(device, backend, dtype):
    gen = torch.Generator().manual_seed(3)
    p, q, td = case_inputs("btj3", torch.float64, device, gen)
    mask = lengths_mask(p.shape[0], p.shape[1], gen).to(device)
    pl, ql = p.to(dtype).requires_grad_(), q.to(dtype)
    out = imusim.acc_loss(pl, ql, mask, backend=backend)
    assert out.dtype == (torch.float64 if dtype == torch.float64 else torch.float32)
    ref = ref_acc_loss(pl.detach().double().requires_grad_(), ql.double(), mask)
    rtol, atol = TOL[dtype]
    torch.testing.assert_close(out.double(), ref.detach(), rtol=rtol, atol=atol)
    g, = torch.autograd.grad(out, pl)
    pr = pl.detach().double().requires_grad_()
    gr, = torch.autograd.grad(ref_acc_loss(pr, ql.double(), mask), pr)
    assert g.dtype == dtype
    torch.testing.assert_close(g.double(), gr, rtol=rtol * 10, atol=atol * 10 * gr.abs().max().item())


@pytest.mark.parametrize("device,backend", BACKENDS)
def test_non_contiguous_and_broadcast_inputs(device, backend):
    gen = torch.Generator().manual_seed(5)
    base = torch.randn(6, 40, 10, 3, generator=gen, dtype=torch.float64).to(device)
    p = base[::2, 1::2, :, ::2]                      # strided slice
    q = torch.randn(3, 20, 2, 10, generator=gen, dtype=torch.float64).to(device).transpose(2, 3)  # transposed
    e = torch.randn(1, 20, 10, 2, generator=gen, dtype=torch.float64).to(device).expand(3, 20, 10, 2)  # stride 0
    for a, b in ((p, q), (e, q), (q, e)):
        a1 = a.clone().requires_grad_()
        out = imusim.acc_loss(a, b, backend=backend)
        torch.testing.assert_close(out, ref_acc_loss(a, b), rtol=1e-10, atol=1e-12)
        g, = torch.autograd.grad(imusim.acc_loss(a1, b, backend=backend), a1)
        a2 = a.clone().requires_grad_()
        gr, = torch.autograd.grad(ref_acc_loss(a2, b), a2)
        torch.testing.assert_close(g, gr, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device,backend", BACKENDS)
def test_empty_samples_give_zero_not_nan(device, backend):
    p = torch.randn(3, 10, 4, dtype=torch.float64, device=device, requires_grad=True)
    q = torch.randn(3, 10, 4, dtype=torch.float64, device=device)
    mask = torch.zeros(3, 10, dtype=torch.bool, device=device)
    mask[0, :2] = True  # 2 frames: no valid term
    mask[1, 3:8] = True
    out = imusim.acc_loss(p, q, mask, reduction="none", backend=backend)
    assert out[0] == 0 and out[2] == 0 and out[1] > 0 and torch.isfinite(out).all()
    none_valid = imusim.acc_loss(p, q, torch.zeros_like(mask), backend=backend)
    assert none_valid == 0
    g, = torch.autograd.grad(none_valid, p)
    assert torch.isfinite(g).all() and (g == 0).all()


@pytest.mark.parametrize("device,backend", BACKENDS)
def test_dt_scales_by_dt4(device, backend):
    p = torch.randn(2, 12, 3, dtype=torch.float64, device=device)
    q = torch.randn(2, 12, 3, dtype=torch.float64, device=device)
    a = imusim.acc_loss(p, q, dt=0.05, backend=backend)
    torch.testing.assert_close(a, imusim.acc_loss(p, q, backend=backend) / 0.05 ** 4)


@pytest.mark.parametrize("device,backend", BACKENDS)
@pytest.mark.parametrize("wrt", ["pred", "target"])
def test_gradcheck_float64(device, backend, wrt):
    gen = torch.Generator().manual_seed(11)
    p = torch.randn(2, 7, 3, generator=gen, dtype=torch.float64).to(device)
    q = torch.randn(2, 7, 3, generator=gen, dtype=torch.float64).to(device)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], dtype=torch.bool, device=device)
    for red in ("mean", "sum", "none"):
        if wrt == "pred":
            f = lambda x: imusim.acc_loss(x, q, mask, reduction=red, dt=0.1, backend=backend)  # noqa: E731
            assert torch.autograd.gradcheck(f, (p.clone().requires_grad_(),))
        else:
            f = lambda x: imusim.acc_loss(p, x, mask, reduction=red, backend=backend)  # noqa: E731
            assert torch.autograd.gradcheck(f, (q.clone().requires_grad_(),))


@pytest.mark.parametrize("device,backend", [b for b in BACKENDS if b.values[1] == "cpp"])
@pytest.mark.parametrize("masked", [False, True])
def test_torch_compile_fullgraph(device, backend, masked):
    torch._dynamo.reset()

    def step(pred, target, mask):
        return imusim.acc_loss(pred * 2.0, target, mask, backend=backend) + pred.square().mean()

    gen = torch.Generator().manual_seed(2)
    p = torch.randn(4, 16, 5, 3, generator=gen)
    q = torch.randn(4, 16, 5, 3, generator=gen)
    mask = lengths_mask(4, 16, gen) if masked else None
    compiled = torch.compile(step, fullgraph=True)  # inductor
    p1, p2 = p.clone().requires_grad_(), p.clone().requires_grad_()
    out_c = compiled(p1, q, mask)
    out_e = step(p2, q, mask)
    torch.testing.assert_close(out_c, out_e)
    torch.testing.assert_close(torch.autograd.grad(out_c, p1)[0], torch.autograd.grad(out_e, p2)[0])


def test_second_difference_and_module():
    x = torch.arange(10.0).pow(2)[None, :, None]  # x = t^2 -> Δ² = 2
    d = imusim.second_difference(x)
    assert d.shape == (1, 8, 1) and torch.all(d == 2)
    torch.testing.assert_close(imusim.second_difference(x, dt=0.5), torch.full((1, 8, 1), 8.0))
    y = torch.randn(2, 5, 1, 9)
    assert imusim.second_difference(y, time_dim=-1).shape == (2, 5, 1, 7)
    mod = AccelerationLoss(time_dim=-1, reduction="none")
    p, q = torch.randn(2, 5, 1, 9), torch.randn(2, 5, 1, 9)
    torch.testing.assert_close(mod(p, q), ref_acc_loss(p, q, time_dim=3, reduction="none"))
    with pytest.raises(ValueError, match="reduction"):
        AccelerationLoss(reduction="avg")


def test_backend_selection(monkeypatch):
    assert imusim.backends("cpu")[-1] == "torch"
    assert "cpp" in imusim.backends("cpu")
    p, q = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    monkeypatch.setenv("IMUSIM_BACKEND", "bogus")
    with pytest.raises(ValueError, match="IMUSIM_BACKEND.*bogus"):
        imusim.acc_loss(p, q)
    monkeypatch.setenv("IMUSIM_BACKEND", "torch")
    assert imusim.acc_loss(p, q).grad_fn is None  # torch backend: plain ops, no custom op
    monkeypatch.delenv("IMUSIM_BACKEND")
    with pytest.raises(ValueError, match="backend='cuda' is not available"):
        imusim.acc_loss(p, q, backend="cuda")
    from imusim._backend import resolve
    assert resolve(None, "cpu") == "cpp"


@pytest.mark.parametrize("call,exc,pattern", [
    (lambda p, q: imusim.acc_loss(p, q[:, :-1]), ValueError, r"target must have pred's shape \[2, 6, 3\], got \[2, 5, 3\]"),
    (lambda p, q: imusim.acc_loss(p, q, torch.ones(2, 5, dtype=torch.bool)), ValueError, r"mask must have shape \[2, 6\]"),
    (lambda p, q: imusim.acc_loss(p, q, torch.ones(2, 6)), TypeError, "mask must have dtype bool, got float32"),
    (lambda p, q: imusim.acc_loss(p[:, :2], q[:, :2]), ValueError, "at least 3 frames"),
    (lambda p, q: imusim.acc_loss(p.long(), q.long()), TypeError, "pred must have a floating dtype.*got int64"),
    (lambda p, q: imusim.acc_loss(p, q.double()), TypeError, "target must have pred's dtype float32, got float64"),
    (lambda p, q: imusim.acc_loss(p, q.to("meta")), ValueError, "target must be on pred's device cpu, got meta"),
    (lambda p, q: imusim.acc_loss(p, q, backend="fast"), ValueError, "backend must be one of .* got 'fast'"),
    (lambda p, q: imusim.acc_loss(p, q, reduction="avg"), ValueError, "reduction must be one of .* got 'avg'"),
    (lambda p, q: imusim.acc_loss(p, q, time_dim=0), ValueError, "time_dim must not be the batch dim"),
    (lambda p, q: imusim.acc_loss(p, q, time_dim=5), ValueError, r"time_dim must be in \[-3, 2\]"),
    (lambda p, q: imusim.acc_loss(p, q, dt=0), ValueError, "dt must be > 0, got 0"),
    (lambda p, q: imusim.acc_loss(p.numpy(), q), TypeError, "pred must be a torch.Tensor, got ndarray"),
])
def test_error_messages(call, exc, pattern):
    p, q = torch.randn(2, 6, 3), torch.randn(2, 6, 3)
    with pytest.raises(exc, match=pattern):
        call(p, q)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")
def test_cuda_large_layouts_match_reference():
    gen = torch.Generator().manual_seed(0)
    for shape, td in (((64, 196, 22, 3), 1), ((64, 263, 1, 196), -1)):
        p = torch.randn(shape, generator=gen).cuda().requires_grad_()
        q = torch.randn(shape, generator=gen).cuda()
        mask = lengths_mask(shape[0], shape[td], gen).cuda()
        for be in imusim.backends("cuda"):
            out = imusim.acc_loss(p, q, mask, time_dim=td, backend=be)
            ref = ref_acc_loss(p.double(), q.double(), mask, time_dim=td % 4)
            torch.testing.assert_close(out.double(), ref, rtol=1e-4, atol=1e-6)
            g, = torch.autograd.grad(out, p)
            pr = p.detach().double().requires_grad_()
            gr, = torch.autograd.grad(ref_acc_loss(pr, q.double(), mask, time_dim=td % 4), pr)
            torch.testing.assert_close(g.double(), gr, rtol=1e-3, atol=1e-7)


# ------------------------------------------------------- eager fused path (cpp, cuda) and edge cases
CPP = [b for b in BACKENDS if b.values[1] == "cpp"]
FUSED = [b for b in BACKENDS if b.values[1] in ("cpp", "cuda")]


@pytest.mark.parametrize("device,backend", FUSED)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_path_weights_retain_graph_and_target_only(device, backend, reduction):
    """One-pass forward+backward: incoming gradient != 1 (scaled in place), a second backward through
    the same graph (recomputed), and a gradient to target only (custom-op backward)."""
    gen = torch.Generator().manual_seed(21)
    p = torch.randn(3, 14, 4, 3, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    q = torch.randn(3, 14, 4, 3, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    mask = lengths_mask(3, 14, gen, min_len=1).to(device)
    out = imusim.acc_loss(p, q, mask, reduction=reduction, backend=backend)
    w = (torch.randn(out.shape, generator=gen, dtype=torch.float64) * 3).to(device)
    g1 = torch.autograd.grad(out, (p, q), w, retain_graph=True)
    g2 = torch.autograd.grad(out, (p, q), w)
    pr, qr = p.detach().clone().requires_grad_(), q.detach().clone().requires_grad_()
    gr = torch.autograd.grad(ref_acc_loss(pr, qr, mask, reduction=reduction), (pr, qr), w)
    for a, b, c in zip(g1, g2, gr):
        torch.testing.assert_close(a, c, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(b, c, rtol=1e-10, atol=1e-12)
    # loss.backward() with grad 1 hands the one-pass buffer to .grad; a later .backward accumulates
    p.grad = None
    imusim.acc_loss(p, q.detach(), mask, reduction=reduction, backend=backend).sum().backward()
    first = p.grad.clone()
    imusim.acc_loss(p, q.detach(), mask, reduction=reduction, backend=backend).sum().backward()
    torch.testing.assert_close(p.grad, 2 * first)
    gq, = torch.autograd.grad(imusim.acc_loss(p.detach(), q, mask, reduction=reduction, backend=backend).sum(), q)
    torch.testing.assert_close(gq, -first)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cuda_fused_path_in_a_cuda_graph(reduction):
    """The one-pass CUDA path captured in a CUDA graph (no host synchronisation inside: the incoming gradient is
    applied, not tested) and replayed on new inputs gives the reference's loss and gradient; bf16 accumulates in
    float32."""
    gen = torch.Generator().manual_seed(4)
    shape = (16, 50, 22, 3)
    p = torch.randn(shape, generator=gen).cuda().requires_grad_()
    q = torch.randn(shape, generator=gen).cuda()
    mask = lengths_mask(16, 50, gen, min_len=3).cuda()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):  # warm-up on a side stream, as torch.cuda.graphs asks
        for _ in range(2):
            out = imusim.acc_loss(p, q, mask, reduction=reduction, backend="cuda")
            torch.autograd.grad(out.sum(), p)
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = imusim.acc_loss(p, q, mask, reduction=reduction, backend="cuda")
        g, = torch.autograd.grad(out.sum(), p)
    for seed in (1, 2):
        gen.manual_seed(seed)
        with torch.no_grad():
            p.copy_(torch.randn(shape, generator=gen).cuda())
            q.copy_(torch.randn(shape, generator=gen).cuda())
        graph.replay()
        pr = p.detach().double().requires_grad_()
        ref = ref_acc_loss(pr, q.double(), mask, reduction=reduction)
        gr, = torch.autograd.grad(ref.sum(), pr)
        torch.testing.assert_close(out.double(), ref.detach(), rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(g.double(), gr, rtol=1e-4, atol=1e-8)
    pb = p.detach().bfloat16().requires_grad_()
    out = imusim.acc_loss(pb, q.bfloat16(), mask, reduction=reduction, backend="cuda")
    assert out.dtype == torch.float32
    gb, = torch.autograd.grad(out.sum(), pb)
    pr = pb.detach().double().requires_grad_()
    gr, = torch.autograd.grad(ref_acc_loss(pr, q.bfloat16().double(), mask, reduction=reduction).sum(), pr)
    torch.testing.assert_close(out.double(), ref_acc_loss(pr, q.bfloat16().double(), mask, reduction=reduction).detach(),
                               rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gb.double(), gr, rtol=2e-2, atol=1e-4)


@pytest.mark.parametrize("device,backend", BACKENDS)
@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1), (2, 3, 1, 1), (1, 301, 2), (2, 5, 1)])
def test_tiny_and_single_sample_shapes(device, backend, shape):
    """B=1, T=3, F=1 and a single long sample (split into frame chunks across threads)."""
    gen = torch.Generator().manual_seed(sum(shape))
    p = torch.randn(shape, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    q = torch.randn(shape, generator=gen, dtype=torch.float64).to(device).requires_grad_()
    for reduction in ("mean", "none"):
        for masked in (False, True):
            mask = lengths_mask(shape[0], shape[1], gen, min_len=2).to(device) if masked else None
            out = imusim.acc_loss(p, q, mask, reduction=reduction, backend=backend)
            ref = ref_acc_loss(p, q, mask, reduction=reduction)
            torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
            ga = torch.autograd.grad(out.sum(), (p, q))
            gb = torch.autograd.grad(ref.sum(), (p, q))
            for a, b in zip(ga, gb):
                torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
            with torch.no_grad():  # forward-only kernels
                torch.testing.assert_close(imusim.acc_loss(p, q, mask, reduction=reduction, backend=backend),
                                           ref.detach(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device,backend", CPP)
def test_mdm_expanded_and_strided_with_mask(device, backend):
    """MDM layout with a transposed target, a time-expanded (stride 0) pred and a non-contiguous mask."""
    gen = torch.Generator().manual_seed(8)
    q = torch.randn(3, 20, 30, generator=gen, dtype=torch.float64).permute(0, 2, 1)[:, :, None, :]  # [3,30,1,20]
    base = torch.randn(3, 30, 1, 1, generator=gen, dtype=torch.float64, requires_grad=True)
    mask = (torch.rand(20, 3, generator=gen) > 0.2).t()
    for p in (base.expand(3, 30, 1, 20), torch.randn(3, 30, 1, 20, generator=gen, dtype=torch.float64)):
        leaf = base if p.requires_grad else p.requires_grad_()
        out = imusim.acc_loss(p, q, mask, time_dim=-1, reduction="none", backend=backend)
        g, = torch.autograd.grad(out.sum(), leaf)
        ref = ref_acc_loss(p, q, mask, time_dim=3, reduction="none")
        gr, = torch.autograd.grad(ref.sum(), leaf)
        torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(g, gr, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("device,backend", CPP)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision_grad_to_target_cpp(device, backend, dtype):
    gen = torch.Generator().manual_seed(4)
    p = torch.randn(3, 30, 5, 3, generator=gen).to(dtype).requires_grad_()
    q = torch.randn(3, 30, 5, 3, generator=gen).to(dtype).requires_grad_()
    out = imusim.acc_loss(p, q, backend=backend, reduction="sum")
    gp, gq = torch.autograd.grad(2 * out, (p, q))
    assert out.dtype == torch.float32 and gp.dtype == dtype and gq.dtype == dtype
    assert torch.equal(gq, -gp)
    pr = p.detach().double().requires_grad_()
    gr, = torch.autograd.grad(2 * ref_acc_loss(pr, q.double(), reduction="sum"), pr)
    rtol, atol = TOL[dtype]
    torch.testing.assert_close(gp.double(), gr, rtol=rtol * 10, atol=atol * 10 * gr.abs().max().item())


@pytest.mark.parametrize("device,backend", [b for b in BACKENDS if b.values[1] == "triton"])
@pytest.mark.parametrize("wrt", ["pred", "target"])
def test_gradcheck_triton_mdm_layout(device, backend, wrt):
    gen = torch.Generator().manual_seed(12)
    p = torch.randn(2, 3, 1, 6, generator=gen, dtype=torch.float64).to(device)
    q = torch.randn(2, 3, 1, 6, generator=gen, dtype=torch.float64).to(device)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool, device=device)
    if wrt == "pred":
        f = lambda x: imusim.acc_loss(x, q, mask, time_dim=-1, reduction="none", backend=backend)  # noqa: E731
        assert torch.autograd.gradcheck(f, (p.clone().requires_grad_(),))
    else:
        f = lambda x: imusim.acc_loss(p, x, mask, time_dim=-1, backend=backend)  # noqa: E731
        assert torch.autograd.gradcheck(f, (q.clone().requires_grad_(),))
