// Vectorisable SO(3) maps for the blocked CPU kernels (not device code): blocks of frames in
// structure-of-arrays layout, frames the fastest index of every row (row stride ld), each stage an
// `omp simd` loop over frames. Shared by the fused IMU forward (csrc/imu/imu_cpu.cpp) and the batched
// renderer (csrc/imu_render/imu_render_cpu.cpp); the scalar forms are in common/so3.h.
//
// Two rewrites need no libm call in the float loops:
// * Rodrigues through the half angle h = θ/2: sin θ / θ = sinc(h) cos h, (1 − cos θ)/θ² = sinc(h)²/2
//   (no cancellation in 1 − cos θ, no small-angle branch);
// * the log map through asin: with c = cos θ = (tr M − 1)/2 and k = θ / (2 sin θ),
//     c ≥ ½:  z = (1 − c)/2 = sin²(θ/2),  k = (asin √z / √z) / (2 √(1 − z))      (no branch near 0)
//     |c| < ½: θ = π/2 − asin c,           k = θ / (2 √(1 − c²))
//     c ≤ −½: z = (1 + c)/2,  θ = π − 2 asin √z,  k = θ / max(|v|, 1e−30)   (|v| = 2 sin θ, below)
//   with asin(x) = x + x z P(z), z = x², |x| ≤ ½.
// float: Cephes' single-precision polynomials (sinf/cosf on |r| ≤ π/4 after Cody–Waite reduction by
// π/2, asinf on |x| ≤ ½), a few ulp; a half angle ≥ 8192 or non-finite goes to libm (scalar fix-up).
// double: the same formulas with libm's sin, cos, asin (those loops stay scalar; exact to rounding).
// The float loops select between results of divisions; GCC vectorises them only with
// -fno-trapping-math, which CMakeLists.txt sets for the two kernels that include this (values unchanged).
//
//   rodrigues_rows   axis-angles → rotation rows
//   log_k            the log map's k(θ) from cos θ and |v|
//   asin_pos         asin and asin(x)/x (slerp angles)
//   imu_rows         sensor poses of n + 2 frames → log maps of the frame pairs → gyro and acc of the n
//                    middle frames (the differentiation stage of both kernels)
#pragma once
#include <cmath>
#include <cstdint>

#include "common/so3.h"

namespace imusim {
namespace simd {

template <typename T>
struct Fn;

template <>
struct Fn<float> {
  static constexpr float HMAX = 8192.f;  // Cody–Waite with these constants is exact below this
  // sinc(h) = sin(h)/h and cos(h), h ≥ 0 and h < HMAX (caller checks).
  static inline void sinc_cos(float h, float& sc, float& co) {
    const int q = int(h * 0.636619772f + 0.5f);  // nearest multiple of π/2
    const float qf = float(q);
    float r = h - qf * 1.5703125f;
    r = r - qf * 4.837512969970703125e-4f;
    r = r - qf * 7.54978995489188216e-8f;
    const float z = r * r;
    const float ps = z * (-1.6666654611e-1f + z * (8.3321608736e-3f + z * -1.9515295891e-4f));  // sin r = r + r ps
    const float sr = r + r * ps;
    const float cr = 1.f - 0.5f * z + z * z * (4.166664568298827e-2f + z * (-1.388731625493765e-3f + z * 2.443315711809948e-5f));
    const bool swap = (q & 1) != 0;
    float s = swap ? cr : sr;
    float c = swap ? sr : cr;
    s = (q & 2) ? -s : s;
    c = ((q + 1) & 2) ? -c : c;
    sc = q == 0 ? 1.f + ps : s / h;  // sin r / r for q = 0 (h may vanish)
    co = c;
  }
  // z · P(z) of asin(x) = x + x z P(z), z = x², |x| ≤ ½.
  static inline float asin_zp(float z) {
    return z * (1.6666752422e-1f + z * (7.4953002686e-2f + z * (4.5470025998e-2f + z * (2.4181311049e-2f + z * 4.2163199048e-2f))));
  }
};

template <>
struct Fn<double> {
  static constexpr double HMAX = 1e300;
  static inline void sinc_cos(double h, double& sc, double& co) {
    sc = h < 1e-5 ? 1.0 - h * h / 6.0 : std::sin(h) / h;
    co = std::cos(h);
  }
  static inline double asin_zp(double z) {  // asin(x)/x − 1 for x = √z ≤ ½
    const double x = std::sqrt(z);
    return x < 1e-5 ? z / 6.0 : std::asin(x) / x - 1.0;
  }
};

// k = θ / (2 sin θ) from c = cos θ (clamped to [−1, 1]) and vn = |v| = 2 sin θ measured from the
// antisymmetric part; see the header comment. For c ≤ −½ the denominator is vn: near θ = π, c pins
// θ only to ~√ε while v keeps 2 sin θ to ε, so k v = θ v / |v| stays bounded (|w| ≈ θ).
template <typename T>
inline T log_k(T c, T vn) {
  c = c > T(1) ? T(1) : c;
  c = c < T(-1) ? T(-1) : c;
  const T ac = std::fabs(c);
  const bool ext = ac >= T(0.5), lo = c <= T(-0.5);  // ext: |c| ≥ ½ (the half-angle forms)
  const T zh = (T(1) - ac) * T(0.5);
  const T rz = std::sqrt(zh);
  const T z = ext ? zh : c * c;
  const T x = ext ? rz : c;
  const T p = Fn<T>::asin_zp(z);
  const T as = x + x * p;
  const T sq = std::sqrt(T(1) - z);  // c ≥ ½: cos(θ/2); |c| < ½: sin θ
  const T th_mid = T(1.5707963267948966) - as;
  const T th_lo = T(3.141592653589793) - T(2) * as;
  const T num_ext = lo ? th_lo : T(1) + p;
  const T num = ext ? num_ext : th_mid;
  const T d = lo ? vn : T(2) * sq;
  const T den = d > T(1e-30) ? d : T(1e-30);
  return num / den;
}

// asin(x) and asin(x)/x for 0 ≤ x ≤ 1 (as_x = 1 at x = 0) from asin_zp: x ≤ ½ directly,
// x > ½ by asin x = π/2 − 2 asin √((1 − x)/2). Used by the render kernel for slerp angles.
template <typename T>
inline void asin_pos(T x, T& as, T& as_x) {
  const bool hi = x > T(0.5);
  const T z = hi ? (T(1) - x) * T(0.5) : x * x;
  const T r = hi ? std::sqrt(z) : x;
  const T p = Fn<T>::asin_zp(z);
  const T a = r + r * p;
  as = hi ? T(1.5707963267948966) - T(2) * a : a;
  as_x = hi ? as / (x > T(0.5) ? x : T(1)) : T(1) + p;
}

// Rodrigues through the half angle for nf axis-angles La[t * st .. +3] → rows 0..8 of Gk (row stride ld);
// huge or non-finite angles fall back to libm (common/so3.h).
template <typename T>
inline void rodrigues_rows(int nf, int ld, const T* __restrict La, int64_t st, T* __restrict Gk) {
  using F = Fn<T>;
  int bad = 0;
#pragma omp simd reduction(| : bad)
  for (int t = 0; t < nf; ++t) {  // R = I + s [a]x + c1 [a]x^2, s = sinc(h) cos h, c1 = sinc(h)^2 / 2
    const T x = La[t * st], y = La[t * st + 1], z = La[t * st + 2];
    const T h = T(0.5) * std::sqrt(x * x + y * y + z * z);
    const bool fine = h < F::HMAX;
    bad |= fine ? 0 : 1;
    T sc, co;
    F::sinc_cos(fine ? h : T(0), sc, co);
    const T s = sc * co, c1 = T(0.5) * sc * sc;
    const T xy = c1 * x * y, xz = c1 * x * z, yz = c1 * y * z;
    Gk[t] = T(1) - c1 * (y * y + z * z);
    Gk[ld + t] = xy - s * z;
    Gk[2 * ld + t] = xz + s * y;
    Gk[3 * ld + t] = xy + s * z;
    Gk[4 * ld + t] = T(1) - c1 * (x * x + z * z);
    Gk[5 * ld + t] = yz - s * x;
    Gk[6 * ld + t] = xz - s * y;
    Gk[7 * ld + t] = yz + s * x;
    Gk[8 * ld + t] = T(1) - c1 * (x * x + y * y);
  }
  if (bad)  // huge or non-finite angles: libm
    for (int t = 0; t < nf; ++t) {
      const T* a = La + t * st;
      if (!(T(0.5) * std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]) < F::HMAX)) {
        T R[9];
        rodrigues(a, R);
        for (int e = 0; e < 9; ++e) Gk[e * ld + t] = R[e];
      }
    }
}

// The differentiation stage of the blocked kernels: from sensor poses Q of nf = n + 2 frames (rows 0..8 R_ws
// row-major, 9..11 p; row stride ldq, frames innermost) the log maps of the frame pairs
//   W[i][f] = vee(log(R_fᵀ R_{f+1}))_i,  f = 0 .. n           (row stride ldw)
// then, for the n middle frames t + 1 (t = 0 .. n − 1; row stride ldo)
//   O[3 + i][t] = (W[i][t] + W[i][t + 1]) · inv_2dt                                   gyro (sensor frame)
//   O[i][t]     = (R_{t+1}ᵀ ((p_{t+2} − 2 p_{t+1} + p_t) · inv_dt2 − g))_i          acc (specific force)
template <typename T>
inline void imu_rows(int n, const T* __restrict Q, int ldq, T* __restrict W, int ldw, T* __restrict O, int ldo,
                     T inv_dt2, T inv_2dt, const T* g) {
  const int nf = n + 2;
#pragma omp simd
  for (int f = 0; f < nf - 1; ++f) {
    T a[9], c[9], M[9];
    for (int e = 0; e < 9; ++e) {
      a[e] = Q[e * ldq + f];
      c[e] = Q[e * ldq + f + 1];
    }
    for (int i = 0; i < 3; ++i)
      for (int jj = 0; jj < 3; ++jj) M[3 * i + jj] = a[i] * c[jj] + a[3 + i] * c[3 + jj] + a[6 + i] * c[6 + jj];
    const T v0 = M[7] - M[5], v1 = M[2] - M[6], v2 = M[3] - M[1];
    const T kk = log_k((M[0] + M[4] + M[8] - T(1)) * T(0.5), std::sqrt(v0 * v0 + v1 * v1 + v2 * v2));
    W[f] = kk * v0;
    W[ldw + f] = kk * v1;
    W[2 * ldw + f] = kk * v2;
  }
  const T g0 = g[0], g1 = g[1], g2 = g[2];
#pragma omp simd
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i < 3; ++i) O[(3 + i) * ldo + t] = (W[i * ldw + t] + W[i * ldw + t + 1]) * inv_2dt;
    T fa[3];
    const T gg[3] = {g0, g1, g2};
    for (int i = 0; i < 3; ++i)
      fa[i] = (Q[(9 + i) * ldq + t + 2] - T(2) * Q[(9 + i) * ldq + t + 1] + Q[(9 + i) * ldq + t]) * inv_dt2 - gg[i];
    for (int i = 0; i < 3; ++i)
      O[i * ldo + t] = Q[i * ldq + t + 1] * fa[0] + Q[(3 + i) * ldq + t + 1] * fa[1] + Q[(6 + i) * ldq + t + 1] * fa[2];
  }
}

}  // namespace simd
}  // namespace imusim
