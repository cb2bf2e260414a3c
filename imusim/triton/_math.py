"""Shared ``@triton.jit`` helpers of the FK / IMU / render kernels (3×3 algebra, rotations, log map).

Conventions (as csrc/common/mat3.h and csrc/imu/imu_impl.h): a 3×3 matrix is a tuple of 9 blocks,
row-major (``m[3 i + j]``), acting on column vectors; a vector is a tuple of 3 blocks. Every block
holds one value per lane (frame), so each helper is elementwise across lanes.

Only core ``tl`` math is used (sqrt, sin, cos, log, floor): the Triton interpreter, which runs these
kernels on CPU tensors in the tests, has no libdevice. ``atan`` is therefore computed here from two
half-angle reductions and its Taylor series (truncation < 2e-19, i.e. float64 accurate), and every
inverse trigonometric function below is built on it.
"""

from __future__ import annotations

import triton
import triton.language as tl

PI: tl.constexpr = tl.constexpr(3.141592653589793)
HALF_PI: tl.constexpr = tl.constexpr(1.5707963267948966)


@triton.jit
def mand(m, c):
    """``m & c`` for a block mask ``m`` and a scalar condition ``c`` (the interpreter turns ``block & scalar``
    into int32, which it then refuses as a mask)."""
    return tl.where(c, m, False)


# ---- loads / stores of small row-major blocks --------------------------------------------------
@triton.jit
def load3(ptr, off, mask):
    return (tl.load(ptr + off, mask=mask, other=0.0), tl.load(ptr + off + 1, mask=mask, other=0.0),
            tl.load(ptr + off + 2, mask=mask, other=0.0))


@triton.jit
def load3u(ptr, off):
    """Unmasked (scalar or always-valid) 3-vector."""
    return (tl.load(ptr + off), tl.load(ptr + off + 1), tl.load(ptr + off + 2))


@triton.jit
def load9u(ptr, off):
    return (tl.load(ptr + off), tl.load(ptr + off + 1), tl.load(ptr + off + 2), tl.load(ptr + off + 3),
            tl.load(ptr + off + 4), tl.load(ptr + off + 5), tl.load(ptr + off + 6), tl.load(ptr + off + 7),
            tl.load(ptr + off + 8))


@triton.jit
def load9(ptr, off, mask):
    return (tl.load(ptr + off, mask=mask, other=0.0), tl.load(ptr + off + 1, mask=mask, other=0.0),
            tl.load(ptr + off + 2, mask=mask, other=0.0), tl.load(ptr + off + 3, mask=mask, other=0.0),
            tl.load(ptr + off + 4, mask=mask, other=0.0), tl.load(ptr + off + 5, mask=mask, other=0.0),
            tl.load(ptr + off + 6, mask=mask, other=0.0), tl.load(ptr + off + 7, mask=mask, other=0.0),
            tl.load(ptr + off + 8, mask=mask, other=0.0))


@triton.jit
def store3(ptr, off, v, mask):
    ty = ptr.dtype.element_ty
    tl.store(ptr + off, v[0].to(ty), mask=mask)
    tl.store(ptr + off + 1, v[1].to(ty), mask=mask)
    tl.store(ptr + off + 2, v[2].to(ty), mask=mask)


@triton.jit
def store9(ptr, off, m, mask):
    ty = ptr.dtype.element_ty
    for e in tl.static_range(9):
        tl.store(ptr + off + e, m[e].to(ty), mask=mask)


@triton.jit
def cast3(v, ty: tl.constexpr):
    return (v[0].to(ty), v[1].to(ty), v[2].to(ty))


@triton.jit
def cast9(m, ty: tl.constexpr):
    return (m[0].to(ty), m[1].to(ty), m[2].to(ty), m[3].to(ty), m[4].to(ty), m[5].to(ty), m[6].to(ty),
            m[7].to(ty), m[8].to(ty))


@triton.jit
def bcast3(x, y, z, like):
    """Scalars (x, y, z) as blocks shaped like ``like``."""
    zero = tl.zeros_like(like)
    return (zero + x, zero + y, zero + z)


@triton.jit
def bcast9(m, like):
    zero = tl.zeros_like(like)
    return (zero + m[0], zero + m[1], zero + m[2], zero + m[3], zero + m[4], zero + m[5], zero + m[6],
            zero + m[7], zero + m[8])


# ---- 3×3 algebra ---------------------------------------------------------------------------------
@triton.jit
def mm(a, b):
    """a b"""
    return (a[0] * b[0] + a[1] * b[3] + a[2] * b[6], a[0] * b[1] + a[1] * b[4] + a[2] * b[7],
            a[0] * b[2] + a[1] * b[5] + a[2] * b[8],
            a[3] * b[0] + a[4] * b[3] + a[5] * b[6], a[3] * b[1] + a[4] * b[4] + a[5] * b[7],
            a[3] * b[2] + a[4] * b[5] + a[5] * b[8],
            a[6] * b[0] + a[7] * b[3] + a[8] * b[6], a[6] * b[1] + a[7] * b[4] + a[8] * b[7],
            a[6] * b[2] + a[7] * b[5] + a[8] * b[8])


@triton.jit
def tmm(a, b):
    """aᵀ b"""
    return (a[0] * b[0] + a[3] * b[3] + a[6] * b[6], a[0] * b[1] + a[3] * b[4] + a[6] * b[7],
            a[0] * b[2] + a[3] * b[5] + a[6] * b[8],
            a[1] * b[0] + a[4] * b[3] + a[7] * b[6], a[1] * b[1] + a[4] * b[4] + a[7] * b[7],
            a[1] * b[2] + a[4] * b[5] + a[7] * b[8],
            a[2] * b[0] + a[5] * b[3] + a[8] * b[6], a[2] * b[1] + a[5] * b[4] + a[8] * b[7],
            a[2] * b[2] + a[5] * b[5] + a[8] * b[8])


@triton.jit
def mmt(a, b):
    """a bᵀ"""
    return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2], a[0] * b[3] + a[1] * b[4] + a[2] * b[5],
            a[0] * b[6] + a[1] * b[7] + a[2] * b[8],
            a[3] * b[0] + a[4] * b[1] + a[5] * b[2], a[3] * b[3] + a[4] * b[4] + a[5] * b[5],
            a[3] * b[6] + a[4] * b[7] + a[5] * b[8],
            a[6] * b[0] + a[7] * b[1] + a[8] * b[2], a[6] * b[3] + a[7] * b[4] + a[8] * b[5],
            a[6] * b[6] + a[7] * b[7] + a[8] * b[8])


@triton.jit
def mv(a, v):
    """a v"""
    return (a[0] * v[0] + a[1] * v[1] + a[2] * v[2], a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
            a[6] * v[0] + a[7] * v[1] + a[8] * v[2])


@triton.jit
def tmv(a, v):
    """aᵀ v"""
    return (a[0] * v[0] + a[3] * v[1] + a[6] * v[2], a[1] * v[0] + a[4] * v[1] + a[7] * v[2],
            a[2] * v[0] + a[5] * v[1] + a[8] * v[2])


@triton.jit
def outer(u, v):
    """u vᵀ"""
    return (u[0] * v[0], u[0] * v[1], u[0] * v[2], u[1] * v[0], u[1] * v[1], u[1] * v[2], u[2] * v[0], u[2] * v[1],
            u[2] * v[2])


@triton.jit
def add3(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


@triton.jit
def sub3(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


@triton.jit
def scale3(a, k):
    return (a[0] * k, a[1] * k, a[2] * k)


@triton.jit
def add9(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5], a[6] + b[6],
            a[7] + b[7], a[8] + b[8])


@triton.jit
def scale9(a, k):
    return (a[0] * k, a[1] * k, a[2] * k, a[3] * k, a[4] * k, a[5] * k, a[6] * k, a[7] * k, a[8] * k)


@triton.jit
def where3(c, a, b):
    return (tl.where(c, a[0], b[0]), tl.where(c, a[1], b[1]), tl.where(c, a[2], b[2]))


@triton.jit
def where9(c, a, b):
    return (tl.where(c, a[0], b[0]), tl.where(c, a[1], b[1]), tl.where(c, a[2], b[2]), tl.where(c, a[3], b[3]),
            tl.where(c, a[4], b[4]), tl.where(c, a[5], b[5]), tl.where(c, a[6], b[6]), tl.where(c, a[7], b[7]),
            tl.where(c, a[8], b[8]))


# ---- inverse trigonometry without libdevice ---------------------------------------------------------
@triton.jit
def atan01(z):
    """atan(z) for 0 ≤ z ≤ 1: two half-angle steps (atan z = 2 atan(z / (1 + √(1 + z²)))) bring z below
    tan(π/16) ≈ 0.199, then 12 terms of the Taylor series (next term < 1.2e-19)."""
    z = z / (1.0 + tl.sqrt(1.0 + z * z))
    z = z / (1.0 + tl.sqrt(1.0 + z * z))
    z2 = z * z
    # Horner in z² of Σ (−1)^k z^(2k) / (2k + 1), k = 0..11 (literals inline: a Python float assigned to a
    # local would become a float32 constant)
    s = z2 * (-1.0 / 23.0) + 1.0 / 21.0
    s = s * z2 - 1.0 / 19.0
    s = s * z2 + 1.0 / 17.0
    s = s * z2 - 1.0 / 15.0
    s = s * z2 + 1.0 / 13.0
    s = s * z2 - 1.0 / 11.0
    s = s * z2 + 1.0 / 9.0
    s = s * z2 - 1.0 / 7.0
    s = s * z2 + 1.0 / 5.0
    s = s * z2 - 1.0 / 3.0
    s = s * z2 + 1.0
    return 4.0 * z * s


@triton.jit
def atan2_pos(y, x):
    """atan2(y, x) ∈ [0, π] for y ≥ 0."""
    ax = tl.abs(x)
    lo = y <= ax
    num = tl.where(lo, y, ax)
    den = tl.where(lo, ax, y)
    q = num / tl.where(den > 0, den, 1.0)
    a = atan01(q)
    a = tl.where(lo, a, HALF_PI - a)
    return tl.where(x < 0, PI - a, a)


@triton.jit
def sinc(x):
    """sin(x) / x (series below 1e-4)."""
    small = tl.abs(x) < 1e-4
    xs = tl.where(small, 1.0, x)
    return tl.where(small, 1.0 - x * x / 6.0, tl.sin(xs) / xs)


# ---- rotations -----------------------------------------------------------------------------------
@triton.jit
def rodrigues(x, y, z):
    """Axis-angle → row-major rotation matrix: R = I + s K + c1 K², s = sin t / t, c1 = (1 − cos t) / t²."""
    t2 = x * x + y * y + z * z
    small = t2 < 1e-8
    t = tl.sqrt(tl.where(small, 1.0, t2))
    s = tl.where(small, 1.0 - t2 / 6.0, tl.sin(t) / t)
    c1 = tl.where(small, 0.5 - t2 / 24.0, (1.0 - tl.cos(t)) / tl.where(small, 1.0, t2))
    return (1.0 - c1 * (y * y + z * z), c1 * x * y - s * z, c1 * x * z + s * y,
            c1 * x * y + s * z, 1.0 - c1 * (x * x + z * z), c1 * y * z - s * x,
            c1 * x * z - s * y, c1 * y * z + s * x, 1.0 - c1 * (x * x + y * y))


@triton.jit
def rodrigues_backward(x, y, z, g):
    """dR/da : gR for R = rodrigues(a) (csrc/imu/imu_impl.h, rodrigues_backward)."""
    t2 = x * x + y * y + z * z
    small = t2 < 1e-6
    t2s = tl.where(small, 1.0, t2)
    t = tl.sqrt(t2s)
    st = tl.sin(t)
    ct = tl.cos(t)
    s = tl.where(small, 1.0 - t2 / 6.0, st / t)
    c1 = tl.where(small, 0.5 - t2 / 24.0, (1.0 - ct) / t2s)
    ds = tl.where(small, -1.0 / 3.0 + t2 / 30.0, (t * ct - st) / (t2s * t))
    dc1 = tl.where(small, -1.0 / 12.0 + t2 / 180.0, (t * st - 2.0 * (1.0 - ct)) / (t2s * t2s))
    zero = tl.zeros_like(x)
    K = (zero, -z, y, z, zero, -x, -y, x, zero)
    K2 = mm(K, K)
    u0 = g[7] - g[5]
    u1 = g[2] - g[6]
    u2 = g[3] - g[1]
    gK = x * u0 + y * u1 + z * u2
    gK2 = (g[0] * K2[0] + g[1] * K2[1] + g[2] * K2[2] + g[3] * K2[3] + g[4] * K2[4] + g[5] * K2[5]
           + g[6] * K2[6] + g[7] * K2[7] + g[8] * K2[8])
    A = add9(mm(g, K), mm(K, g))
    v0 = A[7] - A[5]
    v1 = A[2] - A[6]
    v2 = A[3] - A[1]
    c = ds * gK + dc1 * gK2
    return (x * c + s * u0 - c1 * v0, y * c + s * u1 - c1 * v1, z * c + s * u2 - c1 * v2)


@triton.jit
def log_rel(A, B):
    """vee(log(Aᵀ B)) of rotations: k(θ) v, v = (M21 − M12, M02 − M20, M10 − M01), k = θ / (2 sin θ),
    θ = atan2(|v| / 2, (tr M − 1) / 2) (series k = ½ + θ²/12 below 1e-4)."""
    M = tmm(A, B)
    v0 = M[7] - M[5]
    v1 = M[2] - M[6]
    v2 = M[3] - M[1]
    nv = tl.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
    th = atan2_pos(0.5 * nv, 0.5 * (M[0] + M[4] + M[8] - 1.0))
    k = tl.where(th < 1e-4, 0.5 + th * th / 12.0, th / tl.where(nv > 0, nv, 1.0))
    return (k * v0, k * v1, k * v2)


@triton.jit
def log_rel_backward(A, B, gw):
    """Gradients (gA, gB) of <gw, vee(log(Aᵀ B))> as the reference's autograd computes them (acos of the
    clamped trace, k = θ / (2 sin θ)): gA = B gMᵀ, gB = A gM (csrc/imu/imu_impl.h, rel_log_backward). The
    scalar part runs in float64 (dk/dc cancels badly in float32)."""
    M = tmm(A, B)
    c = (0.5 * (M[0].to(tl.float64) + M[4].to(tl.float64) + M[8].to(tl.float64) - 1.0))
    clamped = (c > 1.0) | (c < -1.0)
    c = tl.minimum(tl.maximum(c, -1.0), 1.0)
    sn = tl.sqrt(tl.maximum(1.0 - c * c, 0.0))
    th = atan2_pos(sn, c)
    s = tl.sin(th)
    k = tl.where(th < 1e-4, 0.5 + th * th / 12.0, th / (2.0 * tl.where(s > 0, s, 1.0)))
    dk = tl.where(th < 1e-3, -(1.0 / 6.0 + th * th / 15.0),
                  -(s - th * tl.cos(th)) / (2.0 * tl.where(s > 0, s * s * s, 1.0)))
    v0 = M[7].to(tl.float64) - M[5].to(tl.float64)
    v1 = M[2].to(tl.float64) - M[6].to(tl.float64)
    v2 = M[3].to(tl.float64) - M[1].to(tl.float64)
    gk = gw[0].to(tl.float64) * v0 + gw[1].to(tl.float64) * v1 + gw[2].to(tl.float64) * v2
    gc = tl.where(clamped, 0.0, gk * dk)
    ty = M[0].dtype
    hk = (0.5 * gc).to(ty)
    kt = k.to(ty)
    gM = (hk, -kt * gw[2], kt * gw[1], kt * gw[2], hk, -kt * gw[0], -kt * gw[1], kt * gw[0], hk)
    return mmt(B, gM), mm(A, gM)


@triton.jit
def mat_to_quat(m):
    """Unit quaternion (w, x, y, z) of a rotation matrix (Shepperd: the largest of 4w², 4x², 4y², 4z²
    picks the formula)."""
    d0 = 1.0 + m[0] + m[4] + m[8]
    d1 = 1.0 + m[0] - m[4] - m[8]
    d2 = 1.0 - m[0] + m[4] - m[8]
    d3 = 1.0 - m[0] - m[4] + m[8]
    A = m[7] - m[5]
    Bq = m[2] - m[6]
    C = m[3] - m[1]
    D = m[1] + m[3]
    E = m[2] + m[6]
    Fq = m[5] + m[7]
    best = d0
    c0 = d0
    c1 = A
    c2 = Bq
    c3 = C
    g1 = d1 > best
    best = tl.where(g1, d1, best)
    c0 = tl.where(g1, A, c0)
    c1 = tl.where(g1, d1, c1)
    c2 = tl.where(g1, D, c2)
    c3 = tl.where(g1, E, c3)
    g2 = d2 > best
    best = tl.where(g2, d2, best)
    c0 = tl.where(g2, Bq, c0)
    c1 = tl.where(g2, D, c1)
    c2 = tl.where(g2, d2, c2)
    c3 = tl.where(g2, Fq, c3)
    g3 = d3 > best
    c0 = tl.where(g3, C, c0)
    c1 = tl.where(g3, E, c1)
    c2 = tl.where(g3, Fq, c2)
    c3 = tl.where(g3, d3, c3)
    n = tl.sqrt(c0 * c0 + c1 * c1 + c2 * c2 + c3 * c3)
    return (c0 / n, c1 / n, c2 / n, c3 / n)


@triton.jit
def quat_to_mat(q):
    a = q[0]
    x = q[1]
    y = q[2]
    z = q[3]
    return (1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - a * z), 2.0 * (x * z + a * y),
            2.0 * (x * y + a * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - a * x),
            2.0 * (x * z - a * y), 2.0 * (y * z + a * x), 1.0 - 2.0 * (x * x + y * y))


@triton.jit
def slerp_mat(Ra, Rb, u):
    """Rotation at fraction u ∈ [0, 1] on the shortest path from Ra to Rb (quaternion slerp; angle
    φ = 2 atan2(|a − b|, |a + b|), weights (1−u) sinc((1−u)φ) / sinc φ and u sinc(uφ) / sinc φ)."""
    a = mat_to_quat(Ra)
    b = mat_to_quat(Rb)
    dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
    sg = tl.where(dot < 0, -1.0, 1.0)
    b = (b[0] * sg, b[1] * sg, b[2] * sg, b[3] * sg)
    dm = ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2])
          + (a[3] - b[3]) * (a[3] - b[3]))
    dp = ((a[0] + b[0]) * (a[0] + b[0]) + (a[1] + b[1]) * (a[1] + b[1]) + (a[2] + b[2]) * (a[2] + b[2])
          + (a[3] + b[3]) * (a[3] + b[3]))
    phi = 2.0 * atan2_pos(tl.sqrt(dm), tl.sqrt(dp))
    isp = 1.0 / sinc(phi)
    w0 = (1.0 - u) * sinc((1.0 - u) * phi) * isp
    w1 = u * sinc(u * phi) * isp
    q0 = w0 * a[0] + w1 * b[0]
    q1 = w0 * a[1] + w1 * b[1]
    q2 = w0 * a[2] + w1 * b[2]
    q3 = w0 * a[3] + w1 * b[3]
    n = tl.sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3)
    return quat_to_mat((q0 / n, q1 / n, q2 / n, q3 / n))
