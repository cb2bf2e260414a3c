// CUDA bindings of acc_loss. Pointers are device pointers; `stream` is a cudaStream_t as int.
#include "acc_loss/acc_loss.h"
#include "bind_util.h"
#include "registry.h"

namespace imusim_py {

void bind_acc_loss_cuda(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.def(
      "acc_loss_forward",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t out, uintptr_t stream) {
        imusim::acc_loss_forward_cuda(int(dtype_of(dtype, true)), view3<const void>(pred, size, pred_strides),
                                      view3<const void>(target, size, target_strides),
                                      reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<double*>(out),
                                      reinterpret_cast<void*>(stream));
      },
      py::arg("dtype"), py::arg("pred"), py::arg("size"), py::arg("pred_strides"), py::arg("target"),
      py::arg("target_strides"), py::arg("mask"), py::arg("out"), py::arg("stream"), gil);
  m.def(
      "acc_loss_backward",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t coef, uintptr_t grad_pred, Dims3 grad_pred_strides,
         uintptr_t grad_target, Dims3 grad_target_strides, uintptr_t stream) {
        imusim::acc_loss_backward_cuda(int(dtype_of(dtype, true)), view3<const void>(pred, size, pred_strides),
                                       view3<const void>(target, size, target_strides),
                                       reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<const double*>(coef),
                                       view3<void>(grad_pred, size, grad_pred_strides),
                                       view3<void>(grad_target, size, grad_target_strides),
                                       reinterpret_cast<void*>(stream));
      },
      py::arg("dtype"), py::arg("pred"), py::arg("size"), py::arg("pred_strides"), py::arg("target"),
      py::arg("target_strides"), py::arg("mask"), py::arg("coef"), py::arg("grad_pred"), py::arg("grad_pred_strides"),
      py::arg("grad_target"), py::arg("grad_target_strides"), py::arg("stream"), gil);
  m.def(
      "acc_loss_fused",
      [](const std::string& dtype, uintptr_t pred, Dims3 size, Dims3 pred_strides, uintptr_t target,
         Dims3 target_strides, uintptr_t mask, uintptr_t coef, uintptr_t out, uintptr_t grad_pred,
         Dims3 grad_pred_strides, uintptr_t grad_target, Dims3 grad_target_strides, uintptr_t stream) {
        imusim::acc_loss_fused_cuda(int(dtype_of(dtype, true)), view3<const void>(pred, size, pred_strides),
                                    view3<const void>(target, size, target_strides),
                                    reinterpret_cast<const uint8_t*>(mask), reinterpret_cast<const double*>(coef),
                                    reinterpret_cast<double*>(out), view3<void>(grad_pred, size, grad_pred_strides),
                                    view3<void>(grad_target, size, grad_target_strides),
                                    reinterpret_cast<void*>(stream));
      },
      "Forward sums (into zeroed out) and gradients in one pass.", py::arg("dtype"), py::arg("pred"), py::arg("size"),
      py::arg("pred_strides"), py::arg("target"), py::arg("target_strides"), py::arg("mask"), py::arg("coef"),
      py::arg("out"), py::arg("grad_pred"), py::arg("grad_pred_strides"), py::arg("grad_target"),
      py::arg("grad_target_strides"), py::arg("stream"), gil);
}

static Registrar reg("acc_loss", &bind_acc_loss_cuda, true);

}  // namespace imusim_py
