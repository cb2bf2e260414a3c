// Helpers for the pybind11 layer: tensors arrive from Python as (data_ptr, sizes, strides) tuples.
// Python has validated everything; nothing here checks shapes again.
//
// Conventions of every binding: arguments are named (py::arg, so Python may pass them by keyword and
// errors name them); the scalar type is the first argument, `dtype`, a string as torch spells it
// ("float32", "float64"; the CUDA L_acc kernels also take "float16" and "bfloat16"); pointers are
// integers (data_ptr(), 0 for an absent optional array); CUDA entry points take the stream last.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <string>

#include "common/defs.h"

namespace imusim_py {
namespace py = pybind11;
using Dims3 = std::array<int64_t, 3>;

enum class DType : int { f32 = 0, f64 = 1, f16 = 2, bf16 = 3 };  // codes of the CUDA kernels' `int dtype`

inline DType dtype_of(const std::string& s, bool half_ok = false) {
  if (s == "float32") return DType::f32;
  if (s == "float64") return DType::f64;
  if (half_ok && s == "float16") return DType::f16;
  if (half_ok && s == "bfloat16") return DType::bf16;
  throw py::value_error("dtype must be one of 'float32', 'float64'" +
                        std::string(half_ok ? ", 'float16', 'bfloat16'" : "") + ", got '" + s + "'");
}

template <typename T>
imusim::View3<T> view3(uintptr_t ptr, const Dims3& size, const Dims3& stride) {
  return imusim::View3<T>{reinterpret_cast<T*>(ptr), size[0], size[1], size[2], stride[0], stride[1], stride[2]};
}

}  // namespace imusim_py
