// CUDA bindings of forward kinematics (device pointers; stream = cudaStream_t as int).
#include "bind_util.h"
#include "fk/fk.h"
#include "registry.h"

namespace imusim_py {

void bind_fk_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "fk_forward",
      [](int dtype, int64_t N, int J, uintptr_t parents, uintptr_t off, uintptr_t L, uintptr_t root, uintptr_t G,
         uintptr_t P, uintptr_t stream) {
        imusim::fk_forward_cuda(dtype, N, J, (const int32_t*)parents, (const void*)off, (const void*)L,
                                (const void*)root, (void*)G, (void*)P, (void*)stream);
      },
      gil);
  m.def(
      "fk_backward",
      [](int dtype, int64_t N, int J, uintptr_t parents, uintptr_t off, uintptr_t L, uintptr_t G, uintptr_t gG,
         uintptr_t gP, uintptr_t gL, uintptr_t groot, uintptr_t stream) {
        imusim::fk_backward_cuda(dtype, N, J, (const int32_t*)parents, (const void*)off, (const void*)L,
                                 (const void*)G, (const void*)gG, (const void*)gP, (void*)gL, (void*)groot,
                                 (void*)stream);
      },
      gil);
}
static Registrar reg("fk", &bind_fk_cuda, true);

}  // namespace imusim_py
