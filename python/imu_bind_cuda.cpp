// CUDA bindings of the IMU synthesis (device pointers; stream = cudaStream_t as int).
#include "bind_util.h"
#include "imu/imu.h"
#include "imu_spec.h"
#include "registry.h"

namespace imusim_py {

void bind_imu_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "imu_forward",
      [](const std::string& dtype, IMUSIM_SPEC_PARAMS, int64_t batch, int64_t frames, uintptr_t local_rot,
         uintptr_t root, uintptr_t acc, uintptr_t gyro, uintptr_t ori, uintptr_t stream) {
        imusim::imu_forward_cuda(int(dtype_of(dtype)), IMUSIM_SPEC, batch, frames, (const void*)local_rot,
                                 (const void*)root, (void*)acc, (void*)gyro, (void*)ori, (void*)stream);
      },
      py::arg("dtype"), IMUSIM_SPEC_ARGS, py::arg("batch"), py::arg("frames"), py::arg("local_rot"), py::arg("root"),
      py::arg("acc"), py::arg("gyro"), py::arg("ori"), py::arg("stream"), gil);
  m.def(
      "sensor_poses",
      [](const std::string& dtype, IMUSIM_SPEC_PARAMS, int64_t batch, int64_t frames, uintptr_t local_rot,
         uintptr_t root, uintptr_t poses, uintptr_t stream) {
        imusim::sensor_poses_cuda(int(dtype_of(dtype)), IMUSIM_SPEC, batch, frames, (const void*)local_rot,
                                  (const void*)root, (void*)poses, (void*)stream);
      },
      py::arg("dtype"), IMUSIM_SPEC_ARGS, py::arg("batch"), py::arg("frames"), py::arg("local_rot"), py::arg("root"),
      py::arg("poses"), py::arg("stream"), gil);
}
static Registrar reg("imu", &bind_imu_cuda, true);

}  // namespace imusim_py
