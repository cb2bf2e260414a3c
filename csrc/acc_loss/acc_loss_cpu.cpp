// CPU (OpenMP) kernels for the fused acceleration loss. See acc_loss.h for the contract.
//
// Two loop orders, chosen from the strides:
//  * row path    (feature stride <= time stride, e.g. [B, T, J, 3]): per sample, walk t and keep
//    rolling rows of the weighted residual R in thread-local buffers; the inner loop over f is
//    unit-stride when sf == 1 and vectorises.
//  * column path (time stride < feature stride, e.g. MDM's [B, F, 1, T]): per (sample, feature)
//    column, walk t with rolling scalars; unit-stride in t.
// Each input element is read from memory once per pass (neighbouring rows come from cache).
#include "acc_loss/acc_loss.h"

#include <algorithm>
#include <cstring>
#include <vector>

#ifdef IMUSIM_OPENMP
#include <omp.h>
#endif

namespace imusim {
namespace {

inline bool term_valid(const uint8_t* m, int64_t t) {  // m points at the sample's mask row
  return m == nullptr || (m[t - 1] && m[t] && m[t + 1]);
}

template <typename S>
inline bool use_column_path(const View3<S>& v) {
  return v.F > 1 && std::llabs(v.st) < std::llabs(v.sf);
}

// r row at term t (1..T-2) into `out` (length F), unweighted.
template <typename scalar_t, typename acc_t, bool UNIT>
inline void residual_row(const View3<const scalar_t>& p, const View3<const scalar_t>& q, int64_t b, int64_t t,
                         acc_t* out) {
  const scalar_t* p0 = p.data + p.off(b, t - 1, 0);
  const scalar_t* p1 = p.data + p.off(b, t, 0);
  const scalar_t* p2 = p.data + p.off(b, t + 1, 0);
  const scalar_t* q0 = q.data + q.off(b, t - 1, 0);
  const scalar_t* q1 = q.data + q.off(b, t, 0);
  const scalar_t* q2 = q.data + q.off(b, t + 1, 0);
  const int64_t F = p.F;
  if (UNIT) {
#pragma omp simd
    for (int64_t f = 0; f < F; ++f) {
      out[f] = (acc_t(p2[f]) - acc_t(q2[f])) - acc_t(2) * (acc_t(p1[f]) - acc_t(q1[f])) +
               (acc_t(p0[f]) - acc_t(q0[f]));
    }
  } else {
    const int64_t sp = p.sf, sq = q.sf;
    for (int64_t f = 0; f < F; ++f) {
      out[f] = (acc_t(p2[f * sp]) - acc_t(q2[f * sq])) - acc_t(2) * (acc_t(p1[f * sp]) - acc_t(q1[f * sq])) +
               (acc_t(p0[f * sp]) - acc_t(q0[f * sq]));
    }
  }
}

template <typename scalar_t>
void forward_rows(const View3<const scalar_t>& p, const View3<const scalar_t>& q, const uint8_t* mask, double* out) {
  using acc_t = scalar_t;  // float rows summed in float, then into double per sample
  const int64_t B = p.B, T = p.T_, F = p.F;
  const bool unit = p.sf == 1 && q.sf == 1;
#pragma omp parallel
  {
    std::vector<acc_t> r(F);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      const uint8_t* m = mask ? mask + b * T : nullptr;
      double total = 0.0;
      for (int64_t t = 1; t < T - 1; ++t) {
        if (!term_valid(m, t)) continue;
        if (unit)
          residual_row<scalar_t, acc_t, true>(p, q, b, t, r.data());
        else
          residual_row<scalar_t, acc_t, false>(p, q, b, t, r.data());
        acc_t s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t f = 0; f < F; ++f) s += r[f] * r[f];
        total += double(s);
      }
      out[b] = total;
    }
  }
}

template <typename scalar_t>
void forward_columns(const View3<const scalar_t>& p, const View3<const scalar_t>& q, const uint8_t* mask,
                     double* out) {
  using acc_t = scalar_t;
  const int64_t B = p.B, T = p.T_, F = p.F;
  std::fill(out, out + B, 0.0);
  // Per-column partial sums, reduced per sample afterwards (no atomics, deterministic).
  std::vector<double> partial(B * F);
#pragma omp parallel for schedule(static)
  for (int64_t bf = 0; bf < B * F; ++bf) {
    const int64_t b = bf / F, f = bf % F;
    const uint8_t* m = mask ? mask + b * T : nullptr;
    const scalar_t* pc = p.data + p.off(b, 0, f);
    const scalar_t* qc = q.data + q.off(b, 0, f);
    const int64_t sp = p.st, sq = q.st;
    acc_t s = 0;
    if (m == nullptr && sp == 1 && sq == 1) {
#pragma omp simd reduction(+ : s)
      for (int64_t t = 1; t < T - 1; ++t) {
        acc_t r = (acc_t(pc[t + 1]) - acc_t(qc[t + 1])) - acc_t(2) * (acc_t(pc[t]) - acc_t(qc[t])) +
                  (acc_t(pc[t - 1]) - acc_t(qc[t - 1]));
        s += r * r;
      }
    } else {
      for (int64_t t = 1; t < T - 1; ++t) {
        if (!term_valid(m, t)) continue;
        acc_t r = (acc_t(pc[(t + 1) * sp]) - acc_t(qc[(t + 1) * sq])) -
                  acc_t(2) * (acc_t(pc[t * sp]) - acc_t(qc[t * sq])) + (acc_t(pc[(t - 1) * sp]) - acc_t(qc[(t - 1) * sq]));
        s += r * r;
      }
    }
    partial[bf] = double(s);
  }
  for (int64_t b = 0; b < B; ++b) {
    double total = 0.0;
    for (int64_t f = 0; f < F; ++f) total += partial[b * F + f];
    out[b] = total;
  }
}

template <typename scalar_t>
void backward_rows(const View3<const scalar_t>& p, const View3<const scalar_t>& q, const uint8_t* mask,
                   const double* coef, const View3<scalar_t>& gp, const View3<scalar_t>& gq) {
  using acc_t = scalar_t;
  const int64_t B = p.B, T = p.T_, F = p.F;
  const bool unit = p.sf == 1 && q.sf == 1;
  const bool gunit = gp.sf == 1 && (gq.data == nullptr || gq.sf == 1);
#pragma omp parallel
  {
    std::vector<acc_t> buf(3 * F);
#pragma omp for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
      const uint8_t* m = mask ? mask + b * T : nullptr;
      const acc_t c = acc_t(coef[b]);
      // Rm = R[t-1], R0 = R[t], Rp = R[t+1]; R[t] = w[t] r[t] on 1..T-2, else 0.
      acc_t* Rm = buf.data();
      acc_t* R0 = Rm + F;
      acc_t* Rp = R0 + F;
      auto load_R = [&](int64_t t, acc_t* dst) {
        if (t >= 1 && t <= T - 2 && term_valid(m, t)) {
          if (unit)
            residual_row<scalar_t, acc_t, true>(p, q, b, t, dst);
          else
            residual_row<scalar_t, acc_t, false>(p, q, b, t, dst);
        } else {
          std::memset(dst, 0, sizeof(acc_t) * F);
        }
      };
      std::memset(Rm, 0, sizeof(acc_t) * F);
      std::memset(R0, 0, sizeof(acc_t) * F);
      load_R(1, Rp);
      for (int64_t t = 0; t < T; ++t) {
        scalar_t* g = gp.data + gp.off(b, t, 0);
        scalar_t* h = gq.data ? gq.data + gq.off(b, t, 0) : nullptr;
        if (gunit) {
          if (h) {
#pragma omp simd
            for (int64_t f = 0; f < F; ++f) {
              acc_t v = c * (Rm[f] - acc_t(2) * R0[f] + Rp[f]);
              g[f] = scalar_t(v);
              h[f] = scalar_t(-v);
            }
          } else {
#pragma omp simd
            for (int64_t f = 0; f < F; ++f) g[f] = scalar_t(c * (Rm[f] - acc_t(2) * R0[f] + Rp[f]));
          }
        } else {
          for (int64_t f = 0; f < F; ++f) {
            acc_t v = c * (Rm[f] - acc_t(2) * R0[f] + Rp[f]);
            g[f * gp.sf] = scalar_t(v);
            if (h) h[f * gq.sf] = scalar_t(-v);
          }
        }
        acc_t* tmp = Rm;
        Rm = R0;
        R0 = Rp;
        Rp = tmp;
        load_R(t + 2, Rp);
      }
    }
  }
}

template <typename scalar_t>
void backward_columns(const View3<const scalar_t>& p, const View3<const scalar_t>& q, const uint8_t* mask,
                      const double* coef, const View3<scalar_t>& gp, const View3<scalar_t>& gq) {
  using acc_t = scalar_t;
  const int64_t B = p.B, T = p.T_, F = p.F;
#pragma omp parallel for schedule(static)
  for (int64_t bf = 0; bf < B * F; ++bf) {
    const int64_t b = bf / F, f = bf % F;
    const uint8_t* m = mask ? mask + b * T : nullptr;
    const scalar_t* pc = p.data + p.off(b, 0, f);
    const scalar_t* qc = q.data + q.off(b, 0, f);
    scalar_t* g = gp.data + gp.off(b, 0, f);
    scalar_t* h = gq.data ? gq.data + gq.off(b, 0, f) : nullptr;
    const int64_t sp = p.st, sq = q.st, sg = gp.st, sh = gq.st;
    const acc_t c = acc_t(coef[b]);
    auto e = [&](int64_t t) { return acc_t(pc[t * sp]) - acc_t(qc[t * sq]); };
    auto R = [&](int64_t t) -> acc_t {
      if (t < 1 || t > T - 2 || !term_valid(m, t)) return acc_t(0);
      return e(t + 1) - acc_t(2) * e(t) + e(t - 1);
    };
    acc_t Rm = 0, R0 = 0, Rp = R(1);
    for (int64_t t = 0; t < T; ++t) {
      acc_t v = c * (Rm - acc_t(2) * R0 + Rp);
      g[t * sg] = scalar_t(v);
      if (h) h[t * sh] = scalar_t(-v);
      Rm = R0;
      R0 = Rp;
      Rp = R(t + 2);
    }
  }
}

}  // namespace

template <typename scalar_t>
void acc_loss_forward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                          double* out) {
  if (use_column_path(pred))
    forward_columns(pred, target, mask, out);
  else
    forward_rows(pred, target, mask, out);
}

template <typename scalar_t>
void acc_loss_backward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                           const double* coef, View3<scalar_t> grad_pred, View3<scalar_t> grad_target) {
  if (use_column_path(pred))
    backward_columns(pred, target, mask, coef, grad_pred, grad_target);
  else
    backward_rows(pred, target, mask, coef, grad_pred, grad_target);
}

template void acc_loss_forward_cpu<float>(View3<const float>, View3<const float>, const uint8_t*, double*);
template void acc_loss_forward_cpu<double>(View3<const double>, View3<const double>, const uint8_t*, double*);
template void acc_loss_backward_cpu<float>(View3<const float>, View3<const float>, const uint8_t*, const double*,
                                           View3<float>, View3<float>);
template void acc_loss_backward_cpu<double>(View3<const double>, View3<const double>, const uint8_t*,
                                            const double*, View3<double>, View3<double>);

}  // namespace imusim
