// CPU batched IMU rendering (see imu_render.h): OpenMP over items, each item in one thread from
// start to end. Within an item every stage is a structure-of-arrays loop over frames (`omp simd`),
// as in the blocked forward of synthesize_imu (csrc/imu/imu_simd.h):
//
//   poses     FK of the item's needed joints over blocks of NS source frames → sensor poses of all
//             source frames, [S][12][LDs] (rows: R_ws row-major, p)
//   prepare   (resampled items) per source frame the quaternion (hemisphere-continuous) and the Hermite
//             tangent, per interval the slerp angle φ, cos φ and φ / sin φ
//   blocks    NB output rows at a time (NB + 2 output frames): gather of the k / k+1 source data of
//             each output frame → Hermite position and slerp orientation (or the source poses when
//             fps == rate) → log maps of frame pairs, gyro, acc → noise → rows of out [N, S, 6]
//
// float: Cephes polynomials of imu_simd.h instead of libm (sinc/cos of the slerp, asin of the slerp
// angle and of the log map); double: the same formulas on libm. This file is compiled with
// -fno-trapping-math (CMakeLists.txt) so that GCC vectorises the selects between divisions.
//
// Sensor noise (sp.noise): per item, the constant errors (scale, misalignment, bias) come first from a
// xoshiro256** stream seeded by splitmix64(seed) (128-layer ziggurat normals, as before). The per-sample
// draws come from NL = 8 further xoshiro256** streams ("lanes", seeded by the next 32 splitmix64 outputs)
// run side by side, plus one stream for ziggurat completions (the next 4). Output rows are taken in groups
// of NL: group g draws, for channel ch = 0 .. 6S−1 (sensor-major, then acc xyz, gyro xyz), one 64-bit word
// from each lane l (row g·NL + l). A word gives a 1024-layer ziggurat normal (bits 0..9 layer, 32..63
// value) for the white noise and a uniform in (−½, ½) (bits 10..31) for the bias random-walk increment;
// the 0.43 % of words that fail the ziggurat's fast test are completed with draws from the completion stream,
// in word order. Every draw is thus a function of the seed, S and the row index only: not of the batch,
// the thread count or the block size.
#include "imu_render/imu_render.h"

#include <math.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/mat3.h"
#include "imu/imu_impl.h"
#include "imu/imu_simd.h"

namespace imusim {
namespace {

constexpr int NS = 128;                       // source frames per FK block
constexpr int NB = 128;                       // output rows per block
constexpr int LDB = (NB + 2 + 15) / 16 * 16;  // row stride of the output-block buffers (≥ NB + 2)
constexpr int NL = 8;                         // noise lanes = rows per noise group
static_assert(NB % NL == 0, "noise groups must not straddle blocks");

// ---- random numbers: splitmix64 seeding, xoshiro256**, ziggurat normals (Marsaglia & Tsang 2000; layer
// index and value from separate bits of one 64-bit draw) ----
inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t& x) {  // x: splitmix64 state, advanced by 4
    for (auto& v : s) v = splitmix64(x);
  }
  inline uint64_t next() {
    const uint64_t r = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
  }
  inline double uniform() { return (double(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }  // (0, 1)
};

// NL xoshiro256** generators in structure-of-arrays form (one vector step advances all).
struct Lanes {
  alignas(64) uint64_t s0[NL], s1[NL], s2[NL], s3[NL];
  explicit Lanes(uint64_t& x) {
    for (int l = 0; l < NL; ++l) {
      s0[l] = splitmix64(x);
      s1[l] = splitmix64(x);
      s2[l] = splitmix64(x);
      s3[l] = splitmix64(x);
    }
  }
};

// (row[k], row[k + 1]); float: one 8-byte load, so that a vector loop gathers the pair as one 64-bit
// element (half the gathered elements of two 4-byte gathers).
inline void ld2(const float* row, int k, float& a, float& b) {
  uint64_t x;
  std::memcpy(&x, row + k, sizeof x);
  const uint32_t lo = uint32_t(x), hi = uint32_t(x >> 32);
  std::memcpy(&a, &lo, sizeof a);
  std::memcpy(&b, &hi, sizeof b);
}
inline void ld2(const double* row, int k, double& a, double& b) {
  a = row[k];
  b = row[k + 1];
}

// Ziggurat tables with N layers of area v under exp(−x²/2), the base layer reaching r (Marsaglia & Tsang
// 2000: N = 128, r = 3.442619855899, v = 9.91256303526217e-3; N = 1024: r and v solved the same way, so that
// the top layer closes at x = 0). A 64-bit draw gives the layer (bits 0 .. log2 N − 1) and the value (bits
// 32..63). 128 layers for the constant errors (as before), 1024 for the per-sample normals: 0.43 % of the
// draws leave the fast path (2.8 % with 128 layers).
template <int N>
struct Ziggurat {
  static_assert(N == 128 || N == 1024, "ziggurat constants for 128 or 1024 layers");
  uint32_t kn[N];
  double wn[N], fn[N];
  float wnf[N];
  float wl[2 * N];  // (wnf, lim) pairs
  static constexpr double R = N == 128 ? 3.442619855899 : 4.038849846109504;
  Ziggurat() {
    const double m1 = 2147483648.0;
    double dn = R, tn = dn;
    const double vn = N == 128 ? 9.91256303526217e-3 : 1.2263246463530893e-3;
    const double q = vn / exp(-0.5 * dn * dn);
    kn[0] = uint32_t((dn / q) * m1);
    kn[1] = 0;
    wn[0] = q / m1;
    wn[N - 1] = dn / m1;
    fn[0] = 1.0;
    fn[N - 1] = exp(-0.5 * dn * dn);
    for (int i = N - 2; i >= 1; --i) {
      dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
      kn[i + 1] = uint32_t((dn / tn) * m1);
      tn = dn;
      fn[i] = exp(-0.5 * dn * dn);
      wn[i] = dn / m1;
    }
    for (int i = 0; i < N; ++i) {
      wnf[i] = float(wn[i]);
      // float form of the fast test for vector code: |float(hz) wnf| < lim implies |hz| < kn (the bound
      // is lowered by 2^-20 against the roundings), so it never accepts what the exact test rejects; the few
      // values it rejects in excess are accepted by finish()'s exact test: the same distribution
      wl[2 * i] = wnf[i];
      wl[2 * i + 1] = float(double(kn[i]) * wn[i] * (1.0 - 1.0 / 1048576.0));
    }
  }
  // the normal whose first draw is r (the fast test included), further draws from g
  template <class G>
  inline double finish(uint64_t r, G& g) const {
    for (;;) {
      const int iz = int(r & (N - 1));
      const int32_t hz = int32_t(uint32_t(r >> 32));
      const uint32_t ahz = hz < 0 ? uint32_t(-(int64_t)hz) : uint32_t(hz);
      const double x = hz * wn[iz];
      if (ahz < kn[iz]) return x;
      if (iz == 0) {  // tail beyond R
        double xt, yt;
        do {
          xt = -log(g.uniform()) / R;
          yt = -log(g.uniform());
        } while (yt + yt < xt * xt);
        return hz > 0 ? R + xt : -R - xt;
      }
      if (fn[iz] + g.uniform() * (fn[iz - 1] - fn[iz]) < exp(-0.5 * x * x)) return x;
      r = g.next();
    }
  }
  template <class G>
  inline double normal(G& g) const {
    return finish(g.next(), g);
  }
  template <typename T>
  inline const T* wtab() const {
    if constexpr (sizeof(T) == 4)
      return wnf;
    else
      return wn;
  }
};
const Ziggurat<128>& zig() {
  static const Ziggurat<128> z;
  return z;
}
const Ziggurat<1024>& zig1024() {
  static const Ziggurat<1024> z;
  return z;
}

// The noise of ng groups of NL rows (C channels): white-noise normals → Nz[ch * ld + gi * NL + l], bias
// random walk (carry[ch] plus the increments rwk[ch] · v, v uniform in (−½, ½)) → Bw[ch * ld + gi * NL + l].
// Every lane advances by exactly one word per row and channel; the further draws of words that fail the
// ziggurat's fast test come from `fix`, in word order (group, channel, lane). raw [ng * C * NL] words, zb, vb
// [ng * C * NL] values, bad [ng * C * NL] flags: scratch.
template <typename T>
void noise_block(Lanes& L, Rng& fix, const Ziggurat<1024>& Z, int C, int ng, const double* rwk, double* carry,
                 T* Nz, T* Bw, int ld, uint64_t* raw, T* zb, T* vb, unsigned char* bad) {
  const T* wt = Z.wtab<T>();
  const uint32_t* kn = Z.kn;
  const int nw = ng * C * NL;
  for (int q = 0; q < ng * C; ++q) {
    uint64_t* rc = raw + q * NL;
#pragma omp simd
    for (int l = 0; l < NL; ++l) {  // xoshiro256** step of every lane
      const uint64_t a = L.s0[l], b = L.s1[l], c = L.s2[l], d = L.s3[l];
      rc[l] = rotl(b * 5, 7) * 9;
      const uint64_t t = b << 17;
      const uint64_t c2 = c ^ a, d2 = d ^ b;
      L.s0[l] = a ^ d2;
      L.s1[l] = b ^ c2;
      L.s2[l] = c2 ^ t;
      L.s3[l] = rotl(d2, 45);
    }
  }
  int nbad = 0;
#pragma omp simd reduction(+ : nbad)
  for (int i = 0; i < nw; ++i) {  // ziggurat fast path; the increment's uniform from bits 10..31
    const uint64_t r = raw[i];
    const int iz = int(r & 1023);
    const int32_t hz = int32_t(uint32_t(r >> 32));
    int rej;
    if constexpr (sizeof(T) == 4) {  // one 8-byte (w, lim) load instead of two table lookups
      float wz, lim;
      ld2(Z.wl, 2 * iz, wz, lim);
      const float x = float(hz) * wz;
      zb[i] = x;
      rej = std::fabs(x) < lim ? 0 : 1;
    } else {
      const uint32_t ahz = uint32_t(hz < 0 ? -int64_t(hz) : int64_t(hz));
      rej = ahz < kn[iz] ? 0 : 1;
      zb[i] = T(hz) * wt[iz];
    }
    bad[i] = (unsigned char)rej;
    nbad += rej;
    vb[i] = (T(int32_t((r >> 10) & 0x3FFFFF) - 0x200000) + T(0.5)) * T(1.0 / 4194304.0);
  }
  for (int i0 = 0; nbad > 0; i0 += 8) {  // completions in word order; 8 flags (bytes 0/1) at a time
    uint64_t x;
    std::memcpy(&x, bad + i0, sizeof x);
    for (; x; x &= x - 1, --nbad) {
      const int i = i0 + (__builtin_ctzll(x) >> 3);
      zb[i] = T(Z.finish(raw[i], fix));
    }
  }
  for (int gi = 0; gi < ng; ++gi)
    for (int ch = 0; ch < C; ++ch) {
      const T* z = zb + (gi * C + ch) * NL;
      const T* v = vb + (gi * C + ch) * NL;
      T* nz = Nz + size_t(ch) * ld + gi * NL;
#pragma omp simd
      for (int l = 0; l < NL; ++l) nz[l] = z[l];
      // walk: prefix sums within the group (a triangular sum, no dependency chain) on the carry
      T p[NL];
#pragma omp simd
      for (int l = 0; l < NL; ++l) p[l] = T(0);
      for (int m = 0; m < NL; ++m) {
        const T vm = v[m];
#pragma omp simd
        for (int l = 0; l < NL; ++l) p[l] += l >= m ? vm : T(0);
      }
      const double cr = carry[ch], k = rwk[ch];
      const T crt = T(cr), kt = T(k);
      T* bw = Bw + size_t(ch) * ld + gi * NL;
#pragma omp simd
      for (int l = 0; l < NL; ++l) bw[l] = crt + kt * p[l];
      carry[ch] = cr + k * double(p[NL - 1]);
    }
}

// Software prefetch of the next item's frames, spread over the current item's output blocks (the FK
// of an item streams its frames from memory; this overlaps that stream with the previous item's compute).
struct Ahead {
  const char* p = nullptr;
  const char* end = nullptr;
  int64_t per = 0;  // cache lines per step
  inline void step() {
    for (int64_t i = 0; i < per && p < end; ++i, p += 64) __builtin_prefetch(p);
  }
};

// Per-thread scratch.
template <typename T>
struct Work {
  std::vector<T> G;                // [K][12][NS] joint poses of a source block
  std::vector<T> pose;             // [S][12][LDs] sensor poses at the source frames
  std::vector<T> quat, tang, ivl;  // [S][4][LDs], [S][3][LDs], [S][3][LDs] (φ; cos φ, φ / sin φ interleaved)
  std::vector<T> Q, W, O, Nz, Bw;  // [12][LDB], [3][LDB], [S][6][LDB], [6S][LDB], [6S][LDB]
  std::vector<T> X;                // [NB][S][6] a block's rows in output order
  std::vector<uint64_t> raw;
  std::vector<T> zb, vb;
  std::vector<unsigned char> bad, need;
  std::vector<int> nj, pslot, jslot;
  std::vector<double> carry, rwk;
  explicit Work(int J, int S)
      : G(size_t(12) * J * NS),
        Q(size_t(12) * LDB),
        W(size_t(3) * LDB),
        O(size_t(6) * S * LDB),
        Nz(size_t(6) * S * LDB),
        Bw(size_t(6) * S * LDB),
        X(size_t(6) * S * NB),
        raw(size_t(6) * S * NB),
        zb(size_t(6) * S * NB),
        vb(size_t(6) * S * NB),
        bad(size_t(6) * S * NB),
        need(J),
        nj(J),
        pslot(J),
        jslot(J),
        carry(6 * S),
        rwk(6 * S) {}
};

template <typename T>
void render_item(const RenderSpec& sp, const T* Lb, const T* rb, int64_t len64, double fps, int64_t nout,
                 const int32_t* sj, const T* so, const T* sr, uint64_t seed, T* out, T* ori, Work<T>& w,
                 Ahead& ah, bool nt) {
  using F = simd::Fn<T>;
  const int J = sp.J, S = sp.S, rd = sp.rot_dim;
  const int len = int(len64);
  const T* off = static_cast<const T*>(sp.offsets);
  // needed joints (ascending = topological) and their parents' slots
  std::fill(w.need.begin(), w.need.end(), 0);
  for (int s = 0; s < S; ++s)
    for (int j = sj[s]; j >= 0; j = sp.parents[j]) w.need[j] = 1;
  int K = 0;
  for (int j = 0; j < J; ++j)
    if (w.need[j]) {
      const int p = sp.parents[j];
      w.nj[K] = j;
      w.pslot[K] = p < 0 ? -1 : w.jslot[p];
      w.jslot[j] = K++;
    }
  const int LDs = (len + 15) / 16 * 16;
  w.pose.resize(size_t(12) * S * LDs);
  T* const pose = w.pose.data();
  T* const G = w.G.data();

  // 1. sensor poses at the source frames, blocks of NS frames
  for (int t0 = 0; t0 < len; t0 += NS) {
    const int nf = std::min(NS, len - t0);
    const T* Lf = Lb + int64_t(t0) * J * rd;
    for (int k = 0; k < K; ++k) {
      const int j = w.nj[k];
      T* Gk = G + size_t(12) * k * NS;
      const T* Gp = w.pslot[k] < 0 ? nullptr : G + size_t(12) * w.pslot[k] * NS;
      if (rd == 9) {
        simd::fk_joint<T>(nf, NS, Gp, off + 3 * j, rb + 3 * t0, Lf + 9 * j, int64_t(J) * 9, 1, Gk);
      } else {
        simd::rodrigues_rows<T>(nf, NS, Lf + 3 * j, int64_t(J) * 3, Gk);
        simd::fk_joint<T>(nf, NS, Gp, off + 3 * j, rb + 3 * t0, Gk, 1, NS, Gk);
      }
    }
    for (int s = 0; s < S; ++s) {
      const T* __restrict Gj = G + size_t(12) * w.jslot[sj[s]] * NS;
      T* __restrict Ps = pose + size_t(12) * s * LDs + t0;
      T m[9], o[3];
      for (int e = 0; e < 9; ++e) m[e] = sr[9 * s + e];
      for (int e = 0; e < 3; ++e) o[e] = so[3 * s + e];
      // mounts with det R < 0 (M R_js: a mirrored item, see imu_render.h): the pose in the world reflected
      // across x = 0, i.e. row 0 of R and p_x negated
      const T det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                    m[2] * (m[3] * m[7] - m[4] * m[6]);
      const T sx = det < T(0) ? T(-1) : T(1);
#pragma omp simd
      for (int t = 0; t < nf; ++t) {
        T P[9];
        for (int e = 0; e < 9; ++e) P[e] = Gj[e * NS + t];
        for (int i = 0; i < 3; ++i) {
          const T f = i == 0 ? sx : T(1);
          for (int c = 0; c < 3; ++c)
            Ps[(3 * i + c) * LDs + t] = f * (P[3 * i] * m[c] + P[3 * i + 1] * m[3 + c] + P[3 * i + 2] * m[6 + c]);
          Ps[(9 + i) * LDs + t] =
              f * (Gj[(9 + i) * NS + t] + P[3 * i] * o[0] + P[3 * i + 1] * o[1] + P[3 * i + 2] * o[2]);
        }
      }
    }
  }

  // 2. resampling data: quaternions (Shepperd, w >= 0, then signs flipped so that neighbours are on the
  // same hemisphere: slerp on the shortest path), tangents, per-interval slerp angles
  const bool resample = fabs(fps - sp.rate) > 1e-9;
  if (resample) {
    w.quat.resize(size_t(4) * S * LDs);
    w.tang.resize(size_t(3) * S * LDs);
    w.ivl.resize(size_t(3) * S * LDs);
    for (int s = 0; s < S; ++s) {
      const T* __restrict Ps = pose + size_t(12) * s * LDs;
      T* __restrict q = w.quat.data() + size_t(4) * s * LDs;
      T* __restrict tg = w.tang.data() + size_t(3) * s * LDs;
      T* __restrict iv = w.ivl.data() + size_t(3) * s * LDs;
#pragma omp simd
      for (int t = 0; t < len; ++t) {
        T m[9];
        for (int e = 0; e < 9; ++e) m[e] = Ps[e * LDs + t];
        const T d0 = T(1) + m[0] + m[4] + m[8], d1 = T(1) + m[0] - m[4] - m[8], d2 = T(1) - m[0] + m[4] - m[8],
                d3 = T(1) - m[0] - m[4] + m[8];
        const T A = m[7] - m[5], Bq = m[2] - m[6], C = m[3] - m[1], D = m[1] + m[3], E = m[2] + m[6],
                Fq = m[5] + m[7];
        // the largest of d0..d3 (the first one on ties) picks the formula
        T best = d0, c0 = d0, c1 = A, c2 = Bq, c3 = C;
        const bool g1 = d1 > best;
        best = g1 ? d1 : best;
        c0 = g1 ? A : c0;
        c1 = g1 ? d1 : c1;
        c2 = g1 ? D : c2;
        c3 = g1 ? E : c3;
        const bool g2 = d2 > best;
        best = g2 ? d2 : best;
        c0 = g2 ? Bq : c0;
        c1 = g2 ? D : c1;
        c2 = g2 ? d2 : c2;
        c3 = g2 ? Fq : c3;
        const bool g3 = d3 > best;
        c0 = g3 ? C : c0;
        c1 = g3 ? E : c1;
        c2 = g3 ? Fq : c2;
        c3 = g3 ? d3 : c3;
        T n = std::sqrt(c0 * c0 + c1 * c1 + c2 * c2 + c3 * c3);
        n = c0 < T(0) ? -n : n;
        const T in = T(1) / n;
        q[t] = c0 * in;
        q[LDs + t] = c1 * in;
        q[2 * LDs + t] = c2 * in;
        q[3 * LDs + t] = c3 * in;
      }
      // hemisphere-continuous signs: q'_t = sign_t q_t, sign_t = prod_{u <= t} sgn(q_{u-1} . q_u)
      // (q'_{t-1} . q_t = sign_{t-1} q_{t-1} . q_t)
      T* dt = iv;  // scratch row: dots
#pragma omp simd
      for (int t = 1; t < len; ++t)
        dt[t] = q[t - 1] * q[t] + q[LDs + t - 1] * q[LDs + t] + q[2 * LDs + t - 1] * q[2 * LDs + t] +
                q[3 * LDs + t - 1] * q[3 * LDs + t];
      {
        T sg = T(1);
        dt[0] = T(1);
        for (int t = 1; t < len; ++t) {
          sg = dt[t] < T(0) ? -sg : sg;
          dt[t] = sg;
        }
      }
#pragma omp simd
      for (int t = 0; t < len; ++t)
        for (int c = 0; c < 4; ++c) q[c * LDs + t] *= dt[t];
      // per interval t (frames t, t+1): φ = 2 asin(|a − b| / sqrt(|a − b|² + |a + b|²)), cos φ, φ / sin φ
#pragma omp simd
      for (int t = 0; t < len - 1; ++t) {
        T dm = T(0), dp = T(0);
        for (int c = 0; c < 4; ++c) {
          const T a = q[c * LDs + t], b = q[c * LDs + t + 1];
          dm += (a - b) * (a - b);
          dp += (a + b) * (a + b);
        }
        const T sum = dm + dp;
        T x2 = dm / (sum > T(0) ? sum : T(1));  // sin²(φ/2)
        x2 = x2 < T(1) ? x2 : T(1);
        const T x = std::sqrt(x2);
        T as, asx;
        simd::asin_pos(x, as, asx);
        const T cx = std::sqrt(T(1) - x2);  // cos(φ/2) > 0 (φ ≤ π/2)
        iv[t] = T(2) * as;
        iv[LDs + 2 * t] = T(1) - T(2) * x2;  // (cos φ, φ / sin φ) side by side: one 2-element load per frame
        iv[LDs + 2 * t + 1] = asx / (cx > T(1e-30) ? cx : T(1e-30));
      }
      // Hermite tangents: centred, second-order one-sided at the ends (difference for 2 frames)
      for (int i = 0; i < 3; ++i) {
        const T* p = Ps + (9 + i) * LDs;
        T* m = tg + i * LDs;
#pragma omp simd
        for (int t = 1; t < len - 1; ++t) m[t] = (p[t + 1] - p[t - 1]) / T(2);
        if (len >= 3) {
          m[0] = (T(-3) * p[0] + T(4) * p[1] - p[2]) / T(2);
          m[len - 1] = (T(3) * p[len - 1] - T(4) * p[len - 2] + p[len - 3]) / T(2);
        } else {
          m[0] = m[len - 1] = p[len - 1] - p[0];
        }
      }
    }
  }

  // 3. noise state: M = diag(1 + s)(I + [e]x) and the constant bias per sensor and kind (sequential draws
  // from Rng, as before), then the per-sample lanes
  const Ziggurat<128>& Z = zig();
  const Ziggurat<1024>& Z2 = zig1024();
  uint64_t sm = seed;
  Rng rng(sm);
  T Mn[64 * 2 * 9];
  const NoiseAxisSpec* ax[2] = {&sp.acc, &sp.gyro};
  const int C = 6 * S;
  bool per_sample = false;
  if (sp.noise) {
    for (int s = 0; s < S; ++s)
      for (int c = 0; c < 2; ++c) {
        const NoiseAxisSpec& a = *ax[c];
        double sc[3] = {0, 0, 0}, e[3] = {0, 0, 0};
        if (a.scale > 0)
          for (double& v : sc) v = a.scale * Z.normal(rng);
        if (a.mis > 0)
          for (double& v : e) v = a.mis * Z.normal(rng);
        const double Kx[9] = {1, -e[2], e[1], e[2], 1, -e[0], -e[1], e[0], 1};
        T* M = Mn + (s * 2 + c) * 9;
        for (int r = 0; r < 3; ++r)
          for (int q = 0; q < 3; ++q) M[3 * r + q] = T((1 + sc[r]) * Kx[3 * r + q]);
        for (int i = 0; i < 3; ++i) {
          const int ch = (s * 2 + c) * 3 + i;
          w.carry[ch] = a.bias > 0 ? a.bias * Z.normal(rng) : 0.0;
          w.rwk[ch] = a.rw > 0 ? a.rw * 3.4641016151377544 : 0.0;  // uniform (−½, ½) × √12: std a.rw
        }
      }
    per_sample = sp.acc.white > 0 || sp.acc.rw > 0 || sp.gyro.white > 0 || sp.gyro.rw > 0;
  }
  Lanes lanes(sm);
  Rng fix(sm);

  // 4. output blocks
  const int nrows = int(nout - 2);
  const double step = fps / sp.rate;
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(sp.rate * sp.rate), inv_2dt = T(0.5 * sp.rate);
  T* const Qb = w.Q.data();
  T* const W = w.W.data();
  T* const O = w.O.data();
  {
    const int64_t calls = int64_t((nrows + NB - 1) / NB) * (2 * S + 2);
    ah.per = ((ah.end - ah.p) / 64 + calls) / calls;
  }
  for (int r0 = 0; r0 < nrows; r0 += NB) {
    const int n = std::min(NB, nrows - r0), nf = n + 2;  // output frames r0 .. r0 + n + 1
    for (int s = 0; s < S; ++s) {
      const T* __restrict Qs;
      int ld;
      if (resample) {
        const T* __restrict Ps = pose + size_t(12) * s * LDs;
        const T* __restrict q = w.quat.data() + size_t(4) * s * LDs;
        const T* __restrict tg = w.tang.data() + size_t(3) * s * LDs;
        const T* __restrict iv = w.ivl.data() + size_t(3) * s * LDs;
        T* __restrict Qo = Qb;
#pragma omp simd
        for (int f = 0; f < nf; ++f) {
          const double tt = double(r0 + f) * step;
          int k = int(tt);  // tt >= 0: floor
          k = k < len - 2 ? k : len - 2;
          const T u = T(tt - double(k));
          const T u2 = u * u, u3 = u2 * u;
          const T h00 = T(2) * u3 - T(3) * u2 + T(1), h10 = u3 - T(2) * u2 + u, h01 = T(-2) * u3 + T(3) * u2,
                  h11 = u3 - u2;
          for (int i = 0; i < 3; ++i) {
            T pa, pb, ma, mb;
            ld2(Ps + (9 + i) * LDs, k, pa, pb);
            ld2(tg + i * LDs, k, ma, mb);
            Qo[(9 + i) * LDB + f] = h00 * pa + h10 * ma + h01 * pb + h11 * mb;
          }
          // slerp: w1 = sin(u φ) / sin φ = u sinc(u φ) (φ / sin φ), w0 = sin((1 − u) φ) / sin φ = cos(u φ) − cos φ w1
          const T phi = iv[k];
          T cphi, rho;
          ld2(iv + LDs, 2 * k, cphi, rho);
          T sc, co;
          F::sinc_cos(u * phi, sc, co);
          const T w1 = u * sc * rho, w0 = co - cphi * w1;
          T aw, ax, ay, az, bw, bx, by, bz;  // scalars: GCC keeps them in vector registers
          ld2(q, k, aw, bw);
          ld2(q + LDs, k, ax, bx);
          ld2(q + 2 * LDs, k, ay, by);
          ld2(q + 3 * LDs, k, az, bz);
          const T qw = w0 * aw + w1 * bw, qx = w0 * ax + w1 * bx, qy = w0 * ay + w1 * by, qz = w0 * az + w1 * bz;
          const T nn = T(1) / std::sqrt(qw * qw + qx * qx + qy * qy + qz * qz);
          const T a = qw * nn, x = qx * nn, y = qy * nn, z = qz * nn;
          Qo[f] = T(1) - T(2) * (y * y + z * z);
          Qo[LDB + f] = T(2) * (x * y - a * z);
          Qo[2 * LDB + f] = T(2) * (x * z + a * y);
          Qo[3 * LDB + f] = T(2) * (x * y + a * z);
          Qo[4 * LDB + f] = T(1) - T(2) * (x * x + z * z);
          Qo[5 * LDB + f] = T(2) * (y * z - a * x);
          Qo[6 * LDB + f] = T(2) * (x * z - a * y);
          Qo[7 * LDB + f] = T(2) * (y * z + a * x);
          Qo[8 * LDB + f] = T(1) - T(2) * (x * x + y * y);
        }
        Qs = Qb;
        ld = LDB;
      } else {
        Qs = pose + size_t(12) * s * LDs + r0;
        ld = LDs;
      }
      ah.step();
      T* __restrict Os = O + size_t(6) * s * LDB;
      // log maps of the frame pairs (f, f+1), gyro, acc at the middle frames
#pragma omp simd
      for (int f = 0; f < nf - 1; ++f) {
        T a[9], c[9], M[9];
        for (int e = 0; e < 9; ++e) {
          a[e] = Qs[e * ld + f];
          c[e] = Qs[e * ld + f + 1];
        }
        for (int i = 0; i < 3; ++i)
          for (int jj = 0; jj < 3; ++jj) M[3 * i + jj] = a[i] * c[jj] + a[3 + i] * c[3 + jj] + a[6 + i] * c[6 + jj];
        const T v0 = M[7] - M[5], v1 = M[2] - M[6], v2 = M[3] - M[1];
        const T kk = simd::log_k((M[0] + M[4] + M[8] - T(1)) * T(0.5), std::sqrt(v0 * v0 + v1 * v1 + v2 * v2));
        W[f] = kk * v0;
        W[LDB + f] = kk * v1;
        W[2 * LDB + f] = kk * v2;
      }
#pragma omp simd
      for (int t = 0; t < n; ++t) {
        for (int i = 0; i < 3; ++i) Os[(3 + i) * LDB + t] = (W[i * LDB + t] + W[i * LDB + t + 1]) * inv_2dt;
        T fa[3];
        for (int i = 0; i < 3; ++i)
          fa[i] = (Qs[(9 + i) * ld + t + 2] - T(2) * Qs[(9 + i) * ld + t + 1] + Qs[(9 + i) * ld + t]) * inv_dt2 - g[i];
        for (int i = 0; i < 3; ++i)
          Os[i * LDB + t] =
              Qs[i * ld + t + 1] * fa[0] + Qs[(3 + i) * ld + t + 1] * fa[1] + Qs[(6 + i) * ld + t + 1] * fa[2];
      }
      if (ori)
        for (int t = 0; t < n; ++t) {
          T* d = ori + (size_t(r0 + t) * S + s) * 9;
          for (int e = 0; e < 9; ++e) d[e] = Qs[e * ld + t + 1];
        }
      ah.step();
    }
    // noise: y = clip(M x + b0 + walk + white, ±range) on the resolution grid
    if (sp.noise) {
      T* const Nz = w.Nz.data();
      T* const Bw = w.Bw.data();
      if (per_sample) {
        noise_block<T>(lanes, fix, Z2, C, (n + NL - 1) / NL, w.rwk.data(), w.carry.data(), Nz, Bw, LDB, w.raw.data(),
                       w.zb.data(), w.vb.data(), w.bad.data());
      } else {
        for (int ch = 0; ch < C; ++ch)
          for (int t = 0; t < n; ++t) {
            Nz[size_t(ch) * LDB + t] = T(0);
            Bw[size_t(ch) * LDB + t] = T(w.carry[ch]);
          }
      }
      for (int s = 0; s < S; ++s)
        for (int c = 0; c < 2; ++c) {
          const NoiseAxisSpec& A = *ax[c];
          const T* M = Mn + (s * 2 + c) * 9;
          const T m0 = M[0], m1 = M[1], m2 = M[2], m3 = M[3], m4 = M[4], m5 = M[5], m6 = M[6], m7 = M[7], m8 = M[8];
          const T wk = T(A.white > 0 ? A.white : 0.0);
          const T rg = A.range > 0 ? T(A.range) : std::numeric_limits<T>::infinity();
          const bool quant = A.resolution > 0;
          const T res = T(quant ? A.resolution : 1.0), ires = T(quant ? 1.0 / A.resolution : 1.0);
          T* __restrict X = O + size_t(6) * s * LDB + size_t(3) * c * LDB;
          const int ch0 = (s * 2 + c) * 3;
          const T* __restrict n0 = Nz + size_t(ch0) * LDB;
          const T* __restrict b0 = Bw + size_t(ch0) * LDB;
#pragma omp simd
          for (int t = 0; t < n; ++t) {
            const T x0 = X[t], x1 = X[LDB + t], x2 = X[2 * LDB + t];
            T y[3] = {m0 * x0 + m1 * x1 + m2 * x2, m3 * x0 + m4 * x1 + m5 * x2, m6 * x0 + m7 * x1 + m8 * x2};
            for (int i = 0; i < 3; ++i) {
              T v = y[i] + b0[i * LDB + t] + wk * n0[i * LDB + t];
              v = v > rg ? rg : (v < -rg ? -rg : v);
              v = quant ? std::rint(v * ires) * res : v;
              X[i * LDB + t] = v;
            }
          }
        }
    }
    ah.step();
    // rows of out [N, S, 6] (contiguous for the block): staged in output order, then copied (streaming
    // stores for large outputs)
    T* const X = w.X.data();
    for (int t = 0; t < n; ++t)
      for (int s = 0; s < S; ++s) {
        const T* Os = O + size_t(6) * s * LDB + t;
        T* d = X + (size_t(t) * S + s) * 6;
        for (int e = 0; e < 6; ++e) d[e] = Os[e * LDB];
      }
    simd::put(out + size_t(r0) * S * 6, X, int64_t(n) * S * 6, nt);
    ah.step();
  }
}

}  // namespace

template <typename T>
void imu_render_cpu(const RenderSpec& sp, int64_t B, const T* L, const T* root, const int64_t* start,
                    const int64_t* length, const double* fps, const int64_t* n_out, const int64_t* out_off,
                    const int32_t* sjoint, const T* soff, const T* srot, const uint64_t* seeds, T* out, T* ori) {
  const int J = sp.J, S = sp.S;
  (void)zig();  // build the tables before the parallel region
  (void)zig1024();
  // items are handed out one at a time (dynamic scheduling); a thread takes its next item before rendering
  // the current one, so that it can prefetch the next item's frames meanwhile
  int64_t rows = 0;
  for (int64_t b = 0; b < B; ++b) rows += n_out[b] >= 3 && length[b] >= 2 ? n_out[b] - 2 : 0;
  const bool nt = rows * S * (ori ? 15 : 6) * int64_t(sizeof(T)) > simd::NT_BYTES;
  std::atomic<int64_t> counter{0};
  auto valid = [&](int64_t b) { return n_out[b] >= 3 && length[b] >= 2; };
  auto take = [&]() {
    int64_t b = counter.fetch_add(1, std::memory_order_relaxed);
    while (b < B && !valid(b)) b = counter.fetch_add(1, std::memory_order_relaxed);
    return b;
  };
#pragma omp parallel
  {
    Work<T> w(J, S);
    int64_t b = take();
    while (b < B) {
      const int64_t nx = take();
      Ahead ah;
      if (nx < B) {
        ah.p = reinterpret_cast<const char*>(L + start[nx] * J * sp.rot_dim);
        ah.end = reinterpret_cast<const char*>(L + (start[nx] + length[nx]) * J * sp.rot_dim);
      }
      render_item(sp, L + start[b] * J * sp.rot_dim, root + start[b] * 3, length[b], fps[b], n_out[b], sjoint + b * S,
                  soff + b * S * 3, srot + b * S * 9, seeds[b], out + out_off[b] * S * 6,
                  ori ? ori + out_off[b] * S * 9 : nullptr, w, ah, nt);
      b = nx;
    }
#if defined(__SSE2__)
    if (nt) _mm_sfence();  // streaming stores are weakly ordered
#endif
  }
}

template void imu_render_cpu<float>(const RenderSpec&, int64_t, const float*, const float*, const int64_t*,
                                    const int64_t*, const double*, const int64_t*, const int64_t*, const int32_t*,
                                    const float*, const float*, const uint64_t*, float*, float*);
template void imu_render_cpu<double>(const RenderSpec&, int64_t, const double*, const double*, const int64_t*,
                                     const int64_t*, const double*, const int64_t*, const int64_t*, const int32_t*,
                                     const double*, const double*, const uint64_t*, double*, double*);

// The white-noise normals of an item seeded with `seed` (one sensor, noise on), in draw order: group by
// group (NL rows), channel by channel, lane by lane, as the kernel draws them (the constant errors come
// from the separate first stream).
void normal_draws_cpu(uint64_t seed, int64_t n, float* out) {
  uint64_t sm = seed;
  Rng first(sm);
  (void)first;
  Lanes lanes(sm);
  Rng fix(sm);
  const Ziggurat<1024>& Z = zig1024();
  const int C = 6, ng = NB / NL;
  std::vector<float> Nz(C * NB), Bw(C * NB), zb(C * NB), vb(C * NB);
  std::vector<uint64_t> raw(C * NB);
  std::vector<unsigned char> bad(C * NB);
  std::vector<double> carry(C, 0.0), rwk(C, 0.0);
  for (int64_t i = 0; i < n; i += C * NB) {
    noise_block<float>(lanes, fix, Z, C, ng, rwk.data(), carry.data(), Nz.data(), Bw.data(), NB, raw.data(), zb.data(),
                       vb.data(), bad.data());
    for (int64_t k = 0; k < C * NB && i + k < n; ++k) {
      const int64_t g = k / (C * NL), ch = (k / NL) % C, l = k % NL;
      out[i + k] = Nz[ch * NB + g * NL + l];
    }
  }
}

}  // namespace imusim
