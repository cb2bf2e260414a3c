// CPU-only (not device code): the fused IMU forward on blocks of frames in structure-of-arrays
// layout, so that every stage is a unit-stride loop over frames that the compiler vectorises
// (`#pragma omp simd`). A block holds n <= NB output frames, i.e. n + 2 input frames; frames are the
// fastest index of every buffer ([item][component][frame], row stride LD).
//
//   load      per needed joint: axis-angle → A (AoS → SoA), Rodrigues' matrix R_j → G_j's rows
//   fk        G_j = G_p R_j, P_j = P_p + G_p o_j in place, needed joints in topological order
//   mount     R_ws = G_j R_js, p_s = P_j + G_j o_s → Q
//   log       w[t] = vee(log(R_ws[t]ᵀ R_ws[t+1])) for every frame pair of the block → W
//   out       acc, gyro, orientation written back in the caller's [B, T−2, S, ...] layout
//
// The math is that of imu_impl.h with two rewrites that need no libm call in the float loops:
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
// -fno-trapping-math, which CMakeLists.txt sets for imu_cpu.cpp (values unchanged).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "imu/imu_impl.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Outputs larger than this are written with non-temporal stores: they do not fit the caches, and
// ordinary stores would first read every destination line (for ownership).
constexpr int64_t NT_BYTES = int64_t(8) << 20;

// dst[0..cnt) = src[0..cnt); nt: streaming stores where the target has them.
template <typename T>
inline void put(T* dst, const T* src, int64_t cnt, bool nt) {
#if defined(__SSE2__)
  if (nt) {
    int64_t q = 0;
    for (; q < cnt && (reinterpret_cast<uintptr_t>(dst + q) & 15); ++q) dst[q] = src[q];
    constexpr int W = 16 / int(sizeof(T));
    for (; q + W <= cnt; q += W) {
      if constexpr (sizeof(T) == 4)
        _mm_stream_ps(reinterpret_cast<float*>(dst + q), _mm_loadu_ps(reinterpret_cast<const float*>(src + q)));
      else
        _mm_stream_pd(reinterpret_cast<double*>(dst + q), _mm_loadu_pd(reinterpret_cast<const double*>(src + q)));
    }
    for (; q < cnt; ++q) dst[q] = src[q];
    return;
  }
#endif
  (void)nt;
  std::memcpy(dst, src, size_t(cnt) * sizeof(T));
}

// Rodrigues through the half angle for nf axis-angles La[t * st .. +3] → rows 0..8 of Gk (row stride ld);
// huge or non-finite angles fall back to libm (imu_impl.h).
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

// FK of one needed joint over nf frames: Gk [12][ld] receives the world rotation (rows 0..8) and position
// (rows 9..11); the local rotation of frame t is Ls[t * lst + e * lde], e = 0..8 (the pool itself for matrix
// input, Gk's own rows after Rodrigues for axis-angle: the same frame is read before it is written).
// Gp: the parent's [12][ld], null for the root (position from rb [nf][3]).
template <typename T>
inline void fk_joint(int nf, int ld, const T* __restrict Gp, const T* off, const T* __restrict rb, const T* Ls,
                     int64_t lst, int lde, T* Gk) {
  if (!Gp) {
    if (Ls == Gk && lst == 1 && lde == ld) {  // the local rotation is already in place
      for (int t = 0; t < nf; ++t)
        for (int c = 0; c < 3; ++c) Gk[(9 + c) * ld + t] = rb[3 * t + c];
      return;
    }
#pragma omp simd
    for (int t = 0; t < nf; ++t) {
      T R[9];
      for (int e = 0; e < 9; ++e) R[e] = Ls[t * lst + e * lde];
      for (int e = 0; e < 9; ++e) Gk[e * ld + t] = R[e];
      for (int c = 0; c < 3; ++c) Gk[(9 + c) * ld + t] = rb[3 * t + c];
    }
    return;
  }
  const T ox = off[0], oy = off[1], oz = off[2];
#pragma omp simd
  for (int t = 0; t < nf; ++t) {
    T R[9], P[9];
    for (int e = 0; e < 9; ++e) R[e] = Ls[t * lst + e * lde];
    for (int e = 0; e < 9; ++e) P[e] = Gp[e * ld + t];
    for (int i = 0; i < 3; ++i) {
      for (int c = 0; c < 3; ++c)
        Gk[(3 * i + c) * ld + t] = P[3 * i] * R[c] + P[3 * i + 1] * R[3 + c] + P[3 * i + 2] * R[6 + c];
      Gk[(9 + i) * ld + t] = Gp[(9 + i) * ld + t] + P[3 * i] * ox + P[3 * i + 1] * oy + P[3 * i + 2] * oz;
    }
  }
}

}  // namespace simd
}  // namespace imusim
