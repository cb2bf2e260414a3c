// CUDA IMU synthesis: one thread per output frame (sequence b, frame t); the thread computes the
// sensor poses of frames t-1, t, t+1 (FK of the needed joints only, in registers/local memory) and
// writes acc, gyro and orientation. Recomputing neighbouring poses trades 3x FK arithmetic for no
// inter-thread communication; the kernel stays bound by reading the local rotations.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "imu/imu.h"
#include "imu/imu_impl.h"

namespace imusim {
namespace {
constexpr int MAX_S = 16;

template <typename T>
__global__ void imu_kernel(ImuSpec sp, int64_t B, int64_t T_, const T* L, const T* root, T* acc, T* gyro, T* ori) {
  const int64_t Tout = T_ - 2;
  const int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (i >= B * Tout) return;
  const int64_t b = i / Tout, o = i % Tout;
  const int J = sp.J, S = sp.S;
  T G[9 * IMU_MAX_J], P[3 * IMU_MAX_J], pose[3][12 * MAX_S];
  const T* off = static_cast<const T*>(sp.offsets);
  for (int k = 0; k < 3; ++k) {
    const int64_t t = o + k;
    frame_sensor_poses(sp.K, sp.needed, sp.parents, off, L + (b * T_ + t) * J * sp.rot_dim, root + (b * T_ + t) * 3,
                       S, sp.sjoint, static_cast<const T*>(sp.soff), static_cast<const T*>(sp.srot), G, P, pose[k],
                       sp.rot_dim);
  }
  const T g[3] = {T(sp.g[0]), T(sp.g[1]), T(sp.g[2])};
  frame_imu(S, pose[0], pose[1], pose[2], T(1.0 / (sp.dt * sp.dt)), T(0.5 / sp.dt), g, acc + i * S * 3,
            gyro + i * S * 3, ori ? ori + i * S * 9 : nullptr);
}

template <typename T>
__global__ void pose_kernel(ImuSpec sp, int64_t N, const T* L, const T* root, T* poses) {
  const int64_t n = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (n >= N) return;
  T G[9 * IMU_MAX_J], P[3 * IMU_MAX_J];
  frame_sensor_poses(sp.K, sp.needed, sp.parents, static_cast<const T*>(sp.offsets), L + n * sp.J * sp.rot_dim,
                     root + n * 3, sp.S, sp.sjoint, static_cast<const T*>(sp.soff), static_cast<const T*>(sp.srot), G,
                     P, poses + n * sp.S * 12, sp.rot_dim);
}

void check(const ImuSpec& sp) {
  if (sp.J > IMU_MAX_J) throw std::invalid_argument("imusim CUDA imu: at most 64 joints");
  if (sp.S > MAX_S) throw std::invalid_argument("imusim CUDA imu: at most 16 sensors");
}
void launched(const char* what) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("imusim CUDA ") + what + ": " + cudaGetErrorString(e));
}
}  // namespace

void imu_forward_cuda(int dtype, const ImuSpec& sp, int64_t B, int64_t T_, const void* L, const void* root, void* acc,
                      void* gyro, void* ori, void* stream) {
  check(sp);
  const int64_t n = B * (T_ - 2);
  if (n <= 0) return;
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((n + threads - 1) / threads);
  auto st = static_cast<cudaStream_t>(stream);
  if (dtype == 0)
    imu_kernel<float><<<blocks, threads, 0, st>>>(sp, B, T_, (const float*)L, (const float*)root, (float*)acc,
                                                  (float*)gyro, (float*)ori);
  else
    imu_kernel<double><<<blocks, threads, 0, st>>>(sp, B, T_, (const double*)L, (const double*)root, (double*)acc,
                                                   (double*)gyro, (double*)ori);
  launched("imu forward");
}

void sensor_poses_cuda(int dtype, const ImuSpec& sp, int64_t B, int64_t T_, const void* L, const void* root,
                       void* poses, void* stream) {
  check(sp);
  const int64_t n = B * T_;
  if (n <= 0) return;
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((n + threads - 1) / threads);
  auto st = static_cast<cudaStream_t>(stream);
  if (dtype == 0)
    pose_kernel<float><<<blocks, threads, 0, st>>>(sp, n, (const float*)L, (const float*)root, (float*)poses);
  else
    pose_kernel<double><<<blocks, threads, 0, st>>>(sp, n, (const double*)L, (const double*)root, (double*)poses);
  launched("sensor poses");
}

}  // namespace imusim
