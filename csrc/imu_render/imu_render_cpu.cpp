// CPU batched IMU rendering (see imu_render.h): OpenMP over items, each item in one thread from
// start to end. Within an item every stage is a structure-of-arrays loop over frames (`omp simd`),
// as in the blocked forward of synthesize_imu (csrc/imu/imu_cpu.cpp), with the same SO(3) maps and
// differentiation stage (csrc/common/simd_so3.h: rodrigues_rows, log_k, asin_pos, imu_rows):
//
//   poses     FK of the item's needed joints over blocks of NS source frames → sensor poses of all
//             source frames, [S][12][LDs] (rows: R_ws row-major, p)
//   prepare   (resampled items) per source frame the quaternion (hemisphere-continuous) and the Hermite
//             tangent, per interval the slerp angle φ, cos φ and φ / sin φ
//   blocks    NB output rows at a time (NB + 2 output frames): gather of the k / k+1 source data of
//             each output frame → Hermite position and slerp orientation (or the source poses when
//             fps == rate) → log maps of frame pairs, gyro, acc → noise → rows of out [N, S, 6]
//
// float: Cephes polynomials of common/simd_so3.h instead of libm (sinc/cos of the slerp, asin of the slerp
// angle and of the log map); double: the same formulas on libm. This file is compiled with
// -fno-trapping-math (CMakeLists.txt) so that GCC vectorises the selects between divisions.
//
// Sensor noise (sp.noise; the model and its reference are imusim/imu/noise.py). Per item the random
// streams are xoshiro256** generators seeded from splitmix64 at fixed offsets of the item's seed:
//   +0   constants of acc and gyro (scale, misalignment, cross-axis, bias, temperature coefficients,
//        g-sensitivity, Gauss-Markov and flicker initial values; sensor-major, then kind; 128-layer ziggurat)
//   +4   set A: NL = 8 lanes (32 outputs) + a completion stream (4): white noise and bias random walk
//   +40  set B: 8 lanes + completions: Gauss-Markov innovations and flicker redraws
//   +76  the magnetometer's constants, +80 its set A, +116 its set B
// (a set is drawn only when the model has its terms). A set's channels (acc/gyro: 6S, sensor-major, then acc
// xyz, gyro xyz; mag: 3S) are padded to P, a multiple of NL; lane l draws the words of channels c ≡ l
// (mod NL), row after row, so that one vector step of the lanes yields NL neighbouring channels of a row
// (the words of padding channels are drawn and dropped). A word gives a 1024-layer ziggurat normal (bits
// 0..9 layer, 32..63 value) and a uniform in (−½, ½) (bits 10..31); set A uses them for the white noise
// and the walk's increment, set B for the Gauss-Markov innovation and the flicker redraw. The 0.43 % of
// words that fail the ziggurat's fast test are completed with draws from the set's completion stream, in
// word order (row, channel). Every draw is thus a function of the seed, S and the row index only: not of the
// batch, the thread count or the block size; a shorter item is a prefix of a longer one.
//
// The recursive terms (walk, Gauss-Markov, flicker, the low-pass biquads) run along rows with the
// channels as the vector index (chunks of CW channels, states in registers), on the block's rows in output
// order [NB][Cp] with columns acc/gyro (P1 = 6S padded) then mag (P2 = 3S padded).
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
#include "common/simd_block.h"
#include "common/simd_so3.h"

namespace imusim {
namespace {

constexpr int NS = 128;                       // source frames per FK block
constexpr int NB = 128;                       // output rows per block
constexpr int LDB = (NB + 2 + 15) / 16 * 16;  // row stride of the output-block buffers (≥ NB + 2)
constexpr int NL = 8;                         // noise lanes = rows per noise group
constexpr int CW = 16;                        // channels per chunk in the per-row noise stage
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
  uint64_t s[4] = {0, 0, 0, 0};
  Rng() = default;
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
  Lanes() = default;
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

// One xoshiro256** vector step of the NL lanes per NL channels: the words of n rows for P channels (a
// multiple of NL) into raw[t·ld + c] (lane l gives the words of the channels c ≡ l (mod NL), row by row).
inline void lane_words(Lanes& L, int P, int ld, int n, uint64_t* raw) {
  uint64_t s0[NL], s1[NL], s2[NL], s3[NL];  // in registers (raw could alias L's arrays)
  for (int l = 0; l < NL; ++l) {
    s0[l] = L.s0[l];
    s1[l] = L.s1[l];
    s2[l] = L.s2[l];
    s3[l] = L.s3[l];
  }
  for (int t = 0; t < n; ++t)
    for (int j = 0; j < P; j += NL) {
      uint64_t* rc = raw + size_t(t) * ld + j;
#pragma omp simd
      for (int l = 0; l < NL; ++l) {
        const uint64_t a = s0[l], b = s1[l], c = s2[l], d = s3[l];
        rc[l] = rotl(b * 5, 7) * 9;
        const uint64_t t2 = b << 17;
        const uint64_t c2 = c ^ a, d2 = d ^ b;
        s0[l] = a ^ d2;
        s1[l] = b ^ c2;
        s2[l] = c2 ^ t2;
        s3[l] = rotl(d2, 45);
      }
    }
  for (int l = 0; l < NL; ++l) {
    L.s0[l] = s0[l];
    L.s1[l] = s1[l];
    L.s2[l] = s2[l];
    L.s3[l] = s3[l];
  }
}

// Words raw [nw] → normals Zo (1024-layer ziggurat fast path: bits 0..9 layer, 32..63 value) and, with
// UNIFORMS, two uniforms in (−½, ½) of 11 bits each: Uo from bits 10..20, Vo from bits 21..31 (same index).
// bad[i] = 1 where the fast test failed (the caller completes those). Returns the number of failures.
template <typename T, bool UNIFORMS>
int convert_words(const Ziggurat<1024>& Z, const uint64_t* raw, int nw, T* Zo, T* Uo, T* Vo, unsigned char* bad) {
  const T* wt = Z.wtab<T>();
  const uint32_t* kn = Z.kn;
  int nbad = 0;
#pragma omp simd reduction(+ : nbad)
  for (int i = 0; i < nw; ++i) {
    const uint64_t r = raw[i];
    const int iz = int(r & 1023);
    const int32_t hz = int32_t(uint32_t(r >> 32));
    int rej;
    if constexpr (sizeof(T) == 4) {  // one 8-byte (w, lim) load instead of two table lookups
      float wz, lim;
      ld2(Z.wl, 2 * iz, wz, lim);
      const float x = float(hz) * wz;
      Zo[i] = x;
      rej = std::fabs(x) < lim ? 0 : 1;
    } else {
      const uint32_t ahz = uint32_t(hz < 0 ? -int64_t(hz) : int64_t(hz));
      rej = ahz < kn[iz] ? 0 : 1;
      Zo[i] = T(hz) * wt[iz];
    }
    bad[i] = (unsigned char)rej;
    nbad += rej;
    if constexpr (UNIFORMS) {
      Uo[i] = (T(int32_t((r >> 10) & 0x7FF) - 1024) + T(0.5)) * T(1.0 / 2048.0);
      Vo[i] = (T(int32_t((r >> 21) & 0x7FF) - 1024) + T(0.5)) * T(1.0 / 2048.0);
    }
  }
  return nbad;
}

constexpr uint64_t GOLD = 0x9E3779B97F4A7C15ull;
constexpr double SQRT12 = 3.4641016151377544;
// splitmix64 offsets of the streams of an item (see the top of this file)
constexpr uint64_t OFF_CONST = 0, OFF_A = 4, OFF_B = 40, OFF_MAG = 76;

// One stream set: NL lanes and the ziggurat completion stream.
struct StreamSet {
  Lanes lanes;
  Rng fix;
  void seed(uint64_t x) {  // x: splitmix64 state; lanes take 32 outputs, fix the next 4
    lanes = Lanes(x);
    fix = Rng(x);
  }
};

// Per-item sensor-error state of one thread (sized once per call).
template <typename T>
struct NoiseState {
  int S = 0, nk = 2, KC = 6, C = 0, Cp = 0, K = 0, nsec = 0;  // Cp: C padded to a multiple of CW
  bool flick = false, rowtemp = false, hasG = false;
  bool needA[2] = {false, false}, needB[2] = {false, false};
  int P1 = 0, P2 = 0;                           // columns of the acc/gyro set and of the mag set (padded)
  std::vector<T> A, sc, ks, Gs;                 // per (sensor, kind): [9], [3], [3]; per sensor [9] (gyro)
  std::vector<T> b0, kb, krw, phi, cgm, sfl, wk, rg, res, ires, qf;  // per channel [Cp]
  std::vector<T> sos, st, x0;                   // [kMaxSos][5][Cp], [kMaxSos][2][Cp], [Cp]
  std::vector<T> rw, gm, fsum, comp;            // [Cp], [Cp], [Cp], [K + 1][Cp]
  std::vector<T> ZA, UA, VA, ZB;                // [NB][Cp] draws of the block, rows in output order
  StreamSet set[2][2];                          // [acc/gyro, mag][A, B]
  int col(int s, int kind, int i) const { return kind < 2 ? 6 * s + 3 * kind + i : P1 + 3 * s + i; }
  void size(const RenderSpec& sp) {
    S = sp.S;
    nk = sp.mag ? 3 : 2;
    KC = 3 * nk;
    C = S * KC;
    P1 = (6 * S + NL - 1) / NL * NL;
    P2 = sp.mag ? (3 * S + NL - 1) / NL * NL : 0;
    Cp = (P1 + P2 + CW - 1) / CW * CW;
    K = sp.flicker_k;
    const NoiseAxisSpec* ax[3] = {&sp.acc, &sp.gyro, &sp.magn};
    flick = false;
    nsec = 0;
    for (int k = 0; k < nk; ++k) {
      flick = flick || ax[k]->flicker > 0;
      nsec = std::max(nsec, ax[k]->nsos);
    }
    hasG = sp.gyro.gsens > 0;
    for (int st2 = 0; st2 < 2; ++st2) {
      needA[st2] = needB[st2] = false;
      for (int k = 0; k < nk; ++k) {
        if ((k == 2) != (st2 == 1)) continue;
        needA[st2] = needA[st2] || ax[k]->white > 0 || ax[k]->rw > 0 || ax[k]->flicker > 0;
        needB[st2] = needB[st2] || ax[k]->gm_std > 0;
      }
    }
    for (auto* v : {&A, &Gs}) v->assign(size_t(9) * S * nk, T(0));
    for (auto* v : {&sc, &ks}) v->assign(size_t(3) * S * nk, T(0));
    for (auto* v : {&b0, &kb, &krw, &phi, &cgm, &sfl, &wk, &res, &ires, &qf, &x0, &rw, &gm, &fsum}) v->assign(Cp, T(0));
    rg.assign(Cp, std::numeric_limits<T>::infinity());
    sos.assign(size_t(kMaxSos) * 5 * Cp, T(0));
    st.assign(size_t(kMaxSos) * 2 * Cp, T(0));
    comp.assign(size_t(K + 1) * Cp, T(0));  // row K: scratch for rows without a redraw
    for (auto* v : {&ZA, &UA, &VA, &ZB}) v->assign(size_t(NB) * Cp, T(0));  // undrawn sets stay 0
  }
};

// The constants of one item (sequential draws of the constant streams) and the initial states; errors
// (if not null) [S][nk][kErrFields].
template <typename T>
void noise_init(const RenderSpec& sp, uint64_t seed, double dT, NoiseState<T>& ns, double* errors) {
  const Ziggurat<128>& Z = zig();
  const NoiseAxisSpec* ax[3] = {&sp.acc, &sp.gyro, &sp.magn};
  const int S = ns.S, nk = ns.nk, KC = ns.KC, C = ns.Cp, K = ns.K;  // C: the row stride of the buffers
  for (int st2 = 0; st2 < (sp.mag ? 2 : 1); ++st2) {
    uint64_t sm = seed + (st2 ? OFF_MAG : OFF_CONST) * GOLD;
    Rng rng(sm);
    for (int s = 0; s < S; ++s)
      for (int kind = (st2 ? 2 : 0); kind < (st2 ? 3 : 2); ++kind) {
        const NoiseAxisSpec& a = *ax[kind];
        double sc[3] = {0, 0, 0}, e[3] = {0, 0, 0}, cr[6] = {0, 0, 0, 0, 0, 0}, b0[3] = {0, 0, 0}, kb[3] = {0, 0, 0},
               ks[3] = {0, 0, 0}, Gm[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0}, g0[3] = {0, 0, 0};
        auto fill = [&](double* v, int n, double sd) {
          if (sd > 0)
            for (int i = 0; i < n; ++i) v[i] = sd * Z.normal(rng);
        };
        fill(sc, 3, a.scale);
        fill(e, 3, a.mis);
        fill(cr, 6, a.cross);
        fill(b0, 3, a.bias);
        fill(kb, 3, a.tc_bias);
        fill(ks, 3, a.tc_scale);
        if (kind == 1) fill(Gm, 9, a.gsens);
        fill(g0, 3, a.gm_std);
        // A = I + [e]x + C_fixed + C (off-diagonal entries of C in row order)
        double Am[9] = {1, -e[2], e[1], e[2], 1, -e[0], -e[1], e[0], 1};
        const int od[6] = {1, 2, 3, 5, 6, 7};
        for (int q = 0; q < 6; ++q) Am[od[q]] += cr[q];
        for (int q = 0; q < 9; ++q) Am[q] += a.cfix[q];
        const int sk = s * nk + kind;
        for (int q = 0; q < 9; ++q) ns.A[size_t(9) * sk + q] = T(Am[q]);
        if (kind == 1)
          for (int q = 0; q < 9; ++q) ns.Gs[size_t(9) * s + q] = T(Gm[q]);
        const double phi = a.gm_phi, cg = a.gm_std * std::sqrt(std::max(0.0, 1 - phi * phi));
        for (int i = 0; i < 3; ++i) {
          ns.sc[size_t(3) * sk + i] = T(1 + sc[i] + (ns.rowtemp ? 0.0 : ks[i] * dT));
          ns.ks[size_t(3) * sk + i] = T(ns.rowtemp ? ks[i] : 0.0);
          const int ch = ns.col(s, kind, i);
          ns.b0[ch] = T(ns.rowtemp ? b0[i] : b0[i] + kb[i] * dT);
          ns.kb[ch] = T(ns.rowtemp ? kb[i] : 0.0);
          ns.krw[ch] = T(a.rw * SQRT12);  // uniform (−½, ½) × √12: std a.rw
          ns.wk[ch] = T(a.white);
          ns.phi[ch] = T(phi);
          ns.cgm[ch] = T(cg);
          ns.sfl[ch] = T(a.flicker * SQRT12);
          ns.rg[ch] = a.range > 0 ? T(a.range) : std::numeric_limits<T>::infinity();
          ns.qf[ch] = T(a.resolution > 0 ? 1 : 0);
          ns.res[ch] = T(a.resolution > 0 ? a.resolution : 1.0);
          ns.ires[ch] = T(a.resolution > 0 ? 1.0 / a.resolution : 1.0);
          ns.rw[ch] = T(0);
          ns.gm[ch] = T(g0[i]);
          for (int j = 0; j < kMaxSos; ++j) {
            const bool on = j < a.nsos;
            for (int q = 0; q < 5; ++q)
              ns.sos[(size_t(j) * 5 + q) * C + ch] = T(on ? a.sos[j][q] : (q == 0 ? 1.0 : 0.0));
            ns.st[(size_t(j) * 2) * C + ch] = ns.st[(size_t(j) * 2 + 1) * C + ch] = T(0);
          }
        }
        if (a.flicker > 0) {  // initial values of the K held components (stationary start)
          for (int i = 0; i < 3; ++i) {
            const int ch = ns.col(s, kind, i);
            double sum = 0;
            for (int k = 0; k < K; ++k) {
              const double u = (double(rng.next() >> 11) + 0.5) * (1.0 / 9007199254740992.0) - 0.5;
              const T v = T(a.flicker * SQRT12 * u);
              ns.comp[size_t(k) * C + ch] = v;
              sum += double(v);
            }
            ns.fsum[ch] = T(sum);
          }
        } else if (K > 0) {
          for (int i = 0; i < 3; ++i) {
            const int ch = ns.col(s, kind, i);
            for (int k = 0; k < K; ++k) ns.comp[size_t(k) * C + ch] = T(0);
            ns.fsum[ch] = T(0);
          }
        }
        if (errors) {
          double* E = errors + size_t(kErrFields) * sk;
          for (int r = 0; r < 3; ++r)
            for (int q = 0; q < 3; ++q) E[3 * r + q] = (1 + sc[r]) * Am[3 * r + q];
          for (int i = 0; i < 3; ++i) {
            E[9 + i] = b0[i];
            E[12 + i] = kb[i];
            E[15 + i] = ks[i];
          }
          for (int q = 0; q < 9; ++q) E[18 + q] = Gm[q];
        }
      }
  }
  // per-sample streams
  for (int st2 = 0; st2 < 2; ++st2) {
    const uint64_t base = st2 ? OFF_MAG : OFF_CONST;
    if (ns.needA[st2]) ns.set[st2][0].seed(seed + (base + OFF_A) * GOLD);
    if (ns.needB[st2]) ns.set[st2][1].seed(seed + (base + OFF_B) * GOLD);
  }
}

// y = diag(sc + ks dT) A x (+ G f) for the n rows of one channel group, in place on its rows X[0..2]
// (row stride LDB); F: the ideal specific force rows (GS), dTr: per-row temperature offsets (ROWT).
template <typename T, bool GS, bool ROWT>
void mat3_rows(int n, const T* A, const T* sc, const T* ks, const double* __restrict dTr, const T* Gm,
               const T* __restrict F, T* __restrict X) {
  T m[9], g[9];
  for (int r = 0; r < 3; ++r)
    for (int q = 0; q < 3; ++q) {
      m[3 * r + q] = (ROWT ? T(1) : sc[r]) * A[3 * r + q];
      g[3 * r + q] = GS ? Gm[3 * r + q] : T(0);
    }
  const T s0 = sc[0], s1 = sc[1], s2 = sc[2], k0 = ks[0], k1 = ks[1], k2 = ks[2];
  T* __restrict X0 = X;
  T* __restrict X1 = X + LDB;
  T* __restrict X2 = X + 2 * LDB;
#pragma omp simd
  for (int t = 0; t < n; ++t) {
    const T x0 = X0[t], x1 = X1[t], x2 = X2[t];
    T y0 = m[0] * x0 + m[1] * x1 + m[2] * x2, y1 = m[3] * x0 + m[4] * x1 + m[5] * x2,
      y2 = m[6] * x0 + m[7] * x1 + m[8] * x2;
    if constexpr (ROWT) {
      const T d = T(dTr[t]);
      y0 *= s0 + k0 * d;
      y1 *= s1 + k1 * d;
      y2 *= s2 + k2 * d;
    }
    if constexpr (GS) {
      const T f0 = F[t], f1 = F[LDB + t], f2 = F[2 * LDB + t];
      y0 += g[0] * f0 + g[1] * f1 + g[2] * f2;
      y1 += g[3] * f0 + g[4] * f1 + g[5] * f2;
      y2 += g[6] * f0 + g[7] * f1 + g[8] * f2;
    }
    X0[t] = y0;
    X1[t] = y1;
    X2[t] = y2;
  }
}

// Sensitivity, cross-axis, temperature scale and g-sensitivity of the block's n rows, in place on
// O [S][KC][LDB] (time innermost); dTr: per-row temperature offsets of the block (null: folded constants).
template <typename T>
void noise_matrix(const NoiseState<T>& ns, int n, const double* dTr, T* O) {
  const int S = ns.S, nk = ns.nk, KC = ns.KC;
  for (int s = 0; s < S; ++s) {
    T* Xs = O + size_t(KC) * s * LDB;
    const int order[3] = {1, 0, 2};  // gyro first: its g-sensitivity reads the ideal specific force
    for (int oi = 0; oi < nk; ++oi) {
      const int kind = order[oi];
      const int sk = s * nk + kind;
      const T* A = ns.A.data() + size_t(9) * sk;
      const T* sc = ns.sc.data() + size_t(3) * sk;
      const T* ks = ns.ks.data() + size_t(3) * sk;
      const T* Gm = ns.Gs.data() + size_t(9) * s;
      T* X = Xs + size_t(3) * kind * LDB;
      const bool gs = kind == 1 && ns.hasG;
      if (dTr) {
        if (gs)
          mat3_rows<T, true, true>(n, A, sc, ks, dTr, Gm, Xs, X);
        else
          mat3_rows<T, false, true>(n, A, sc, ks, dTr, Gm, Xs, X);
      } else {
        if (gs)
          mat3_rows<T, true, false>(n, A, sc, ks, dTr, Gm, Xs, X);
        else
          mat3_rows<T, false, false>(n, A, sc, ks, dTr, Gm, Xs, X);
      }
    }
  }
}

// The per-sample terms of the block's n rows (global rows r0 ..), in place on X [n][Cp] (rows in output
// order, Cp = C padded to a multiple of CW): per chunk of CW channels (the vector), rows in order with the
// chunk's states in registers: Voss-McCartney flicker (the component k = ctz(row) is redrawn), walk,
// Gauss-Markov, white noise and the temperature bias; then NSEC low-pass biquads (transposed direct form II
// on x − x[row 0], i.e. started in the steady state of the first row); saturation and quantisation.
// dTr as in noise_matrix.
template <typename T, int NSEC>
void noise_rows_t(NoiseState<T>& ns, int n, int64_t r0, const double* dTr, const T* X, T* Xo, int ldo, int nvalid) {
  const int Cp = ns.Cp, K = ns.K;
  T* __restrict comp = ns.comp.data();
  const T* __restrict co = ns.sos.data();
  T dts[NB];
  for (int t = 0; t < n; ++t) dts[t] = dTr ? T(dTr[t]) : T(0);
  int kr[NB];
  for (int t = 0; t < n; ++t) {
    const int64_t r = r0 + t;
    const int k = r > 0 ? __builtin_ctzll(uint64_t(r)) : K;
    kr[t] = ns.flick && k < K ? k : K;  // row K of comp: scratch for rows without a redraw
  }
  for (int c0 = 0; c0 < Cp; c0 += CW) {
    T rw[CW], gm[CW], fs[CW], x0[CW], st[NSEC > 0 ? NSEC : 1][2][CW];
    T b0[CW], kb[CW], krw[CW], phi[CW], cgm[CW], sfl[CW], wk[CW], rg[CW], res[CW], ires[CW], qf[CW];
    T cf[NSEC > 0 ? NSEC : 1][5][CW];
    for (int i = 0; i < CW; ++i) {
      const int c = c0 + i;
      rw[i] = ns.rw[c];
      gm[i] = ns.gm[c];
      fs[i] = ns.fsum[c];
      x0[i] = ns.x0[c];
      b0[i] = ns.b0[c];
      kb[i] = ns.kb[c];
      krw[i] = ns.krw[c];
      phi[i] = ns.phi[c];
      cgm[i] = ns.cgm[c];
      sfl[i] = ns.sfl[c];
      wk[i] = ns.wk[c];
      rg[i] = ns.rg[c];
      res[i] = ns.res[c];
      ires[i] = ns.ires[c];
      qf[i] = ns.qf[c];
      for (int j = 0; j < NSEC; ++j) {
        st[j][0][i] = ns.st[(size_t(j) * 2) * Cp + c];
        st[j][1][i] = ns.st[(size_t(j) * 2 + 1) * Cp + c];
        for (int q = 0; q < 5; ++q) cf[j][q][i] = co[(size_t(j) * 5 + q) * Cp + c];
      }
    }
    for (int t = 0; t < n; ++t) {
      const T* __restrict x = X + size_t(t) * Cp + c0;
      T* __restrict xo = Xo + size_t(t) * ldo + c0;
      const int nv_ = nvalid - c0;
      const T* __restrict za = ns.ZA.data() + size_t(t) * Cp + c0;
      const T* __restrict ua = ns.UA.data() + size_t(t) * Cp + c0;
      const T* __restrict zb = ns.ZB.data() + size_t(t) * Cp + c0;
      const T* __restrict va = ns.VA.data() + size_t(t) * Cp + c0;
      T* __restrict cp = comp + size_t(kr[t]) * Cp + c0;
      const bool upd = kr[t] < K;
      const T d = dts[t];
      if (NSEC > 0 && r0 + t == 0) {  // the low-pass starts in the steady state of row 0's input
#pragma omp simd
        for (int i = 0; i < CW; ++i) {
          const T old = cp[i];
          const T nf = fs[i] + ((upd ? sfl[i] * va[i] : old) - old);
          x0[i] = x[i] + b0[i] + kb[i] * d + (rw[i] + krw[i] * ua[i]) + (phi[i] * gm[i] + cgm[i] * zb[i]) + nf +
                  wk[i] * za[i];
        }
      }
#pragma omp simd
      for (int i = 0; i < CW; ++i) {
        const T old = cp[i];
        const T nv = upd ? sfl[i] * va[i] : old;
        fs[i] += nv - old;
        cp[i] = nv;
        rw[i] += krw[i] * ua[i];
        gm[i] = phi[i] * gm[i] + cgm[i] * zb[i];
        T v = x[i] + b0[i] + kb[i] * d + rw[i] + gm[i] + fs[i] + wk[i] * za[i];
        if constexpr (NSEC > 0) {
          T w = v - x0[i];
          for (int j = 0; j < NSEC; ++j) {
            const T y = cf[j][0][i] * w + st[j][0][i];
            st[j][0][i] = cf[j][1][i] * w - cf[j][3][i] * y + st[j][1][i];
            st[j][1][i] = cf[j][2][i] * w - cf[j][4][i] * y;
            w = y;
          }
          v = w + x0[i];
        }
        v = v > rg[i] ? rg[i] : (v < -rg[i] ? -rg[i] : v);
        v = qf[i] != T(0) ? std::rint(v * ires[i]) * res[i] : v;
        if (i < nv_) xo[i] = v;
      }
    }
    for (int i = 0; i < CW; ++i) {
      const int c = c0 + i;
      ns.rw[c] = rw[i];
      ns.gm[c] = gm[i];
      ns.fsum[c] = fs[i];
      ns.x0[c] = x0[i];
      for (int j = 0; j < NSEC; ++j) {
        ns.st[(size_t(j) * 2) * Cp + c] = st[j][0][i];
        ns.st[(size_t(j) * 2 + 1) * Cp + c] = st[j][1][i];
      }
    }
  }
}

// X [n][Cp] → Xo [n][ldo] (the first nvalid columns written; Xo may be X).
template <typename T>
void noise_rows(NoiseState<T>& ns, int n, int64_t r0, const double* dTr, const T* X, T* Xo, int ldo, int nvalid) {
  switch (ns.nsec) {
    case 0: return noise_rows_t<T, 0>(ns, n, r0, dTr, X, Xo, ldo, nvalid);
    case 1: return noise_rows_t<T, 1>(ns, n, r0, dTr, X, Xo, ldo, nvalid);
    case 2: return noise_rows_t<T, 2>(ns, n, r0, dTr, X, Xo, ldo, nvalid);
    case 3: return noise_rows_t<T, 3>(ns, n, r0, dTr, X, Xo, ldo, nvalid);
    default: return noise_rows_t<T, 4>(ns, n, r0, dTr, X, Xo, ldo, nvalid);
  }
}

// The draws of a block of n rows, rows in output order [n][Cp]: set A of acc/gyro (columns 0 .. P1) and
// of the magnetometer (P1 .. P1 + P2) → ZA (white noise), UA (walk increments), VA (flicker redraws); set B
// (Gauss-Markov innovations) → ZB. Words of sets the model does not draw, and of padding columns, are 0 (a
// zero word is an accepted normal 0). Completions of failed fast tests come from the set's completion
// stream in word order (row, channel).
template <typename T>
void noise_draws(NoiseState<T>& ns, int n, const Ziggurat<1024>& Z2, uint64_t* raw, unsigned char* bad) {
  const int Cp = ns.Cp, used = ns.P1 + ns.P2;
  for (int which = 0; which < 2; ++which) {
    const bool need[2] = {which ? ns.needB[0] : ns.needA[0], which ? ns.needB[1] : ns.needA[1]};
    if (!need[0] && !need[1]) continue;
    for (int st2 = 0; st2 < 2; ++st2) {
      const int P = st2 ? ns.P2 : ns.P1, off = st2 ? ns.P1 : 0;
      if (P == 0) continue;
      if (need[st2])
        lane_words(ns.set[st2][which].lanes, P, Cp, n, raw + off);
      else
        for (int t = 0; t < n; ++t) std::memset(raw + size_t(t) * Cp + off, 0, sizeof(uint64_t) * P);
    }
    if (used < Cp)
      for (int t = 0; t < n; ++t) std::memset(raw + size_t(t) * Cp + used, 0, sizeof(uint64_t) * (Cp - used));
    const int nw = n * Cp;
    T* Zo = which ? ns.ZB.data() : ns.ZA.data();
    int nbad = which ? convert_words<T, false>(Z2, raw, nw, Zo, nullptr, nullptr, bad)
                     : convert_words<T, true>(Z2, raw, nw, Zo, ns.UA.data(), ns.VA.data(), bad);
    for (int i0 = 0; nbad > 0; i0 += 8) {  // completions in word order; 8 flags (bytes 0/1) at a time
      uint64_t x;
      std::memcpy(&x, bad + i0, sizeof x);
      for (; x; x &= x - 1, --nbad) {
        const int i = i0 + (__builtin_ctzll(x) >> 3);
        Zo[i] = T(Z2.finish(raw[i], ns.set[(i % Cp) >= ns.P1 ? 1 : 0][which].fix));
      }
    }
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
  int LDs = 0;                     // row stride of pose, quat, tang, ivl (the item's frames padded)
  std::vector<T> quat, tang, ivl;  // [S][4][LDs], [S][3][LDs], [S][3][LDs] (φ; cos φ, φ / sin φ interleaved)
  std::vector<T> Q, W, O;          // [12][LDB], [3][LDB], [S][KC][LDB]
  std::vector<T> X;                // [NB][S·KC] a block's rows in output order (noise: [NB][Cp] columns)
  std::vector<T> X2;               // [NB][Cp] the noise stage's output with a magnetometer
  std::vector<T> Y;                // [NB][S·KC] rows in out's layout after the noise stage
  std::vector<uint64_t> raw;
  std::vector<unsigned char> bad, need;
  std::vector<int> nj, pslot, jslot;
  NoiseState<T> ns;
  explicit Work(const RenderSpec& sp)
      : G(size_t(12) * sp.J * NS),
        Q(size_t(12) * LDB),
        W(size_t(3) * LDB),
        O(size_t(sp.mag ? 9 : 6) * sp.S * LDB),
        X(size_t(9 * sp.S + 2 * NL + CW) * NB),  // >= Cp
        X2(sp.mag && sp.noise ? size_t(9 * sp.S + 2 * NL + CW) * NB : 0),
        Y(size_t(9) * sp.S * NB + CW),
        raw(size_t(9 * sp.S + 2 * NL + CW) * NB),
        bad(size_t(9 * sp.S + 2 * NL + CW) * NB),
        need(sp.J),
        nj(sp.J),
        pslot(sp.J),
        jslot(sp.J) {
    if (sp.noise) ns.size(sp);
  }
};

// O [S][KC][LDB] (time innermost) → X [n][ldx] (rows in output order).
template <typename T, int KC>
inline void stage_rows(const T* O, int n, int S, T* X, int ldx) {
  for (int t = 0; t < n; ++t)
    for (int s = 0; s < S; ++s) {
      const T* Os = O + size_t(KC) * s * LDB + t;
      T* d = X + size_t(t) * ldx + size_t(s) * KC;
      for (int e = 0; e < KC; ++e) d[e] = Os[e * LDB];
    }
}

// 1. Sensor poses of all len source frames of an item → w.pose [S][12][w.LDs] (rows: R_ws row-major, p),
// FK of the needed joints (the sensors' ancestors, ascending = topological) over blocks of NS frames; a
// mount with det R < 0 (a mirrored item) gives the pose in the world reflected across x = 0.
template <typename T>
void item_poses(const RenderSpec& sp, const T* Lb, const T* rb, int len, const int32_t* sj, const T* so, const T* sr,
                Work<T>& w) {
  const int J = sp.J, S = sp.S, rd = sp.rot_dim;
  const T* off = static_cast<const T*>(sp.offsets);
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
  const int LDs = w.LDs = (len + 15) / 16 * 16;
  w.pose.resize(size_t(12) * S * LDs);
  T* const pose = w.pose.data();
  T* const G = w.G.data();
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
}

// 2. Resampling data of an item whose fps differs from the output rate, per sensor and source frame:
// quaternions (Shepperd, w >= 0, then signs flipped so that neighbours are on the same hemisphere: slerp on
// the shortest path), Hermite tangents, and per interval the slerp angle φ, cos φ and φ / sin φ.
template <typename T>
void item_prepare(int S, int len, Work<T>& w) {
  const int LDs = w.LDs;
  const T* const pose = w.pose.data();
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

// 4a. One block of output rows r0 .. r0 + n − 1 (output frames r0 .. r0 + n + 1), per sensor: the poses at the
// output frames (Hermite positions and slerp orientations at t = frame · step source frames, or the source
// poses when fps == rate) → imu_rows (log maps, gyro, acc) → magnetometer R_wsᵀ m_w → orientation rows of ori;
// acc, gyro (and mag) into w.O [S][KC][LDB], time innermost.
template <typename T>
void item_block(const RenderSpec& sp, int len, double step, bool resample, int r0, int n, const T* mw, T* ori,
                Work<T>& w, Ahead& ah) {
  using F = simd::Fn<T>;
  const int S = sp.S, LDs = w.LDs, nf = n + 2;
  const int KC = sp.mag ? 9 : 6;
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(sp.rate * sp.rate), inv_2dt = T(0.5 * sp.rate);
  const T* const pose = w.pose.data();
  T* const Qb = w.Q.data();
  T* const W = w.W.data();
  T* const O = w.O.data();
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
    T* __restrict Os = O + size_t(KC) * s * LDB;
    simd::imu_rows<T>(n, Qs, ld, W, LDB, Os, LDB, inv_dt2, inv_2dt, g);  // log maps, gyro, acc
    if (sp.mag) {  // R_ws^T m_w
#pragma omp simd
      for (int t = 0; t < n; ++t)
        for (int i = 0; i < 3; ++i)
          Os[(6 + i) * LDB + t] =
              Qs[i * ld + t + 1] * mw[0] + Qs[(3 + i) * ld + t + 1] * mw[1] + Qs[(6 + i) * ld + t + 1] * mw[2];
    }
    if (ori)
      for (int t = 0; t < n; ++t) {
        T* d = ori + (size_t(r0 + t) * S + s) * 9;
        for (int e = 0; e < 9; ++e) d[e] = Qs[e * ld + t + 1];
      }
    ah.step();
  }
}

// 4b. The block's rows of out [N, S, KC] (contiguous): staged in output order from w.O, the sensor error model
// (sensitivity matrix, then the per-sample terms of noise_rows), copied with streaming stores for large outputs.
template <typename T>
void item_rows_out(const RenderSpec& sp, int r0, int n, const double* dTrow, T* out, bool nt, Work<T>& w, Ahead& ah) {
  const int S = sp.S, KC = sp.mag ? 9 : 6;
  NoiseState<T>& ns = w.ns;
  const Ziggurat<1024>& Z2 = zig1024();
  T* const O = w.O.data();
  const double* dTb = dTrow ? dTrow + r0 : nullptr;
  if (sp.noise) noise_matrix<T>(ns, n, dTb, O);
  ah.step();
  // rows of out [N, S, KC] (contiguous for the block): staged in output order, then the per-sample error
  // terms, then copied (streaming stores for large outputs)
  T* const X = w.X.data();
  const T* rows_out = X;
  if (!sp.noise) {
    if (KC == 9)
      stage_rows<T, 9>(O, n, S, X, S * KC);
    else
      stage_rows<T, 6>(O, n, S, X, S * KC);
  } else {
    // noise columns: acc/gyro of every sensor (P1, padded), then mag (P2)
    const int Cp = ns.Cp, P1 = ns.P1;
    for (int t = 0; t < n; ++t)
      for (int s = 0; s < S; ++s) {
        const T* Os = O + size_t(KC) * s * LDB + t;
        T* d = X + size_t(t) * Cp + 6 * s;
        for (int e = 0; e < 6; ++e) d[e] = Os[e * LDB];
        if (KC == 9) {
          T* dm = X + size_t(t) * Cp + P1 + 3 * s;
          for (int e = 0; e < 3; ++e) dm[e] = Os[(6 + e) * LDB];
        }
      }
    noise_draws<T>(ns, n, Z2, w.raw.data(), w.bad.data());
    if (KC == 6) {  // straight into rows of out's layout (the acc/gyro columns are out's columns)
      noise_rows<T>(ns, n, r0, dTb, X, w.Y.data(), S * 6, S * 6);
    } else {
      T* X2 = w.X2.data();
      noise_rows<T>(ns, n, r0, dTb, X, X2, Cp, Cp);
      T* Y = w.Y.data();
      for (int t = 0; t < n; ++t)
        for (int s = 0; s < S; ++s) {
          T* d = Y + (size_t(t) * S + s) * 9;
          const T* a = X2 + size_t(t) * Cp + 6 * s;
          const T* m = X2 + size_t(t) * Cp + P1 + 3 * s;
          for (int e = 0; e < 6; ++e) d[e] = a[e];
          for (int e = 0; e < 3; ++e) d[6 + e] = m[e];
        }
    }
    rows_out = w.Y.data();
  }
  simd::put(out + size_t(r0) * S * KC, rows_out, int64_t(n) * S * KC, nt);
  ah.step();
}

// One item from start to end in the calling thread: 1. poses, 2. resampling data, 3. its error constants and
// streams, 4. blocks of NB output rows (4a poses at the output frames and the differentiation, 4b the error
// model and the rows of out).
template <typename T>
void render_item(const RenderSpec& sp, const T* Lb, const T* rb, int64_t len64, double fps, int64_t nout,
                 const int32_t* sj, const T* so, const T* sr, uint64_t seed, const double* mfield, double dT,
                 const double* dTrow, T* out, T* ori, double* err, Work<T>& w, Ahead& ah, bool nt) {
  const int S = sp.S;
  const int len = int(len64);
  item_poses<T>(sp, Lb, rb, len, sj, so, sr, w);
  const bool resample = fabs(fps - sp.rate) > 1e-9;
  if (resample) item_prepare<T>(S, len, w);
  if (sp.noise) {
    w.ns.rowtemp = dTrow != nullptr;
    noise_init<T>(sp, seed, dT, w.ns, err);
  }
  const T mw[3] = {T(mfield ? mfield[0] : 0.0), T(mfield ? mfield[1] : 0.0), T(mfield ? mfield[2] : 0.0)};
  const int nrows = int(nout - 2);
  const double step = fps / sp.rate;
  {
    const int64_t calls = int64_t((nrows + NB - 1) / NB) * (2 * S + 2);
    ah.per = ((ah.end - ah.p) / 64 + calls) / calls;
  }
  for (int r0 = 0; r0 < nrows; r0 += NB) {
    const int n = std::min(NB, nrows - r0);
    item_block<T>(sp, len, step, resample, r0, n, mw, ori, w, ah);
    item_rows_out<T>(sp, r0, n, dTrow, out, nt, w, ah);
  }
}

}  // namespace

template <typename T>
void imu_render_cpu(const RenderSpec& sp, int64_t B, const T* L, const T* root, const int64_t* start,
                    const int64_t* length, const double* fps, const int64_t* n_out, const int64_t* out_off,
                    const int32_t* sjoint, const T* soff, const T* srot, const uint64_t* seeds, const double* mag_field,
                    const double* dtemp_item, const double* dtemp_row, T* out, T* ori, double* errors) {
  const int S = sp.S, KC = sp.mag ? 9 : 6, nk = sp.mag ? 3 : 2;
  (void)zig();  // build the tables before the parallel region
  (void)zig1024();
  // items are handed out one at a time (dynamic scheduling); a thread takes its next item before rendering
  // the current one, so that it can prefetch the next item's frames meanwhile
  int64_t rows = 0;
  for (int64_t b = 0; b < B; ++b) rows += n_out[b] >= 3 && length[b] >= 2 ? n_out[b] - 2 : 0;
  const bool nt = rows * S * (KC + (ori ? 9 : 0)) * int64_t(sizeof(T)) > simd::NT_BYTES;
  std::atomic<int64_t> counter{0};
  auto valid = [&](int64_t b) { return n_out[b] >= 3 && length[b] >= 2; };
  auto take = [&]() {
    int64_t b = counter.fetch_add(1, std::memory_order_relaxed);
    while (b < B && !valid(b)) b = counter.fetch_add(1, std::memory_order_relaxed);
    return b;
  };
  if (errors && sp.noise)  // items without rows still get their constants (drawn from the seed alone)
    for (int64_t b = 0; b < B; ++b)
      if (!valid(b)) {
        NoiseState<T> ns;
        ns.size(sp);
        ns.rowtemp = false;
        noise_init<T>(sp, seeds[b], dtemp_item ? dtemp_item[b] : 0.0, ns, errors + size_t(b) * S * nk * kErrFields);
      }
#pragma omp parallel
  {
    Work<T> w(sp);
    int64_t b = take();
    while (b < B) {
      const int64_t nx = take();
      Ahead ah;
      if (nx < B) {
        ah.p = reinterpret_cast<const char*>(L + start[nx] * sp.J * sp.rot_dim);
        ah.end = reinterpret_cast<const char*>(L + (start[nx] + length[nx]) * sp.J * sp.rot_dim);
      }
      render_item(sp, L + start[b] * sp.J * sp.rot_dim, root + start[b] * 3, length[b], fps[b], n_out[b],
                  sjoint + b * S, soff + b * S * 3, srot + b * S * 9, seeds[b], mag_field ? mag_field + 3 * b : nullptr,
                  dtemp_item ? dtemp_item[b] : 0.0, dtemp_row ? dtemp_row + out_off[b] : nullptr,
                  out + out_off[b] * S * KC, ori ? ori + out_off[b] * S * 9 : nullptr,
                  errors ? errors + size_t(b) * S * nk * kErrFields : nullptr, w, ah, nt);
      b = nx;
    }
#if defined(__SSE2__)
    if (nt) _mm_sfence();  // streaming stores are weakly ordered
#endif
  }
}

#define IMUSIM_RENDER_INST(T)                                                                                        \
  template void imu_render_cpu<T>(const RenderSpec&, int64_t, const T*, const T*, const int64_t*, const int64_t*,   \
                                  const double*, const int64_t*, const int64_t*, const int32_t*, const T*, const T*, \
                                  const uint64_t*, const double*, const double*, const double*, T*, T*, double*);
IMUSIM_RENDER_INST(float)
IMUSIM_RENDER_INST(double)
#undef IMUSIM_RENDER_INST

// The white-noise normals of an item seeded with `seed` (one sensor, acc + gyro, set A), in draw order:
// row by row, channel by channel (the 6 channels of the sensor; the 2 padding words of each row are dropped).
void normal_draws_cpu(uint64_t seed, int64_t n, float* out) {
  StreamSet set;
  set.seed(seed + OFF_A * GOLD);
  const Ziggurat<1024>& Z = zig1024();
  const int P = NL;
  std::vector<float> Zo(P * NB), Uo(P * NB);
  std::vector<uint64_t> raw(P * NB);
  std::vector<unsigned char> bad(P * NB);
  for (int64_t i = 0; i < n; i += 6 * NB) {
    lane_words(set.lanes, P, P, NB, raw.data());
    std::vector<float> Vo(P * NB);
    int nbad = convert_words<float, true>(Z, raw.data(), P * NB, Zo.data(), Uo.data(), Vo.data(), bad.data());
    for (int k = 0; nbad > 0; ++k)
      if (bad[k]) {
        Zo[k] = float(Z.finish(raw[k], set.fix));
        --nbad;
      }
    for (int64_t k = 0; k < 6 * NB && i + k < n; ++k) out[i + k] = Zo[(k / 6) * P + k % 6];
  }
}

}  // namespace imusim
