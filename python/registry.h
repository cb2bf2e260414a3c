// Self-registration of op bindings: each *_bind.cpp (or *_bind_cuda.cpp) defines
//   static imusim_py::Registrar reg("name", &bind_fn);            // CPU module _C
//   static imusim_py::Registrar reg("name", &bind_fn, true);      // CUDA module _C_cuda
// so adding an op never edits module.cpp or CMakeLists.txt (sources are globbed).
#pragma once
#include <pybind11/pybind11.h>

#include <vector>

namespace imusim_py {
using BindFn = void (*)(pybind11::module_&);

inline std::vector<BindFn>& registry(bool cuda) {
  static std::vector<BindFn> cpu, gpu;
  return cuda ? gpu : cpu;
}

struct Registrar {
  Registrar(const char* /*name*/, BindFn fn, bool cuda = false) { registry(cuda).push_back(fn); }
};
}  // namespace imusim_py
