"""Triton forward kinematics: kernels and launchers (the contract is imusim/ops/fk.py's ``imusim::fk``).

One lane per frame. Forward: joints in topological order, ``G_j = G_p L_j``, ``P_j = P_p + G_p o_j``; a
joint's parent pose is read back from the output (written by the same lane one joint earlier).
Backward: the reverse sweep of csrc/fk/fk_impl.h on per-frame accumulators (a copy of the incoming
gradients): ``gL_j = G_pᵀ aG_j``, ``aG_p += aG_j L_jᵀ + aP_j o_jᵀ``, ``aP_p += aP_j``; the root's
``aP`` is the root-position gradient. ``ROT_AA``: local rotations given as axis-angle ``[N, J, 3]``
(Rodrigues in the kernel, its Jacobian in the backward), used by the IMU backward's sub-tree.

Layouts: contiguous ``L [N, J, 9 | 3]``, ``root [N, 3]``, ``G [N, J, 9]``, ``P [N, J, 3]``;
``parents [J]`` int32 (topological), ``offsets [J, 3]``.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import _math as M

BLOCK = 64


@triton.jit
def load_local(L_ptr, base, m, ROT_AA: tl.constexpr):
    """The local rotation of one joint of each lane's frame as a matrix (``base``: element offset)."""
    if ROT_AA:
        a = M.load3(L_ptr, base, m)
        return M.rodrigues(a[0], a[1], a[2])
    else:
        return M.load9(L_ptr, base, m)


@triton.jit
def _fk_fwd_kernel(L_ptr, root_ptr, par_ptr, off_ptr, G_ptr, P_ptr, N, J,
                   ROT_AA: tl.constexpr, BLOCK: tl.constexpr):
    n = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = n < N
    RD: tl.constexpr = 3 if ROT_AA else 9
    r = M.load3(root_ptr, n * 3, m)
    for j in range(J):
        p = tl.load(par_ptr + j)
        has_p = p >= 0
        ps = tl.maximum(p, 0)
        Lj = load_local(L_ptr, (n * J + j) * RD, m, ROT_AA)
        Gp = M.load9(G_ptr, (n * J + ps) * 9, M.mand(m, has_p))
        Pp = M.load3(P_ptr, (n * J + ps) * 3, M.mand(m, has_p))
        o = M.load3u(off_ptr, j * 3)
        G = M.where9(has_p, M.mm(Gp, Lj), Lj)
        P = M.where3(has_p, M.add3(Pp, M.mv(Gp, o)), r)
        M.store9(G_ptr, (n * J + j) * 9, G, m)
        M.store3(P_ptr, (n * J + j) * 3, P, m)
        tl.debug_barrier()


@triton.jit
def fk_backward_sweep(L_ptr, Lbase, G_ptr, Gbase, aG_ptr, aP_ptr, Abase, par_ptr, off_ptr, gL_ptr, gLbase, m, K,
                      ROT_AA: tl.constexpr):
    """Reverse sweep over joints k = K−1 .. 0 of each lane's frame. ``*base``: per-lane element offsets of
    the frame's joint 0 in L ([K, RD]), G ([K, 9]), the accumulators aG ([K, 9]) / aP ([K, 3]) and gL.
    Returns the root-position gradient (3 blocks)."""
    RD: tl.constexpr = 3 if ROT_AA else 9
    zero = tl.zeros_like(Gbase).to(gL_ptr.dtype.element_ty)
    gr0 = zero
    gr1 = zero
    gr2 = zero
    for kk in range(K):
        k = K - 1 - kk
        p = tl.load(par_ptr + k)
        has_p = p >= 0
        ps = tl.maximum(p, 0)
        aG = M.load9(aG_ptr, Abase * 3 + k * 9, m)
        aP = M.load3(aP_ptr, Abase + k * 3, m)
        Gp = M.load9(G_ptr, Gbase + ps * 9, M.mand(m, has_p))
        gL = M.where9(has_p, M.tmm(Gp, aG), aG)
        if ROT_AA:
            a = M.load3(L_ptr, Lbase + k * 3, m)
            Lk = M.rodrigues(a[0], a[1], a[2])
            M.store3(gL_ptr, gLbase + k * 3, M.rodrigues_backward(a[0], a[1], a[2], gL), m)
        else:
            Lk = M.load9(L_ptr, Lbase + k * 9, m)
            M.store9(gL_ptr, gLbase + k * 9, gL, m)
        o = M.load3u(off_ptr, k * 3)
        mp = M.mand(m, has_p)
        aGp = M.load9(aG_ptr, Abase * 3 + ps * 9, mp)
        aPp = M.load3(aP_ptr, Abase + ps * 3, mp)
        M.store9(aG_ptr, Abase * 3 + ps * 9, M.add9(aGp, M.add9(M.mmt(aG, Lk), M.outer(aP, o))), mp)
        M.store3(aP_ptr, Abase + ps * 3, M.add3(aPp, aP), mp)
        gr0 += tl.where(has_p, 0.0, aP[0])
        gr1 += tl.where(has_p, 0.0, aP[1])
        gr2 += tl.where(has_p, 0.0, aP[2])
        tl.debug_barrier()
    return gr0, gr1, gr2


@triton.jit
def _fk_bwd_kernel(L_ptr, G_ptr, aG_ptr, aP_ptr, par_ptr, off_ptr, gL_ptr, groot_ptr, N, J,
                   ROT_AA: tl.constexpr, BLOCK: tl.constexpr):
    n = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = n < N
    RD: tl.constexpr = 3 if ROT_AA else 9
    gr = fk_backward_sweep(L_ptr, n * J * RD, G_ptr, n * J * 9, aG_ptr, aP_ptr, n * J * 3, par_ptr, off_ptr,
                           gL_ptr, n * J * RD, m, J, ROT_AA)
    M.store3(groot_ptr, n * 3, gr, m)


def forward(L: torch.Tensor, root: torch.Tensor, parents: torch.Tensor, offsets: torch.Tensor, G: torch.Tensor,
            P: torch.Tensor, rot_aa: bool = False) -> None:
    """``L [N, J, 9]`` (``[N, J, 3]`` axis-angle with ``rot_aa``), ``root [N, 3]`` → ``G [N, J, 9]``, ``P [N, J, 3]``
    (all contiguous, one dtype; ``parents`` int32 on the same device)."""
    N, J = L.shape[0], L.shape[1]
    if N == 0:
        return
    _fk_fwd_kernel[(triton.cdiv(N, BLOCK),)](L, root, parents, offsets, G, P, N, J, ROT_AA=rot_aa, BLOCK=BLOCK)


def backward(L: torch.Tensor, G: torch.Tensor, gG: torch.Tensor, gP: torch.Tensor, parents: torch.Tensor,
             offsets: torch.Tensor, gL: torch.Tensor, groot: torch.Tensor, rot_aa: bool = False) -> None:
    """Gradients ``gL`` (``L``'s layout) and ``groot [N, 3]`` from ``gG [N, J, 9]``, ``gP [N, J, 3]``. ``gG`` and
    ``gP`` are used as accumulators: pass copies."""
    N, J = L.shape[0], L.shape[1]
    if N == 0:
        return
    _fk_bwd_kernel[(triton.cdiv(N, BLOCK),)](L, G, gG, gP, parents, offsets, gL, groot, N, J, ROT_AA=rot_aa,
                                             BLOCK=BLOCK)
