#include "bind_util.h"
#include "fk/fk.h"
#include "registry.h"

namespace imusim_py {

void bind_fk(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "fk_forward",
      [](const std::string& dtype, int64_t frames, int joints, uintptr_t parents, uintptr_t offsets,
         uintptr_t local_rot, uintptr_t root, uintptr_t G, uintptr_t P) {
        const auto* par = reinterpret_cast<const int32_t*>(parents);
        if (dtype_of(dtype) == DType::f64)
          imusim::fk_forward_cpu<double>(frames, joints, par, (const double*)offsets, (const double*)local_rot,
                                         (const double*)root, (double*)G, (double*)P);
        else
          imusim::fk_forward_cpu<float>(frames, joints, par, (const float*)offsets, (const float*)local_rot,
                                        (const float*)root, (float*)G, (float*)P);
      },
      "Global rotations G [N, J, 3, 3] and positions P [N, J, 3] of N frames (contiguous).", py::arg("dtype"),
      py::arg("frames"), py::arg("joints"), py::arg("parents"), py::arg("offsets"), py::arg("local_rot"),
      py::arg("root"), py::arg("G"), py::arg("P"), gil);
  m.def(
      "fk_backward",
      [](const std::string& dtype, int64_t frames, int joints, uintptr_t parents, uintptr_t offsets,
         uintptr_t local_rot, uintptr_t G, uintptr_t grad_G, uintptr_t grad_P, uintptr_t grad_local_rot,
         uintptr_t grad_root) {
        const auto* par = reinterpret_cast<const int32_t*>(parents);
        if (dtype_of(dtype) == DType::f64)
          imusim::fk_backward_cpu<double>(frames, joints, par, (const double*)offsets, (const double*)local_rot,
                                          (const double*)G, (const double*)grad_G, (const double*)grad_P,
                                          (double*)grad_local_rot, (double*)grad_root);
        else
          imusim::fk_backward_cpu<float>(frames, joints, par, (const float*)offsets, (const float*)local_rot,
                                         (const float*)G, (const float*)grad_G, (const float*)grad_P,
                                         (float*)grad_local_rot, (float*)grad_root);
      },
      "Gradients of the local rotations and the root from those of G and P (0: none).", py::arg("dtype"),
      py::arg("frames"), py::arg("joints"), py::arg("parents"), py::arg("offsets"), py::arg("local_rot"),
      py::arg("G"), py::arg("grad_G"), py::arg("grad_P"), py::arg("grad_local_rot"), py::arg("grad_root"), gil);
}
static Registrar reg("fk", &bind_fk);

}  // namespace imusim_py
