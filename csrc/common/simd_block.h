// Helpers of the blocked CPU kernels (not device code) besides the SO(3) maps of common/simd_so3.h:
// streaming-store copies of finished output rows and one FK step over a block of frames.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace imusim {
namespace simd {

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
