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
* float16/bfloat16 inputs accumulate in float32 and return a float32 loss; float32/float64 return
  their own dtype. Accumulation of the per-sample sums is always in float64.

Dispatch: ``imusim._backend.resolve`` (``backend=`` > ``IMUSIM_BACKEND`` > fastest available).
The ``torch`` backend is the naive reference (plain autograd); the others go through the custom op
``imusim::acc_loss`` with a hand-written backward (``register_autograd``), so ``torch.compile``
traces through without graph breaks.

Eager ``cpp`` with ``pred.requires_grad`` (the training case) takes a one-pass path instead
(``_FusedCpp``): the forward kernel reads pred/target once and also writes the gradient for an
incoming gradient of 1; the backward hands that buffer over (scaled in place when the incoming
gradient is not 1) and it becomes ``pred.grad`` without a copy. Memory traffic 3N elements instead of
5N, extra memory = the gradient itself. The price: a forward under grad mode that is never
backpropagated still writes the gradient. Under ``torch.compile`` or functorch transforms the custom
op is used.
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
_DTYPE_CODE = {torch.float32: 0, torch.float64: 1, torch.float16: 2, torch.bfloat16: 3}


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


def _valid_terms(mask: Optional[torch.Tensor], B: int, T: int, device) -> torch.Tensor:
    """Number of valid second-difference terms per sample, float64 [B]."""
    if mask is None:
        return torch.full((B,), float(T - 2), dtype=torch.float64, device=device)
    return (mask[:, :-2] & mask[:, 1:-1] & mask[:, 2:]).sum(1).to(torch.float64)


def _loss_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in _LOW else dtype


def _raw_sums(backend: str, p3: torch.Tensor, q3: torch.Tensor, m: Optional[torch.Tensor]) -> torch.Tensor:
    """Per-sample Σ w r² (float64 [B]) from the selected backend."""
    B = p3.shape[0]
    out = torch.zeros(B, dtype=torch.float64, device=p3.device)
    if backend == "cpp":
        if p3.dtype in _LOW:
            p3, q3 = p3.float(), q3.float()
        C = _backend.cpu_module()
        fn = C.acc_loss_forward_f32 if p3.dtype == torch.float32 else C.acc_loss_forward_f64
        fn(p3.data_ptr(), list(p3.shape), list(p3.stride()), q3.data_ptr(), list(q3.stride()),
           m.data_ptr() if m is not None else 0, out.data_ptr())
    elif backend == "cuda":
        C = _backend.cuda_module()
        C.acc_loss_forward(_DTYPE_CODE[p3.dtype], p3.data_ptr(), list(p3.shape), list(p3.stride()),
                           q3.data_ptr(), list(q3.stride()), m.data_ptr() if m is not None else 0,
                           out.data_ptr(), torch.cuda.current_stream(p3.device).cuda_stream)
    elif backend == "triton":
        from ..triton import acc_loss as tk
        tk.forward(p3, q3, m, out)
    else:  # pragma: no cover - resolve() guarantees a known backend
        raise AssertionError(backend)
    return out


def _grads(backend: str, p3: torch.Tensor, q3: torch.Tensor, m: Optional[torch.Tensor], coef: torch.Tensor,
           gp3: torch.Tensor, gq3: Optional[torch.Tensor]) -> None:
    if backend == "cpp":
        C = _backend.cpu_module()
        fn = C.acc_loss_backward_f32 if p3.dtype == torch.float32 else C.acc_loss_backward_f64
        fn(p3.data_ptr(), list(p3.shape), list(p3.stride()), q3.data_ptr(), list(q3.stride()),
           m.data_ptr() if m is not None else 0, coef.data_ptr(), gp3.data_ptr(), list(gp3.stride()),
           gq3.data_ptr() if gq3 is not None else 0, list(gq3.stride()) if gq3 is not None else [0, 0, 0])
    elif backend == "cuda":
        C = _backend.cuda_module()
        C.acc_loss_backward(_DTYPE_CODE[p3.dtype], p3.data_ptr(), list(p3.shape), list(p3.stride()),
                            q3.data_ptr(), list(q3.stride()), m.data_ptr() if m is not None else 0,
                            coef.data_ptr(), gp3.data_ptr(), list(gp3.stride()),
                            gq3.data_ptr() if gq3 is not None else 0,
                            list(gq3.stride()) if gq3 is not None else [0, 0, 0],
                            torch.cuda.current_stream(p3.device).cuda_stream)
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
    try:
        return g, y.view(y.shape[0], y.shape[1], -1)
    except RuntimeError:
        B, T = y.shape[0], y.shape[1]
        g3 = torch.empty(B, T, y[0, 0].numel(), dtype=work_dtype, device=x.device)
        return g3.view(B, T, *y.shape[2:]).movedim(1, time_dim), g3


# ------------------------------------------------------------------------------------ custom ops
@torch.library.custom_op("imusim::acc_loss", mutates_args=())
def _acc_loss_op(pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor], time_dim: int,
                 reduction: str, dt: Optional[float], backend: str) -> torch.Tensor:
    p3, q3 = _as_btf(pred, time_dim), _as_btf(target, time_dim)
    B, T, F = p3.shape
    sums = _raw_sums(backend, p3, q3, _mask_u8(mask))
    scale = 1.0 if dt is None else 1.0 / dt ** 4
    n = _valid_terms(mask, B, T, pred.device) * F
    return _reduce(reduction, sums, n, scale, _loss_dtype(pred.dtype))


@_acc_loss_op.register_fake
def _(pred, target, mask, time_dim, reduction, dt, backend):
    shape = (pred.shape[0],) if reduction == "none" else ()
    return pred.new_empty(shape, dtype=_loss_dtype(pred.dtype))


@torch.library.custom_op("imusim::acc_loss_backward", mutates_args=())
def _acc_loss_bwd_op(grad: torch.Tensor, pred: torch.Tensor, target: torch.Tensor, mask: Optional[torch.Tensor],
                     time_dim: int, reduction: str, dt: Optional[float], backend: str,
                     need_target: bool) -> tuple[torch.Tensor, torch.Tensor]:
    p3, q3 = _as_btf(pred, time_dim), _as_btf(target, time_dim)
    B, T, F = p3.shape
    scale = 1.0 if dt is None else 1.0 / dt ** 4
    g = grad.to(torch.float64)
    if reduction == "sum":
        coef = (2.0 * scale) * g.expand(B)
    elif reduction == "mean":
        n = _valid_terms(mask, B, T, pred.device) * F
        coef = (2.0 * scale) * g.expand(B) / n.sum().clamp_min(1.0)
    else:
        n = _valid_terms(mask, B, T, pred.device) * F
        coef = torch.where(n > 0, 2.0 * scale * g / n.clamp_min(1.0), torch.zeros_like(g))
    coef = coef.contiguous()
    work = pred.dtype
    if backend == "cpp" and pred.dtype in _LOW:
        work = torch.float32
        p3, q3 = p3.float(), q3.float()
    gp, gp3 = _grad_buffer(pred, time_dim, work)
    if need_target:
        gq, gq3 = _grad_buffer(target, time_dim, work)
    else:
        gq, gq3 = pred.new_empty((0,)), None
    _grads(backend, p3, q3, _mask_u8(mask), coef, gp3, gq3)
    if work != pred.dtype:
        gp = gp.to(pred.dtype)
        gq = gq.to(pred.dtype)
    return gp, gq


@_acc_loss_bwd_op.register_fake
def _(grad, pred, target, mask, time_dim, reduction, dt, backend, need_target):
    return torch.empty_like(pred), (torch.empty_like(target) if need_target else pred.new_empty((0,)))


def _setup_context(ctx, inputs, output):
    pred, target, mask, time_dim, reduction, dt, backend = inputs
    ctx.save_for_backward(pred, target, mask)
    ctx.args = (time_dim, reduction, dt, backend)


def _backward(ctx, grad):
    pred, target, mask = ctx.saved_tensors
    need_pred, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    if not (need_pred or need_target):
        return None, None, None, None, None, None, None
    gp, gq = _acc_loss_bwd_op(grad, pred, target, mask, *ctx.args, need_target)
    return (gp if need_pred else None), (gq if need_target else None), None, None, None, None, None


_acc_loss_op.register_autograd(_backward, setup_context=_setup_context)


# ------------------------------------------------------------------- eager fused path (cpp backend)
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


class _FusedCpp(torch.autograd.Function):
    """Eager autograd on the ``cpp`` backend with ONE pass over the data for forward + backward.

    The forward kernel also writes the gradient for an incoming gradient of 1 (the reduction's
    normalisation is known in the forward). The backward then returns that buffer as is when the
    incoming gradient is exactly 1 (``loss.backward()`` on L_acc itself), or scales it in place
    otherwise; the buffer becomes ``pred.grad`` (no copy), so the extra memory is the gradient itself.
    A second backward through the same graph (``retain_graph=True``) recomputes with the backward
    kernel. ``torch.compile`` never sees this class: under compilation the custom op is used.
    """

    @staticmethod
    def forward(ctx, pred, target, mask, time_dim, reduction, dt, need_target):
        p3, q3 = _as_btf(pred, time_dim), _as_btf(target, time_dim)
        B, T, F = p3.shape
        scale = 1.0 if dt is None else 1.0 / dt ** 4
        n = _valid_terms(mask, B, T, pred.device) * F
        coef = _coef(reduction, n, scale)
        work = torch.float32 if pred.dtype in _LOW else pred.dtype
        if work != pred.dtype:
            p3, q3 = p3.float(), q3.float()
        gp, gp3 = _grad_buffer(pred, time_dim, work)
        gq, gq3 = _grad_buffer(target, time_dim, work) if need_target else (None, None)
        sums = torch.empty(B, dtype=torch.float64)
        m = _mask_u8(mask)
        C = _backend.cpu_module()
        fn = C.acc_loss_fused_f32 if work == torch.float32 else C.acc_loss_fused_f64
        fn(p3.data_ptr(), list(p3.shape), list(p3.stride()), q3.data_ptr(), list(q3.stride()),
           m.data_ptr() if m is not None else 0, coef.data_ptr(), sums.data_ptr(), gp3.data_ptr(),
           list(gp3.stride()), gq3.data_ptr() if gq3 is not None else 0,
           list(gq3.stride()) if gq3 is not None else [0, 0, 0])
        ctx.grads = (gp, gq)
        ctx.save_for_backward(pred, target, mask)
        ctx.args = (time_dim, reduction, dt)
        return _reduce(reduction, sums, n, scale, _loss_dtype(pred.dtype))

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        need_pred, need_target = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grads, ctx.grads = ctx.grads, None
        pred, target, mask = ctx.saved_tensors
        time_dim, reduction, dt = ctx.args
        if grads is None or (need_target and grads[1] is None):  # second backward: recompute
            gp, gq = _acc_loss_bwd_op(grad, pred, target, mask, time_dim, reduction, dt, "cpp", need_target)
        else:
            gp, gq = grads
            grads = None
            if reduction == "none":
                if not bool((grad == 1).all()):
                    g = grad.view((-1,) + (1,) * (pred.dim() - 1))
                    gp.mul_(g)
                    if gq is not None:
                        gq.mul_(g)
            elif grad.item() != 1.0:
                gp.mul_(grad)
                if gq is not None:
                    gq.mul_(grad)
            if gp.dtype != pred.dtype:
                gp = gp.to(pred.dtype)
                gq = gq.to(pred.dtype) if gq is not None else None
        return (gp if need_pred else None), (gq if need_target else None), None, None, None, None, None


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
    if be == "torch":
        return _ref_acc_loss(pred, target, mask, time_dim=td, reduction=reduction, dt=dt)
    if (be == "cpp" and pred.requires_grad and torch.is_grad_enabled()
            and not torch.compiler.is_compiling() and torch._C._functorch.peek_interpreter_stack() is None):
        return _FusedCpp.apply(pred, target, mask, td, reduction, dt, target.requires_grad)
    return _acc_loss_op(pred, target, mask, td, reduction, dt, be)


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
