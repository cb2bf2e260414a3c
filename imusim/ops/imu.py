"""Fused virtual IMU op (see csrc/imu/imu.h for the math) and the sensor-pose op used for resampling.

``imu_fused(L, root, spec...) -> (acc, gyro, ori)`` on ``[B, T, J, 3, 3]`` / ``[B, T, 3]`` gives
``[B, T−2, S, 3]`` (acc, gyro) and ``[B, T−2, S, 3, 3]`` (orientation) for frames 1..T−2.
Backends: ``cpp`` (OpenMP, rolling window of poses), ``cuda`` (thread per output frame), ``triton``
(lane per output frame, imusim/triton/imu.py), ``torch`` (imusim/reference/imu.py). The forward is
hand-fused. The ``cpp`` backward is fused as well
(``imu_backward_cpu``: pose recompute, difference and log-map Jacobians, mounts, FK backward and
Rodrigues' Jacobian per frame, on the sensors' sub-tree). The ``cuda`` backward recomputes the sensor
poses with the pose kernel, differentiates the (cheap, S-sensor) differences and log maps with
``torch.func.vjp`` of the reference, and carries the pose gradients to the local rotations and root
with the hand-written FK backward kernel (``_pose_grads_to_inputs``). The ``triton`` backward is one
fused kernel (sub-tree FK, pose gradients through the difference and log-map Jacobians and the mounts,
FK reverse sweep, Rodrigues' Jacobian); it is the default on CUDA tensors (docs/design.md).

Index metadata (``parents``, ``needed``, ``sjoint``) lives on the CPU for the ``cpp`` and ``triton``
backends (the Triton launcher turns it into cached device tensors, so no call reads device memory back
to the host), on the device for ``cuda``.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch

from .. import _backend
from ..reference import imu as ref

IMU_BACKENDS = ("triton", "cuda", "cpp", "torch")  # preference order (see _backend.resolve)


def _spec_kwargs(parents, needed, sjoint, offsets, soff, srot, dt=1.0, g=(0.0, 0.0, 0.0), rot_dim=9) -> dict:
    """The named spec arguments of the IMU bindings (python/imu_spec.h)."""
    return dict(joints=int(parents.numel()), n_needed=int(needed.numel()), n_sensors=int(sjoint.numel()),
                parents=parents.data_ptr(), needed=needed.data_ptr(), sensor_joints=sjoint.data_ptr(),
                offsets=offsets.data_ptr(), sensor_offsets=soff.data_ptr(), sensor_rotations=srot.data_ptr(),
                dt=float(dt), g=tuple(float(x) for x in g), rot_dim=int(rot_dim))


# ---- launchers: one {backend: launcher} table per kernel (forward and sensor poses) ----
def _fwd_compiled(L, root, parents, needed, sjoint, offs, so, sr, dt, gv, acc, gyro, ori, rot_dim, cuda=False):
    kw = dict(dtype=_backend.dtype_name(L), **_spec_kwargs(parents, needed, sjoint, offs, so, sr, dt, gv, rot_dim),
              batch=L.shape[0], frames=L.shape[1], local_rot=L.data_ptr(), root=root.data_ptr(), acc=acc.data_ptr(),
              gyro=gyro.data_ptr(), ori=ori.data_ptr())
    if cuda:
        _backend.cuda_module().imu_forward(**kw, stream=_backend.cuda_stream(L))
    else:
        _backend.cpu_module().imu_forward(**kw)


def _fwd_triton(L, root, parents, needed, sjoint, offs, so, sr, dt, gv, acc, gyro, ori, rot_dim):
    from ..triton import imu as ti

    mt = ti.meta(tuple(parents.tolist()), tuple(needed.tolist()), tuple(sjoint.tolist()), str(L.device))
    ti.forward(L, root, mt, offs, so, sr, float(dt), tuple(gv), acc, gyro, ori, rot_dim == 3)


FORWARD = {"cpp": _fwd_compiled, "cuda": lambda *a: _fwd_compiled(*a, cuda=True), "triton": _fwd_triton}


def _poses_compiled(L, root, parents, needed, sjoint, offs, so, sr, poses, cuda=False):
    kw = dict(dtype=_backend.dtype_name(L), **_spec_kwargs(parents, needed, sjoint, offs, so, sr), batch=L.shape[0],
              frames=L.shape[1], local_rot=L.data_ptr(), root=root.data_ptr(), poses=poses.data_ptr())
    if cuda:
        _backend.cuda_module().sensor_poses(**kw, stream=_backend.cuda_stream(L))
    else:
        _backend.cpu_module().sensor_poses(**kw)


def _poses_triton(L, root, parents, needed, sjoint, offs, so, sr, poses):
    from ..triton import imu as ti

    mt = ti.meta(tuple(parents.tolist()), tuple(needed.tolist()), tuple(sjoint.tolist()), str(L.device))
    ti.poses(L, root, mt, offs, so, sr, poses)


POSES = {"cpp": _poses_compiled, "cuda": lambda *a: _poses_compiled(*a, cuda=True), "triton": _poses_triton}


@torch.library.custom_op("imusim::imu", mutates_args=())
def _imu_op(L: torch.Tensor, root: torch.Tensor, parents: torch.Tensor, needed: torch.Tensor, sjoint: torch.Tensor,
            offsets: torch.Tensor, soff: torch.Tensor, srot: torch.Tensor, dt: float, g: torch.Tensor,
            backend: str) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """L: ``[B, T, J, 3, 3]`` matrices or ``[B, T, J, 3]`` axis-angle (converted inside the kernel)."""
    B, T, J = L.shape[:3]
    rot_dim = 3 if L.dim() == 4 else 9
    S = sjoint.numel()
    L, root = L.contiguous(), root.contiguous()
    dt_ = L.dtype
    offs, so, sr = offsets.to(dt_).contiguous(), soff.to(dt_).contiguous(), srot.to(dt_).contiguous()
    acc = L.new_empty((B, T - 2, S, 3))
    gyro = L.new_empty((B, T - 2, S, 3))
    ori = L.new_empty((B, T - 2, S, 3, 3))
    FORWARD[backend](L, root, parents, needed, sjoint, offs, so, sr, float(dt), [float(x) for x in g.tolist()], acc,
                     gyro, ori, rot_dim)
    return acc, gyro, ori


@_imu_op.register_fake
def _(L, root, parents, needed, sjoint, offsets, soff, srot, dt, g, backend):
    B, T = L.shape[:2]
    S = sjoint.shape[0]
    return L.new_empty((B, T - 2, S, 3)), L.new_empty((B, T - 2, S, 3)), L.new_empty((B, T - 2, S, 3, 3))


def _pose_grads_to_inputs(L, root, parents, offsets, sjoint, soff, srot, gR, gp, backend):
    """Chain rule from sensor-pose gradients (gR ``[B,T,S,3,3]``, gp ``[B,T,S,3]``) to (L, root) with the
    fused FK kernels: R_ws = G_j R_js → gG_j += gR R_jsᵀ; p = P_j + G_j o → gG_j += gp oᵀ, gP_j += gp."""
    from .fk import _fk_bwd_op, _fk_op

    parents, sjoint = _on(parents, L.device), _on(sjoint, L.device)
    off = offsets.to(L.dtype)
    G, _ = _fk_op(L, root, parents, off, backend)
    so, sr = soff.to(L.dtype), srot.to(L.dtype)
    contrib_G = gR @ sr.transpose(-1, -2) + gp[..., :, None] * so[:, None, :]
    gG = torch.zeros_like(G).index_add_(2, sjoint.long(), contrib_G)
    gP = L.new_zeros((*L.shape[:3], 3)).index_add_(2, sjoint.long(), gp)
    return _fk_bwd_op(gG, gP, L, G, parents, off, backend)


def _on(x: torch.Tensor, device) -> torch.Tensor:
    """Index metadata on ``device`` (a cached copy when it is on the CPU)."""
    if x.device == torch.device(device):
        return x
    from .._consts import int_tensor

    return int_tensor(x.tolist(), device, x.dtype)


def _setup(ctx, inputs, output):
    L, root, parents, needed, sjoint, offsets, soff, srot, dt, g, backend = inputs
    ctx.save_for_backward(L, root, parents, needed, sjoint, offsets, soff, srot, g)
    ctx.dt = dt
    ctx.backend = backend


def _sub_tree(parents, needed, sjoint, offsets):
    """The needed joints (ancestor-closed, sorted) as a tree of their own: parents, sensor joints and
    offsets re-indexed. Joints off the sensors' chains get no gradient, so the backward runs on it."""
    idx = needed.long()
    pos = {int(j): k for k, j in enumerate(needed.tolist())}
    par = parents.tolist()
    sub_par = torch.tensor([pos[par[j]] if par[j] >= 0 else -1 for j in needed.tolist()], dtype=torch.int32,
                           device=parents.device)
    sub_sj = torch.tensor([pos[int(j)] for j in sjoint.tolist()], dtype=torch.int32, device=sjoint.device)
    sub_needed = torch.arange(len(idx), dtype=torch.int32, device=needed.device)
    return idx, sub_par, sub_needed, sub_sj, offsets[idx]


@torch.library.custom_op("imusim::imu_backward", mutates_args=())
def _imu_bwd_op(gacc: torch.Tensor, ggyro: torch.Tensor, gori: Optional[torch.Tensor], L: torch.Tensor,
                root: torch.Tensor, parents: torch.Tensor, needed: torch.Tensor, sjoint: torch.Tensor,
                offsets: torch.Tensor, soff: torch.Tensor, srot: torch.Tensor, dt: float, g: torch.Tensor,
                backend: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """Gradients of (L, root) from those of (acc, gyro, ori) (gori may be None). A custom op of its own, so
    that AOT autograd (torch.compile) traces the backward as one node instead of entering the kernels."""
    return BACKWARD[backend](_Ctx(dt), L, root, parents, needed, sjoint, offsets, soff, srot, g, gacc, ggyro, gori)


@_imu_bwd_op.register_fake
def _(gacc, ggyro, gori, L, root, parents, needed, sjoint, offsets, soff, srot, dt, g, backend):
    return torch.empty_like(L), torch.empty_like(root)


class _Ctx:
    def __init__(self, dt):
        self.dt = dt


def _backward(ctx, gacc, ggyro, gori):
    L, root, parents, needed, sjoint, offsets, soff, srot, g = ctx.saved_tensors
    B, T = L.shape[:2]
    S = sjoint.shape[0]
    z = lambda x: torch.zeros((B, T - 2, S, 3), dtype=L.dtype, device=L.device) if x is None else x  # noqa: E731
    gL, groot = _imu_bwd_op(z(gacc), z(ggyro), gori, L, root, parents, needed, sjoint, offsets, soff, srot, ctx.dt, g,
                            ctx.backend)
    return gL, groot, None, None, None, None, None, None, None, None, None


def _backward_composed(ctx, L, root, parents, needed, sjoint, offsets, soff, srot, g, gacc, ggyro, gori):
    """The CUDA kernels' backward: sensor poses by the pose kernel, the (cheap, S-sensor) differences and log
    maps by ``torch.func.vjp`` of the reference, then the hand-written FK backward kernel on the sub-tree."""
    B, T = L.shape[:2]
    S = sjoint.shape[0]
    idx, sub_par, sub_needed, sub_sj, sub_off = _sub_tree(parents, needed, sjoint, offsets)
    if gori is None:
        gori = torch.zeros((B, T - 2, S, 3, 3), dtype=L.dtype, device=L.device)
    conv = None
    if L.dim() == 4:  # axis-angle input: chain through the conversion (needed joints only)
        from ..kinematics.rotations import axis_angle_to_matrix

        Ls, conv = torch.func.vjp(axis_angle_to_matrix, L[:, :, idx])
    else:
        Ls = L[:, :, idx]
    # 1) gradients w.r.t. the sensor poses (small: S sensors) through the reference differences/log maps
    R, p = _poses_op(Ls, root, sub_par, sub_needed, sub_sj, sub_off, soff, srot, "cuda")
    _, vjp = torch.func.vjp(lambda R_, p_: ref.imu_from_poses(R_, p_, ctx.dt, g), R, p)
    gR, gp = vjp((gacc, ggyro, gori))
    # 2) poses -> (local rotations, root) with the hand-written FK backward kernel on the sub-tree
    gLs, gr = _pose_grads_to_inputs(Ls, root, sub_par, sub_off, sub_sj, soff, srot, gR, gp, "cuda")
    if conv is not None:
        (gLs,) = conv(gLs)
    gL = torch.zeros_like(L)
    gL[:, :, idx] = gLs
    return gL, gr


def _backward_fused_cpp(ctx, L, root, parents, needed, sjoint, offsets, soff, srot, g, gacc, ggyro, gori):
    """One fused C++ pass (csrc/imu/imu_cpu.cpp, imu_backward_cpu) on the sensors' sub-tree: pose
    recompute, the differences' and log maps' backward, the mounts, the FK backward and (axis-angle
    input) Rodrigues' Jacobian per frame."""
    idx, sub_par, sub_needed, sub_sj, sub_off = _sub_tree(parents, needed, sjoint, offsets)
    B, T = L.shape[:2]
    dt_ = L.dtype
    Ls = L[:, :, idx]  # axis-angle [B,T,K,3] (Rodrigues and its Jacobian in-kernel) or matrices [B,T,K,3,3]
    Ls, root_c = Ls.contiguous(), root.contiguous()
    offs, so, sr = sub_off.to(dt_).contiguous(), soff.to(dt_).contiguous(), srot.to(dt_).contiguous()
    gacc, ggyro = gacc.to(dt_).contiguous(), ggyro.to(dt_).contiguous()
    gori_c = None if gori is None else gori.to(dt_).contiguous()
    gLs = torch.empty_like(Ls)
    groot = torch.empty_like(root_c)
    _backend.cpu_module().imu_backward(
        dtype=_backend.dtype_name(Ls),
        **_spec_kwargs(sub_par, sub_needed, sub_sj, offs, so, sr, ctx.dt, g.tolist(), 3 if L.dim() == 4 else 9),
        batch=B, frames=T, local_rot=Ls.data_ptr(), root=root_c.data_ptr(), grad_acc=gacc.data_ptr(),
        grad_gyro=ggyro.data_ptr(), grad_ori=0 if gori_c is None else gori_c.data_ptr(), grad_local_rot=gLs.data_ptr(),
        grad_root=groot.data_ptr())
    gL = torch.zeros_like(L)
    gL[:, :, idx] = gLs
    return gL, groot


def _backward_triton(ctx, L, root, parents, needed, sjoint, offsets, soff, srot, g, gacc, ggyro, gori):
    """One fused Triton kernel on the sensors' sub-tree (imusim/triton/imu.py, ``_imu_bwd_kernel``)."""
    from ..triton import imu as ti

    mt = ti.meta(tuple(parents.tolist()), tuple(needed.tolist()), tuple(sjoint.tolist()), str(L.device))
    idx = mt["idx"]
    dt_ = L.dtype
    Ls = L.index_select(2, idx).contiguous()
    sub_off = offsets.to(dt_).index_select(0, idx).contiguous()
    c = lambda x: None if x is None else x.to(dt_).contiguous()  # noqa: E731
    gLs, groot = ti.backward(Ls, root.contiguous(), mt, sub_off, c(soff), c(srot), float(ctx.dt),
                             tuple(float(x) for x in g.tolist()), c(gacc), c(ggyro), c(gori), L.dim() == 4)
    gL = torch.zeros_like(L).index_copy_(2, idx, gLs)
    return gL, groot


BACKWARD = {"cpp": _backward_fused_cpp, "cuda": _backward_composed, "triton": _backward_triton}
_imu_op.register_autograd(_backward, setup_context=_setup)


@torch.library.custom_op("imusim::sensor_poses", mutates_args=())
def _poses_op(L: torch.Tensor, root: torch.Tensor, parents: torch.Tensor, needed: torch.Tensor, sjoint: torch.Tensor,
              offsets: torch.Tensor, soff: torch.Tensor, srot: torch.Tensor, backend: str) -> Tuple[torch.Tensor, torch.Tensor]:
    B, T = L.shape[:2]
    S = sjoint.numel()
    L, root = L.contiguous(), root.contiguous()
    offs, so, sr = (x.to(L.dtype).contiguous() for x in (offsets, soff, srot))
    poses = L.new_empty((B, T, S, 12))
    POSES[backend](L, root, parents, needed, sjoint, offs, so, sr, poses)
    return poses[..., :9].reshape(B, T, S, 3, 3).clone(), poses[..., 9:].clone()


@_poses_op.register_fake
def _(L, root, parents, needed, sjoint, offsets, soff, srot, backend):
    B, T = L.shape[:2]
    S = sjoint.shape[0]
    return L.new_empty((B, T, S, 3, 3)), L.new_empty((B, T, S, 3))


def _setup_p(ctx, inputs, output):
    L, root, parents, needed, sjoint, offsets, soff, srot, backend = inputs
    ctx.save_for_backward(L, root, parents, sjoint, offsets, soff, srot)
    ctx.backend = backend


def _backward_p(ctx, gR, gp):
    L, root, parents, sjoint, offsets, soff, srot = ctx.saved_tensors
    B, T = L.shape[:2]
    S = sjoint.shape[0]
    gR = torch.zeros((B, T, S, 3, 3), dtype=L.dtype, device=L.device) if gR is None else gR
    gp = torch.zeros((B, T, S, 3), dtype=L.dtype, device=L.device) if gp is None else gp
    gL, gr = _pose_grads_to_inputs(L, root, parents, offsets, sjoint, soff, srot, gR, gp, ctx.backend)
    return gL, gr, None, None, None, None, None, None, None


_poses_op.register_autograd(_backward_p, setup_context=_setup_p)


# ---------------------------------------------------------------------------------------- public entry points
def resolve(backend, device, op: str = "synthesize_imu") -> str:
    """The backend of one call (``_backend.resolve`` over ``IMU_BACKENDS``)."""
    return _backend.resolve(backend, device, op=op, supported=IMU_BACKENDS)


def _spec(skeleton, joints, backend: str, dtype, device):
    """(parents, needed, sensor joints, offsets) of a call: constants built once per device (imusim/_consts.py:
    no host→device copy per call; one cache lookup per call); the index metadata stays on the CPU for
    cpp/triton, on the device for cuda."""
    from .._consts import cached, int_tensor, skeleton_consts

    def make():
        need = set()
        for j in joints:
            while j >= 0:
                need.add(j)
                j = skeleton.parents[j]
        meta_dev = torch.device(device) if backend == "cuda" else torch.device("cpu")
        _, offsets = skeleton_consts(skeleton, dtype, device)
        return (int_tensor(skeleton.parents, meta_dev), int_tensor(sorted(need), meta_dev),
                int_tensor(joints, meta_dev), offsets)

    if torch.compiler.is_compiling():
        return make()
    key = ("imu_spec", skeleton.parents, skeleton.offsets.numpy().tobytes(), tuple(joints), backend == "cuda", dtype,
           str(device))
    return cached(key, make)


def sensor_signals(L: torch.Tensor, root: torch.Tensor, skeleton, joints, mount_offsets: torch.Tensor,
                   mount_rotations: torch.Tensor, dt: float, g: torch.Tensor, backend: str):
    """acc, gyro ``[B, T−2, S, 3]`` and orientation ``[B, T−2, S, 3, 3]`` of sensors on ``joints`` (S joint
    indices) with mounts ``mount_offsets [S, 3]`` (m, joint frame) and ``mount_rotations [S, 3, 3]``, from
    ``L [B, T, J, 3, 3]`` (or ``[B, T, J, 3]`` axis-angle, converted inside the kernels; not for ``torch``) and
    ``root [B, T, 3]`` at interval ``dt`` (s); ``g`` world gravity ``[3]`` float64 on the host. ``backend``: a
    resolved name (:func:`resolve`); differentiable on every backend."""
    parents, needed, sjoint, offsets = _spec(skeleton, joints, backend, L.dtype, L.device)
    if backend == "torch":
        return ref.synthesize(L, root, skeleton.parents, offsets, list(joints), mount_offsets, mount_rotations, dt, g)
    return _imu_op(L, root, parents, needed, sjoint, offsets, mount_offsets, mount_rotations, dt, g, backend)


def sensor_poses(L: torch.Tensor, root: torch.Tensor, skeleton, joints, mount_offsets: torch.Tensor,
                 mount_rotations: torch.Tensor, backend: str):
    """Sensor orientations ``R_ws [B, T, S, 3, 3]`` and positions ``[B, T, S, 3]`` at every frame of
    ``L [B, T, J, 3, 3]``, ``root [B, T, 3]`` (the resampling path of ``synthesize_imu``); differentiable."""
    parents, needed, sjoint, offsets = _spec(skeleton, joints, backend, L.dtype, L.device)
    if backend == "torch":
        return ref.sensor_poses(L, root, skeleton.parents, offsets, list(joints), mount_offsets, mount_rotations)
    return _poses_op(L, root, parents, needed, sjoint, offsets, mount_offsets, mount_rotations, backend)
