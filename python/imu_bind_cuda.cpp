// CUDA bindings of the IMU synthesis (device pointers; stream = cudaStream_t as int).
#include "bind_util.h"
#include "imu/imu.h"
#include "registry.h"
#include "imu_spec.h"

namespace imusim_py {

void bind_imu_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "imu_forward",
      [](bool f64, int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
         uintptr_t soff, uintptr_t srot, double dt, double gx, double gy, double gz, int64_t B, int64_t T,
         uintptr_t L, uintptr_t root, uintptr_t acc, uintptr_t gyro, uintptr_t ori, int rot_dim, uintptr_t stream) {
        auto sp = make_spec(J, K, S, parents, needed, sjoint, off, soff, srot, dt, gx, gy, gz, rot_dim);
        imusim::imu_forward_cuda(f64 ? 1 : 0, sp, B, T, (const void*)L, (const void*)root, (void*)acc, (void*)gyro,
                                 (void*)ori, (void*)stream);
      },
      gil);
  m.def(
      "sensor_poses",
      [](bool f64, int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
         uintptr_t soff, uintptr_t srot, int64_t B, int64_t T, uintptr_t L, uintptr_t root, uintptr_t poses, int rot_dim,
         uintptr_t stream) {
        auto sp = make_spec(J, K, S, parents, needed, sjoint, off, soff, srot, 1.0, 0, 0, 0, rot_dim);
        imusim::sensor_poses_cuda(f64 ? 1 : 0, sp, B, T, (const void*)L, (const void*)root, (void*)poses,
                                  (void*)stream);
      },
      gil);
}
static Registrar reg("imu", &bind_imu_cuda, true);

}  // namespace imusim_py
