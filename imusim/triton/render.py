"""Triton ``render_imu`` (the batched frame-pool renderer of imusim/imu/render.py) on the GPU.

Two kernels, the stages of csrc/imu_render/imu_render_cpu.cpp:

* ``_render_poses_kernel`` — program = (item b, block of source frames) from a host-built block table;
  lane = source frame: sensor poses of every source frame of every item (chain walks of
  imusim/triton/imu.py with the item's own joints and mounts) into ``pose [Σ length, S, 12]``. A mount
  with ``det R_js < 0`` (a mirrored item, :func:`~imusim.imu.render.mirror_mounts`) gives the pose in the
  world reflected across x = 0: row 0 of ``R`` and ``p_x`` negated.
* ``_render_kernel`` — program = (item b, sensor s); it walks its item's output rows in blocks of
  ``BLOCK`` rows (the bias random walk carries from block to block). Output row r reads output frames
  r, r+1, r+2; each is the source pose itself (``fps == rate``) or interpolated at source time
  ``t = f · fps / rate`` (float64): cubic Hermite positions with centred tangents (second-order one-sided
  at the ends), shortest-path slerp orientations. Then ``acc``/``gyro`` as in ``synthesize_imu``, the
  error model, and row ``out_off[b] + r`` of ``out [N, S, 6]`` (and ``ori``).

Error model (imusim/imu/noise.py, the terms of the BMI160 profile): per item, sensor and kind (acc, gyro)
``y = clip(diag(1 + s)(I + [ε]×) x + b0 + w + n, ±range)`` on the resolution grid (round half to even).
Random numbers are counter-based (Philox-4x32-10, ``tl.random``): key = the item's 64-bit seed, counter
= (row, channel, stream, 0) with channel = 6·sensor + 3·kind + axis. So a draw depends only on (seed,
sensor, channel, row): not on the batch, the block size, the sensor count or the item's length (a
shorter item is a prefix of a longer one). Stream 1, row 0 gives the constants (words 0, 1 → the scale
and misalignment normals, words 2, 3 → the bias normal and a spare); stream 0 gives each row's words
0, 1 → two Box–Muller normals (white noise, Gaussian random-walk increment) and words 2, 3, unused today.
Normals are made in float32 for both dtypes (float64 and float32 renderings draw the same noise); the
tail reaches 6.8 σ. New per-sample terms take the spare words or a new stream number, new constants
the spare word or a new row of stream 1; their parameters go into ``_axis_params`` (``NP`` per kind).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import List, Optional

import numpy as np
import torch
import triton
import triton.language as tl
from triton.language.random import philox_impl

from . import _math as M
from .imu import chain_pose, chains_of

BLOCK_POSE = 64
BLOCK_ROWS = 64
# under TRITON_INTERPRET=1 every block operation is one numpy call: wide blocks amortise the interpreter
BLOCK_INTERPRET = 512
# noise parameters per kind (acc, gyro), in this order; float64
AXIS_PARAMS = ("white", "bias", "rw", "scale", "mis", "range", "resolution", "spare")
NP = len(AXIS_PARAMS)
# AxisNoise fields the kernel implements (anything else set in a model is refused, naming the field)
SUPPORTED_FIELDS = ("noise_density", "bias_std", "bias_rw", "scale_std", "misalignment_std", "range", "resolution")


@triton.jit
def _render_poses_kernel(L_ptr, root_ptr, blk_ptr, item_ptr, jnt_ptr, mnt_ptr, chain_ptr, depth_ptr, D, off_ptr,
                         pose_ptr, J, S, ROT_AA: tl.constexpr, BLOCK: tl.constexpr):
    RD: tl.constexpr = 3 if ROT_AA else 9
    k = tl.program_id(0)
    b = tl.load(blk_ptr + 2 * k).to(tl.int64)
    t0 = tl.load(blk_ptr + 2 * k + 1).to(tl.int64)
    start = tl.load(item_ptr + b * 8)
    length = tl.load(item_ptr + b * 8 + 1)
    src_off = tl.load(item_ptr + b * 8 + 4)
    t = t0 + tl.arange(0, BLOCK)
    m = t < length
    frame = start + t
    r = M.load3(root_ptr, frame * 3, m)
    for s in range(S):
        j = tl.load(jnt_ptr + b * S + s)
        o_s = M.load3u(mnt_ptr, (b * S + s) * 12)
        Rjs = M.load9u(mnt_ptr, (b * S + s) * 12 + 3)
        det = (Rjs[0] * (Rjs[4] * Rjs[8] - Rjs[5] * Rjs[7]) - Rjs[1] * (Rjs[3] * Rjs[8] - Rjs[5] * Rjs[6])
               + Rjs[2] * (Rjs[3] * Rjs[7] - Rjs[4] * Rjs[6]))
        sx = tl.where(det < 0, -1.0, 1.0).to(pose_ptr.dtype.element_ty)
        G, P = chain_pose(L_ptr, frame * J * RD, r, chain_ptr + j * D, tl.load(depth_ptr + j), off_ptr, m, ROT_AA)
        R = M.mm(G, Rjs)
        p = M.add3(P, M.mv(G, o_s))
        R = (R[0] * sx, R[1] * sx, R[2] * sx, R[3], R[4], R[5], R[6], R[7], R[8])
        p = (p[0] * sx, p[1], p[2])
        base = ((src_off + t) * S + s) * 12
        M.store9(pose_ptr, base, R, m)
        M.store3(pose_ptr, base + 9, p, m)


@triton.jit
def _pose_at(pose_ptr, pbase, S, f, length, step, RESAMPLE: tl.constexpr, m):
    """Pose (R, p) of one sensor at output frames ``f`` (int64 block). ``pbase``: element offset of the
    item's source frame 0 of this sensor; source frames are ``S · 12`` elements apart."""
    ST = S * 12
    if RESAMPLE:
        tt = f.to(tl.float64) * step
        k = tl.minimum(tl.floor(tt).to(tl.int64), length - 2)
        u = (tt - k.to(tl.float64)).to(pose_ptr.dtype.element_ty)
        Ra = M.load9(pose_ptr, pbase + k * ST, m)
        Rb = M.load9(pose_ptr, pbase + (k + 1) * ST, m)
        R = M.slerp_mat(Ra, Rb, u)
        # Hermite: p(u) = h00 p_k + h10 m_k + h01 p_{k+1} + h11 m_{k+1}; centred tangents, one-sided at the ends
        km = tl.maximum(k - 1, 0)
        kp = tl.minimum(k + 2, length - 1)
        pm = M.load3(pose_ptr, pbase + km * ST + 9, m)
        p0 = M.load3(pose_ptr, pbase + k * ST + 9, m)
        p1 = M.load3(pose_ptr, pbase + (k + 1) * ST + 9, m)
        pp = M.load3(pose_ptr, pbase + kp * ST + 9, m)
        two = length == 2
        # m_k: centred when 0 < k; at k = 0 second-order one-sided (−3 p0 + 4 p1 − p2) / 2 (p2 = pp when k = 0)
        c0 = M.scale3(M.sub3(p1, pm), 0.5)
        e0 = M.scale3(M.sub3(M.add3(M.scale3(p0, -3.0), M.scale3(p1, 4.0)), pp), 0.5)
        m0 = M.where3(k == 0, e0, c0)
        # m_{k+1}: centred when k + 1 < length − 1; at the end (3 p_{n−1} − 4 p_{n−2} + p_{n−3}) / 2
        c1 = M.scale3(M.sub3(pp, p0), 0.5)
        e1 = M.scale3(M.add3(M.sub3(M.scale3(p1, 3.0), M.scale3(p0, 4.0)), pm), 0.5)
        m1 = M.where3(k + 1 == length - 1, e1, c1)
        d = M.sub3(p1, p0)
        m0 = M.where3(two, d, m0)
        m1 = M.where3(two, d, m1)
        u2 = u * u
        u3 = u2 * u
        h00 = 2.0 * u3 - 3.0 * u2 + 1.0
        h10 = u3 - 2.0 * u2 + u
        h01 = -2.0 * u3 + 3.0 * u2
        h11 = u3 - u2
        p = M.add3(M.add3(M.scale3(p0, h00), M.scale3(m0, h10)), M.add3(M.scale3(p1, h01), M.scale3(m1, h11)))
    else:
        R = M.load9(pose_ptr, pbase + f * ST, m)
        p = M.load3(pose_ptr, pbase + f * ST + 9, m)
    return R, p


@triton.jit
def _philox(k0, k1, c0, c1, c2):
    """Philox-4x32-10 of counter (c0, c1, c2, 0) under key (k0, k1) (uint32)."""
    return philox_impl(c0, c1, c2, c0 * 0, k0, k1)


@triton.jit
def _box_muller(x0, x1):
    """Two standard normals (float32) from two uint32 words: u1 ∈ (0, 1) from x0 (exact for small x0, so the
    tail reaches √(−2 ln 2⁻³³) ≈ 6.8), angle 2π u2 from the top 24 bits of x1."""
    u1 = tl.minimum((x0.to(tl.float32) + 0.5) * 2.3283064365386963e-10, 0.99999994)
    u2 = (x1 >> 8).to(tl.float32) * 5.960464477539063e-08
    r = tl.sqrt(-2.0 * tl.log(u1))
    th = 6.283185307179586 * u2
    return r * tl.cos(th), r * tl.sin(th)


@triton.jit
def _noise_constants(k0, k1, s, c, prm_ptr):
    """(M 9, b0 3) of sensor s, kind c: M = diag(1 + s_i)(I + [ε]×), from stream 1 at row 0."""
    pb = prm_ptr + c * 8
    bias_sd = tl.load(pb + 1).to(tl.float32)
    scale_sd = tl.load(pb + 3).to(tl.float32)
    mis_sd = tl.load(pb + 4).to(tl.float32)
    ch0 = (6 * s + 3 * c).to(tl.uint32)
    zero = ch0 * 0
    x0, x1, x2, x3 = _philox(k0, k1, zero, ch0, zero + 1)
    sc0, e0 = _box_muller(x0, x1)
    b0, _ = _box_muller(x2, x3)
    x0, x1, x2, x3 = _philox(k0, k1, zero, ch0 + 1, zero + 1)
    sc1, e1 = _box_muller(x0, x1)
    b1, _ = _box_muller(x2, x3)
    x0, x1, x2, x3 = _philox(k0, k1, zero, ch0 + 2, zero + 1)
    sc2, e2 = _box_muller(x0, x1)
    b2, _ = _box_muller(x2, x3)
    sc0 = 1.0 + scale_sd * sc0
    sc1 = 1.0 + scale_sd * sc1
    sc2 = 1.0 + scale_sd * sc2
    e0 = mis_sd * e0
    e1 = mis_sd * e1
    e2 = mis_sd * e2
    Mx = (sc0, -sc0 * e2, sc0 * e1, sc1 * e2, sc1, -sc1 * e0, -sc2 * e1, sc2 * e0, sc2)
    return Mx, (bias_sd * b0, bias_sd * b1, bias_sd * b2)


@triton.jit
def _rint(x):
    """Round half to even (torch.round / std::rint)."""
    r = tl.floor(x + 0.5)
    tie = (r - x) == 0.5
    odd = (r - 2.0 * tl.floor(r * 0.5)) != 0.0
    return tl.where(tie & odd, r - 1.0, r)


@triton.jit
def _noisy(x, Mx, b0, walk, zw, c, prm_ptr, DT: tl.constexpr):
    """One kind's three channels: clip(M x + b0 + walk + white, ±range) on the resolution grid."""
    pb = prm_ptr + c * 8
    white = tl.load(pb).to(DT)
    rng = tl.load(pb + 5).to(DT)
    res = tl.load(pb + 6).to(DT)
    y = M.mv(M.cast9(Mx, DT), x)
    y = M.add3(M.add3(y, M.cast3(b0, DT)), walk)
    y = M.add3(y, M.scale3(M.cast3(zw, DT), white))
    lim = tl.where(rng > 0, rng, 1.0e30)
    y = (tl.minimum(tl.maximum(y[0], -lim), lim), tl.minimum(tl.maximum(y[1], -lim), lim),
         tl.minimum(tl.maximum(y[2], -lim), lim))
    q = res > 0
    rs = tl.where(q, res, 1.0)
    return M.where3(q, (_rint(y[0] / rs) * rs, _rint(y[1] / rs) * rs, _rint(y[2] / rs) * rs), y)


@triton.jit
def _walk_step(k0, k1, r, ch, m, rw, carry, DT: tl.constexpr):
    """(white-noise normal of row r, bias walk after row r) for one channel: the walk adds a Gaussian
    increment of std ``rw`` per row (inclusive prefix sum within the block on the carried value)."""
    zero = r.to(tl.uint32) * 0
    x0, x1, _, _ = _philox(k0, k1, r.to(tl.uint32), zero + ch, zero)
    zw, zi = _box_muller(x0, x1)
    # the walk accumulates in float64 (the carry across blocks too): its value does not depend on the blocking
    inc = tl.where(m, zi.to(tl.float64) * rw, 0.0)
    w = tl.cumsum(inc, 0) + carry
    return zw, w.to(DT), carry + tl.sum(inc, 0)


@triton.jit
def _render_kernel(pose_ptr, item_ptr, seed_ptr, step_ptr, prm_ptr, nprm_ptr, out_ptr, ori_ptr, S,
                   HAS_ORI: tl.constexpr, NOISE: tl.constexpr, BLOCK: tl.constexpr):
    DT: tl.constexpr = out_ptr.dtype.element_ty
    b = tl.program_id(0).to(tl.int64)
    s = tl.program_id(1)
    length = tl.load(item_ptr + b * 8 + 1)
    nrows = tl.load(item_ptr + b * 8 + 2)
    out_off = tl.load(item_ptr + b * 8 + 3)
    src_off = tl.load(item_ptr + b * 8 + 4)
    resample = tl.load(item_ptr + b * 8 + 5) != 0
    step = tl.load(step_ptr + b)
    inv_dt2 = tl.load(prm_ptr).to(DT)
    inv_2dt = tl.load(prm_ptr + 1).to(DT)
    g = (tl.load(prm_ptr + 2).to(DT), tl.load(prm_ptr + 3).to(DT), tl.load(prm_ptr + 4).to(DT))
    pbase = (src_off * S + s) * 12
    seed = tl.load(seed_ptr + b)
    k0 = (seed & 0xFFFFFFFF).to(tl.uint32)
    k1 = ((seed >> 32) & 0xFFFFFFFF).to(tl.uint32)
    if NOISE:
        Ma, ba = _noise_constants(k0, k1, s, 0, nprm_ptr)
        Mg, bg = _noise_constants(k0, k1, s, 1, nprm_ptr)
        rw_a = tl.load(nprm_ptr + 2)
        rw_g = tl.load(nprm_ptr + 8 + 2)
    zero = tl.zeros([BLOCK], dtype=tl.float64)
    w0 = tl.sum(zero, 0)  # walk carries (acc xyz, gyro xyz), float64
    w1 = w0
    w2 = w0
    w3 = w0
    w4 = w0
    w5 = w0
    for r0 in range(0, nrows, BLOCK):
        r = r0 + tl.arange(0, BLOCK).to(tl.int64)
        m = r < nrows
        if resample:
            R0, p0 = _pose_at(pose_ptr, pbase, S, r, length, step, True, m)
            R1, p1 = _pose_at(pose_ptr, pbase, S, r + 1, length, step, True, m)
            R2, p2 = _pose_at(pose_ptr, pbase, S, r + 2, length, step, True, m)
        else:
            R0, p0 = _pose_at(pose_ptr, pbase, S, r, length, step, False, m)
            R1, p1 = _pose_at(pose_ptr, pbase, S, r + 1, length, step, False, m)
            R2, p2 = _pose_at(pose_ptr, pbase, S, r + 2, length, step, False, m)
        f = M.sub3(M.scale3(M.add3(M.sub3(p2, M.scale3(p1, 2.0)), p0), inv_dt2), g)
        acc = M.tmv(R1, f)
        gyr = M.scale3(M.add3(M.log_rel(R0, R1), M.log_rel(R1, R2)), inv_2dt)
        if NOISE:
            ch = (6 * s).to(tl.uint32)
            za0, wa0, w0 = _walk_step(k0, k1, r, ch, m, rw_a, w0, DT)
            za1, wa1, w1 = _walk_step(k0, k1, r, ch + 1, m, rw_a, w1, DT)
            za2, wa2, w2 = _walk_step(k0, k1, r, ch + 2, m, rw_a, w2, DT)
            zg0, wg0, w3 = _walk_step(k0, k1, r, ch + 3, m, rw_g, w3, DT)
            zg1, wg1, w4 = _walk_step(k0, k1, r, ch + 4, m, rw_g, w4, DT)
            zg2, wg2, w5 = _walk_step(k0, k1, r, ch + 5, m, rw_g, w5, DT)
            acc = _noisy(acc, Ma, ba, (wa0, wa1, wa2), (za0, za1, za2), 0, nprm_ptr, DT)
            gyr = _noisy(gyr, Mg, bg, (wg0, wg1, wg2), (zg0, zg1, zg2), 1, nprm_ptr, DT)
        row = ((out_off + r) * S + s)
        M.store3(out_ptr, row * 6, acc, m)
        M.store3(out_ptr, row * 6 + 3, gyr, m)
        if HAS_ORI:
            M.store9(ori_ptr, row * 9, R1, m)


# ---- host side ------------------------------------------------------------------------------------
def unsupported_terms(model, mag: bool = False, temperature: bool = False, errors: bool = False) -> List[str]:
    """What of a ``render_imu`` request this kernel does not implement (empty: supported): error-model fields
    beyond SUPPORTED_FIELDS, a magnetometer, temperatures, the drawn constants."""
    out = []
    for kind in ("acc", "gyro"):
        a = getattr(model, kind, None) if model is not None else None
        if a is None:
            continue
        for f in dataclasses.fields(a):
            if f.name in SUPPORTED_FIELDS or f.name == "filter_order":
                continue
            if getattr(a, f.name) not in (None, 0, 0.0):
                out.append(f"{kind}.{f.name}")
    if mag:
        out.append("mag_field")
    if temperature:
        out.append("temperature")
    if errors:
        out.append("errors=True")
    return out


def _axis_params(a, rate: float) -> list:
    """One kind's parameters in AXIS_PARAMS order (per-sample stds at ``rate``)."""
    return [a.noise_density * np.sqrt(rate), a.bias_std, a.bias_rw * np.sqrt(1.0 / rate), a.scale_std,
            a.misalignment_std, a.range or 0.0, a.resolution or 0.0, 0.0]


@functools.lru_cache(maxsize=64)
def _chain_table(parents: tuple, device: str):
    ch, dep = chains_of(list(parents), list(range(len(parents))))
    dev = torch.device(device)
    return torch.tensor(ch, dtype=torch.int32).to(dev), torch.tensor(dep, dtype=torch.int32).to(dev), len(ch[0])


def _to_dev(a: np.ndarray, dev: torch.device) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(a))
    if dev.type == "cuda":  # pinned + non_blocking: no wait for the stream's queued work
        return t.pin_memory().to(dev, non_blocking=True)
    return t.to(dev)


def render(L: torch.Tensor, root: torch.Tensor, skeleton, start, length, fps, rate: float, rows, offsets, joints,
           soff, srot, seeds, model, g, out: torch.Tensor, ori: Optional[torch.Tensor], rot_aa: bool) -> None:
    """Fill ``out [N, S, 6]`` (and ``ori [N, S, 3, 3]``) for B items of the frame pool (``L [F, J, 9 | 3]``,
    ``root [F, 3]``, one device). Host arrays (numpy, one per item): start, length, fps, rows (output rows),
    offsets (first output row), joints ``[B, S]``, soff ``[B, S, 3]``, srot ``[B, S, 3, 3]``, seeds (uint64).
    ``model``: a NoiseModel with :func:`unsupported_terms` empty, or None."""
    from .. import _backend

    dev = L.device
    wide = _backend.triton_interpret() and dev.type == "cpu"
    bp, br = (BLOCK_INTERPRET, BLOCK_INTERPRET) if wide else (BLOCK_POSE, BLOCK_ROWS)
    B = len(start)
    S = joints.shape[1] if B else 0
    if B == 0 or int(np.sum(rows)) == 0:
        return
    dt_ = L.dtype
    L = L.detach().contiguous()
    root = root.detach().contiguous()
    parents, offs = skeleton.parents, None
    from .._consts import skeleton_consts

    _, offs = skeleton_consts(skeleton, dt_, dev)
    chains, depth, D = _chain_table(tuple(parents), str(dev))
    valid = np.asarray(rows) > 0
    length = np.asarray(length, dtype=np.int64)
    src_len = np.where(valid, length, 0)
    src_off = np.concatenate([[0], np.cumsum(src_len)[:-1]]).astype(np.int64)
    fps = np.asarray(fps, dtype=np.float64)
    resample = np.abs(fps - rate) > 1e-9
    item = np.zeros((B, 8), dtype=np.int64)
    item[:, 0] = start
    item[:, 1] = length
    item[:, 2] = rows
    item[:, 3] = np.asarray(offsets)[:B]
    item[:, 4] = src_off
    item[:, 5] = resample
    npdt = np.float64 if dt_ == torch.float64 else np.float32
    mnt = np.concatenate([np.asarray(soff, npdt), np.asarray(srot, npdt).reshape(B, S, 9)], -1)  # [B, S, 12]: o_s, R_js
    nblk = np.where(valid, (src_len + bp - 1) // bp, 0)
    bi = np.repeat(np.arange(B, dtype=np.int64), nblk)
    first = np.concatenate([[0], np.cumsum(nblk)[:-1]])
    t0 = (np.arange(len(bi)) - np.repeat(first, nblk)) * bp
    blk = np.stack([bi, t0], 1).astype(np.int32)
    seeds64 = np.asarray(seeds, dtype=np.uint64).view(np.int64)
    prm = np.array([rate * rate, 0.5 * rate, *g], dtype=np.float64)
    nprm = np.zeros(2 * NP, dtype=np.float64)
    if model is not None:
        nprm[:NP] = _axis_params(model.acc, rate)
        nprm[NP:] = _axis_params(model.gyro, rate)
    item_d, mnt_d, blk_d = _to_dev(item, dev), _to_dev(mnt, dev), _to_dev(blk, dev)
    jnt_d = _to_dev(np.asarray(joints, dtype=np.int32), dev)
    seed_d, step_d = _to_dev(seeds64, dev), _to_dev(fps / rate, dev)
    prm_d, nprm_d = _to_dev(prm, dev), _to_dev(nprm, dev)
    pose = torch.empty((int(src_len.sum()), S, 12), dtype=dt_, device=dev)
    J = skeleton.num_joints
    _render_poses_kernel[(len(bi),)](L, root, blk_d, item_d, jnt_d, mnt_d, chains, depth, D, offs, pose, J, S,
                                     ROT_AA=rot_aa, BLOCK=bp)
    _render_kernel[(B, S)](pose, item_d, seed_d, step_d, prm_d, nprm_d, out, ori if ori is not None else out, S,
                           HAS_ORI=ori is not None, NOISE=model is not None, BLOCK=br)
