#include "bind_util.h"
#include "imu/imu.h"
#include "imu_spec.h"
#include "registry.h"

namespace imusim_py {

void bind_imu(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "imu_forward",
      [](const std::string& dtype, IMUSIM_SPEC_PARAMS, int64_t batch, int64_t frames, uintptr_t local_rot,
         uintptr_t root, uintptr_t acc, uintptr_t gyro, uintptr_t ori) {
        const auto sp = IMUSIM_SPEC;
        if (dtype_of(dtype) == DType::f64)
          imusim::imu_forward_cpu<double>(sp, batch, frames, (const double*)local_rot, (const double*)root,
                                          (double*)acc, (double*)gyro, (double*)ori);
        else
          imusim::imu_forward_cpu<float>(sp, batch, frames, (const float*)local_rot, (const float*)root, (float*)acc,
                                         (float*)gyro, (float*)ori);
      },
      "acc, gyro [B, T-2, S, 3] and ori [B, T-2, S, 3, 3] (0: not written) of local_rot [B, T, J, rot_dim].",
      py::arg("dtype"), IMUSIM_SPEC_ARGS, py::arg("batch"), py::arg("frames"), py::arg("local_rot"), py::arg("root"),
      py::arg("acc"), py::arg("gyro"), py::arg("ori"), gil);
  m.def(
      "imu_backward",
      [](const std::string& dtype, IMUSIM_SPEC_PARAMS, int64_t batch, int64_t frames, uintptr_t local_rot,
         uintptr_t root, uintptr_t grad_acc, uintptr_t grad_gyro, uintptr_t grad_ori, uintptr_t grad_local_rot,
         uintptr_t grad_root) {
        const auto sp = IMUSIM_SPEC;
        if (dtype_of(dtype) == DType::f64)
          imusim::imu_backward_cpu<double>(sp, batch, frames, (const double*)local_rot, (const double*)root,
                                           (const double*)grad_acc, (const double*)grad_gyro, (const double*)grad_ori,
                                           (double*)grad_local_rot, (double*)grad_root);
        else
          imusim::imu_backward_cpu<float>(sp, batch, frames, (const float*)local_rot, (const float*)root,
                                          (const float*)grad_acc, (const float*)grad_gyro, (const float*)grad_ori,
                                          (float*)grad_local_rot, (float*)grad_root);
      },
      "Fused backward on the sensors' sub-tree (joints == n_needed); grad_ori may be 0.", py::arg("dtype"),
      IMUSIM_SPEC_ARGS, py::arg("batch"), py::arg("frames"), py::arg("local_rot"), py::arg("root"), py::arg("grad_acc"),
      py::arg("grad_gyro"), py::arg("grad_ori"), py::arg("grad_local_rot"), py::arg("grad_root"), gil);
  m.def(
      "sensor_poses",
      [](const std::string& dtype, IMUSIM_SPEC_PARAMS, int64_t batch, int64_t frames, uintptr_t local_rot,
         uintptr_t root, uintptr_t poses) {
        const auto sp = IMUSIM_SPEC;
        if (dtype_of(dtype) == DType::f64)
          imusim::sensor_poses_cpu<double>(sp, batch, frames, (const double*)local_rot, (const double*)root,
                                           (double*)poses);
        else
          imusim::sensor_poses_cpu<float>(sp, batch, frames, (const float*)local_rot, (const float*)root,
                                          (float*)poses);
      },
      "Sensor poses [B, T, S, 12] (R_ws row-major, p_s); dt and g are unused.", py::arg("dtype"), IMUSIM_SPEC_ARGS,
      py::arg("batch"), py::arg("frames"), py::arg("local_rot"), py::arg("root"), py::arg("poses"), gil);
}
static Registrar reg("imu", &bind_imu);

}  // namespace imusim_py
