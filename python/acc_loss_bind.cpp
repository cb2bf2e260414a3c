#include "acc_loss/acc_loss.h"
#include "bind_util.h"
#include "registry.h"

namespace imusim_py {

void bind_acc_loss(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "acc_loss_forward",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t out) {
        const auto* m8 = reinterpret_cast<const uint8_t*>(mask);
        auto* o = reinterpret_cast<double*>(out);
        if (dtype_of(dtype) == DType::f64)
          imusim::acc_loss_forward_cpu<double>(view3<const double>(pred, size, pred_strides),
                                               view3<const double>(target, size, target_strides), m8, o);
        else
          imusim::acc_loss_forward_cpu<float>(view3<const float>(pred, size, pred_strides),
                                              view3<const float>(target, size, target_strides), m8, o);
      },
      "Per-sample sums of w r^2 (float64 [B]) of pred/target [B, T, F] views (mask uint8 [B, T] or 0).",
      py::arg("dtype"), py::arg("pred"), py::arg("size"), py::arg("pred_strides"), py::arg("target"),
      py::arg("target_strides"), py::arg("mask"), py::arg("out"), gil);
  m.def(
      "acc_loss_backward",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t coef, uintptr_t grad_pred, Dims3 grad_pred_strides,
         uintptr_t grad_target, Dims3 grad_target_strides) {
        const auto* m8 = reinterpret_cast<const uint8_t*>(mask);
        const auto* c = reinterpret_cast<const double*>(coef);
        if (dtype_of(dtype) == DType::f64)
          imusim::acc_loss_backward_cpu<double>(
              view3<const double>(pred, size, pred_strides), view3<const double>(target, size, target_strides), m8,
              c, view3<double>(grad_pred, size, grad_pred_strides), view3<double>(grad_target, size, grad_target_strides));
        else
          imusim::acc_loss_backward_cpu<float>(
              view3<const float>(pred, size, pred_strides), view3<const float>(target, size, target_strides), m8, c,
              view3<float>(grad_pred, size, grad_pred_strides), view3<float>(grad_target, size, grad_target_strides));
      },
      "coef[b] D^T W D (pred - target) into grad_pred (and its negative into grad_target unless 0).",
      py::arg("dtype"), py::arg("pred"), py::arg("size"), py::arg("pred_strides"), py::arg("target"),
      py::arg("target_strides"), py::arg("mask"), py::arg("coef"), py::arg("grad_pred"), py::arg("grad_pred_strides"),
      py::arg("grad_target"), py::arg("grad_target_strides"), gil);
  m.def(
      "acc_loss_fused",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t coef, uintptr_t out, uintptr_t grad_pred,
         Dims3 grad_pred_strides, uintptr_t grad_target, Dims3 grad_target_strides) {
        const auto* m8 = reinterpret_cast<const uint8_t*>(mask);
        const auto* c = reinterpret_cast<const double*>(coef);
        auto* o = reinterpret_cast<double*>(out);
        if (dtype_of(dtype) == DType::f64)
          imusim::acc_loss_fused_cpu<double>(
              view3<const double>(pred, size, pred_strides), view3<const double>(target, size, target_strides), m8,
              c, o, view3<double>(grad_pred, size, grad_pred_strides), view3<double>(grad_target, size, grad_target_strides));
        else
          imusim::acc_loss_fused_cpu<float>(
              view3<const float>(pred, size, pred_strides), view3<const float>(target, size, target_strides), m8, c, o,
              view3<float>(grad_pred, size, grad_pred_strides), view3<float>(grad_target, size, grad_target_strides));
      },
      "Forward sums and gradients in one pass.", py::arg("dtype"), py::arg("pred"), py::arg("size"),
      py::arg("pred_strides"), py::arg("target"), py::arg("target_strides"), py::arg("mask"), py::arg("coef"),
      py::arg("out"), py::arg("grad_pred"), py::arg("grad_pred_strides"), py::arg("grad_target"),
      py::arg("grad_target_strides"), gil);
}

static Registrar reg("acc_loss", &bind_acc_loss);

}  // namespace imusim_py
