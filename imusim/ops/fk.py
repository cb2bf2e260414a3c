"""Forward kinematics: local joint rotations + root position → global rotations and joint positions.

Conventions: matrices act on column vectors; ``local_rot[..., j]`` rotates joint j's frame relative
to its parent's (the root's relative to the world); ``G[j] = G[p] @ L[j]``,
``x[j] = x[p] + G[p] @ offsets[j]`` with the skeleton's rest offsets (m, parent frame). Shapes:
``local_rot [..., T, J, 3, 3]`` (or ``[..., T, J, 6]`` rot6d, ``[..., 3]`` axis-angle, ``[..., 4]``
quaternion by ``rot_format``), ``root_pos [..., T, 3]``.

Backends: ``torch`` (naive loop over joints, imusim/reference/fk.py), ``cpp`` (one fused pass per
frame, OpenMP over frames, hand-written backward), ``cuda`` (one thread per frame), ``triton`` (one
lane per frame, imusim/triton/fk.py; CPU tensors only under ``TRITON_INTERPRET=1``). On CUDA tensors
the default is ``triton``, the path verified under the interpreter (docs/design.md). Registered as
``imusim::fk`` custom ops with autograd, so ``torch.compile`` traces through them.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import torch

from .. import _backend
from ..reference.fk import forward_kinematics as _ref_fk
from ._validate import validate_motion

_OP = "forward_kinematics"
_FK_BACKENDS = ("triton", "cuda", "cpp", "torch")  # preference order (see _backend.resolve)


def _flat(x: torch.Tensor, tail: int) -> torch.Tensor:
    return x.reshape(-1, *x.shape[x.dim() - tail:]).contiguous()


# ---- launchers: one {backend: launcher} table per kernel; buffers are allocated by the op, contiguous ----
def _fwd_cpp(L, r, par, off, G, P):
    N, J = L.shape[:2]
    _backend.cpu_module().fk_forward(dtype=_backend.dtype_name(L), frames=N, joints=J, parents=par.data_ptr(),
                                     offsets=off.data_ptr(), local_rot=L.data_ptr(), root=r.data_ptr(),
                                     G=G.data_ptr(), P=P.data_ptr())


def _fwd_cuda(L, r, par, off, G, P):
    N, J = L.shape[:2]
    _backend.cuda_module().fk_forward(dtype=_backend.dtype_name(L), frames=N, joints=J, parents=par.data_ptr(),
                                      offsets=off.data_ptr(), local_rot=L.data_ptr(), root=r.data_ptr(),
                                      G=G.data_ptr(), P=P.data_ptr(), stream=_backend.cuda_stream(L))


def _fwd_triton(L, r, par, off, G, P):
    from ..triton import fk as tk

    N, J = L.shape[:2]
    tk.forward(L.view(N, J, 9), r, par, off, G.view(N, J, 9), P)


def _bwd_cpp(L, Gf, gG, gP, par, off, gL, gr):
    N, J = L.shape[:2]
    _backend.cpu_module().fk_backward(dtype=_backend.dtype_name(L), frames=N, joints=J, parents=par.data_ptr(),
                                      offsets=off.data_ptr(), local_rot=L.data_ptr(), G=Gf.data_ptr(),
                                      grad_G=gG.data_ptr(), grad_P=gP.data_ptr(), grad_local_rot=gL.data_ptr(),
                                      grad_root=gr.data_ptr())


def _bwd_cuda(L, Gf, gG, gP, par, off, gL, gr):
    N, J = L.shape[:2]
    _backend.cuda_module().fk_backward(dtype=_backend.dtype_name(L), frames=N, joints=J, parents=par.data_ptr(),
                                       offsets=off.data_ptr(), local_rot=L.data_ptr(), G=Gf.data_ptr(),
                                       grad_G=gG.data_ptr(), grad_P=gP.data_ptr(), grad_local_rot=gL.data_ptr(),
                                       grad_root=gr.data_ptr(), stream=_backend.cuda_stream(L))


def _bwd_triton(L, Gf, gG, gP, par, off, gL, gr):
    from ..triton import fk as tk

    N, J = L.shape[:2]
    aG = gG.to(L.dtype).reshape(N, J, 9).clone()  # accumulators (the inputs stay untouched)
    aP = gP.to(L.dtype).reshape(N, J, 3).clone()
    tk.backward(L.view(N, J, 9), Gf.view(N, J, 9), aG, aP, par, off, gL.view(N, J, 9), gr)


FORWARD = {"cpp": _fwd_cpp, "cuda": _fwd_cuda, "triton": _fwd_triton}
BACKWARD = {"cpp": _bwd_cpp, "cuda": _bwd_cuda, "triton": _bwd_triton}


@torch.library.custom_op("imusim::fk", mutates_args=())
def _fk_op(local_rot: torch.Tensor, root_pos: torch.Tensor, parents: torch.Tensor, offsets: torch.Tensor,
           backend: str) -> Tuple[torch.Tensor, torch.Tensor]:
    J = local_rot.shape[-3]
    L = _flat(local_rot, 3)
    r = _flat(root_pos, 1)
    N = L.shape[0]
    G = torch.empty_like(L)
    P = torch.empty(N, J, 3, dtype=L.dtype, device=L.device)
    FORWARD[backend](L, r, parents.to(torch.int32).contiguous(), offsets.to(L.dtype).contiguous(), G, P)
    return G.view(local_rot.shape), P.view(*local_rot.shape[:-2], 3)


@_fk_op.register_fake
def _(local_rot, root_pos, parents, offsets, backend):
    return torch.empty_like(local_rot), local_rot.new_empty((*local_rot.shape[:-2], 3))


@torch.library.custom_op("imusim::fk_backward", mutates_args=())
def _fk_bwd_op(grad_G: torch.Tensor, grad_P: torch.Tensor, local_rot: torch.Tensor, G: torch.Tensor,
               parents: torch.Tensor, offsets: torch.Tensor, backend: str) -> Tuple[torch.Tensor, torch.Tensor]:
    L, Gf = _flat(local_rot, 3), _flat(G, 3)
    gG, gP = _flat(grad_G, 3), _flat(grad_P, 2)
    N = L.shape[0]
    gL = torch.empty_like(L)
    gr = torch.empty(N, 3, dtype=L.dtype, device=L.device)
    BACKWARD[backend](L, Gf, gG, gP, parents.to(torch.int32).contiguous(), offsets.to(L.dtype).contiguous(), gL, gr)
    return gL.view(local_rot.shape), gr.view(*local_rot.shape[:-3], 3)


@_fk_bwd_op.register_fake
def _(grad_G, grad_P, local_rot, G, parents, offsets, backend):
    return torch.empty_like(local_rot), local_rot.new_empty((*local_rot.shape[:-3], 3))


def _setup(ctx, inputs, output):
    local_rot, root_pos, parents, offsets, backend = inputs
    ctx.save_for_backward(local_rot, output[0], parents, offsets)
    ctx.backend = backend


def _backward(ctx, gG, gP):
    local_rot, G, parents, offsets = ctx.saved_tensors
    if gG is None:
        gG = torch.zeros_like(G)
    if gP is None:
        gP = local_rot.new_zeros((*local_rot.shape[:-2], 3))
    gL, gr = _fk_bwd_op(gG, gP, local_rot, G, parents, offsets, ctx.backend)
    return gL, gr, None, None, None


_fk_op.register_autograd(_backward, setup_context=_setup)


def forward_kinematics(local_rot: torch.Tensor, root_pos: torch.Tensor, skeleton, *, rot_format: str = "matrix",
                       backend: Optional[str] = None):
    """Global rotations ``[..., T, J, 3, 3]`` and joint positions ``[..., T, J, 3]`` (m).

    Args:
        local_rot: ``[..., T, J, 3, 3]`` (or rot6d ``[..., 6]``, axis-angle ``[..., 3]``, quaternion
            ``[..., 4]`` per ``rot_format``), float32/float64.
        root_pos: ``[..., T, 3]`` root joint positions (m), same dtype/device.
        skeleton: :class:`imusim.kinematics.Skeleton` with J joints.
        backend: ``triton``, ``cuda``, ``cpp`` or ``torch``; default: ``triton`` (then ``cuda``) for CUDA tensors,
            ``cpp`` for CPU tensors.
    """
    L = validate_motion(local_rot, root_pos, skeleton, rot_format, _OP)
    be = _backend.resolve(backend, L.device, op=_OP, supported=_FK_BACKENDS)
    if be == "torch":
        return _ref_fk(L, root_pos, skeleton.parents, skeleton.offsets)
    from .._consts import skeleton_consts

    parents, offsets = skeleton_consts(skeleton, L.dtype, L.device)
    return _fk_op(L, root_pos, parents, offsets, be)
