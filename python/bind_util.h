// Helpers for the pybind11 layer: tensors arrive from Python as (data_ptr, sizes, strides) tuples.
// Python has validated everything; nothing here checks shapes again.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>

#include "common/defs.h"

namespace imusim_py {
namespace py = pybind11;
using Dims3 = std::array<int64_t, 3>;

template <typename T>
imusim::View3<T> view3(uintptr_t ptr, const Dims3& size, const Dims3& stride) {
  return imusim::View3<T>{reinterpret_cast<T*>(ptr), size[0], size[1], size[2], stride[0], stride[1], stride[2]};
}

}  // namespace imusim_py
