"""Triton ``render_imu`` (the batched frame-pool renderer of imusim/imu/render.py) on the GPU.

Two kernels, the stages of csrc/imu_render/imu_render_cpu.cpp:

* ``_render_poses_kernel`` — program = (item b, block of source frames) from a host-built block table;
  lane = source frame: sensor poses of every source frame of every item (chain walks of
  imusim/triton/imu.py with the item's own joints and mounts) into ``pose [Σ length, S, 12]``. A mount
  with ``det R_js < 0`` (a mirrored item, :func:`~imusim.imu.render.mirror_mounts`) gives the pose in the
  world reflected across x = 0: row 0 of ``R`` and ``p_x`` negated.
* ``_render_kernel`` — program = (item b, sensor s); it walks its item's output rows in blocks of
  ``BLOCK`` rows, carrying every recursive state from block to block. Output row r reads output frames
  r, r+1, r+2; each is the source pose itself (``fps == rate``) or interpolated at source time
  ``t = f · fps / rate`` (float64): cubic Hermite positions with centred tangents (second-order one-sided
  at the ends), shortest-path slerp orientations. Then ``acc``/``gyro`` as in ``synthesize_imu``, the
  magnetometer ``R_wsᵀ m_w`` (µT) when asked, the sensor error model, and row ``out_off[b] + r`` of
  ``out [N, S, C]`` (C = 6, or 9 with the magnetometer; and ``ori``).

Error model: every term of imusim/imu/noise.py (the reference), per item, sensor and channel group
(acc, gyro, mag)::

    y = diag(1 + s + k_s ΔT) A x + G f + b0 + k_b ΔT + walk + flicker + gauss_markov + white
    y = LP(y) (Butterworth, steady start at row 0), clip to ±range, round to the resolution grid

with ``A = I + [ε]× + C_fixed + C``. The per-sample stage works on a tile ``[BLOCK rows, NCP channels]``
(NCP = 8, or 16 with the magnetometer; column c = group c // 3, axis c % 3), so each Philox call draws
for every channel of a block at once. The parameters are the flat per-group rows of
imusim/imu/render.py (``_axis_fields``, the CPU kernel's ``NoiseAxisSpec`` layout: ``AXIS_FIELDS``).

Random numbers are counter-based (Philox-4x32-10, ``tl.random``): key = the item's 64-bit seed, counter =
(c0, channel, stream, c3) with channel = 6·sensor + column for acc/gyro and 3·sensor + axis for the
magnetometer, whose streams are numbered 3 higher (so rendering it leaves acc/gyro bit-identical):

* stream 0/3, counter (row, ch, ·, 0): words 0, 1 → two Box–Muller normals: white noise and the random
  walk's increment; words 2, 3 → the Gauss–Markov innovation (and a spare);
* stream 1/4, counter (j, ch, ·, 0), j = 0, 1, 2: the channel's constants, 12 normals: (scale, ε, b0, k_b),
  (k_s, cross-axis entries a and b of its row, Gauss–Markov initial value), (its row of G, a spare);
* stream 2/5, counter (n, ch, ·, k): value n of flicker component k (Voss–McCartney): component k is
  redrawn at the rows t = 2^k (2n − 1), so at row t > 0 with k = ctz(t) < K the flicker changes by
  ``σ_f (v(k, n) − v(k, n − 1))``, n = (t / 2^k + 1) / 2; the initial value is ``σ_f Σ_k v(k, 0)``.

So a draw depends only on (seed, sensor, channel, row): not on the batch, the block size, the sensor
count or the item's length (a shorter item is a prefix of a longer one), and a term's draws do not move
when other terms are switched on or off. Normals are made in float32 for both dtypes (float64 and
float32 renderings draw the same noise); the tail reaches 6.8 σ. Walk and flicker are sums of their
increments in float64 (a prefix sum within the block plus the carry).

The two recursive linear terms, the first-order Gauss–Markov bias and the Butterworth low-pass (a cascade
of up to 4 biquads, state dimension D = 2·sections ≤ 8), run over the rows of a block as block
matrix products with the state carried between blocks (``_filter_mats``): for a linear system
``s[t+1] = A s[t] + B w[t]``, ``y[t] = C s[t] + D w[t]``, a block of n rows is

    y = H w + Φ s0,   s_n = Aⁿ s0 + Ψ w,   H[i, u] = h[i − u] (impulse response), Φ[i] = C Aⁱ, Ψ[:, u] = A^(n−1−u) B

(``tl.dot`` on ``[n, n] × [n, NCP]`` tiles; Gauss–Markov: ``H[i, u] = φ^(i−u)``, ``Φ[i] = φ^(i+1)``). The
host builds H, Φ, Ψ, Aⁿ once per (filter, block size, dtype, device) in float64. A row-by-row scan would
need one dependent step per row; the block form keeps the rows as lanes, costs ≈ n + 2D multiply-adds
per row, channel and group (≈ 0.5 % of an H200's FP32 rate at the issue's 1 M windows/s) and is exact up
to rounding (tests/triton/test_triton_render_errors.py checks it against scipy's ``sosfilt`` and against
itself with other block sizes). Why not the scan: docs/design.md ("Triton noise").
"""

from __future__ import annotations

import functools
from typing import Optional

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
AXIS_FIELDS = 44  # imusim/imu/render.py _axis_fields == csrc/imu_render/imu_render.h kAxisFields
ERR_FIELDS = 27
MAX_SOS = 4
MAX_FLICKER = 64  # Voss–McCartney components the kernel draws the initial value of (one lane each)
NSTATE = 16       # state rows of the low-pass: 2 per biquad (8 used), zero-padded to 16: tl.dot needs K >= 16 on Triton <= 3.6 (fp32)
# field offsets in a group's row (see imusim/imu/render.py _axis_fields)
F_WHITE: tl.constexpr = tl.constexpr(0)
F_BIAS: tl.constexpr = tl.constexpr(1)
F_RW: tl.constexpr = tl.constexpr(2)
F_SCALE: tl.constexpr = tl.constexpr(3)
F_MIS: tl.constexpr = tl.constexpr(4)
F_RANGE: tl.constexpr = tl.constexpr(5)
F_RES: tl.constexpr = tl.constexpr(6)
F_CROSS: tl.constexpr = tl.constexpr(7)
F_CFIX: tl.constexpr = tl.constexpr(8)
F_GSENS: tl.constexpr = tl.constexpr(17)
F_TCB: tl.constexpr = tl.constexpr(18)
F_TCS: tl.constexpr = tl.constexpr(19)
F_FLICK: tl.constexpr = tl.constexpr(20)
F_GMSTD: tl.constexpr = tl.constexpr(21)
F_GMPHI: tl.constexpr = tl.constexpr(22)
NF: tl.constexpr = tl.constexpr(AXIS_FIELDS)
ND: tl.constexpr = tl.constexpr(NSTATE)
NE: tl.constexpr = tl.constexpr(ERR_FIELDS)
NFL: tl.constexpr = tl.constexpr(MAX_FLICKER)


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
def _philox(k0, k1, c0, c1, c2, c3):
    """Philox-4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1) (uint32; counters of one shape)."""
    return philox_impl(c0, c1, c2, c3, k0, k1)


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
def _rint(x):
    """Round half to even (torch.round / std::rint)."""
    r = tl.floor(x + 0.5)
    tie = (r - x) == 0.5
    odd = (r - 2.0 * tl.floor(r * 0.5)) != 0.0
    return tl.where(tie & odd, r - 1.0, r)


@triton.jit
def _pf(ax_ptr, kc, cm, f):
    """Field ``f`` of each channel's group row (float64 ``[NCP]``; 0 for padding channels)."""
    return tl.load(ax_ptr + kc * NF + f, mask=cm, other=0.0)


@triton.jit
def _pick(v, col, i):
    """Channel ``i`` of the channel vector ``v`` (a scalar)."""
    return tl.sum(tl.where(col == i, v, 0.0), 0)


@triton.jit
def _amat(e, ca, cb, col, ax_ptr, k):
    """``A = I + [ε]× + C_fixed + C`` of group k (9 float64 scalars, row-major) from the channel vectors of the
    misalignment angles ``e`` and the two off-diagonal cross-axis entries (``ca``, ``cb``) of each row."""
    c = 3 * k
    e0 = _pick(e, col, c)
    e1 = _pick(e, col, c + 1)
    e2 = _pick(e, col, c + 2)
    f = ax_ptr + k * NF + F_CFIX
    return (1.0 + tl.load(f), -e2 + _pick(ca, col, c) + tl.load(f + 1), e1 + _pick(cb, col, c) + tl.load(f + 2),
            e2 + _pick(ca, col, c + 1) + tl.load(f + 3), 1.0 + tl.load(f + 4),
            -e0 + _pick(cb, col, c + 1) + tl.load(f + 5),
            -e1 + _pick(ca, col, c + 2) + tl.load(f + 6), e0 + _pick(cb, col, c + 2) + tl.load(f + 7),
            1.0 + tl.load(f + 8))


@triton.jit
def _store_matrix(err_ptr, base, A, scale, col, k):
    """``diag(1 + s) A`` of group k into the error record at ``base`` (fields 0..8, row-major)."""
    for i in tl.static_range(3):
        si = 1.0 + _pick(scale, col, 3 * k + i)
        tl.store(err_ptr + base + 3 * i, si * A[3 * i])
        tl.store(err_ptr + base + 3 * i + 1, si * A[3 * i + 1])
        tl.store(err_ptr + base + 3 * i + 2, si * A[3 * i + 2])


@triton.jit
def _assemble(a, g, mg, col2, MAG: tl.constexpr):
    """``[BLOCK, NCP]`` tile of the per-group 3-vectors: column c = group c // 3 (acc, gyro, mag), axis c % 3."""
    t = tl.where(col2 == 0, a[0][:, None], tl.where(col2 == 1, a[1][:, None], tl.where(
        col2 == 2, a[2][:, None], tl.where(col2 == 3, g[0][:, None], tl.where(col2 == 4, g[1][:, None],
                                                                               g[2][:, None])))))
    if MAG:
        t = tl.where(col2 >= 6, tl.where(col2 == 6, mg[0][:, None], tl.where(col2 == 7, mg[1][:, None],
                                                                               mg[2][:, None])), t)
    return t


@triton.jit(do_not_specialize=["S", "KFL", "MS", "FLAGS"])  # one compiled kernel per model kind, not per value
def _render_kernel(pose_ptr, item_ptr, seed_ptr, step_ptr, prm_ptr, ax_ptr, mat_ptr, magf_ptr, dti_ptr, dtr_ptr,
                   out_ptr, ori_ptr, err_ptr, S, KFL, MS, FLAGS,
                   HAS_ORI: tl.constexpr, NOISE: tl.constexpr, MAG: tl.constexpr, LP: tl.constexpr,
                   GM: tl.constexpr, BLOCK: tl.constexpr, NCP: tl.constexpr):
    # FLAGS (run time, so that one compiled kernel serves every model): 1 per-row temperatures, 2 errors=True,
    # 4 flicker. LP / GM (compile time): some group has a low-pass / a Gauss–Markov bias.
    DT: tl.constexpr = out_ptr.dtype.element_ty
    NC: tl.constexpr = 9 if MAG else 6
    NK: tl.constexpr = 3 if MAG else 2
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
    if MAG:
        mw = (tl.load(magf_ptr + b * 3).to(DT), tl.load(magf_ptr + b * 3 + 1).to(DT),
              tl.load(magf_ptr + b * 3 + 2).to(DT))
    col = tl.arange(0, NCP)
    cm = col < NC
    kind = col // 3
    kc = tl.minimum(kind, NK - 1)
    axis = col - 3 * kind
    rl = tl.arange(0, BLOCK)
    dd = tl.arange(0, ND)
    # states carried from block to block: walk and flicker sums (float64), Gauss–Markov, low-pass
    cw = tl.zeros([NCP], dtype=tl.float64)
    cf = tl.zeros([NCP], dtype=tl.float64)
    gp = tl.zeros([NCP], dtype=DT)
    x0 = tl.zeros([NCP], dtype=DT)
    st = tl.zeros([ND, NCP], dtype=DT)
    rowt = (FLAGS & 1) != 0
    errs = (FLAGS & 2) != 0
    flick = (FLAGS & 4) != 0
    if NOISE:
        seed = tl.load(seed_ptr + b)
        k0 = (seed & 0xFFFFFFFF).to(tl.uint32)
        k1 = ((seed >> 32) & 0xFFFFFFFF).to(tl.uint32)
        chid = tl.where(col < 6, 6 * s + col, 3 * s + col - 6).to(tl.uint32)
        sb = tl.where(col < 6, 0, 3).to(tl.uint32)
        zc = chid * 0
        # the channel's constants: stream 1 (mag: 4), counters j = 0, 1, 2
        w0, w1, w2, w3 = _philox(k0, k1, zc, chid, sb + 1, zc)
        n_sc, n_e = _box_muller(w0, w1)
        n_b, n_kb = _box_muller(w2, w3)
        w0, w1, w2, w3 = _philox(k0, k1, zc + 1, chid, sb + 1, zc)
        n_ks, n_ca = _box_muller(w0, w1)
        n_cb, n_g0 = _box_muller(w2, w3)
        w0, w1, w2, w3 = _philox(k0, k1, zc + 2, chid, sb + 1, zc)
        n_G0, n_G1 = _box_muller(w0, w1)
        n_G2, n_spare = _box_muller(w2, w3)
        scale = _pf(ax_ptr, kc, cm, F_SCALE) * n_sc.to(tl.float64)
        e = _pf(ax_ptr, kc, cm, F_MIS) * n_e.to(tl.float64)
        b0v = _pf(ax_ptr, kc, cm, F_BIAS) * n_b.to(tl.float64)
        kbv = _pf(ax_ptr, kc, cm, F_TCB) * n_kb.to(tl.float64)
        ksv = _pf(ax_ptr, kc, cm, F_TCS) * n_ks.to(tl.float64)
        cr = _pf(ax_ptr, kc, cm, F_CROSS)
        ca = cr * n_ca.to(tl.float64)
        cb = cr * n_cb.to(tl.float64)
        gsd = tl.where(kind == 1, _pf(ax_ptr, kc, cm, F_GSENS), 0.0)  # row `axis` of G (gyro channels only)
        G0 = gsd * n_G0.to(tl.float64)
        G1 = gsd * n_G1.to(tl.float64)
        G2 = gsd * n_G2.to(tl.float64)
        gmsd = _pf(ax_ptr, kc, cm, F_GMSTD)
        gp = (gmsd * n_g0.to(tl.float64)).to(DT)  # Gauss–Markov state before row 0 (stationary start)
        Aa = _amat(e, ca, cb, col, ax_ptr, 0)
        Ag = _amat(e, ca, cb, col, ax_ptr, 1)
        if MAG:
            Am = _amat(e, ca, cb, col, ax_ptr, 2)
        if errs:
            rb = (b * S + s) * NK
            _store_matrix(err_ptr, rb * NE, Aa, scale, col, 0)
            _store_matrix(err_ptr, (rb + 1) * NE, Ag, scale, col, 1)
            if MAG:
                _store_matrix(err_ptr, (rb + 2) * NE, Am, scale, col, 2)
            eb = (rb + kc) * NE
            tl.store(err_ptr + eb + 9 + axis, b0v, mask=cm)
            tl.store(err_ptr + eb + 12 + axis, kbv, mask=cm)
            tl.store(err_ptr + eb + 15 + axis, ksv, mask=cm)
            gm_ = cm & (kind == 1)
            tl.store(err_ptr + eb + 18 + 3 * axis, G0, mask=gm_)
            tl.store(err_ptr + eb + 19 + 3 * axis, G1, mask=gm_)
            tl.store(err_ptr + eb + 20 + 3 * axis, G2, mask=gm_)
        fac0 = 1.0 + scale
        dti = tl.load(dti_ptr + b)
        white = _pf(ax_ptr, kc, cm, F_WHITE).to(DT)
        rw = _pf(ax_ptr, kc, cm, F_RW)
        sfl = _pf(ax_ptr, kc, cm, F_FLICK)
        phi = _pf(ax_ptr, kc, cm, F_GMPHI)
        cgm = (gmsd * tl.sqrt(tl.maximum(1.0 - phi * phi, 0.0))).to(DT)
        rng = _pf(ax_ptr, kc, cm, F_RANGE)
        lim = tl.where(rng > 0, rng, 1.0e30).to(DT)
        res = _pf(ax_ptr, kc, cm, F_RES)
        qz = res > 0
        rs = tl.where(qz, res, 1.0).to(DT)
        lpc = _pf(ax_ptr, kc, cm, 23) > 0  # the channel's group has a low-pass
        if flick:  # initial flicker: Σ_k v(k, 0) over the K components (one lane each)
            kk = tl.arange(0, NFL)[:, None]
            zk = (kk * 0).to(tl.uint32) + zc[None, :]
            y0, y1, y2, y3 = _philox(k0, k1, zk, chid[None, :] + zk, sb[None, :] + 2 + zk, kk.to(tl.uint32) + zk)
            v0, v1 = _box_muller(y0, y1)
            cf = sfl * tl.sum(tl.where(kk < KFL, v0.to(tl.float64), 0.0), 0)
    for r0 in range(0, nrows, BLOCK):
        r = r0 + rl.to(tl.int64)
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
        if MAG:
            mg = M.tmv(R1, mw)
        else:
            mg = acc
        row = (out_off + r) * S + s
        if HAS_ORI:
            M.store9(ori_ptr, row * 9, R1, m)
        if NOISE:
            col2 = col[None, :]
            kind2 = kind[None, :]
            m2 = m[:, None] & cm[None, :]
            # sensitivity and cross-axis (A x per group), temperature scale, g-sensitivity (ideal f)
            ya = M.mv(M.cast9(Aa, DT), acc)
            yg = M.mv(M.cast9(Ag, DT), gyr)
            if MAG:
                ym = M.mv(M.cast9(Am, DT), mg)
            else:
                ym = ya
            V = _assemble(ya, yg, ym, col2, MAG)
            # ΔT per row (per-row temperatures; the item's ΔT is then 0) or the item's (the loads masked off)
            dT = (tl.load(dtr_ptr + out_off + r, mask=M.mand(m, rowt), other=0.0) + dti)[:, None]
            V = V * (fac0[None, :] + ksv[None, :] * dT).to(DT)
            add = b0v[None, :] + kbv[None, :] * dT
            # G f (G = 0 for models without g-sensitivity and for the acc/mag columns: adds exact zeros)
            V = V + (acc[0][:, None] * G0.to(DT)[None, :] + acc[1][:, None] * G1.to(DT)[None, :]
                     + acc[2][:, None] * G2.to(DT)[None, :])
            # per-row draws (stream 0 / 3): white noise, walk increment, Gauss–Markov innovation
            zt = (r[:, None] * 0).to(tl.uint32) + zc[None, :]
            c1 = chid[None, :] + zt
            c2 = sb[None, :] + zt
            u0, u1, u2, u3 = _philox(k0, k1, r[:, None].to(tl.uint32) + zt, c1, c2, zt)
            zw, zi = _box_muller(u0, u1)
            inc = tl.where(m2, zi.to(tl.float64) * rw[None, :], 0.0)
            add = add + (tl.cumsum(inc, 0) + cw[None, :])
            cw = cw + tl.sum(inc, 0)
            if flick:  # Voss–McCartney: row t redraws component k = ctz(t) (value n = (t / 2^k + 1) / 2)
                rp = tl.where(r > 0, r, 1)
                lsb = rp & (-rp)
                kf = (lsb.to(tl.float32).to(tl.int32, bitcast=True) >> 23) - 127
                nn = ((rp >> kf.to(tl.int64)) + 1) >> 1
                red = m & (r > 0) & (kf < KFL)
                cn = nn.to(tl.uint32)[:, None] + zt
                ck = kf.to(tl.uint32)[:, None] + zt
                a0, a1, a2, a3 = _philox(k0, k1, cn, c1, c2 + 2, ck)
                q0, q1, q2, q3 = _philox(k0, k1, cn - 1, c1, c2 + 2, ck)
                va, va2 = _box_muller(a0, a1)
                vq, vq2 = _box_muller(q0, q1)
                dfl = tl.where(red[:, None] & m2, sfl[None, :] * (va.to(tl.float64) - vq.to(tl.float64)), 0.0)
                add = add + (tl.cumsum(dfl, 0) + cf[None, :])
                cf = cf + tl.sum(dfl, 0)
            V = V + add.to(DT) + zw.to(DT) * white[None, :]
            if GM:  # g = φ g + c z, per block: G = T (c z) + φ^(i+1) g_prev (T = 0 for groups without)
                zg, zg2 = _box_muller(u2, u3)
                zin = tl.where(m2, zg.to(DT) * cgm[None, :], 0.0)
                Gt = tl.zeros([BLOCK, NCP], dtype=DT)
                for k in range(NK):  # a loop, not unrolled: one group's operands in shared memory at a time
                    mb = mat_ptr + k * MS
                    Tg = tl.load(mb + BLOCK * BLOCK + rl[:, None] * BLOCK + rl[None, :])
                    Pg = tl.load(mb + 2 * BLOCK * BLOCK + 2 * ND * BLOCK + ND * ND + rl)
                    Gk = tl.dot(Tg, zin, input_precision="ieee", out_dtype=DT) + Pg[:, None] * gp[None, :]
                    Gt = tl.where(kind2 == k, Gk, Gt)
                gp = tl.sum(tl.where(rl[:, None] == BLOCK - 1, Gt, 0.0), 0)
                V = V + Gt
            if LP:  # low-pass of V − V[row 0] (steady start), + V[row 0], on the groups that have one
                x0 = tl.where(r0 == 0, tl.sum(tl.where(rl[:, None] == 0, V, 0.0), 0), x0)
                Wt = tl.where(m2, V - x0[None, :], 0.0)
                Y = V
                stn = st
                for k in range(NK):  # a loop, not unrolled: one group's operands in shared memory at a time
                    mb = mat_ptr + k * MS
                    H = tl.load(mb + rl[:, None] * BLOCK + rl[None, :])
                    Ph = tl.load(mb + 2 * BLOCK * BLOCK + rl[:, None] * ND + dd[None, :])
                    Ps = tl.load(mb + 2 * BLOCK * BLOCK + ND * BLOCK + dd[:, None] * BLOCK + rl[None, :])
                    An = tl.load(mb + 2 * BLOCK * BLOCK + 2 * ND * BLOCK + dd[:, None] * ND + dd[None, :])
                    Yk = (tl.dot(H, Wt, input_precision="ieee", out_dtype=DT)
                          + tl.dot(Ph, st, input_precision="ieee", out_dtype=DT) + x0[None, :])
                    Sk = (tl.dot(An, st, input_precision="ieee", out_dtype=DT)
                          + tl.dot(Ps, Wt, input_precision="ieee", out_dtype=DT))
                    Y = tl.where(kind2 == k, Yk, Y)
                    stn = tl.where(kind2 == k, Sk, stn)
                V = tl.where(lpc[None, :], Y, V)
                st = stn
            V = tl.minimum(tl.maximum(V, -lim[None, :]), lim[None, :])
            V = tl.where(qz[None, :], _rint(V / rs[None, :]) * rs[None, :], V)
            tl.store(out_ptr + row[:, None] * NC + col2, V, mask=m2)
        else:
            M.store3(out_ptr, row * NC, acc, m)
            M.store3(out_ptr, row * NC + 3, gyr, m)
            if MAG:
                M.store3(out_ptr, row * NC + 6, mg, m)


# ---- host side ------------------------------------------------------------------------------------
def _state_space(sec: np.ndarray):
    """(A [ND, ND], B [ND], C [ND], D) of a cascade of biquads ``sec [n, 5]`` (b0 b1 b2 a1 a2, a0 = 1) in
    transposed direct form II (the CPU kernel's form): state (s1, s2) of each section, padded to ND."""

    def step(s, w):
        s = s.copy()
        x = w
        for j, (b0, b1, b2, a1, a2) in enumerate(sec):
            y = b0 * x + s[2 * j]
            s[2 * j] = b1 * x - a1 * y + s[2 * j + 1]
            s[2 * j + 1] = b2 * x - a2 * y
            x = y
        return s, x

    A = np.zeros((NSTATE, NSTATE))
    C = np.zeros(NSTATE)
    for i in range(2 * len(sec)):
        e = np.zeros(NSTATE)
        e[i] = 1.0
        A[:, i], C[i] = step(e, 0.0)
    Bv, D = step(np.zeros(NSTATE), 1.0)
    return A, Bv, C, D


def rows_warps(block: int) -> int:
    """Warps of a row program: one lane per row of a block (4 warps for 64 rows, 2 for 32, 1 for 16)."""
    return max(1, min(4, block // 16))


def mats_size(block: int) -> int:
    """Elements of one group's filter matrices (layout of :func:`filter_mats`)."""
    return 2 * block * block + 2 * NSTATE * block + NSTATE * NSTATE + block


@functools.lru_cache(maxsize=64)
def filter_mats(sec: tuple, phi: float, block: int) -> np.ndarray:
    """One group's block matrices (float64, :func:`mats_size`), for blocks of ``block`` rows:
    ``H [n, n]`` (low-pass impulse response as a lower-triangular Toeplitz matrix), ``T [n, n]`` (Gauss–Markov,
    ``φ^(i−u)``), ``Φ [n, ND]`` (``C Aⁱ``), ``Ψ [ND, n]`` (``A^(n−1−u) B``), ``Aⁿ [ND, ND]``, ``P [n]`` (``φ^(i+1)``).
    ``sec``: the biquads (tuples b0 b1 b2 a1 a2) or () for no low-pass; ``phi``: 0 for no Gauss–Markov."""
    n = block
    idx = np.arange(n)
    lag = idx[:, None] - idx[None, :]
    H = np.zeros((n, n))
    Phi = np.zeros((n, NSTATE))
    Psi = np.zeros((NSTATE, n))
    An = np.zeros((NSTATE, NSTATE))
    if sec:
        A, Bv, C, D = _state_space(np.asarray(sec, dtype=np.float64))
        CA = np.zeros((n, NSTATE))  # C Aⁱ
        AB = np.zeros((n, NSTATE))  # Aᵏ B
        v, u = C.copy(), Bv.copy()
        for i in range(n):
            CA[i], AB[i] = v, u
            v, u = v @ A, A @ u
        h = np.concatenate([[D], CA[:n - 1] @ Bv])
        H = np.where(lag >= 0, h[np.maximum(lag, 0)], 0.0)
        Phi = CA
        Psi = AB[::-1].T
        An = np.linalg.matrix_power(A, n)
    T = np.where(lag >= 0, phi ** np.maximum(lag, 0), 0.0) if phi > 0 else np.zeros((n, n))
    P = phi ** (idx + 1.0) if phi > 0 else np.zeros(n)
    out = np.concatenate([H.ravel(), T.ravel(), Phi.ravel(), Psi.ravel(), An.ravel(), P])
    assert out.size == mats_size(n)
    return out


@functools.lru_cache(maxsize=32)
def _mats_on(key: tuple, block: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    """The matrices of every group (``key``: (sections, φ) per group) on the device, cached per call pattern."""
    a = np.concatenate([filter_mats(sec, phi, block) for sec, phi in key])
    return torch.from_numpy(a).to(device=device, dtype=dtype)


def _sections(ax: np.ndarray) -> tuple:
    n = int(round(ax[23]))
    return tuple(tuple(float(v) for v in ax[24 + 5 * j:29 + 5 * j]) for j in range(n))


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
           soff, srot, seeds, axes: Optional[np.ndarray], flicker_k: int, g, out: torch.Tensor,
           ori: Optional[torch.Tensor], rot_aa: bool, mag_field: Optional[np.ndarray] = None,
           dtemp_item: Optional[np.ndarray] = None, dtemp_row: Optional[np.ndarray] = None,
           errors: Optional[np.ndarray] = None) -> None:
    """Fill ``out [N, S, C]`` (C = 6, or 9 with ``mag_field``; and ``ori [N, S, 3, 3]``) for B items of the frame
    pool (``L [F, J, 9 | 3]``, ``root [F, 3]``, one device). Host arrays (numpy, one per item): start, length,
    fps, rows (output rows), offsets (first output row), joints ``[B, S]``, soff ``[B, S, 3]``, srot
    ``[B, S, 3, 3]``, seeds (uint64). ``axes``: the error model as float64 ``[3, AXIS_FIELDS]`` rows (acc, gyro,
    mag) of imusim/imu/render.py's ``_axis_fields``, or None (ideal sensors); ``flicker_k``: Voss–McCartney
    components. ``mag_field [B, 3]`` (µT, world frame), ``dtemp_item [B]`` / ``dtemp_row [N]`` (K from the
    reference temperature) as the CPU kernel takes them; ``errors``: float64 ``[B, S, K, 27]`` receiving the
    drawn constants (layout of csrc/imu_render/imu_render.h)."""
    from .. import _backend

    if axes is not None and not 0 < flicker_k <= MAX_FLICKER:
        raise ValueError(f"render: flicker components must be in 1..{MAX_FLICKER}, got {flicker_k}")
    dev = L.device
    wide = _backend.triton_interpret() and dev.type == "cpu"
    bp, br = (BLOCK_INTERPRET, BLOCK_INTERPRET) if wide else (BLOCK_POSE, BLOCK_ROWS)
    B = len(start)
    S = joints.shape[1] if B else 0
    noise = axes is not None
    if B == 0 or (int(np.sum(rows)) == 0 and not (noise and errors is not None)):
        return
    mag = mag_field is not None
    K = 3 if mag else 2
    dt_ = L.dtype
    L = L.detach().contiguous()
    root = root.detach().contiguous()
    from .._consts import skeleton_consts

    _, offs = skeleton_consts(skeleton, dt_, dev)
    chains, depth, D = _chain_table(tuple(skeleton.parents), str(dev))
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
    item_d, mnt_d = _to_dev(item, dev), _to_dev(mnt, dev)
    jnt_d = _to_dev(np.asarray(joints, dtype=np.int32), dev)
    seed_d, step_d = _to_dev(seeds64, dev), _to_dev(fps / rate, dev)
    prm_d = _to_dev(prm, dev)
    f64 = lambda a: _to_dev(np.asarray(a, dtype=np.float64), dev)  # noqa: E731
    one = torch.zeros(1, dtype=torch.float64, device=dev)  # stands in for arrays a specialisation does not read
    pose = torch.empty((max(int(src_len.sum()), 1), S, 12), dtype=dt_, device=dev)
    if len(bi):
        _render_poses_kernel[(len(bi),)](L, root, _to_dev(blk, dev), item_d, jnt_d, mnt_d, chains, depth, D, offs,
                                         pose, skeleton.num_joints, S, ROT_AA=rot_aa, BLOCK=bp)
    flags, lp, gm = 0, False, False
    ax_d = one
    mat_d = torch.zeros(1, dtype=dt_, device=dev)  # the kernel's dtype: one specialisation per dtype, as compiled
    ms = 0
    err_d = None
    if noise:
        axes = np.asarray(axes, dtype=np.float64).reshape(3, AXIS_FIELDS)
        key = tuple((_sections(axes[k]), float(axes[k, 22]) if axes[k, 21] > 0 else 0.0) for k in range(K))
        lp, gm = any(k[0] for k in key), any(k[1] > 0 for k in key)
        flags = (1 if dtemp_row is not None else 0) | (2 if errors is not None else 0) | (
            4 if (axes[:K, 20] > 0).any() else 0)
        ax_d = f64(axes)
        if lp or gm:
            mat_d = _mats_on(key, br, dt_, str(dev))
            ms = mats_size(br)
        if errors is not None:
            err_d = torch.zeros((B, S, K, ERR_FIELDS), dtype=torch.float64, device=dev)
    dti_d = f64(dtemp_item) if dtemp_item is not None else torch.zeros(B, dtype=torch.float64, device=dev)
    _render_kernel[(B, S)](pose, item_d, seed_d, step_d, prm_d, ax_d, mat_d, f64(mag_field) if mag else one, dti_d,
                           f64(dtemp_row) if dtemp_row is not None and len(dtemp_row) else one, out,
                           ori if ori is not None else out, err_d if err_d is not None else one, S, int(flicker_k), ms,
                           flags, HAS_ORI=ori is not None, NOISE=noise, MAG=mag, LP=lp, GM=gm, BLOCK=br,
                           NCP=16 if mag else 8, num_warps=rows_warps(br))
    if err_d is not None:
        errors[...] = err_d.cpu().numpy()
