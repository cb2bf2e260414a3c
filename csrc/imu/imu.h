// Fused virtual-IMU synthesis: FK (only the joints on the sensors' chains) -> sensor pose ->
// second differences -> rotation into the sensor frame; gyro from successive orientations.
//
// Per sequence b and frame t (T frames at interval dt):
//   R_ws[t] = G[j_s] R_js,   p_s[t] = P[j_s] + G[j_s] o_s
//   acc[t-1]  = R_ws[t]^T ((p_s[t+1] - 2 p_s[t] + p_s[t-1]) / dt^2 - g)          t = 1..T-2
//   gyro[t-1] = (log(R_ws[t-1]^T R_ws[t]) + log(R_ws[t]^T R_ws[t+1])) / (2 dt)    (sensor frame)
//   ori[t-1]  = R_ws[t]
// Layouts (contiguous): L [B,T,J,3,3] (or [B,T,J,3] axis-angle when rot_dim == 3), root [B,T,3], acc/gyro [B,T-2,S,3], ori [B,T-2,S,3,3] (nullable),
// poses (pose-only entry point) [B,T,S,12] = (R_ws row-major 9, p_s 3).
#pragma once
#include <cstdint>

namespace imusim {

struct ImuSpec {
  int J, K, S;              // joints, joints needed (topological), sensors
  const int32_t* parents;   // [J]
  const int32_t* needed;    // [K] joint indices, parents before children
  const int32_t* sjoint;    // [S]
  const void* offsets;      // [J,3]   (scalar type of the kernel)
  const void* soff;         // [S,3]
  const void* srot;         // [S,9]   R_js row-major
  double dt;
  double g[3];
  int rot_dim = 9;          // 9: L holds 3x3 matrices; 3: L holds axis-angle vectors (Rodrigues in-kernel)
};

template <typename T>
void imu_forward_cpu(const ImuSpec& spec, int64_t B, int64_t T_, const T* L, const T* root, T* acc, T* gyro, T* ori);
// Fused backward (the caller passes the sensors' sub-tree so J == K): gL [B,T,J,3,3] (rot_dim 9) or
// [B,T,J,3] (rot_dim 3: Rodrigues' Jacobian in-kernel), groot [B,T,3] from gacc/ggyro [B,T-2,S,3] and gori [B,T-2,S,3,3] (nullable).
template <typename T>
void imu_backward_cpu(const ImuSpec& spec, int64_t B, int64_t T_, const T* L, const T* root, const T* gacc,
                      const T* ggyro, const T* gori, T* gL, T* groot);
template <typename T>
void sensor_poses_cpu(const ImuSpec& spec, int64_t B, int64_t T_, const T* L, const T* root, T* poses);

void imu_forward_cuda(int dtype, const ImuSpec& spec, int64_t B, int64_t T_, const void* L, const void* root, void* acc,
                      void* gyro, void* ori, void* stream);
void sensor_poses_cuda(int dtype, const ImuSpec& spec, int64_t B, int64_t T_, const void* L, const void* root,
                       void* poses, void* stream);

}  // namespace imusim
