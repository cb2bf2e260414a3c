// CPU IMU synthesis: OpenMP over (sequence, frame-chunk) work units; within a unit a rolling window
// of three frames of sensor poses, so each frame's FK runs once (plus two frames of overlap per chunk).
#include <algorithm>
#include <vector>

#include "imu/imu.h"
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
    std::vector<T> G(9 * J), P(3 * J), ring(3 * 12 * S);
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
      for (int64_t o = o0; o < o1; ++o) {
        pose(o + 2, slot[2]);
        const int64_t i = b * Tout + o;
        frame_imu(S, slot[0], slot[1], slot[2], inv_dt2, inv_2dt, g, acc + i * S * 3, gyro + i * S * 3,
                  ori ? ori + i * S * 9 : nullptr);
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

template void imu_forward_cpu<float>(const ImuSpec&, int64_t, int64_t, const float*, const float*, float*, float*,
                                     float*);
template void imu_forward_cpu<double>(const ImuSpec&, int64_t, int64_t, const double*, const double*, double*,
                                      double*, double*);
template void sensor_poses_cpu<float>(const ImuSpec&, int64_t, int64_t, const float*, const float*, float*);
template void sensor_poses_cpu<double>(const ImuSpec&, int64_t, int64_t, const double*, const double*, double*);

}  // namespace imusim
