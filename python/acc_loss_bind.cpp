#include "acc_loss/acc_loss.h"
#include "bind_util.h"
#include "registry.h"

namespace imusim_py {

template <typename S>
void fwd(uintptr_t p, Dims3 size, Dims3 ps, uintptr_t q, Dims3 qs, uintptr_t mask, uintptr_t out) {
  imusim::acc_loss_forward_cpu<S>(view3<const S>(p, size, ps), view3<const S>(q, size, qs),
                                  reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<double*>(out));
}

template <typename S>
void bwd(uintptr_t p, Dims3 size, Dims3 ps, uintptr_t q, Dims3 qs, uintptr_t mask, uintptr_t coef, uintptr_t gp,
         Dims3 gps, uintptr_t gq, Dims3 gqs) {
  imusim::acc_loss_backward_cpu<S>(view3<const S>(p, size, ps), view3<const S>(q, size, qs),
                                   reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<const double*>(coef),
                                   view3<S>(gp, size, gps), view3<S>(gq, size, gqs));
}

template <typename S>
void fused(uintptr_t p, Dims3 size, Dims3 ps, uintptr_t q, Dims3 qs, uintptr_t mask, uintptr_t coef, uintptr_t out,
           uintptr_t gp, Dims3 gps, uintptr_t gq, Dims3 gqs) {
  imusim::acc_loss_fused_cpu<S>(view3<const S>(p, size, ps), view3<const S>(q, size, qs),
                                reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<const double*>(coef),
                                reinterpret_cast<double*>(out), view3<S>(gp, size, gps), view3<S>(gq, size, gqs));
}

void bind_acc_loss(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def("acc_loss_forward_f32", &fwd<float>, gil);
  m.def("acc_loss_forward_f64", &fwd<double>, gil);
  m.def("acc_loss_backward_f32", &bwd<float>, gil);
  m.def("acc_loss_backward_f64", &bwd<double>, gil);
  m.def("acc_loss_fused_f32", &fused<float>, gil);
  m.def("acc_loss_fused_f64", &fused<double>, gil);
}

static Registrar reg("acc_loss", &bind_acc_loss);

}  // namespace imusim_py
