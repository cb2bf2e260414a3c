#include "bind_util.h"
#include "fk/fk.h"
#include "registry.h"

namespace imusim_py {

template <typename T>
void fwd(int64_t N, int J, uintptr_t parents, uintptr_t off, uintptr_t L, uintptr_t root, uintptr_t G, uintptr_t P) {
  imusim::fk_forward_cpu<T>(N, J, (const int32_t*)parents, (const T*)off, (const T*)L, (const T*)root, (T*)G, (T*)P);
}
template <typename T>
void bwd(int64_t N, int J, uintptr_t parents, uintptr_t off, uintptr_t L, uintptr_t G, uintptr_t gG, uintptr_t gP,
         uintptr_t gL, uintptr_t groot) {
  imusim::fk_backward_cpu<T>(N, J, (const int32_t*)parents, (const T*)off, (const T*)L, (const T*)G, (const T*)gG,
                             (const T*)gP, (T*)gL, (T*)groot);
}

void bind_fk(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def("fk_forward_f32", &fwd<float>, gil);
  m.def("fk_forward_f64", &fwd<double>, gil);
  m.def("fk_backward_f32", &bwd<float>, gil);
  m.def("fk_backward_f64", &bwd<double>, gil);
}
static Registrar reg("fk", &bind_fk);

}  // namespace imusim_py
