// SO(3) primitives of the scalar (per-frame) kernels, each beside its backward: Rodrigues' formula
// (axis-angle -> rotation matrix) and the relative log map w = vee(log(A^T B)). Row-major 3x3 matrices
// acting on column vectors; host and device code (IMUSIM_HD). The blocked CPU kernels use the vectorisable
// forms of the same maps in common/simd_so3.h.
#pragma once
#include <math.h>

#include "common/mat3.h"

namespace imusim {

// Rodrigues: axis-angle (3) -> row-major 3x3.
template <typename T>
IMUSIM_HD void rodrigues(const T* a, T* R) {
  const T t2 = a[0] * a[0] + a[1] * a[1] + a[2] * a[2];
  T s, c1;  // sin(t)/t, (1-cos t)/t^2
  if (t2 < T(1e-8)) {
    s = T(1) - t2 / T(6);
    c1 = T(0.5) - t2 / T(24);
  } else {
    const T t = sqrt(t2);
    s = sin(t) / t;
    c1 = (T(1) - cos(t)) / t2;
  }
  const T x = a[0], y = a[1], z = a[2];
  R[0] = T(1) - c1 * (y * y + z * z);
  R[1] = c1 * x * y - s * z;
  R[2] = c1 * x * z + s * y;
  R[3] = c1 * x * y + s * z;
  R[4] = T(1) - c1 * (x * x + z * z);
  R[5] = c1 * y * z - s * x;
  R[6] = c1 * x * z - s * y;
  R[7] = c1 * y * z + s * x;
  R[8] = T(1) - c1 * (x * x + y * y);
}

// Backward of rodrigues: ga += dR/da : gR. With R = I + s K + c1 K², s = sin t / t, c1 = (1 − cos t) / t²:
// ga_i = s'_i <gR, K> + s u_i + c1'_i <gR, K²> − c1 vee(gR K + K gR)_i, where <gR, hat(v)> = v · u,
// u = (gR21 − gR12, gR02 − gR20, gR10 − gR01); s'_i = a_i (t cos t − sin t) / t³,
// c1'_i = a_i (t sin t − 2 (1 − cos t)) / t⁴, with series near t = 0.
template <typename T>
IMUSIM_HD void rodrigues_backward(const T* a, const T* gR, T* ga) {
  const T x = a[0], y = a[1], z = a[2];
  const T t2 = x * x + y * y + z * z;
  T s, c1, ds, dc1;  // ds = s'(t)/t, dc1 = c1'(t)/t
  if (t2 < T(1e-6)) {
    s = T(1) - t2 / T(6);
    c1 = T(0.5) - t2 / T(24);
    ds = T(-1) / T(3) + t2 / T(30);
    dc1 = T(-1) / T(12) + t2 / T(180);
  } else {
    const T t = sqrt(t2), st = sin(t), ct = cos(t);
    s = st / t;
    c1 = (T(1) - ct) / t2;
    ds = (t * ct - st) / (t2 * t);
    dc1 = (t * st - T(2) * (T(1) - ct)) / (t2 * t2);
  }
  const T K[9] = {T(0), -z, y, z, T(0), -x, -y, x, T(0)};
  T K2[9];
  mat3_mul(K, K, K2);
  const T u[3] = {gR[7] - gR[5], gR[2] - gR[6], gR[3] - gR[1]};
  const T gK = x * u[0] + y * u[1] + z * u[2];
  T gK2 = T(0);
  for (int i = 0; i < 9; ++i) gK2 += gR[i] * K2[i];
  T A[9], Bm[9];
  mat3_mul(gR, K, A);
  mat3_mul(K, gR, Bm);
  for (int i = 0; i < 9; ++i) A[i] += Bm[i];
  const T v[3] = {A[7] - A[5], A[2] - A[6], A[3] - A[1]};
  for (int i = 0; i < 3; ++i) ga[i] = a[i] * (ds * gK + dc1 * gK2) + s * u[i] - c1 * v[i];
}

// vee(log(A^T B)) for rotations A, B (row-major).
template <typename T>
IMUSIM_HD void rel_log(const T* A, const T* B, T* w) {
  T R[9];
  mat3_tmul(A, B, R);
  const T tr = R[0] + R[4] + R[8];
  T c = (tr - T(1)) * T(0.5);
  c = c > T(1) ? T(1) : (c < T(-1) ? T(-1) : c);
  const T th = acos(c);
  const T s = sin(th);
  // th / (2 sin th), series near 0
  const T k = th < T(1e-4) ? T(0.5) + th * th / T(12) : th / (T(2) * s);
  w[0] = k * (R[7] - R[5]);
  w[1] = k * (R[2] - R[6]);
  w[2] = k * (R[3] - R[1]);
}

// Backward of w = vee(log(A^T B)) (as rel_log): gA += B gM^T, gB += A gM, with M = A^T B and
// w = k(θ) v, v = (M21 − M12, M02 − M20, M10 − M01), k = θ / (2 sin θ), cos θ = (tr M − 1) / 2.
// dk/dc = −(sin θ − θ cos θ) / (2 sin³ θ) → −1/6 − θ²/15 near 0 (the scalar part runs in double).
template <typename T>
IMUSIM_HD void rel_log_backward(const T* A, const T* B, const T* gw, T* gA, T* gB) {
  T M[9];
  mat3_tmul(A, B, M);
  double c = (double(M[0]) + double(M[4]) + double(M[8]) - 1.0) * 0.5;
  const bool clamped = c > 1.0 || c < -1.0;
  c = c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
  const double th = acos(c);
  const double s = sin(th);
  double k, dk;
  if (th < 1e-4) {
    k = 0.5 + th * th / 12.0;
  } else {
    k = th / (2.0 * s);
  }
  if (th < 1e-3) {
    dk = -(1.0 / 6.0 + th * th / 15.0);
  } else {
    dk = -(s - th * cos(th)) / (2.0 * s * s * s);
  }
  const double v0 = double(M[7]) - double(M[5]), v1 = double(M[2]) - double(M[6]), v2 = double(M[3]) - double(M[1]);
  const double gk = double(gw[0]) * v0 + double(gw[1]) * v1 + double(gw[2]) * v2;
  const double gc = clamped ? 0.0 : gk * dk;
  T gM[9];
  const T hk = T(0.5 * gc);
  gM[0] = hk;
  gM[4] = hk;
  gM[8] = hk;
  gM[1] = -T(k) * gw[2];
  gM[3] = T(k) * gw[2];
  gM[2] = T(k) * gw[1];
  gM[6] = -T(k) * gw[1];
  gM[5] = -T(k) * gw[0];
  gM[7] = T(k) * gw[0];
  mat3_mul_t_acc(B, gM, gA);  // gA += B gM^T
  T tmp[9];
  mat3_mul(A, gM, tmp);       // gB += A gM
  for (int i = 0; i < 9; ++i) gB[i] += tmp[i];
}

}  // namespace imusim
