// CPU IMU synthesis: OpenMP over (sequence, frame-chunk) work units; within a unit a rolling window
// of three frames of sensor poses, so each frame's FK runs once (plus two frames of overlap per chunk).
#include <algorithm>
#include <vector>

#include "imu/imu.h"
#include "fk/fk_impl.h"
#include "imu/imu_impl.h"

namespace imusim {
namespace {
constexpr int64_t CHUNK = 256;
}

template <typename T>
void imu_forward_cpu(const ImuSpec& sp, int64_t B, int64_t T_, const T* L, const T* root, T* acc, T* gyro, T* ori) {
  const int J = sp.J, S = sp.S;
  const int64_t Tout = T_ - 2;
  if (Tout <= 0) return;
  const int64_t chunks = (Tout + CHUNK - 1) / CHUNK;
  const T* off = static_cast<const T*>(sp.offsets);
  const T* soff = static_cast<const T*>(sp.soff);
  const T* srot = static_cast<const T*>(sp.srot);
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  const T inv_dt2 = T(1.0 / (sp.dt * sp.dt)), inv_2dt = T(0.5 / sp.dt);
#pragma omp parallel
  {
    std::vector<T> G(9 * J), P(3 * J), ring(3 * 12 * S), wprev(3 * S);
#pragma omp for schedule(static)
    for (int64_t u = 0; u < B * chunks; ++u) {
      const int64_t b = u / chunks, c = u % chunks;
      const int64_t o0 = c * CHUNK, o1 = std::min(Tout, o0 + CHUNK);  // output indices; frames o+1
      const T* Lb = L + b * T_ * J * sp.rot_dim;
      const T* rb = root + b * T_ * 3;
      T* slot[3] = {ring.data(), ring.data() + 12 * S, ring.data() + 24 * S};
      auto pose = [&](int64_t t, T* dst) {
        frame_sensor_poses(sp.K, sp.needed, sp.parents, off, Lb + t * J * sp.rot_dim, rb + t * 3, S, sp.sjoint, soff,
                           srot, G.data(), P.data(), dst, sp.rot_dim);
      };
      pose(o0, slot[0]);
      pose(o0 + 1, slot[1]);
      // log map of (t−1 → t) is the previous output's (t → t+1): computed once per frame pair
      for (int s = 0; s < S; ++s) rel_log(slot[0] + 12 * s, slot[1] + 12 * s, wprev.data() + 3 * s);
      for (int64_t o = o0; o < o1; ++o) {
        pose(o + 2, slot[2]);
        const int64_t i = b * Tout + o;
        for (int s = 0; s < S; ++s) {
          const T* a = slot[0] + 12 * s;
          const T* m = slot[1] + 12 * s;
          const T* n = slot[2] + 12 * s;
          T f[3], w2[3];
          for (int k = 0; k < 3; ++k) f[k] = (n[9 + k] - T(2) * m[9 + k] + a[9 + k]) * inv_dt2 - g[k];
          mat3t_vec(m, f, acc + (i * S + s) * 3);
          rel_log(m, n, w2);
          T* gy = gyro + (i * S + s) * 3;
          for (int k = 0; k < 3; ++k) {
            gy[k] = (wprev[3 * s + k] + w2[k]) * inv_2dt;
            wprev[3 * s + k] = w2[k];
          }
          if (ori)
            for (int k = 0; k < 9; ++k) ori[(i * S + s) * 9 + k] = m[k];
        }
        T* tmp = slot[0];
        slot[0] = slot[1];
        slot[1] = slot[2];
        slot[2] = tmp;
      }
    }
  }
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
