// CUDA bindings of forward kinematics (device pointers; stream = cudaStream_t as int).
#include "bind_util.h"
#include "fk/fk.h"
#include "registry.h"

namespace imusim_py {

void bind_fk_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "fk_forward",
      [](const std::string& dtype, int64_t frames, int joints, uintptr_t parents, uintptr_t offsets,
         uintptr_t local_rot, uintptr_t root, uintptr_t G, uintptr_t P, uintptr_t stream) {
        imusim::fk_forward_cuda(int(dtype_of(dtype)), frames, joints, (const int32_t*)parents, (const void*)offsets,
                                (const void*)local_rot, (const void*)root, (void*)G, (void*)P, (void*)stream);
      },
      py::arg("dtype"), py::arg("frames"), py::arg("joints"), py::arg("parents"), py::arg("offsets"),
      py::arg("local_rot"), py::arg("root"), py::arg("G"), py::arg("P"), py::arg("stream"), gil);
  m.def(
      "fk_backward",
      [](const std::string& dtype, int64_t frames, int joints, uintptr_t parents, uintptr_t offsets,
         uintptr_t local_rot, uintptr_t G, uintptr_t grad_G, uintptr_t grad_P, uintptr_t grad_local_rot,
         uintptr_t grad_root, uintptr_t stream) {
        imusim::fk_backward_cuda(int(dtype_of(dtype)), frames, joints, (const int32_t*)parents, (const void*)offsets,
                                 (const void*)local_rot, (const void*)G, (const void*)grad_G, (const void*)grad_P,
                                 (void*)grad_local_rot, (void*)grad_root, (void*)stream);
      },
      py::arg("dtype"), py::arg("frames"), py::arg("joints"), py::arg("parents"), py::arg("offsets"),
      py::arg("local_rot"), py::arg("G"), py::arg("grad_G"), py::arg("grad_P"), py::arg("grad_local_rot"),
      py::arg("grad_root"), py::arg("stream"), gil);
}
static Registrar reg("fk", &bind_fk_cuda, true);

}  // namespace imusim_py
