"""Triton kernels for L_acc: kernel, launcher and contract in one file (see imusim/ops/acc_loss.py).

Forward: program (b, block) handles BLOCK elements of sample b's [T, F] plane and writes the partial
Σ w r² into ``partial[b, block]`` (summed in PyTorch afterwards: deterministic, no atomics).
Backward: one element per lane; R = w r at t−1, t, t+1 recomputed from pred/target (5 frames).
TIME_FAST chooses the lane order so loads stay coalesced for [B, T, F] and MDM's [B, F, 1, T].
"""

from __future__ import annotations

from typing import Optional

import torch
import triton
import triton.language as tl


@triton.jit
def _e(p_ptr, q_ptr, t, f, sp_t, sp_f, sq_t, sq_f, ok):
    pv = tl.load(p_ptr + t * sp_t + f * sp_f, mask=ok, other=0.0)
    qv = tl.load(q_ptr + t * sq_t + f * sq_f, mask=ok, other=0.0)
    return pv.to(tl.float32) - qv.to(tl.float32) if pv.dtype != tl.float64 else pv - qv


@triton.jit
def _R(p_ptr, q_ptr, m_ptr, t, f, T, sp_t, sp_f, sq_t, sq_f, inb, HAS_MASK: tl.constexpr):
    """Weighted residual R[t] = w[t] r[t] (0 outside 1..T-2 or where the mask invalidates it)."""
    ok = inb & (t >= 1) & (t <= T - 2)
    if HAS_MASK:
        m0 = tl.load(m_ptr + t - 1, mask=ok, other=0)
        m1 = tl.load(m_ptr + t, mask=ok, other=0)
        m2 = tl.load(m_ptr + t + 1, mask=ok, other=0)
        ok = ok & (m0 != 0) & (m1 != 0) & (m2 != 0)
    e0 = _e(p_ptr, q_ptr, t - 1, f, sp_t, sp_f, sq_t, sq_f, ok)
    e1 = _e(p_ptr, q_ptr, t, f, sp_t, sp_f, sq_t, sq_f, ok)
    e2 = _e(p_ptr, q_ptr, t + 1, f, sp_t, sp_f, sq_t, sq_f, ok)
    r = e2 - 2.0 * e1 + e0
    return tl.where(ok, r, 0.0)


@triton.jit
def _fwd_kernel(p_ptr, q_ptr, m_ptr, partial_ptr, T, F, sp_b, sp_t, sp_f, sq_b, sq_t, sq_f, n_blocks,
                HAS_MASK: tl.constexpr, TIME_FAST: tl.constexpr, BLOCK: tl.constexpr):
    b = tl.program_id(0)
    blk = tl.program_id(1)
    i = blk * BLOCK + tl.arange(0, BLOCK)
    inb = i < T * F
    if TIME_FAST:
        t = i % T
        f = i // T
    else:
        t = i // F
        f = i % F
    r = _R(p_ptr + b * sp_b, q_ptr + b * sq_b, m_ptr + b * T, t, f, T, sp_t, sp_f, sq_t, sq_f, inb, HAS_MASK)
    tl.store(partial_ptr + b * n_blocks + blk, tl.sum(r * r, axis=0))


@triton.jit
def _bwd_kernel(p_ptr, q_ptr, m_ptr, coef_ptr, gp_ptr, gq_ptr, T, F, sp_b, sp_t, sp_f, sq_b, sq_t, sq_f,
                gp_b, gp_t, gp_f, gq_b, gq_t, gq_f,
                HAS_MASK: tl.constexpr, TIME_FAST: tl.constexpr, HAS_GQ: tl.constexpr, BLOCK: tl.constexpr):
    b = tl.program_id(0)
    blk = tl.program_id(1)
    i = blk * BLOCK + tl.arange(0, BLOCK)
    inb = i < T * F
    if TIME_FAST:
        t = i % T
        f = i // T
    else:
        t = i // F
        f = i % F
    pb = p_ptr + b * sp_b
    qb = q_ptr + b * sq_b
    mb = m_ptr + b * T
    Rm = _R(pb, qb, mb, t - 1, f, T, sp_t, sp_f, sq_t, sq_f, inb, HAS_MASK)
    R0 = _R(pb, qb, mb, t, f, T, sp_t, sp_f, sq_t, sq_f, inb, HAS_MASK)
    Rp = _R(pb, qb, mb, t + 1, f, T, sp_t, sp_f, sq_t, sq_f, inb, HAS_MASK)
    c = tl.load(coef_ptr + b)
    v = (Rm - 2.0 * R0 + Rp) * c.to(Rm.dtype)
    tl.store(gp_ptr + b * gp_b + t * gp_t + f * gp_f, v.to(gp_ptr.dtype.element_ty), mask=inb)
    if HAS_GQ:
        tl.store(gq_ptr + b * gq_b + t * gq_t + f * gq_f, (-v).to(gq_ptr.dtype.element_ty), mask=inb)


def _block(n: int) -> int:
    return max(16, min(1024, triton.next_power_of_2(n)))


def _time_fast(x: torch.Tensor) -> bool:
    return x.shape[2] > 1 and abs(x.stride(1)) < abs(x.stride(2))


def forward(p3: torch.Tensor, q3: torch.Tensor, mask: Optional[torch.Tensor], out: torch.Tensor) -> None:
    """Per-sample Σ w r² of [B, T, F] views into ``out`` (float64 [B])."""
    B, T, F = p3.shape
    BLOCK = _block(T * F)
    nb = triton.cdiv(T * F, BLOCK)
    acc = torch.float64 if p3.dtype == torch.float64 else torch.float32
    partial = torch.empty(B, nb, dtype=acc, device=p3.device)
    m = mask if mask is not None else p3  # dummy pointer when HAS_MASK is False
    _fwd_kernel[(B, nb)](p3, q3, m, partial, T, F, *p3.stride(), *q3.stride(), nb,
                         HAS_MASK=mask is not None, TIME_FAST=_time_fast(p3), BLOCK=BLOCK)
    out.copy_(partial.to(torch.float64).sum(1))


def backward(p3, q3, mask, coef, gp3, gq3) -> None:
    """Gradients of Σ_b coef[b]/2 · Σ w r² into the [B, T, F] views ``gp3`` (and ``−`` into ``gq3``)."""
    B, T, F = p3.shape
    BLOCK = _block(T * F)
    nb = triton.cdiv(T * F, BLOCK)
    m = mask if mask is not None else p3
    acc = torch.float64 if p3.dtype == torch.float64 else torch.float32
    c = coef.to(acc)
    gq = gq3 if gq3 is not None else gp3
    _bwd_kernel[(B, nb)](p3, q3, m, c, gp3, gq, T, F, *p3.stride(), *q3.stride(), *gp3.stride(), *gq.stride(),
                         HAS_MASK=mask is not None, TIME_FAST=_time_fast(p3), HAS_GQ=gq3 is not None,
                         BLOCK=BLOCK)
