"""Triton virtual-IMU kernels: fused forward, sensor poses, fused backward (contract: imusim/ops/imu.py).

Sensor poses by *chain walks*: for sensor s on joint j the kernel multiplies the local rotations along
the chain root → j (``G ← G L_k``, ``P ← P + G o_k``), then applies the mount (``R_ws = G_j R_js``,
``p_s = P_j + G_j o_s``). A chain is a short list of joint indices built once on the host (``chains``,
``depth``), so a program needs no per-joint scratch for the forward.

* ``_imu_fwd_kernel`` — program (sequence b, block of output frames); lane = output o (frame t = o + 1):
  poses at t−1, t, t+1 (three chain walks per sensor, no communication between lanes), then
  ``acc = R_tᵀ((p_{t+1} − 2 p_t + p_{t−1}) / dt² − g)``, ``gyro = (log(R_{t−1}ᵀR_t) + log(R_tᵀR_{t+1})) / 2dt``,
  ``ori = R_t``.
* ``_poses_kernel`` — lane = frame: ``[N, S, 12]`` poses (R row-major, p), for the resampling path.
* ``_imu_bwd_kernel`` — one fused pass per frame, on the sensors' sub-tree (the K needed joints, local
  rotations gathered as ``Ls [B, T, K, 9 | 3]``): (1) FK of the sub-tree at frame t into per-frame
  scratch ``G``; (2) per sensor, poses at t−1, t, t+1 and the gradients of frame t's pose from every
  output that reads it — acc at t−1, t, t+1 (``gp``), acc at t (``gR += f gaccᵀ``), the two log-map
  pairs (t−1, t) and (t, t+1) with weights ``(ggyro_a + ggyro_{a+1}) / 2dt`` (log-map Jacobian as the
  reference's autograd, scalar part in float64), ``gori``; the mount's backward adds them into the
  sensor joint's accumulators; (3) the FK reverse sweep (imusim/triton/fk.py) → ``gLs`` and the root
  gradient (Rodrigues' Jacobian in-kernel for axis-angle input). No ``torch.func.vjp``, one launch.
"""

from __future__ import annotations

import functools
from typing import Sequence, Tuple

import torch
import triton
import triton.language as tl

from . import _math as M
from .fk import fk_backward_sweep, load_local

BLOCK = 64


@triton.jit
def chain_pose(L_ptr, lbase, r, chain_ptr, depth, off_ptr, m, ROT_AA: tl.constexpr):
    """Global rotation and position of the last joint of a chain (``chain_ptr[0 .. depth−1]``, root first)
    for each lane's frame (``lbase``: element offset of the frame's joint 0 in L; ``r``: the root position)."""
    RD: tl.constexpr = 3 if ROT_AA else 9
    j0 = tl.load(chain_ptr)
    G = load_local(L_ptr, lbase + j0 * RD, m, ROT_AA)
    P = r
    for d in range(1, depth):
        j = tl.load(chain_ptr + d)
        o = M.load3u(off_ptr, j * 3)
        P = M.add3(P, M.mv(G, o))
        G = M.mm(G, load_local(L_ptr, lbase + j * RD, m, ROT_AA))
    return G, P


@triton.jit
def sensor_pose(L_ptr, root_ptr, frame, J, chain_ptr, depth, off_ptr, Rjs, o_s, m, ROT_AA: tl.constexpr):
    """(R_ws, p_s) of one sensor at each lane's ``frame`` (global frame index, int64)."""
    RD: tl.constexpr = 3 if ROT_AA else 9
    r = M.load3(root_ptr, frame * 3, m)
    G, P = chain_pose(L_ptr, frame * J * RD, r, chain_ptr, depth, off_ptr, m, ROT_AA)
    return M.mm(G, Rjs), M.add3(P, M.mv(G, o_s))


@triton.jit
def _params(prm_ptr, DT: tl.constexpr):
    """(1/dt², 1/2dt, g) from a float64 parameter vector (scalars in the compute dtype)."""
    return (tl.load(prm_ptr).to(DT), tl.load(prm_ptr + 1).to(DT),
            (tl.load(prm_ptr + 2).to(DT), tl.load(prm_ptr + 3).to(DT), tl.load(prm_ptr + 4).to(DT)))


@triton.jit
def _imu_fwd_kernel(L_ptr, root_ptr, chain_ptr, depth_ptr, D, off_ptr, soff_ptr, srot_ptr, prm_ptr,
                    acc_ptr, gyro_ptr, ori_ptr, T, J, S,
                    ROT_AA: tl.constexpr, HAS_ORI: tl.constexpr, BLOCK: tl.constexpr):
    DT: tl.constexpr = acc_ptr.dtype.element_ty
    b = tl.program_id(0).to(tl.int64)
    o = tl.program_id(1).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = o < T - 2
    f1 = b * T + o + 1
    inv_dt2, inv_2dt, g = _params(prm_ptr, DT)
    for s in range(S):
        depth = tl.load(depth_ptr + s)
        ch = chain_ptr + s * D
        Rjs = M.load9u(srot_ptr, s * 9)
        o_s = M.load3u(soff_ptr, s * 3)
        R0, p0 = sensor_pose(L_ptr, root_ptr, f1 - 1, J, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        R1, p1 = sensor_pose(L_ptr, root_ptr, f1, J, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        R2, p2 = sensor_pose(L_ptr, root_ptr, f1 + 1, J, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        f = M.sub3(M.scale3(M.add3(M.sub3(p2, M.scale3(p1, 2.0)), p0), inv_dt2), g)
        w = M.scale3(M.add3(M.log_rel(R0, R1), M.log_rel(R1, R2)), inv_2dt)
        out = ((b * (T - 2) + o) * S + s) * 3
        M.store3(acc_ptr, out, M.tmv(R1, f), m)
        M.store3(gyro_ptr, out, w, m)
        if HAS_ORI:
            M.store9(ori_ptr, out * 3, R1, m)


@triton.jit
def _poses_kernel(L_ptr, root_ptr, chain_ptr, depth_ptr, D, off_ptr, soff_ptr, srot_ptr, pose_ptr, N, J, S,
                  ROT_AA: tl.constexpr, BLOCK: tl.constexpr):
    n = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = n < N
    for s in range(S):
        depth = tl.load(depth_ptr + s)
        Rjs = M.load9u(srot_ptr, s * 9)
        o_s = M.load3u(soff_ptr, s * 3)
        R, p = sensor_pose(L_ptr, root_ptr, n, J, chain_ptr + s * D, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        M.store9(pose_ptr, (n * S + s) * 12, R, m)
        M.store3(pose_ptr, (n * S + s) * 12 + 9, p, m)


@triton.jit
def _imu_bwd_kernel(L_ptr, root_ptr, par_ptr, chain_ptr, depth_ptr, D, off_ptr, soff_ptr, srot_ptr, prm_ptr,
                    gacc_ptr, ggyro_ptr, gori_ptr, G_ptr, aG_ptr, aP_ptr, gL_ptr, groot_ptr, T, K, S,
                    ROT_AA: tl.constexpr, HAS_GORI: tl.constexpr, BLOCK: tl.constexpr):
    DT: tl.constexpr = gL_ptr.dtype.element_ty
    RD: tl.constexpr = 3 if ROT_AA else 9
    b = tl.program_id(0).to(tl.int64)
    t = tl.program_id(1).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    m = t < T
    n = b * T + t
    inv_dt2, inv_2dt, g = _params(prm_ptr, DT)
    zero = tl.zeros_like(t).to(DT)
    # 1. sub-tree FK at frame t (G into per-frame scratch), accumulators zeroed
    for k in range(K):
        p = tl.load(par_ptr + k)
        has_p = p >= 0
        ps = tl.maximum(p, 0)
        Lk = load_local(L_ptr, (n * K + k) * RD, m, ROT_AA)
        Gp = M.load9(G_ptr, (n * K + ps) * 9, M.mand(m, has_p))
        M.store9(G_ptr, (n * K + k) * 9, M.where9(has_p, M.mm(Gp, Lk), Lk), m)
        M.store9(aG_ptr, (n * K + k) * 9, (zero, zero, zero, zero, zero, zero, zero, zero, zero), m)
        M.store3(aP_ptr, (n * K + k) * 3, (zero, zero, zero), m)
        tl.debug_barrier()
    # 2. pose gradients of frame t, per sensor, through the mount into the sensor joint's accumulators
    tm = tl.maximum(t - 1, 0)
    tp = tl.minimum(t + 1, T - 1)
    mid_m = m & (t - 1 >= 1) & (t - 1 <= T - 2)  # outputs whose middle frame is t−1, t, t+1
    mid_0 = m & (t >= 1) & (t <= T - 2)
    mid_p = m & (t + 1 >= 1) & (t + 1 <= T - 2)
    for s in range(S):
        depth = tl.load(depth_ptr + s)
        ch = chain_ptr + s * D
        Rjs = M.load9u(srot_ptr, s * 9)
        o_s = M.load3u(soff_ptr, s * 3)
        Rm, pm = sensor_pose(L_ptr, root_ptr, b * T + tm, K, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        R0, p0 = sensor_pose(L_ptr, root_ptr, n, K, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        Rp, pp = sensor_pose(L_ptr, root_ptr, b * T + tp, K, ch, depth, off_ptr, Rjs, o_s, m, ROT_AA)
        om = ((b * (T - 2) + t - 2) * S + s) * 3  # output row of middle frame t−1 (t, t+1: + S·3, + 2 S·3)
        ga_m = M.load3(gacc_ptr, om, mid_m)
        ga_0 = M.load3(gacc_ptr, om + S * 3, mid_0)
        ga_p = M.load3(gacc_ptr, om + 2 * S * 3, mid_p)
        gw_m = M.load3(ggyro_ptr, om, mid_m)
        gw_0 = M.load3(ggyro_ptr, om + S * 3, mid_0)
        gw_p = M.load3(ggyro_ptr, om + 2 * S * 3, mid_p)
        # acc at t: gR_t += f gaccᵀ; the second differences: gp_t = (R_{t−1} ga_{t−1} − 2 R_t ga_t + R_{t+1} ga_{t+1}) / dt²
        f = M.sub3(M.scale3(M.add3(M.sub3(pp, M.scale3(p0, 2.0)), pm), inv_dt2), g)
        gR = M.outer(f, ga_0)
        gp = M.scale3(M.add3(M.sub3(M.mv(Rm, ga_m), M.scale3(M.mv(R0, ga_0), 2.0)), M.mv(Rp, ga_p)), inv_dt2)
        # log-map pairs: (t−1, t) read by the gyro at t−1 and t; (t, t+1) by the gyro at t and t+1
        _, gB = M.log_rel_backward(Rm, R0, M.scale3(M.add3(gw_m, gw_0), inv_2dt))
        gA, _ = M.log_rel_backward(R0, Rp, M.scale3(M.add3(gw_0, gw_p), inv_2dt))
        gR = M.add9(gR, M.add9(gA, gB))
        if HAS_GORI:
            gR = M.add9(gR, M.load9(gori_ptr, om * 3 + S * 9, mid_0))
        # the mount: R_ws = G_j R_js, p_s = P_j + G_j o_s
        slot = tl.load(ch + depth - 1)
        aG = M.load9(aG_ptr, (n * K + slot) * 9, m)
        aP = M.load3(aP_ptr, (n * K + slot) * 3, m)
        M.store9(aG_ptr, (n * K + slot) * 9, M.add9(aG, M.add9(M.mmt(gR, Rjs), M.outer(gp, o_s))), m)
        M.store3(aP_ptr, (n * K + slot) * 3, M.add3(aP, gp), m)
        tl.debug_barrier()
    # 3. FK reverse sweep on the sub-tree
    gr = fk_backward_sweep(L_ptr, n * K * RD, G_ptr, n * K * 9, aG_ptr, aP_ptr, n * K * 3, par_ptr, off_ptr,
                           gL_ptr, n * K * RD, m, K, ROT_AA)
    M.store3(groot_ptr, n * 3, gr, m)


# ---- host side ------------------------------------------------------------------------------------
def chains_of(parents: Sequence[int], joints: Sequence[int]) -> Tuple[list, list]:
    """Chains root → joint (joint indices, root first) of ``joints`` under ``parents``, padded with −1 to
    the longest, and their depths."""
    ch = []
    for j in joints:
        c = []
        while j >= 0:
            c.append(int(j))
            j = parents[j]
        ch.append(c[::-1])
    D = max(len(c) for c in ch)
    return [c + [-1] * (D - len(c)) for c in ch], [len(c) for c in ch]


@functools.lru_cache(maxsize=256)
def meta(parents: tuple, needed: tuple, sjoint: tuple, device: str) -> dict:
    """Device tensors describing one (skeleton, sensors) combination, built once on the host: chains over
    the full skeleton (forward, poses), the sub-tree of the needed joints (backward: parents, chains in
    sub-tree slots, and ``idx``, the joints it keeps)."""
    dev = torch.device(device)
    i32 = lambda x: torch.tensor(x, dtype=torch.int32).to(dev)  # noqa: E731
    ch, dep = chains_of(parents, sjoint)
    pos = {j: k for k, j in enumerate(needed)}
    sub_par = [pos[parents[j]] if parents[j] >= 0 else -1 for j in needed]
    sch, sdep = chains_of(sub_par, [pos[j] for j in sjoint])
    return {"chains": i32(ch), "depth": i32(dep), "D": len(ch[0]), "sub_par": i32(sub_par), "sub_chains": i32(sch),
            "sub_depth": i32(sdep), "sub_D": len(sch[0]), "idx": torch.tensor(needed, dtype=torch.long).to(dev),
            "K": len(needed)}


def _prm(dt: float, g, device) -> torch.Tensor:
    return torch.tensor([1.0 / (dt * dt), 0.5 / dt, *[float(x) for x in g]], dtype=torch.float64).to(device)


@functools.lru_cache(maxsize=64)
def _prm_cached(dt: float, g: tuple, device: str) -> torch.Tensor:
    return _prm(dt, g, torch.device(device))


def forward(L, root, mt: dict, offsets, soff, srot, dt: float, g: tuple, acc, gyro, ori, rot_aa: bool) -> None:
    """``L [B, T, J, 9 | 3]``, ``root [B, T, 3]`` (contiguous) → ``acc``/``gyro [B, T−2, S, 3]``, ``ori [B, T−2, S, 9]``."""
    B, T, J = L.shape[:3]
    S = soff.shape[0]
    if B == 0 or T < 3:
        return
    prm = _prm_cached(float(dt), tuple(float(x) for x in g), str(L.device))
    _imu_fwd_kernel[(B, triton.cdiv(T - 2, BLOCK))](
        L, root, mt["chains"], mt["depth"], mt["D"], offsets, soff, srot, prm, acc, gyro,
        ori if ori is not None else acc, T, J, S, ROT_AA=rot_aa, HAS_ORI=ori is not None, BLOCK=BLOCK)


def poses(L, root, mt: dict, offsets, soff, srot, out, rot_aa: bool = False) -> None:
    """``[B, T, S, 12]`` sensor poses into ``out``."""
    B, T, J = L.shape[:3]
    N = B * T
    if N == 0:
        return
    _poses_kernel[(triton.cdiv(N, BLOCK),)](L, root, mt["chains"], mt["depth"], mt["D"], offsets, soff, srot, out,
                                           N, J, soff.shape[0], ROT_AA=rot_aa, BLOCK=BLOCK)


def backward(Ls, root, mt: dict, sub_off, soff, srot, dt: float, g: tuple, gacc, ggyro, gori, rot_aa: bool):
    """Gradients (``gLs`` like ``Ls [B, T, K, 9 | 3]``, ``groot [B, T, 3]``) of the fused forward on the sub-tree."""
    B, T, K = Ls.shape[:3]
    S = soff.shape[0]
    gLs = torch.empty_like(Ls)
    groot = torch.empty_like(root)
    if B * T == 0:
        return gLs, groot
    scratch = Ls.new_empty((3, B * T, K, 9))  # G, aG, aP (aP uses the first 3 of 9)
    prm = _prm_cached(float(dt), tuple(float(x) for x in g), str(Ls.device))
    _imu_bwd_kernel[(B, triton.cdiv(T, BLOCK))](
        Ls, root, mt["sub_par"], mt["sub_chains"], mt["sub_depth"], mt["sub_D"], sub_off, soff, srot, prm,
        gacc, ggyro, gori if gori is not None else gacc, scratch[0], scratch[1], scratch[2], gLs, groot, T, K, S,
        ROT_AA=rot_aa, HAS_GORI=gori is not None, BLOCK=BLOCK)
    return gLs, groot
