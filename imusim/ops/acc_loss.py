"""L_acc: the acceleration loss of Häusler et al. (arXiv 2512.08859).

Conventions
-----------
* ``pred`` and ``target`` are ``[B, ...]`` with batch at dim 0 and time at ``time_dim`` (default 1,
  time-major ``[B, T, ...]``; MDM's ``[B, F, 1, T]`` layout uses ``time_dim=-1`` without a copy).
  All other dims are features.
* ``Δ²x[t] = x[t+1] − 2x[t] + x[t−1]`` for t = 1..T−2, divided by ``dt**2`` when ``dt`` is given.
* ``mask`` is bool ``[B, T]`` (True = valid frame); the term at t counts only where frames t−1, t
  and t+1 are all valid.
* Reductions over the valid (sample, t, feature) terms of ``(Δ²pred − Δ²target)²``: ``mean`` (their
  mean), ``sum``, ``none`` (per-sample mean, shape ``[B]``). A sample with no valid term contributes
  0 and gets 0 under ``none`` (never NaN); ``mean`` over a batch with no valid term is 0.
* An empty batch (B = 0, or no feature) gives 0 for ``mean``/``sum`` and an empty ``[B]`` for
  ``none``, with empty/zero gradients, on every backend.
* Frames where ``mask`` is False never reach the loss or any gradient, whatever they hold: padding
  full of NaN/inf gives the same loss and gradients as padding full of zeros.
* float16/bfloat16 inputs accumulate in float32 and return a float32 loss; float32/float64 return
  their own dtype. Accumulation of the per-sample sums is always in float64.

Dispatch: ``imusim._backend.resolve`` (``backend=`` > ``IMUSIM_BACKEND`` > fastest available).
The ``torch`` backend is the naive reference (plain autograd); the others compute the per-sample sums
with the custom op ``imusim::acc_loss_sums`` and the gradients with ``imusim::acc_loss_grads``
(hand-written, ``register_autograd``), so ``torch.compile`` traces through without graph breaks. The
grads op is differentiable itself (the loss is quadratic), so double backward (``create_graph=True``,
gradient penalties) and higher orders work; under functorch transforms (``torch.func.grad``, ``vmap``,
``jacrev``, ``jvp``, ``hessian``) the same two ops run inside ``autograd.Function``s with
``setup_context`` (custom-op autograd is not usable under functorch in this PyTorch); ``vmap`` folds
the mapped dim into the batch (one kernel call).

Eager ``cpp`` and ``cuda`` with ``pred.requires_grad`` (the training case) take a one-pass path instead
(``_Fused``): the forward kernel reads pred/target once and also writes the gradient for an
incoming gradient of 1; the backward hands that buffer over (scaled in place when the incoming
gradient is not 1) and it becomes ``pred.grad`` without a copy. On CUDA the buffer is always scaled in place
(telling whether the incoming gradient is 1 would cost a host synchronisation, which a training step must not
have; tests/diffusion/test_device_residency.py): one kernel over pred and target plus an in-place scale. Memory traffic 3N elements instead of
5N, extra memory = the gradient itself. The price: a forward under grad mode that is never
backpropagated still writes the gradient. Under ``torch.compile`` or functorch transforms the custom
ops are used; a backward with ``create_graph=True`` recomputes through the differentiable grads op.
"""

from __future__ import annotations

from typing import Optional

import torch

from .. import _backend
from ..reference.acc_loss import acc_loss as _ref_acc_loss
from ..reference.acc_loss import second_difference as _ref_second_difference
from ._validate import (check_choice, check_positive, check_same, check_tensor, fmt_shape, norm_dim)

_OP = "acc_loss"
REDUCTIONS = ("mean", "sum", "none")
_LOW = (torch.float16, torch.bfloat16)


# ----------------------------------------------------------------------------------------- helpers
def _as_btf(x: torch.Tensor, time_dim: int) -> torch.Tensor:
    """View ``x`` as [B, T, F] (no copy when the feature dims collapse; else a copy)."""
    y = x.movedim(time_dim, 1)
    B, T = y.shape[0], y.shape[1]
    F = 1
    for s in y.shape[2:]:
        F *= s
    try:
        return y.view(B, T, F)
    except RuntimeError:
        return y.reshape(B, T, F)


def term_mask(mask: torch.Tensor) -> torch.Tensor:
    """``[B, T-2]`` bool: the second-difference terms x[t] − 2x[t+1] + x[t+2] whose three frames are all valid
    in ``mask`` ``[B, T]`` (also the valid output frames of :func:`imusim.synthesize_imu`)."""
    return mask[:, :-2] & mask[:, 1:-1] & mask[:, 2:]


def _valid_terms(mask: Optional[torch.Tensor], B: int, T: int, device) -> torch.Tensor:
    """Number of valid second-difference terms per sample, float64 [B]."""
    if mask is None:
        return torch.full((B,), float(T - 2), dtype=torch.float64, device=device)
    return term_mask(mask).sum(1).to(torch.float64)


def _loss_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in _LOW else dtype


def _raw_sums(backend: str, p3: torch.Tensor, q3: torch.Tensor, m: Optional[torch.Tensor]) -> torch.Tensor:
    """Per-sample Σ w r² (float64 [B]) from the selected backend."""
    B = p3.shape[0]
    out = torch.zeros(B, dtype=torch.float64, device=p3.device)
    if backend == "cpp":
        if p3.dtype in _LOW:
            p3, q3 = p3.float(), q3.float()
        _backend.cpu_module().acc_loss_forward(
            dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape), pred_strides=list(p3.stride()),
            target=q3.data_ptr(), target_strides=list(q3.stride()), mask=m.data_ptr() if m is not None else 0,
            out=out.data_ptr())
    elif backend == "cuda":
        _backend.cuda_module().acc_loss_forward(
            dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape), pred_strides=list(p3.stride()),
            target=q3.data_ptr(), target_strides=list(q3.stride()), mask=m.data_ptr() if m is not None else 0,
            out=out.data_ptr(), stream=_backend.cuda_stream(p3))
    elif backend == "triton":
        from ..triton import acc_loss as tk
        tk.forward(p3, q3, m, out)
    else:  # pragma: no cover - resolve() guarantees a known backend
        raise AssertionError(backend)
    return out


def _grads(backend: str, p3: torch.Tensor, q3: torch.Tensor, m: Optional[torch.Tensor], coef: torch.Tensor,
           gp3: torch.Tensor, gq3: Optional[torch.Tensor]) -> None:
    if backend == "cpp":
        _backend.cpu_module().acc_loss_backward(
            dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape), pred_strides=list(p3.stride()),
            target=q3.data_ptr(), target_strides=list(q3.stride()), mask=m.data_ptr() if m is not None else 0,
            coef=coef.data_ptr(), grad_pred=gp3.data_ptr(), grad_pred_strides=list(gp3.stride()),
            grad_target=gq3.data_ptr() if gq3 is not None else 0,
            grad_target_strides=list(gq3.stride()) if gq3 is not None else [0, 0, 0])
    elif backend == "cuda":
        _backend.cuda_module().acc_loss_backward(
            dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape), pred_strides=list(p3.stride()),
            target=q3.data_ptr(), target_strides=list(q3.stride()), mask=m.data_ptr() if m is not None else 0,
            coef=coef.data_ptr(), grad_pred=gp3.data_ptr(), grad_pred_strides=list(gp3.stride()),
            grad_target=gq3.data_ptr() if gq3 is not None else 0,
            grad_target_strides=list(gq3.stride()) if gq3 is not None else [0, 0, 0],
            stream=_backend.cuda_stream(p3))
    elif backend == "triton":
        from ..triton import acc_loss as tk
        tk.backward(p3, q3, m, coef, gp3, gq3)
    else:  # pragma: no cover
        raise AssertionError(backend)


def _mask_u8(mask: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    return None if mask is None else mask.contiguous().view(torch.uint8)


def _grad_buffer(x: torch.Tensor, time_dim: int, work_dtype: torch.dtype):
    """A gradient tensor shaped like ``x`` plus its [B, T, F] kernel view (laid out like ``x``)."""
    g = torch.empty_like(x, dtype=work_dtype)
    y = g.movedim(time_dim, 1)
    B, T = y.shape[0], y.shape[1]
    F = 1
    for s in y.shape[2:]:
        F *= s
    try:
        return g, y.view(B, T, F)
    except RuntimeError:
        g3 = torch.empty(B, T, F, dtype=work_dtype, device=x.device)
        return g3.view(B, T, *y.shape[2:]).movedim(1, time_dim), g3


# ------------------------------------------------------------------------------------ custom ops
# Two kernel-backed ops; everything else (the reduction, the dt⁻⁴ scale, the valid-term counts, the
# chain rule from the loss to the per-sample sums) is plain PyTorch around them, so autograd, double
# backward, torch.compile and the functorch transforms see ordinary differentiable code:
#   imusim::acc_loss_sums  (pred, target)       -> S[b] = Σ_{t,f} w r²            (float64 [B])
#   imusim::acc_loss_grads (coef, pred, target) -> G[b] = coef[b] · Dᵀ W D (pred − target)[b], −G
# (D = second difference along time, W = valid terms). dS[b]/dpred = 2 Dᵀ W D e[b], so the backward
# of the sums is the grads op with coef = 2·grad; the grads op is linear in coef and in pred − target
# with a symmetric operator, so its own backward is the grads op again (any order of derivative).
@torch.library.custom_op("imusim::acc_loss_sums", mutates_args=())
def _sums_op(pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor], time_dim: int,
             backend: str) -> torch.Tensor:
    return _raw_sums(backend, _as_btf(pred, time_dim), _as_btf(target, time_dim), _mask_u8(mask))


@_sums_op.register_fake
def _(pred, target, mask, time_dim, backend):
    return pred.new_empty((pred.shape[0],), dtype=torch.float64)


@torch.library.custom_op("imusim::acc_loss_grads", mutates_args=())
def _grads_op(coef: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor],
              time_dim: int, backend: str, need_target: bool) -> tuple[torch.Tensor, torch.Tensor]:
    p3, q3 = _as_btf(pred, time_dim), _as_btf(target, time_dim)
    work = pred.dtype
    if backend == "cpp" and pred.dtype in _LOW:
        work = torch.float32
        p3, q3 = p3.float(), q3.float()
    gp, gp3 = _grad_buffer(pred, time_dim, work)
    if need_target:
        gq, gq3 = _grad_buffer(target, time_dim, work)
    else:
        gq, gq3 = pred.new_empty((0,)), None
    if pred.numel():
        _grads(backend, p3, q3, _mask_u8(mask), coef.to(torch.float64).contiguous(), gp3, gq3)
    else:
        gp.zero_()
        gq.zero_()
    if work != pred.dtype:
        gp = gp.to(pred.dtype)
        gq = gq.to(pred.dtype)
    return gp, gq


@_grads_op.register_fake
def _(coef, pred, target, mask, time_dim, backend, need_target):
    return torch.empty_like(pred), (torch.empty_like(target) if need_target else pred.new_empty((0,)))


def _sums_backward(grads, ctx, gs):
    """d S / d (pred, target) for an incoming gradient ``gs`` [B]; ``grads`` applies the grads op."""
    pred, target, mask = ctx.saved_tensors
    time_dim, backend = ctx.args
    need_pred, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    if not (need_pred or need_target):
        return None, None, None, None, None
    gp, gq = grads(2.0 * gs.to(torch.float64), pred, target, mask, time_dim, backend, need_target)
    return (gp if need_pred else None), (gq if need_target else None), None, None, None


def _grads_backward(grads, ctx, up, uq):
    """Backward of G = coef · K (pred − target), Gq = −G (K = Dᵀ W D, symmetric): for incoming
    gradients (up, uq) and v = up − uq: d/dpred = coef · K v, d/dtarget = −coef · K v,
    d/dcoef[b] = ⟨v[b], K e[b]⟩."""
    coef, pred, target, mask = ctx.saved_tensors
    time_dim, backend, need_target = ctx.args
    need_coef, need_pred, need_target_in = ctx.needs_input_grad[0], ctx.needs_input_grad[1], ctx.needs_input_grad[2]
    v = up
    if need_target and uq is not None and uq.shape == pred.shape:
        v = -uq if v is None else v - uq
    if v is None or not (need_coef or need_pred or need_target_in):
        return None, None, None, None, None, None, None
    d_coef = d_pred = d_target = None
    if need_pred or need_target_in:
        kv, _ = grads(coef, v, torch.zeros_like(v), mask, time_dim, backend, False)
        d_pred = kv if need_pred else None
        d_target = -kv if need_target_in else None
    if need_coef:
        ke, _ = grads(torch.ones_like(coef), pred, target, mask, time_dim, backend, False)
        B = pred.shape[0]
        d_coef = (v.to(torch.float64) * ke.to(torch.float64)).reshape(B, -1).sum(1)
    return d_coef, d_pred, d_target, None, None, None, None


def _sums_setup(ctx, inputs, output):
    pred, target, mask, time_dim, backend = inputs
    ctx.save_for_backward(pred, target, mask)
    ctx.args = (time_dim, backend)


def _grads_setup(ctx, inputs, output):
    coef, pred, target, mask, time_dim, backend, need_target = inputs
    ctx.save_for_backward(coef, pred, target, mask)
    ctx.args = (time_dim, backend, need_target)


_sums_op.register_autograd(lambda ctx, gs: _sums_backward(_grads_op, ctx, gs), setup_context=_sums_setup)
_grads_op.register_autograd(lambda ctx, up, uq: _grads_backward(_grads_op, ctx, up, uq), setup_context=_grads_setup)


# vmap: the vmapped dim is folded into the batch (one kernel call for all of it), then unfolded.
def _fold(x: Optional[torch.Tensor], d: Optional[int], V: int) -> Optional[torch.Tensor]:
    if x is None:
        return None
    x = x.movedim(d, 0) if d is not None else x.unsqueeze(0).expand(V, *x.shape)
    return x.reshape(V * x.shape[1], *x.shape[2:])


@torch.library.register_vmap("imusim::acc_loss_sums")
def _(info, in_dims, pred, target, mask, time_dim, backend):
    V = info.batch_size
    pd, qd, md = in_dims[:3]
    s = _sums_op(_fold(pred, pd, V), _fold(target, qd, V), _fold(mask, md, V), time_dim, backend)
    return s.view(V, -1), 0


@torch.library.register_vmap("imusim::acc_loss_grads")
def _(info, in_dims, coef, pred, target, mask, time_dim, backend, need_target):
    V = info.batch_size
    cd, pd, qd, md = in_dims[:4]
    p = _fold(pred, pd, V)
    gp, gq = _grads_op(_fold(coef, cd, V), p, _fold(target, qd, V), _fold(mask, md, V), time_dim, backend,
                       need_target)
    B = p.shape[0] // V
    gp = gp.unflatten(0, (V, B))
    if need_target:
        return (gp, gq.unflatten(0, (V, B))), (0, 0)
    return (gp, gq), (0, None)


class _SumsFn(torch.autograd.Function):
    """The sums op for functorch transforms (``torch.func.grad``/``vmap``/``jacrev``/``jvp``/``hessian``):
    custom ops with ``register_autograd`` are not usable under them in this PyTorch (pytorch#168393), an
    ``autograd.Function`` with ``setup_context`` is."""
    generate_vmap_rule = True

    @staticmethod
    def forward(pred, target, mask, time_dim, backend):
        return _sums_op(pred, target, mask, time_dim, backend)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _sums_setup(ctx, inputs, output)
        ctx.save_for_forward(inputs[0], inputs[1], inputs[2])

    @staticmethod
    def backward(ctx, gs):
        return _sums_backward(_GradsFn.apply, ctx, gs)

    @staticmethod
    def jvp(ctx, tp, tq, tm, t_time_dim, t_backend):
        pred, target, mask = ctx.saved_tensors
        time_dim, backend = ctx.args
        v = tp if tp is not None else None
        if tq is not None:
            v = -tq if v is None else v - tq
        if v is None:
            return torch.zeros(pred.shape[0], dtype=torch.float64, device=pred.device)
        ke, _ = _GradsFn.apply(torch.full((pred.shape[0],), 2.0, dtype=torch.float64, device=pred.device), pred,
                               target, mask, time_dim, backend, False)
        return (v.to(torch.float64) * ke.to(torch.float64)).reshape(pred.shape[0], -1).sum(1)


class _GradsFn(torch.autograd.Function):
    """The grads op for functorch transforms (see :class:`_SumsFn`); its backward is itself."""
    generate_vmap_rule = True

    @staticmethod
    def forward(coef, pred, target, mask, time_dim, backend, need_target):
        return _grads_op(coef, pred, target, mask, time_dim, backend, need_target)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _grads_setup(ctx, inputs, output)
        ctx.save_for_forward(*inputs[:4])

    @staticmethod
    def backward(ctx, up, uq):
        return _grads_backward(_GradsFn.apply, ctx, up, uq)

    @staticmethod
    def jvp(ctx, tc, tp, tq, tm, t_time_dim, t_backend, t_need_target):
        # G = coef · K (pred − target) is bilinear: dG = dcoef · K e + coef · K (dpred − dtarget)
        coef, pred, target, mask = ctx.saved_tensors
        time_dim, backend, need_target = ctx.args
        dG = torch.zeros_like(pred)
        if tc is not None:
            dG = dG + _GradsFn.apply(tc, pred, target, mask, time_dim, backend, False)[0]
        if tp is not None or tq is not None:
            tp = tp if tp is not None else torch.zeros_like(pred)
            tq = tq if tq is not None else torch.zeros_like(pred)
            dG = dG + _GradsFn.apply(coef, tp, tq, mask, time_dim, backend, False)[0]
        return dG, (-dG if need_target else pred.new_zeros((0,)))


# --------------------------------------------------------------- eager fused path (cpp and cuda backends)
def _coef(reduction: str, n: torch.Tensor, scale: float) -> torch.Tensor:
    """d loss / d (Σ_b w r²) times the chain-rule factor 2, per sample (float64 [B], contiguous)."""
    if reduction == "sum":
        return torch.full_like(n, 2.0 * scale)
    if reduction == "mean":
        return torch.full_like(n, 2.0 * scale) / n.sum().clamp_min(1.0)
    return torch.where(n > 0, 2.0 * scale / n.clamp_min(1.0), torch.zeros_like(n))


def _reduce(reduction: str, sums: torch.Tensor, n: torch.Tensor, scale: float, dtype) -> torch.Tensor:
    if reduction == "sum":
        out = sums.sum() * scale
    elif reduction == "mean":
        out = sums.sum() * scale / n.sum().clamp_min(1.0)
    else:
        out = torch.where(n > 0, sums * scale / n.clamp_min(1.0), torch.zeros_like(sums))
    return out.to(dtype)


class _Fused(torch.autograd.Function):
    """Eager autograd on the ``cpp`` or ``cuda`` backend with ONE pass over the data for forward + backward.

    The forward kernel also writes the gradient for an incoming gradient of 1 (the reduction's
    normalisation is known in the forward). The backward then returns that buffer as is when the
    incoming gradient is exactly 1 (``loss.backward()`` on L_acc itself), or scales it in place
    otherwise; the buffer becomes ``pred.grad`` (no copy), so the extra memory is the gradient itself.
    A second backward through the same graph (``retain_graph=True``) recomputes with the grads op, and
    so does a backward with ``create_graph=True`` (then through the differentiable grads op: double
    backward works). ``torch.compile`` and functorch never see this class.
    """

    @staticmethod
    def forward(ctx, pred, target, mask, time_dim, reduction, dt, need_target, backend):
        p3, q3 = _as_btf(pred, time_dim), _as_btf(target, time_dim)
        B, T, F = p3.shape
        scale = 1.0 if dt is None else 1.0 / dt ** 4
        n = _valid_terms(mask, B, T, pred.device) * F
        coef = _coef(reduction, n, scale)
        # cpp computes half precision in float32 copies; the CUDA kernel reads them and accumulates in float32
        work = torch.float32 if pred.dtype in _LOW and backend == "cpp" else pred.dtype
        if work != pred.dtype:
            p3, q3 = p3.float(), q3.float()
        gp, gp3 = _grad_buffer(pred, time_dim, work)
        gq, gq3 = _grad_buffer(target, time_dim, work) if need_target else (None, None)
        m = _mask_u8(mask)
        kw = dict(dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape),
                  pred_strides=list(p3.stride()), target=q3.data_ptr(), target_strides=list(q3.stride()),
                  mask=m.data_ptr() if m is not None else 0, coef=coef.data_ptr(), grad_pred=gp3.data_ptr(),
                  grad_pred_strides=list(gp3.stride()), grad_target=gq3.data_ptr() if gq3 is not None else 0,
                  grad_target_strides=list(gq3.stride()) if gq3 is not None else [0, 0, 0])
        if backend == "cuda":
            sums = torch.zeros(B, dtype=torch.float64, device=pred.device)
            _backend.cuda_module().acc_loss_fused(out=sums.data_ptr(), stream=_backend.cuda_stream(p3), **kw)
        else:
            sums = torch.empty(B, dtype=torch.float64)
            _backend.cpu_module().acc_loss_fused(out=sums.data_ptr(), **kw)
        ctx.grads = (gp, gq)
        ctx.save_for_backward(pred, target, mask)
        ctx.args = (time_dim, reduction, dt, backend)
        return _reduce(reduction, sums, n, scale, _loss_dtype(pred.dtype))

    @staticmethod
    def backward(ctx, grad):
        need_pred, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grads, ctx.grads = ctx.grads, None
        pred, target, mask = ctx.saved_tensors
        time_dim, reduction, dt, backend = ctx.args
        if grads is None or (need_target and grads[1] is None) or torch.is_grad_enabled():
            # second backward, or create_graph=True: recompute through the differentiable ops
            p3 = _as_btf(pred.detach(), time_dim)
            B, T, F = p3.shape
            scale = 1.0 if dt is None else 1.0 / dt ** 4
            n = _valid_terms(mask, B, T, pred.device) * F
            coef = _coef(reduction, n, scale) * grad.to(torch.float64).expand(B)
            gp, gq = _grads_op(coef, pred, target, mask, time_dim, backend, need_target)
        else:
            gp, gq = grads
            grads = None
            if reduction == "none":
                if grad.is_cuda or not bool((grad == 1).all()):  # CUDA: never read back (no host sync)
                    g = grad.view((-1,) + (1,) * (pred.dim() - 1))
                    gp.mul_(g)
                    if gq is not None:
                        gq.mul_(g)
            elif grad.is_cuda or grad.item() != 1.0:  # CUDA: scaled without reading the gradient back (no sync)
                gp.mul_(grad)
                if gq is not None:
                    gq.mul_(grad)
            if gp.dtype != pred.dtype:
                gp = gp.to(pred.dtype)
                gq = gq.to(pred.dtype) if gq is not None else None
        return (gp if need_pred else None), (gq if need_target else None), None, None, None, None, None, None


# ------------------------------------------------------------------------------------- public API
def _validate(pred, target, mask, time_dim, reduction, dt):
    check_tensor("pred", pred, op=_OP, min_dim=2)
    check_tensor("target", target, op=_OP)
    check_same("target", target, "pred", pred, op=_OP)
    td = norm_dim("time_dim", time_dim, pred.dim(), op=_OP)
    if td == 0:
        raise ValueError(f"{_OP}: time_dim must not be the batch dim 0, got {time_dim}")
    T = pred.shape[td]
    if T < 3:
        raise ValueError(f"{_OP}: pred needs at least 3 frames along time_dim={time_dim}, got {T} "
                         f"(shape {fmt_shape(pred.shape)})")
    check_choice("reduction", reduction, REDUCTIONS, op=_OP)
    check_positive("dt", dt, op=_OP)
    if mask is not None:
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"{_OP}: mask must be a bool torch.Tensor or None, got {type(mask).__name__}")
        if mask.dtype != torch.bool:
            raise TypeError(f"{_OP}: mask must have dtype bool, got {str(mask.dtype).replace('torch.', '')}")
        expect = (pred.shape[0], T)
        if tuple(mask.shape) != expect:
            raise ValueError(f"{_OP}: mask must have shape {fmt_shape(expect)} ([B, T]), got {fmt_shape(mask.shape)}")
        if mask.device != pred.device:
            raise ValueError(f"{_OP}: mask must be on pred's device {pred.device}, got {mask.device}")
    return td


def acc_loss(pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor] = None, *,
             time_dim: int = 1, reduction: str = "mean", dt: Optional[float] = None,
             backend: Optional[str] = None) -> torch.Tensor:
    """Acceleration loss L_acc = reduce((Δ²pred − Δ²target)²) over valid terms.

    Args:
        pred: ``[B, ..., T, ...]`` floating tensor, time at ``time_dim``.
        target: same shape, dtype and device as ``pred``; gets a gradient when it requires one.
        mask: optional bool ``[B, T]``, True = valid frame (MDM-style padding).
        time_dim: the time dimension (not 0). ``-1`` for MDM's ``[B, F, 1, T]``.
        reduction: ``"mean"`` (scalar), ``"sum"`` (scalar) or ``"none"`` (``[B]`` per-sample means).
        dt: frame interval in s; when given, Δ² is divided by dt² (a physical acceleration, m/s²).
        backend: ``"cuda"``, ``"triton"``, ``"cpp"`` or ``"torch"``; default: fastest available.

    Returns:
        The loss: scalar, or ``[B]`` for ``reduction="none"``.
    """
    td = _validate(pred, target, mask, time_dim, reduction, dt)
    be = _backend.resolve(backend, pred.device, op=_OP)
    dt = None if dt is None else float(dt)
    if be == "torch" or pred.numel() == 0:  # an empty batch (B or F = 0) is the same on every backend
        return _ref_acc_loss(pred, target, mask, time_dim=td, reduction=reduction, dt=dt)
    compiling = torch.compiler.is_compiling()
    functorch = not compiling and torch._C._functorch.peek_interpreter_stack() is not None
    if (be in ("cpp", "cuda") and pred.requires_grad and torch.is_grad_enabled() and not compiling and not functorch):
        return _Fused.apply(pred, target, mask, td, reduction, dt, target.requires_grad, be)
    sums = (_SumsFn.apply if functorch else _sums_op)(pred, target, mask, td, be)
    B, T = pred.shape[0], pred.shape[td]
    n = _valid_terms(mask, B, T, pred.device) * (pred.numel() // max(B * T, 1))
    return _reduce(reduction, sums, n, 1.0 if dt is None else 1.0 / dt ** 4, _loss_dtype(pred.dtype))


def second_difference(x: torch.Tensor, time_dim: int = 1, dt: Optional[float] = None) -> torch.Tensor:
    """Δ²x[t] = x[t+1] − 2x[t] + x[t−1] along ``time_dim`` for t = 1..T−2.

    Args:
        x: floating tensor with at least 3 frames along ``time_dim``.
        dt: frame interval in s; when given the result is divided by dt² (m/s² for positions in m).

    Returns:
        Tensor shaped like ``x`` with T−2 frames along ``time_dim``.
    """
    op = "second_difference"
    check_tensor("x", x, op=op, min_dim=1)
    td = norm_dim("time_dim", time_dim, x.dim(), op=op)
    if x.shape[td] < 3:
        raise ValueError(f"{op}: x needs at least 3 frames along time_dim={time_dim}, got {x.shape[td]}")
    check_positive("dt", dt, op=op)
    return _ref_second_difference(x, td, None if dt is None else float(dt))
