// CPU batched IMU rendering (see imu_render.h): OpenMP over items, each item in one thread from
// start to end (so its random draws come from its own generator in a fixed order).
#include "imu_render/imu_render.h"

#include <math.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/mat3.h"
#include "imu/imu_impl.h"

namespace imusim {
namespace {

// ---- random numbers: splitmix64 seeding, xoshiro256**, ziggurat normals (Marsaglia & Tsang 2000,
// 128 layers; layer index and value from separate bits of one 64-bit draw) ----
inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& v : s) v = splitmix64(x);
  }
  static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
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

struct Ziggurat {
  uint32_t kn[128];
  double wn[128], fn[128];
  Ziggurat() {
    const double m1 = 2147483648.0;
    double dn = 3.442619855899, tn = dn;
    const double vn = 9.91256303526217e-3;
    const double q = vn / exp(-0.5 * dn * dn);
    kn[0] = uint32_t((dn / q) * m1);
    kn[1] = 0;
    wn[0] = q / m1;
    wn[127] = dn / m1;
    fn[0] = 1.0;
    fn[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; --i) {
      dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
      kn[i + 1] = uint32_t((dn / tn) * m1);
      tn = dn;
      fn[i] = exp(-0.5 * dn * dn);
      wn[i] = dn / m1;
    }
  }
  inline double normal(Rng& g) const {
    for (;;) {
      const uint64_t r = g.next();
      const int iz = int(r & 127);
      const int32_t hz = int32_t(uint32_t(r >> 32));
      const uint32_t ahz = hz < 0 ? uint32_t(-(int64_t)hz) : uint32_t(hz);
      const double x = hz * wn[iz];
      if (ahz < kn[iz]) return x;
      if (iz == 0) {  // tail beyond r
        const double rr = 3.442619855899;
        double xt, yt;
        do {
          xt = -log(g.uniform()) / rr;
          yt = -log(g.uniform());
        } while (yt + yt < xt * xt);
        return hz > 0 ? rr + xt : -rr - xt;
      }
      if (fn[iz] + g.uniform() * (fn[iz - 1] - fn[iz]) < exp(-0.5 * x * x)) return x;
    }
  }
};
const Ziggurat& zig() {
  static const Ziggurat z;
  return z;
}

// ---- rotations, matching imusim/kinematics/rotations.py ----
template <typename T>
inline void mat_to_quat(const T* m, T* q) {  // Shepperd, w >= 0
  const T d0 = T(1) + m[0] + m[4] + m[8], d1 = T(1) + m[0] - m[4] - m[8], d2 = T(1) - m[0] + m[4] - m[8],
          d3 = T(1) - m[0] - m[4] + m[8];
  int k = 0;
  T best = d0;
  if (d1 > best) best = d1, k = 1;
  if (d2 > best) best = d2, k = 2;
  if (d3 > best) best = d3, k = 3;
  T c[4];
  if (k == 0) {
    c[0] = d0; c[1] = m[7] - m[5]; c[2] = m[2] - m[6]; c[3] = m[3] - m[1];
  } else if (k == 1) {
    c[0] = m[7] - m[5]; c[1] = d1; c[2] = m[1] + m[3]; c[3] = m[2] + m[6];
  } else if (k == 2) {
    c[0] = m[2] - m[6]; c[1] = m[1] + m[3]; c[2] = d2; c[3] = m[5] + m[7];
  } else {
    c[0] = m[3] - m[1]; c[1] = m[2] + m[6]; c[2] = m[5] + m[7]; c[3] = d3;
  }
  T n = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2] + c[3] * c[3]);
  if (c[0] < T(0)) n = -n;
  for (int i = 0; i < 4; ++i) q[i] = c[i] / n;
}

// vee(log(A^T B)) = k v with v = vee(M - M^T) = 2 sin(t) n, M = A^T B, k = t / (2 sin t).
// Small rotations (sin^2 t < 1/16 and cos t > 0, i.e. t < 14.4 deg per sample, the usual case): k from
// the series of asin(x)/x in x^2 = sin^2 t = |v|^2 / 4 (9 terms: relative error < 1e-12); otherwise the
// angle from atan2(|v| / 2, (tr M - 1) / 2). Both stay accurate for tiny angles in float32, where
// acos((tr M - 1) / 2) loses the angle.
template <typename T>
inline void rel_log_acc(const T* A, const T* B, T* w) {
  T R[9];
  mat3_tmul(A, B, R);
  const double v0 = double(R[7]) - double(R[5]), v1 = double(R[2]) - double(R[6]), v2 = double(R[3]) - double(R[1]);
  const double x2 = 0.25 * (v0 * v0 + v1 * v1 + v2 * v2);  // sin^2 t
  const double c = (double(R[0]) + double(R[4]) + double(R[8]) - 1.0) * 0.5;
  double k;
  if (x2 < 0.0625 && c > 0) {
    // asin(x)/x = sum_n (2n)! / (4^n (n!)^2 (2n+1)) x^2n
    k = 0.5 * (1.0 + x2 * (1.0 / 6 + x2 * (3.0 / 40 + x2 * (15.0 / 336 + x2 * (105.0 / 3456 + x2 * (945.0 / 42240 +
        x2 * (10395.0 / 599040 + x2 * (135135.0 / 9676800 + x2 * (2027025.0 / 175472640)))))))));
  } else {
    const double s2 = 2.0 * sqrt(x2);
    const double th = atan2(0.5 * s2, c);
    k = th < 1e-4 ? 0.5 + th * th / 12.0 : th / s2;
  }
  w[0] = T(k * v0);
  w[1] = T(k * v1);
  w[2] = T(k * v2);
}

// sin and cos for |x| <= 0.5 by Taylor polynomials (error < 1e-12), libm beyond.
inline void sincos_small(double x, double* s, double* c) {
  if (fabs(x) <= 0.5) {
    const double x2 = x * x;
    *s = x * (1.0 - x2 / 6 * (1.0 - x2 / 20 * (1.0 - x2 / 42 * (1.0 - x2 / 72 * (1.0 - x2 / 110)))));
    *c = 1.0 - x2 / 2 * (1.0 - x2 / 12 * (1.0 - x2 / 30 * (1.0 - x2 / 56 * (1.0 - x2 / 90 * (1.0 - x2 / 132)))));
  } else {
    *s = sin(x);
    *c = cos(x);
  }
}

template <typename T>
inline void quat_to_mat(const T* q0, T* R) {
  const T n = T(1) / sqrt(q0[0] * q0[0] + q0[1] * q0[1] + q0[2] * q0[2] + q0[3] * q0[3]);
  const T w = q0[0] * n, x = q0[1] * n, y = q0[2] * n, z = q0[3] * n;
  R[0] = T(1) - T(2) * (y * y + z * z);
  R[1] = T(2) * (x * y - w * z);
  R[2] = T(2) * (x * z + w * y);
  R[3] = T(2) * (x * y + w * z);
  R[4] = T(1) - T(2) * (x * x + z * z);
  R[5] = T(2) * (y * z - w * x);
  R[6] = T(2) * (x * z - w * y);
  R[7] = T(2) * (y * z + w * x);
  R[8] = T(1) - T(2) * (x * x + y * y);
}

template <typename T>
void render_item(const RenderSpec& sp, const T* Lb, const T* rb, int64_t len, double fps, int64_t nout,
                 const int32_t* sj, const T* so, const T* sr, uint64_t seed, T* out, T* ori, std::vector<T>& G,
                 std::vector<T>& P, std::vector<T>& pose, std::vector<T>& quat, std::vector<T>& tang,
                 std::vector<double>& seg, std::vector<unsigned char>& need) {
  const int J = sp.J, S = sp.S, rd = sp.rot_dim;
  const T* off = static_cast<const T*>(sp.offsets);
  // joints on this item's sensor chains
  std::fill(need.begin(), need.end(), 0);
  for (int s = 0; s < S; ++s)
    for (int j = sj[s]; j >= 0; j = sp.parents[j]) need[j] = 1;
  // mounts with det R < 0 (M R_js: a mirrored item, see imu_render.h)
  bool refl[64];
  for (int s = 0; s < S && s < 64; ++s) {
    const T* R = sr + 9 * s;
    const T det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    refl[s] = det < T(0);
  }
  // 1. sensor poses at the source frames
  pose.resize(size_t(len) * S * 12);
  for (int64_t t = 0; t < len; ++t) {
    const T* Lf = Lb + t * J * rd;
    for (int j = 0; j < J; ++j) {
      if (!need[j]) continue;
      T buf[9];
      const T* Lj = Lf + 9 * j;
      if (rd == 3) {
        rodrigues(Lf + 3 * j, buf);
        Lj = buf;
      }
      const int p = sp.parents[j];
      if (p < 0) {
        std::memcpy(&G[9 * j], Lj, 9 * sizeof(T));
        for (int i = 0; i < 3; ++i) P[3 * j + i] = rb[3 * t + i];
      } else {
        mat3_mul(&G[9 * p], Lj, &G[9 * j]);
        T v[3];
        mat3_vec(&G[9 * p], off + 3 * j, v);
        for (int i = 0; i < 3; ++i) P[3 * j + i] = P[3 * p + i] + v[i];
      }
    }
    T* pf = &pose[size_t(t) * S * 12];
    for (int s = 0; s < S; ++s) {
      const int j = sj[s];
      mat3_mul(&G[9 * j], sr + 9 * s, pf + 12 * s);
      T v[3];
      mat3_vec(&G[9 * j], so + 3 * s, v);
      for (int i = 0; i < 3; ++i) pf[12 * s + 9 + i] = P[3 * j + i] + v[i];
      if (refl[s]) {  // mirrored item: the pose in the world reflected across x = 0 (a proper rotation again)
        for (int i = 0; i < 3; ++i) pf[12 * s + i] = -pf[12 * s + i];
        pf[12 * s + 9] = -pf[12 * s + 9];
      }
    }
  }
  const bool resample = fabs(fps - sp.rate) > 1e-9;
  if (resample) {
    quat.resize(size_t(len) * S * 4);
    tang.resize(size_t(len) * S * 3);
    seg.resize(size_t(len) * S * 4);
    for (int64_t t = 0; t < len; ++t)
      for (int s = 0; s < S; ++s) mat_to_quat(&pose[(size_t(t) * S + s) * 12], &quat[(size_t(t) * S + s) * 4]);
    // per interval and sensor: slerp angle (2 atan2(|a - b|, |a + b|) of the shortest-path pair), its
    // sine and cosine, and the sign that makes the pair shortest-path
    for (int64_t t = 0; t + 1 < len; ++t)
      for (int s = 0; s < S; ++s) {
        const T* a = &quat[(size_t(t) * S + s) * 4];
        const T* b = &quat[(size_t(t + 1) * S + s) * 4];
        double dot = 0;
        for (int i = 0; i < 4; ++i) dot += double(a[i]) * double(b[i]);
        const double sg = dot < 0 ? -1.0 : 1.0;
        double dm = 0, dp = 0;
        for (int i = 0; i < 4; ++i) {
          const double x = double(a[i]) - sg * double(b[i]), y = double(a[i]) + sg * double(b[i]);
          dm += x * x;
          dp += y * y;
        }
        const double th = 2.0 * atan2(sqrt(dm), sqrt(dp));
        double* d = &seg[(size_t(t) * S + s) * 4];
        d[0] = th;
        d[1] = sin(th);
        d[2] = cos(th);
        d[3] = sg;
      }
    auto pos = [&](int64_t t, int s, int i) { return pose[(size_t(t) * S + s) * 12 + 9 + i]; };
    for (int s = 0; s < S; ++s)
      for (int i = 0; i < 3; ++i) {
        for (int64_t t = 1; t + 1 < len; ++t) tang[(size_t(t) * S + s) * 3 + i] = (pos(t + 1, s, i) - pos(t - 1, s, i)) / T(2);
        T m0, m1;
        if (len >= 3) {
          m0 = (T(-3) * pos(0, s, i) + T(4) * pos(1, s, i) - pos(2, s, i)) / T(2);
          m1 = (T(3) * pos(len - 1, s, i) - T(4) * pos(len - 2, s, i) + pos(len - 3, s, i)) / T(2);
        } else {
          m0 = m1 = pos(len - 1, s, i) - pos(0, s, i);
        }
        tang[s * 3 + i] = m0;
        tang[(size_t(len - 1) * S + s) * 3 + i] = m1;
      }
  }
  const double step = fps / sp.rate;
  // pose of output frame o into dst [S*12]
  auto out_pose = [&](int64_t o, T* dst) {
    if (!resample) {
      std::memcpy(dst, &pose[size_t(o) * S * 12], sizeof(T) * S * 12);
      return;
    }
    const double t = double(o) * step;
    int64_t k = int64_t(floor(t));
    k = std::max<int64_t>(0, std::min<int64_t>(k, len - 2));
    const T u = T(t - double(k));
    const T u2 = u * u, u3 = u2 * u;
    const T h00 = T(2) * u3 - T(3) * u2 + T(1), h10 = u3 - T(2) * u2 + u, h01 = T(-2) * u3 + T(3) * u2,
            h11 = u3 - u2;
    for (int s = 0; s < S; ++s) {
      const T* pa = &pose[(size_t(k) * S + s) * 12];
      const T* pb = &pose[(size_t(k + 1) * S + s) * 12];
      const T* ma = &tang[(size_t(k) * S + s) * 3];
      const T* mb = &tang[(size_t(k + 1) * S + s) * 3];
      T* d = dst + 12 * s;
      for (int i = 0; i < 3; ++i) d[9 + i] = h00 * pa[9 + i] + h10 * ma[i] + h01 * pb[9 + i] + h11 * mb[i];
      const T* qa = &quat[(size_t(k) * S + s) * 4];
      const T* qb = &quat[(size_t(k + 1) * S + s) * 4];
      const double* sd = &seg[(size_t(k) * S + s) * 4];
      double w0, w1;
      if (sd[1] < 1e-6) {
        w0 = 1.0 - double(u);
        w1 = double(u);
      } else {
        double su, cu;
        sincos_small(double(u) * sd[0], &su, &cu);
        w1 = su / sd[1];
        w0 = (sd[1] * cu - sd[2] * su) / sd[1];  // sin((1 - u) theta) / sin(theta)
      }
      w1 *= sd[3];
      T q[4];
      for (int i = 0; i < 4; ++i) q[i] = T(w0 * double(qa[i]) + w1 * double(qb[i]));
      quat_to_mat(q, d);
    }
  };
  // 2-3. rolling window of three output poses
  std::vector<T> ring(3 * 12 * S), wprev(3 * S);
  T* slot[3] = {ring.data(), ring.data() + 12 * S, ring.data() + 24 * S};
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(sp.rate * sp.rate), inv_2dt = T(0.5 * sp.rate);
  out_pose(0, slot[0]);
  out_pose(1, slot[1]);
  for (int s = 0; s < S; ++s) rel_log_acc(slot[0] + 12 * s, slot[1] + 12 * s, &wprev[3 * s]);
  // 4. noise state per sensor and kind: M (9), bias (3)
  const Ziggurat& Z = zig();
  Rng rng(seed);
  std::vector<double> Mn(S * 2 * 9), bias(S * 2 * 3);
  const NoiseAxisSpec* ax[2] = {&sp.acc, &sp.gyro};
  const double inv_res[2] = {sp.acc.resolution > 0 ? 1.0 / sp.acc.resolution : 0.0,
                             sp.gyro.resolution > 0 ? 1.0 / sp.gyro.resolution : 0.0};
  if (sp.noise) {
    for (int s = 0; s < S; ++s)
      for (int c = 0; c < 2; ++c) {
        const NoiseAxisSpec& a = *ax[c];
        double sc[3] = {0, 0, 0}, e[3] = {0, 0, 0};
        if (a.scale > 0)
          for (double& v : sc) v = a.scale * Z.normal(rng);
        if (a.mis > 0)
          for (double& v : e) v = a.mis * Z.normal(rng);
        // M = diag(1 + s) (I + [e]x)
        const double K[9] = {1, -e[2], e[1], e[2], 1, -e[0], -e[1], e[0], 1};
        double* M = &Mn[(s * 2 + c) * 9];
        for (int r = 0; r < 3; ++r)
          for (int q = 0; q < 3; ++q) M[3 * r + q] = (1 + sc[r]) * K[3 * r + q];
        double* b = &bias[(s * 2 + c) * 3];
        for (int i = 0; i < 3; ++i) b[i] = a.bias > 0 ? a.bias * Z.normal(rng) : 0.0;
      }
  }
  for (int64_t o = 1; o + 1 < nout; ++o) {
    out_pose(o + 1, slot[2]);
    T* row = out + (o - 1) * S * 6;
    for (int s = 0; s < S; ++s) {
      const T* a = slot[0] + 12 * s;
      const T* m = slot[1] + 12 * s;
      const T* n = slot[2] + 12 * s;
      T f[3], w2[3];
      for (int i = 0; i < 3; ++i) f[i] = (n[9 + i] - T(2) * m[9 + i] + a[9 + i]) * inv_dt2 - g[i];
      T* r = row + 6 * s;
      mat3t_vec(m, f, r);
      rel_log_acc(m, n, w2);
      for (int i = 0; i < 3; ++i) {
        r[3 + i] = (wprev[3 * s + i] + w2[i]) * inv_2dt;
        wprev[3 * s + i] = w2[i];
      }
      if (ori) std::memcpy(ori + ((o - 1) * S + s) * 9, m, 9 * sizeof(T));
      if (sp.noise) {
        for (int c = 0; c < 2; ++c) {
          const NoiseAxisSpec& A = *ax[c];
          const double* M = &Mn[(s * 2 + c) * 9];
          double* b = &bias[(s * 2 + c) * 3];
          const double x[3] = {double(r[3 * c]), double(r[3 * c + 1]), double(r[3 * c + 2])};
          for (int i = 0; i < 3; ++i) {
            if (A.rw > 0) b[i] += A.rw * 3.4641016151377544 * (rng.uniform() - 0.5);  // std A.rw, see header
            double y = M[3 * i] * x[0] + M[3 * i + 1] * x[1] + M[3 * i + 2] * x[2] + b[i];
            if (A.white > 0) y += A.white * Z.normal(rng);
            if (A.range > 0) y = y > A.range ? A.range : (y < -A.range ? -A.range : y);
            if (A.resolution > 0) y = rint(y * inv_res[c]) * A.resolution;
            r[3 * c + i] = T(y);
          }
        }
      }
    }
    T* tmp = slot[0];
    slot[0] = slot[1];
    slot[1] = slot[2];
    slot[2] = tmp;
  }
}

}  // namespace

template <typename T>
void imu_render_cpu(const RenderSpec& sp, int64_t B, const T* L, const T* root, const int64_t* start,
                    const int64_t* length, const double* fps, const int64_t* n_out, const int64_t* out_off,
                    const int32_t* sjoint, const T* soff, const T* srot, const uint64_t* seeds, T* out, T* ori) {
  const int J = sp.J, S = sp.S;
  (void)zig();  // build the tables before the parallel region
#pragma omp parallel
  {
    std::vector<T> G(9 * J), P(3 * J), pose, quat, tang;
    std::vector<double> seg;
    std::vector<unsigned char> need(J);
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < B; ++b) {
      if (n_out[b] < 3 || length[b] < 2) continue;
      render_item(sp, L + start[b] * J * sp.rot_dim, root + start[b] * 3, length[b], fps[b], n_out[b], sjoint + b * S,
                  soff + b * S * 3, srot + b * S * 9, seeds[b], out + out_off[b] * S * 6,
                  ori ? ori + out_off[b] * S * 9 : nullptr, G, P, pose, quat, tang, seg, need);
    }
  }
}

template void imu_render_cpu<float>(const RenderSpec&, int64_t, const float*, const float*, const int64_t*,
                                    const int64_t*, const double*, const int64_t*, const int64_t*, const int32_t*,
                                    const float*, const float*, const uint64_t*, float*, float*);
template void imu_render_cpu<double>(const RenderSpec&, int64_t, const double*, const double*, const int64_t*,
                                     const int64_t*, const double*, const int64_t*, const int64_t*, const int32_t*,
                                     const double*, const double*, const uint64_t*, double*, double*);

void normal_draws_cpu(uint64_t seed, int64_t n, float* out) {
  Rng rng(seed);
  const Ziggurat& Z = zig();
  for (int64_t i = 0; i < n; ++i) out[i] = float(Z.normal(rng));
}

}  // namespace imusim
