// CUDA bindings of acc_loss. Pointers are device pointers; `stream` is a cudaStream_t as int.
#include "acc_loss/acc_loss.h"
#include "bind_util.h"
#include "registry.h"

namespace imusim_py {

void bind_acc_loss_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "acc_loss_forward",
      [](int dtype, uintptr_t p, Dims3 size, Dims3 ps, uintptr_t q, Dims3 qs, uintptr_t mask, uintptr_t out,
         uintptr_t stream) {
        imusim::acc_loss_forward_cuda(dtype, view3<const void>(p, size, ps), view3<const void>(q, size, qs),
                                      reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<double*>(out),
                                      reinterpret_cast<void*>(stream));
      },
      gil);
  m.def(
      "acc_loss_backward",
      [](int dtype, uintptr_t p, Dims3 size, Dims3 ps, uintptr_t q, Dims3 qs, uintptr_t mask, uintptr_t coef,
         uintptr_t gp, Dims3 gps, uintptr_t gq, Dims3 gqs, uintptr_t stream) {
        imusim::acc_loss_backward_cuda(dtype, view3<const void>(p, size, ps), view3<const void>(q, size, qs),
                                       reinterpret_cast<const uint8_t*>(mask),
                                       reinterpret_cast<const double*>(coef), view3<void>(gp, size, gps),
                                       view3<void>(gq, size, gqs), reinterpret_cast<void*>(stream));
      },
      gil);
}

static Registrar reg("acc_loss", &bind_acc_loss_cuda, true);

}  // namespace imusim_py

