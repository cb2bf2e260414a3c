// CPU (OpenMP) kernels for the fused acceleration loss. See acc_loss.h for the contract.
//
// One routine does all three passes (forward sums, backward gradients, or both fused in one pass):
//  * row path    (feature stride <= time stride, e.g. [B, T, J, 3]): work items are (sample, chunk of
//    frames); each walks t keeping rolling rows of e = pred - target and of the weighted residual
//    R = w r in thread-local ring buffers. Inner loops over f are unit-stride when sf == 1 and vectorise.
//    Small batches are split into frame chunks (with a 2-frame halo) so every thread has work.
//    The forward-only pass on contiguous [T, F] planes runs as one flat loop per sample instead.
//  * column path (time stride < feature stride, e.g. MDM's [B, F, 1, T]): work items are
//    (sample, feature) columns; a column's e and R are staged in thread-local buffers of length T so
//    that all loops over t are branch-free and vectorise.
// Every input element is read from memory once per pass (neighbouring rows come from cache); per-item
// partial sums are combined per sample in a fixed order (deterministic, no atomics). Work items are
// handed out dynamically in small batches, so a thread that loses its core on a shared machine does not
// hold up the others.
#include "acc_loss/acc_loss.h"

#include <algorithm>
#include <cstring>
#include <vector>

#ifdef IMUSIM_OPENMP
#include <omp.h>
#endif

namespace imusim {
namespace {

inline int max_threads() {
#ifdef IMUSIM_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline bool term_valid(const uint8_t* m, int64_t t) {  // m points at the sample's mask row
  return m == nullptr || (m[t - 1] && m[t] && m[t + 1]);
}

template <typename S>
inline bool use_column_path(const View3<S>& v) {
  return v.F > 1 && std::llabs(v.st) < std::llabs(v.sf);
}

// e row at frame t: dst[f] = pred[b,t,f] - target[b,t,f]
template <typename S, bool UNIT>
inline void e_row(const View3<const S>& p, const View3<const S>& q, int64_t b, int64_t t, S* __restrict dst) {
  const S* __restrict pp = p.data + p.off(b, t, 0);
  const S* __restrict qq = q.data + q.off(b, t, 0);
  const int64_t F = p.F;
  if (UNIT) {
#pragma omp simd
    for (int64_t f = 0; f < F; ++f) dst[f] = pp[f] - qq[f];
  } else {
    const int64_t sp = p.sf, sq = q.sf;
    for (int64_t f = 0; f < F; ++f) dst[f] = pp[f * sp] - qq[f * sq];
  }
}

template <typename S>
inline void store_grad(const View3<S>& gp, const View3<S>& gq, int64_t b, int64_t t, S c, const S* __restrict Rm,
                       const S* __restrict R0, const S* __restrict Rp, bool gunit) {
  const int64_t F = gp.F;
  S* __restrict g = gp.data + gp.off(b, t, 0);
  S* __restrict h = gq.data ? gq.data + gq.off(b, t, 0) : nullptr;
  if (gunit) {
    if (h) {
#pragma omp simd
      for (int64_t f = 0; f < F; ++f) {
        S v = c * (Rm[f] - S(2) * R0[f] + Rp[f]);
        g[f] = v;
        h[f] = -v;
      }
    } else {
#pragma omp simd
      for (int64_t f = 0; f < F; ++f) g[f] = c * (Rm[f] - S(2) * R0[f] + Rp[f]);
    }
  } else {
    for (int64_t f = 0; f < F; ++f) {
      S v = c * (Rm[f] - S(2) * R0[f] + Rp[f]);
      g[f * gp.sf] = v;
      if (h) h[f * gq.sf] = -v;
    }
  }
}

// One frame of the fused row loop: e[t+2] = p2 - q2 into e2, R[t+1] into rn (0 when !VALID), and
// grad[t] = c (R[t-1] - 2 R[t] + R[t+1]) into g (and -grad into h when H). Returns Σ R[t+1]².
template <typename S, bool VALID, bool H>
inline S frame_step(int64_t F, const S* __restrict p2, const S* __restrict q2, const S* __restrict e0,
                    const S* __restrict e1, S* __restrict e2, const S* __restrict rm, const S* __restrict r0,
                    S* __restrict rn, S c, S* __restrict g, S* __restrict h) {
  S sk = 0;
#pragma omp simd reduction(+ : sk)
  for (int64_t f = 0; f < F; ++f) {
    S en = p2[f] - q2[f];
    e2[f] = en;
    S rv = VALID ? en - S(2) * e1[f] + e0[f] : S(0);
    rn[f] = rv;
    if (VALID) sk += rv * rv;
    S v = c * (rm[f] - S(2) * r0[f] + rv);
    g[f] = v;
    if (H) h[f] = -v;
  }
  return sk;
}

// One (sample b, frames [t0, t1)) work item of the row path. Returns Σ R[k]² over terms k in [t0, t1).
// When GRAD, writes grad[b, t] for t in [t0, t1). buf holds 6 rows of F.
template <typename S, bool UNIT, bool GRAD>
double rows_item(const View3<const S>& p, const View3<const S>& q, const uint8_t* m, int64_t b, int64_t t0,
                 int64_t t1, S c, const View3<S>& gp, const View3<S>& gq, bool gunit, S* buf) {
  const int64_t T = p.T_, F = p.F;
  S* E[3] = {buf, buf + F, buf + 2 * F};          // e[j] lives in E[j % 3]
  S* Rr[3] = {buf + 3 * F, buf + 4 * F, buf + 5 * F};  // R[k] lives in Rr[(k + 3) % 3]
  int64_t hi = -1;                                   // highest e row loaded
  double total = 0.0;
  // R[k] into dst (0 outside 1..T-2 or where masked); adds R² to total when k in [t0, t1).
  auto make_R = [&](int64_t k, S* __restrict dst) {
    if (k < 1 || k > T - 2 || !term_valid(m, k)) {
      if (GRAD) std::memset(dst, 0, sizeof(S) * F);
      return;
    }
    for (int64_t j = std::max(hi + 1, k - 1); j <= k + 1; ++j) e_row<S, UNIT>(p, q, b, j, E[j % 3]);
    hi = std::max(hi, k + 1);
    const S* __restrict a = E[(k - 1) % 3];
    const S* __restrict e0 = E[k % 3];
    const S* __restrict z = E[(k + 1) % 3];
    S s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t f = 0; f < F; ++f) {
      S r = z[f] - S(2) * e0[f] + a[f];
      dst[f] = r;
      s += r * r;
    }
    if (k >= t0 && k < t1) total += double(s);
  };
  if (!GRAD) {
    for (int64_t k = std::max<int64_t>(t0, 1); k < std::min<int64_t>(t1, T - 1); ++k) make_R(k, Rr[0]);
    return total;
  }
  auto slot = [&](int64_t k) { return Rr[(k + 3) % 3]; };
  make_R(t0 - 1, slot(t0 - 1));
  make_R(t0, slot(t0));
  if (UNIT && gunit) {
    // One loop per frame: e[t+2] from memory, R[t+1] from the e ring, grad[t] from the R ring.
    S* Rm = slot(t0 - 1);
    S* R0 = slot(t0);
    S* Rn = slot(t0 + 1);
    // e[t] and e[t+1] for t = t0 (rows the prologue has not loaded are loaded here)
    S* Ea = E[0];
    S* Eb = E[1];
    S* Ec = E[2];
    if (t0 + 1 <= T - 1) {  // (cache-hot rows; reloaded to keep the ring logic simple)
      e_row<S, true>(p, q, b, t0, Ea);
      e_row<S, true>(p, q, b, t0 + 1, Eb);
    }
    S* __restrict h0 = gq.data ? gq.data + gq.off(b, 0, 0) : nullptr;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t k = t + 1;
      S* __restrict g = gp.data + gp.off(b, t, 0);
      S* __restrict h = h0 ? gq.data + gq.off(b, t, 0) : nullptr;
      const S* __restrict rm = Rm;
      const S* __restrict r0 = R0;
      S* __restrict rn = Rn;
      if (k <= T - 2) {
        const bool wk = term_valid(m, k);
        const S* __restrict p2 = p.data + p.off(b, t + 2, 0);
        const S* __restrict q2 = q.data + q.off(b, t + 2, 0);
        const S* __restrict e0 = Ea;
        const S* __restrict e1 = Eb;
        S* __restrict e2 = Ec;
        // masked term: R = 0 by a branch, never by a product with 0 (padding frames may hold NaN/inf)
        S sk;
        if (wk)
          sk = h ? frame_step<S, true, true>(F, p2, q2, e0, e1, e2, rm, r0, rn, c, g, h)
                 : frame_step<S, true, false>(F, p2, q2, e0, e1, e2, rm, r0, rn, c, g, h);
        else
          sk = h ? frame_step<S, false, true>(F, p2, q2, e0, e1, e2, rm, r0, rn, c, g, h)
                 : frame_step<S, false, false>(F, p2, q2, e0, e1, e2, rm, r0, rn, c, g, h);
        if (k < t1 && k >= 1) total += double(sk);
        S* tmp = Ea;  // e ring: (e[t], e[t+1], e[t+2]) -> (e[t+1], e[t+2], free)
        Ea = Eb;
        Eb = Ec;
        Ec = tmp;
      } else {  // R[t+1] = 0 at the end of the sample
        if (h) {
#pragma omp simd
          for (int64_t f = 0; f < F; ++f) {
            rn[f] = S(0);
            S v = c * (rm[f] - S(2) * r0[f]);
            g[f] = v;
            h[f] = -v;
          }
        } else {
#pragma omp simd
          for (int64_t f = 0; f < F; ++f) {
            rn[f] = S(0);
            g[f] = c * (rm[f] - S(2) * r0[f]);
          }
        }
      }
      S* tmp = Rm;  // R ring: (R[t-1], R[t], R[t+1]) -> (R[t], R[t+1], free)
      Rm = R0;
      R0 = Rn;
      Rn = tmp;
    }
    return total;
  }
  for (int64_t t = t0; t < t1; ++t) {
    make_R(t + 1, slot(t + 1));
    store_grad(gp, gq, b, t, c, slot(t - 1), slot(t), slot(t + 1), gunit);
  }
  return total;
}

// Forward-only row path for contiguous [T, F] planes (sf == 1, st == F): the terms [k0, k1) of one
// sample are one flat unit-stride loop (row k at offset k*F), so the sum vectorises without per-row
// overheads. Masked samples are handled as runs of consecutive valid terms.
template <typename S>
double plane_forward(const View3<const S>& p, const View3<const S>& q, const uint8_t* m, int64_t b, int64_t t0,
                     int64_t t1) {
  const int64_t T = p.T_, F = p.F;
  const S* __restrict pp = p.data + b * p.sb;
  const S* __restrict qq = q.data + b * q.sb;
  const int64_t k0 = std::max<int64_t>(t0, 1), k1 = std::min<int64_t>(t1, T - 1);
  double total = 0.0;
  int64_t k = k0;
  while (k < k1) {
    int64_t a = k, z = k;
    if (m) {
      while (a < k1 && !term_valid(m, a)) ++a;
      z = a;
      while (z < k1 && term_valid(m, z)) ++z;
    } else {
      z = k1;
    }
    S s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = a * F; i < z * F; ++i) {
      S v = (pp[i + F] - qq[i + F]) - S(2) * (pp[i] - qq[i]) + (pp[i - F] - qq[i - F]);
      s += v * v;
    }
    total += double(s);
    k = z;
  }
  return total;
}

template <typename S>
inline bool plane_contig(const View3<S>& v) {
  return v.data == nullptr || (v.sf == 1 && v.st == v.F);
}

template <typename S, bool GRAD>
void run_rows(const View3<const S>& p, const View3<const S>& q, const uint8_t* mask, const double* coef,
              double* out, const View3<S>& gp, const View3<S>& gq) {
  const int64_t B = p.B, T = p.T_, F = p.F;
  const bool unit = p.sf == 1 && q.sf == 1;
  const bool gunit = !GRAD || (gp.sf == 1 && (gq.data == nullptr || gq.sf == 1));
  // Frame chunks per sample so that small batches still keep every thread busy.
  const int64_t nt = max_threads();
  int64_t nchunk = 1;
  if (B < 4 * nt) nchunk = std::max<int64_t>(1, std::min<int64_t>((4 * nt + B - 1) / B, T / 16));
  const int64_t clen = (T + nchunk - 1) / nchunk;
  const int64_t items = B * nchunk;
  std::vector<double> partial(out ? items : 0);
  const bool plane = !GRAD && plane_contig(p) && plane_contig(q);
#pragma omp parallel
  {
    std::vector<S> buf(6 * F);
#pragma omp for schedule(dynamic, 8)
    for (int64_t it = 0; it < items; ++it) {
      const int64_t b = it / nchunk, ch = it % nchunk;
      const int64_t t0 = ch * clen, t1 = std::min(T, t0 + clen);
      const uint8_t* m = mask ? mask + b * T : nullptr;
      const S c = GRAD ? S(coef[b]) : S(0);
      double s;
      if (plane)
        s = plane_forward<S>(p, q, m, b, t0, t1);
      else if (unit)
        s = rows_item<S, true, GRAD>(p, q, m, b, t0, t1, c, gp, gq, gunit, buf.data());
      else
        s = rows_item<S, false, GRAD>(p, q, m, b, t0, t1, c, gp, gq, gunit, buf.data());
      if (out) partial[it] = s;
    }
  }
  if (out)
    for (int64_t b = 0; b < B; ++b) {
      double total = 0.0;
      for (int64_t ch = 0; ch < nchunk; ++ch) total += partial[b * nchunk + ch];
      out[b] = total;
    }
}

template <typename S, bool GRAD>
void run_columns(const View3<const S>& p, const View3<const S>& q, const uint8_t* mask, const double* coef,
                 double* out, const View3<S>& gp, const View3<S>& gq) {
  const int64_t B = p.B, T = p.T_, F = p.F;
  std::vector<double> partial(out ? B * F : 0);
#pragma omp parallel
  {
    // E: e[0..T-1]; R: R[-1..T] at R[1..T+2] (zero padded); W: weights of the current sample.
    std::vector<S> Ebuf(T), Rbuf(T + 2, S(0)), Wbuf(T, S(1));
    S* __restrict E = Ebuf.data();
    S* __restrict R = Rbuf.data() + 1;
    S* __restrict W = Wbuf.data();
    int64_t wb = -1;
#pragma omp for schedule(dynamic, 256)
    for (int64_t bf = 0; bf < B * F; ++bf) {
      const int64_t b = bf / F, f = bf % F;
      const uint8_t* m = mask ? mask + b * T : nullptr;
      if (m && wb != b) {
        W[0] = W[T - 1] = S(0);
        for (int64_t t = 1; t < T - 1; ++t) W[t] = term_valid(m, t) ? S(1) : S(0);
        wb = b;
      }
      const S* __restrict pc = p.data + p.off(b, 0, f);
      const S* __restrict qc = q.data + q.off(b, 0, f);
      const int64_t sp = p.st, sq = q.st;
      if (!GRAD && m == nullptr && sp == 1 && sq == 1) {  // forward only: one direct loop
        S s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t t = 1; t < T - 1; ++t) {
          S r = (pc[t + 1] - qc[t + 1]) - S(2) * (pc[t] - qc[t]) + (pc[t - 1] - qc[t - 1]);
          s += r * r;
        }
        partial[bf] = double(s);
        continue;
      }
      S s = 0;
      if (sp == 1 && sq == 1) {  // R straight from pred/target (3 taps), no staging of e
        if (m) {
#pragma omp simd reduction(+ : s)
          for (int64_t t = 1; t < T - 1; ++t) {
            S r = (pc[t + 1] - qc[t + 1]) - S(2) * (pc[t] - qc[t]) + (pc[t - 1] - qc[t - 1]);
            r = W[t] != S(0) ? r : S(0);  // select: masked frames may hold NaN
            R[t] = r;
            s += r * r;
          }
        } else {
#pragma omp simd reduction(+ : s)
          for (int64_t t = 1; t < T - 1; ++t) {
            S r = (pc[t + 1] - qc[t + 1]) - S(2) * (pc[t] - qc[t]) + (pc[t - 1] - qc[t - 1]);
            R[t] = r;
            s += r * r;
          }
        }
      } else {
        for (int64_t t = 0; t < T; ++t) E[t] = pc[t * sp] - qc[t * sq];
#pragma omp simd reduction(+ : s)
        for (int64_t t = 1; t < T - 1; ++t) {
          S r = E[t + 1] - S(2) * E[t] + E[t - 1];
          r = W[t] != S(0) ? r : S(0);
          R[t] = r;
          s += r * r;
        }
      }
      if (out) partial[bf] = double(s);
      if (GRAD) {
        R[0] = R[T - 1] = S(0);  // R[-1] and R[T] stay 0 from the allocation
        const S c = S(coef[b]);
        S* __restrict g = gp.data + gp.off(b, 0, f);
        S* __restrict h = gq.data ? gq.data + gq.off(b, 0, f) : nullptr;
        const int64_t sg = gp.st, sh = gq.st;
        if (sg == 1 && (h == nullptr || sh == 1)) {
          if (h) {
#pragma omp simd
            for (int64_t t = 0; t < T; ++t) {
              S v = c * (R[t - 1] - S(2) * R[t] + R[t + 1]);
              g[t] = v;
              h[t] = -v;
            }
          } else {
#pragma omp simd
            for (int64_t t = 0; t < T; ++t) g[t] = c * (R[t - 1] - S(2) * R[t] + R[t + 1]);
          }
        } else {
          for (int64_t t = 0; t < T; ++t) {
            S v = c * (R[t - 1] - S(2) * R[t] + R[t + 1]);
            g[t * sg] = v;
            if (h) h[t * sh] = -v;
          }
        }
      }
    }
  }
  if (out)
    for (int64_t b = 0; b < B; ++b) {
      double total = 0.0;
      for (int64_t f = 0; f < F; ++f) total += partial[b * F + f];
      out[b] = total;
    }
}

template <typename S>
void zero_grad(const View3<S>& g) {
  if (!g.data) return;
  for (int64_t b = 0; b < g.B; ++b)
    for (int64_t t = 0; t < g.T_; ++t)
      for (int64_t f = 0; f < g.F; ++f) g.data[g.off(b, t, f)] = S(0);
}

template <typename S, bool GRAD>
void run(const View3<const S>& p, const View3<const S>& q, const uint8_t* mask, const double* coef, double* out,
         const View3<S>& gp, const View3<S>& gq) {
  // Degenerate shapes (the Python layer normally handles them): no term at all -> zero sums and
  // gradients, and no division by B or F below.
  if (p.B == 0 || p.F == 0 || p.T_ < 3) {
    if (out)
      for (int64_t b = 0; b < p.B; ++b) out[b] = 0.0;
    if (GRAD) {
      zero_grad(gp);
      zero_grad(gq);
    }
    return;
  }
  if (use_column_path(p))
    run_columns<S, GRAD>(p, q, mask, coef, out, gp, gq);
  else
    run_rows<S, GRAD>(p, q, mask, coef, out, gp, gq);
}

}  // namespace

template <typename scalar_t>
void acc_loss_forward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                          double* out) {
  View3<scalar_t> none{nullptr, pred.B, pred.T_, pred.F, 0, 0, 0};
  run<scalar_t, false>(pred, target, mask, nullptr, out, none, none);
}

template <typename scalar_t>
void acc_loss_backward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                           const double* coef, View3<scalar_t> grad_pred, View3<scalar_t> grad_target) {
  run<scalar_t, true>(pred, target, mask, coef, nullptr, grad_pred, grad_target);
}

template <typename scalar_t>
void acc_loss_fused_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                        const double* coef, double* out, View3<scalar_t> grad_pred, View3<scalar_t> grad_target) {
  run<scalar_t, true>(pred, target, mask, coef, out, grad_pred, grad_target);
}

#define IMUSIM_INST(S)                                                                                          \
  template void acc_loss_forward_cpu<S>(View3<const S>, View3<const S>, const uint8_t*, double*);              \
  template void acc_loss_backward_cpu<S>(View3<const S>, View3<const S>, const uint8_t*, const double*,        \
                                         View3<S>, View3<S>);                                                   \
  template void acc_loss_fused_cpu<S>(View3<const S>, View3<const S>, const uint8_t*, const double*, double*, \
                                      View3<S>, View3<S>);
IMUSIM_INST(float)
IMUSIM_INST(double)
#undef IMUSIM_INST

}  // namespace imusim
