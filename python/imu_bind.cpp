#include <vector>

#include "bind_util.h"
#include "imu/imu.h"
#include "registry.h"
#include "imu_spec.h"

namespace imusim_py {

void bind_imu(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "imu_forward",
      [](bool f64, int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
         uintptr_t soff, uintptr_t srot, double dt, double gx, double gy, double gz, int64_t B, int64_t T,
         uintptr_t L, uintptr_t root, uintptr_t acc, uintptr_t gyro, uintptr_t ori, int rot_dim) {
        auto sp = make_spec(J, K, S, parents, needed, sjoint, off, soff, srot, dt, gx, gy, gz, rot_dim);
        if (f64)
          imusim::imu_forward_cpu<double>(sp, B, T, (const double*)L, (const double*)root, (double*)acc,
                                          (double*)gyro, (double*)ori);
        else
          imusim::imu_forward_cpu<float>(sp, B, T, (const float*)L, (const float*)root, (float*)acc, (float*)gyro,
                                         (float*)ori);
      },
      gil);
  m.def(
      "imu_backward",
      [](bool f64, int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
         uintptr_t soff, uintptr_t srot, double dt, double gx, double gy, double gz, int64_t B, int64_t T,
         uintptr_t L, uintptr_t root, uintptr_t gacc, uintptr_t ggyro, uintptr_t gori, uintptr_t gL,
         uintptr_t groot, int rot_dim) {
        auto sp = make_spec(J, K, S, parents, needed, sjoint, off, soff, srot, dt, gx, gy, gz, rot_dim);
        if (f64)
          imusim::imu_backward_cpu<double>(sp, B, T, (const double*)L, (const double*)root, (const double*)gacc,
                                           (const double*)ggyro, (const double*)gori, (double*)gL, (double*)groot);
        else
          imusim::imu_backward_cpu<float>(sp, B, T, (const float*)L, (const float*)root, (const float*)gacc,
                                          (const float*)ggyro, (const float*)gori, (float*)gL, (float*)groot);
      },
      gil);
  m.def(
      "sensor_poses",
      [](bool f64, int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
         uintptr_t soff, uintptr_t srot, int64_t B, int64_t T, uintptr_t L, uintptr_t root, uintptr_t poses, int rot_dim) {
        auto sp = make_spec(J, K, S, parents, needed, sjoint, off, soff, srot, 1.0, 0, 0, 0, rot_dim);
        if (f64)
          imusim::sensor_poses_cpu<double>(sp, B, T, (const double*)L, (const double*)root, (double*)poses);
        else
          imusim::sensor_poses_cpu<float>(sp, B, T, (const float*)L, (const float*)root, (float*)poses);
      },
      gil);
}
static Registrar reg("imu", &bind_imu);

}  // namespace imusim_py
