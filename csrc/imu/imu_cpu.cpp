// CPU IMU synthesis. Forward: blocked structure-of-arrays kernel, OpenMP over (sequence, block of output
// frames) (the stages below; the SO(3) maps and the differentiation stage in common/simd_so3.h). Backward:
// OpenMP over (sequence, frame-chunk) work units with a rolling window of three frames of sensor poses, so
// each frame's FK runs once (plus two frames of overlap per chunk).
//
// Forward stages per block (n <= NB output frames = n + 2 input frames; buffers [item][component][frame],
// row stride LD):
//   load      per needed joint: the local rotation's rows (matrix input) or Rodrigues' matrix (axis-angle)
//   fk        G_j = G_p R_j, P_j = P_p + G_p o_j in place, needed joints in topological order
//   mount     R_ws = G_j R_js, p_s = P_j + G_j o_s → Q
//   imu_rows  log maps of the frame pairs → gyro, second differences → acc (common/simd_so3.h)
//   out       acc, gyro, orientation written back in the caller's [B, T−2, S, ...] layout
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/simd_block.h"
#include "common/simd_so3.h"
#include "imu/imu.h"
#include "imu/imu_impl.h"

namespace imusim {
namespace {
constexpr int64_t CHUNK = 256;

#ifndef IMUSIM_IMU_NB
#define IMUSIM_IMU_NB 128
#endif
constexpr int NB = IMUSIM_IMU_NB;              // output frames per block
constexpr int LD = (NB + 2 + 15) / 16 * 16;   // row stride of the block buffers (≥ NB + 2 frames)
template <typename T, int RD>
void imu_forward_blocked(const ImuSpec& sp, int64_t B, int64_t T_, const T* L, const T* root, T* acc, T* gyro,
                         T* ori, const int* pslot, const int* sslot) {
  const int J = sp.J, K = sp.K, S = sp.S;
  const int64_t Tout = T_ - 2;
  const int64_t nblk = (Tout + NB - 1) / NB;
  const T* off = static_cast<const T*>(sp.offsets);
  const T* soff = static_cast<const T*>(sp.soff);
  const T* srot = static_cast<const T*>(sp.srot);
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(1.0 / (sp.dt * sp.dt)), inv_2dt = T(0.5 / sp.dt);
  const bool nt = B * Tout * S * (ori ? 15 : 6) * int64_t(sizeof(T)) > simd::NT_BYTES;
#pragma omp parallel
  {
    // G [K][12][LD] joint poses, A [3][LD] one joint's axis-angle, Q [S][12][LD] sensor poses,
    // W [S][3][LD] log maps of frame pairs, O [S][6][LD] acc and gyro, X staged output.
    std::vector<T> buf(size_t(LD) * (12 * K + 3 + 21 * S) + size_t(NB) * 15 * S);
    T* const Gb = buf.data();
    T* const Ab = Gb + size_t(12) * K * LD;
    T* const Q = Ab + size_t(3) * LD;
    T* const W = Q + size_t(12) * S * LD;
    T* const O = W + size_t(3) * S * LD;
    T* const X = O + size_t(6) * S * LD;  // [NB][S][3] acc, [NB][S][3] gyro, [NB][S][9] ori in output order
#pragma omp for schedule(dynamic, 4)
    for (int64_t u = 0; u < B * nblk; ++u) {
      const int64_t b = u / nblk, o0 = (u % nblk) * NB;
      const int n = int(std::min<int64_t>(NB, Tout - o0)), nf = n + 2;
      const T* Lb = L + (b * T_ + o0) * J * RD;  // frame o0 of sequence b
      const T* rb = root + (b * T_ + o0) * 3;
      // load: the needed joints' rotations in SoA; Rodrigues' coefficients through the half angle
      for (int k = 0; k < K; ++k) {
        const int j = sp.needed[k];
        if (RD == 9) {
          T* Gk = Gb + size_t(12) * k * LD;
          for (int t = 0; t < nf; ++t)
            for (int e = 0; e < 9; ++e) Gk[e * LD + t] = Lb[int64_t(t) * J * 9 + 9 * j + e];
          continue;
        }
        simd::rodrigues_rows<T>(nf, LD, Lb + 3 * j, int64_t(J) * 3, Gb + size_t(12) * k * LD);
      }
      // fk
      for (int k = 0; k < K; ++k) {
        const int j = sp.needed[k];
        T* Gk = Gb + size_t(12) * k * LD;  // holds the local rotation: FK in place
        simd::fk_joint<T>(nf, LD, pslot[k] < 0 ? nullptr : Gb + size_t(12) * pslot[k] * LD, off + 3 * j, rb, Gk, 1,
                          LD, Gk);
      }
      // mount
      for (int s = 0; s < S; ++s) {
        const T* __restrict Gj = Gb + size_t(12) * sslot[s] * LD;
        T* __restrict Qs = Q + size_t(12) * s * LD;
        T m[9], o[3];
        for (int e = 0; e < 9; ++e) m[e] = srot[9 * s + e];
        for (int e = 0; e < 3; ++e) o[e] = soff[3 * s + e];
#pragma omp simd
        for (int t = 0; t < nf; ++t) {
          T P[9];
          for (int e = 0; e < 9; ++e) P[e] = Gj[e * LD + t];
          for (int i = 0; i < 3; ++i) {
            for (int c = 0; c < 3; ++c)
              Qs[(3 * i + c) * LD + t] = P[3 * i] * m[c] + P[3 * i + 1] * m[3 + c] + P[3 * i + 2] * m[6 + c];
            Qs[(9 + i) * LD + t] = Gj[(9 + i) * LD + t] + P[3 * i] * o[0] + P[3 * i + 1] * o[1] + P[3 * i + 2] * o[2];
          }
        }
      }
      // log maps of the frame pairs (t, t+1), gyro and acc at the middle frames
      for (int s = 0; s < S; ++s)
        simd::imu_rows<T>(n, Q + size_t(12) * s * LD, LD, W + size_t(3) * s * LD, LD, O + size_t(6) * s * LD, LD,
                          inv_dt2, inv_2dt, g);
      // out: [B, T−2, S, ...], staged frame by frame from the rows of O and Q, then copied (the block's
      // outputs are contiguous in each array)
      T* __restrict xa = X;
      T* __restrict xg = X + size_t(n) * S * 3;
      T* __restrict xo = X + size_t(n) * S * 6;
      for (int t = 0; t < n; ++t) {
        for (int s = 0; s < S; ++s) {
          const T* Os = O + size_t(6) * s * LD + t;
          T* a = xa + (t * S + s) * 3;
          T* w = xg + (t * S + s) * 3;
          a[0] = Os[0];
          a[1] = Os[LD];
          a[2] = Os[2 * LD];
          w[0] = Os[3 * LD];
          w[1] = Os[4 * LD];
          w[2] = Os[5 * LD];
        }
        if (ori)
          for (int s = 0; s < S; ++s) {
            const T* Qs = Q + size_t(12) * s * LD + t + 1;
            T* r = xo + (t * S + s) * 9;
            for (int e = 0; e < 9; ++e) r[e] = Qs[e * LD];
          }
      }
      const int64_t i0 = b * Tout + o0;
      simd::put(acc + i0 * S * 3, xa, int64_t(n) * S * 3, nt);
      simd::put(gyro + i0 * S * 3, xg, int64_t(n) * S * 3, nt);
      if (ori) simd::put(ori + i0 * S * 9, xo, int64_t(n) * S * 9, nt);
    }
#if defined(__SSE2__)
    if (nt) _mm_sfence();  // streaming stores are weakly ordered
#endif
  }
}
}  // namespace

// Blocked structure-of-arrays forward (common/simd_so3.h, common/simd_block.h): OpenMP over (sequence, block of NB output
// frames); the two frames of overlap between neighbouring blocks are recomputed.
template <typename T>
void imu_forward_cpu(const ImuSpec& sp, int64_t B, int64_t T_, const T* L, const T* root, T* acc, T* gyro, T* ori) {
  const int J = sp.J, K = sp.K, S = sp.S;
  if (T_ - 2 <= 0 || B <= 0) return;
  // slot k of needed[k]; the blocked kernel needs each needed joint's parent in an earlier slot
  std::vector<int> jslot(J > 0 ? J : 0, -1), pslot(K > 0 ? K : 0), sslot(S > 0 ? S : 0);
  bool ok = K > 0 && (sp.rot_dim == 3 || sp.rot_dim == 9);
  for (int k = 0; ok && k < K; ++k) {
    const int j = sp.needed[k];
    if (j < 0 || j >= J || jslot[j] >= 0) {
      ok = false;
      break;
    }
    const int p = sp.parents[j];
    pslot[k] = p < 0 ? -1 : (p < J ? jslot[p] : -1);
    if (p >= 0 && pslot[k] < 0) ok = false;
    jslot[j] = k;
  }
  for (int s = 0; ok && s < S; ++s) {
    const int j = sp.sjoint[s];
    sslot[s] = (j >= 0 && j < J) ? jslot[j] : -1;
    if (sslot[s] < 0) ok = false;
  }
  if (!ok)  // the Python layer passes needed = the sensors' ancestors in ascending (topological) order
    throw std::invalid_argument("imu_forward: needed joints must be an ancestor-closed topological list covering "
                                "the sensor joints, rot_dim 3 or 9");
  if (sp.rot_dim == 3)
    imu_forward_blocked<T, 3>(sp, B, T_, L, root, acc, gyro, ori, pslot.data(), sslot.data());
  else
    imu_forward_blocked<T, 9>(sp, B, T_, L, root, acc, gyro, ori, pslot.data(), sslot.data());
}

template <typename T>
void sensor_poses_cpu(const ImuSpec& sp, int64_t B, int64_t T_, const T* L, const T* root, T* poses) {
  const int J = sp.J, S = sp.S;
  const T* off = static_cast<const T*>(sp.offsets);
  const T* soff = static_cast<const T*>(sp.soff);
  const T* srot = static_cast<const T*>(sp.srot);
#pragma omp parallel
  {
    std::vector<T> G(9 * J), P(3 * J);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < B * T_; ++n)
      frame_sensor_poses(sp.K, sp.needed, sp.parents, off, L + n * J * sp.rot_dim, root + n * 3, S, sp.sjoint, soff,
                         srot, G.data(), P.data(), poses + n * S * 12, sp.rot_dim);
  }
}

// Backward: OpenMP over (sequence, frame-chunk). Outputs o = t0−2 .. t1−1 are visited in order with a
// rolling window of three frames (poses, G, pose gradients); frame o is complete once output o has
// been processed (outputs o−2..o touch it), then its pose gradient goes through the sensor mounts and
// the per-frame FK backward on the sub-tree. Each frame's FK runs once per unit (plus a 2-frame halo).
template <typename T>
void imu_backward_cpu(const ImuSpec& sp, int64_t B, int64_t T_, const T* L, const T* root, const T* gacc,
                      const T* ggyro, const T* gori, T* gL, T* groot) {
  const int rd = sp.rot_dim;  // 9: matrices, 3: axis-angle (gradient w.r.t. the axis-angle itself)
  const int J = sp.J, S = sp.S;
  const int64_t Tout = T_ - 2;
  const int64_t chunks = (T_ + CHUNK - 1) / CHUNK;
  const T* off = static_cast<const T*>(sp.offsets);
  const T* soff = static_cast<const T*>(sp.soff);
  const T* srot = static_cast<const T*>(sp.srot);
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(1.0 / (sp.dt * sp.dt)), inv_2dt = T(0.5 / sp.dt);
#pragma omp parallel
  {
    std::vector<T> Gs(3 * 9 * J), Ps(3 * 3 * J), poses(3 * 12 * S), gposes(3 * 12 * S), aG(9 * J), aP(3 * J),
        gG(9 * J), gP(3 * J), Lm(9 * J), gLm(9 * J);
#pragma omp for schedule(static)
    for (int64_t u = 0; u < B * chunks; ++u) {
      const int64_t b = u / chunks, c = u % chunks;
      const int64_t t0 = c * CHUNK, t1 = std::min(T_, t0 + CHUNK);
      const T* Lb = L + b * T_ * J * rd;
      const T* rb = root + b * T_ * 3;
      int slot[3] = {0, 1, 2};
      auto pose = [&](int64_t t, int k) {
        frame_sensor_poses(sp.K, sp.needed, sp.parents, off, Lb + t * J * rd, rb + t * 3, S, sp.sjoint, soff, srot,
                           Gs.data() + 9 * J * k, Ps.data() + 3 * J * k, poses.data() + 12 * S * k, rd);
        for (int i = 0; i < 12 * S; ++i) gposes[12 * S * k + i] = T(0);
      };
      auto finish = [&](int64_t t, int k) {  // frame t's pose gradient -> gL[b,t], groot[b,t]
        for (int i = 0; i < 9 * J; ++i) gG[i] = T(0);
        for (int i = 0; i < 3 * J; ++i) gP[i] = T(0);
        const T* gp = gposes.data() + 12 * S * k;
        for (int s = 0; s < S; ++s) {
          const int j = sp.sjoint[s];
          mat3_mul_t_acc(gp + 12 * s, srot + 9 * s, gG.data() + 9 * j);  // R_ws = G_j R_js
          outer_acc(gp + 12 * s + 9, soff + 3 * s, gG.data() + 9 * j);   // p = P_j + G_j o
          for (int i = 0; i < 3; ++i) gP[3 * j + i] += gp[12 * s + 9 + i];
        }
        T* gr = groot + (b * T_ + t) * 3;
        gr[0] = gr[1] = gr[2] = T(0);
        if (rd == 9) {
          fk_frame_backward(J, sp.parents, off, Lb + t * J * 9, Gs.data() + 9 * J * k, gG.data(), gP.data(),
                            gL + (b * T_ + t) * J * 9, gr, aG.data(), aP.data());
        } else {
          const T* Lt = Lb + t * J * 3;
          for (int j = 0; j < J; ++j) rodrigues(Lt + 3 * j, Lm.data() + 9 * j);
          fk_frame_backward(J, sp.parents, off, Lm.data(), Gs.data() + 9 * J * k, gG.data(), gP.data(), gLm.data(),
                            gr, aG.data(), aP.data());
          T* ga = gL + (b * T_ + t) * J * 3;
          for (int j = 0; j < J; ++j) rodrigues_backward(Lt + 3 * j, gLm.data() + 9 * j, ga + 3 * j);
        }
      };
      if (Tout <= 0) {
        for (int64_t t = t0; t < t1; ++t) {
          for (int i = 0; i < rd * J; ++i) gL[(b * T_ + t) * J * rd + i] = T(0);
          for (int i = 0; i < 3; ++i) groot[(b * T_ + t) * 3 + i] = T(0);
        }
        continue;
      }
      const int64_t os = std::max<int64_t>(0, t0 - 2), oe = std::min(Tout - 1, t1 - 1);
      pose(os, slot[0]);
      pose(os + 1, slot[1]);
      for (int64_t o = os; o <= oe; ++o) {
        pose(o + 2, slot[2]);
        const int64_t i = b * Tout + o;
        frame_imu_backward(S, poses.data() + 12 * S * slot[0], poses.data() + 12 * S * slot[1],
                           poses.data() + 12 * S * slot[2], inv_dt2, inv_2dt, g, gacc + i * S * 3, ggyro + i * S * 3,
                           gori ? gori + i * S * 9 : nullptr, gposes.data() + 12 * S * slot[0],
                           gposes.data() + 12 * S * slot[1], gposes.data() + 12 * S * slot[2]);
        if (o >= t0 && o < t1) finish(o, slot[0]);
        const int tmp = slot[0];
        slot[0] = slot[1];
        slot[1] = slot[2];
        slot[2] = tmp;
      }
      // the last two frames of the window are complete when no later output exists
      for (int k = 1; k <= 2; ++k) {
        const int64_t t = oe + k;
        if (oe == Tout - 1 && t >= t0 && t < t1) finish(t, slot[k - 1]);
      }
    }
  }
}

template void imu_backward_cpu<float>(const ImuSpec&, int64_t, int64_t, const float*, const float*, const float*,
                                      const float*, const float*, float*, float*);
template void imu_backward_cpu<double>(const ImuSpec&, int64_t, int64_t, const double*, const double*,
                                       const double*, const double*, const double*, double*, double*);

template void imu_forward_cpu<float>(const ImuSpec&, int64_t, int64_t, const float*, const float*, float*, float*,
                                     float*);
template void imu_forward_cpu<double>(const ImuSpec&, int64_t, int64_t, const double*, const double*, double*,
                                      double*, double*);
template void sensor_poses_cpu<float>(const ImuSpec&, int64_t, int64_t, const float*, const float*, float*);
template void sensor_poses_cpu<double>(const ImuSpec&, int64_t, int64_t, const double*, const double*, double*);

}  // namespace imusim
