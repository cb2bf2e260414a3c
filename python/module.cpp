// imusim._C: the CPU (OpenMP) backend. Ops register themselves (python/registry.h).
#include "registry.h"

PYBIND11_MODULE(_C, m) {
  m.doc() = "imusim CPU kernels (torch-free, OpenMP)";
#ifdef IMUSIM_OPENMP
  m.attr("openmp") = true;
#else
  m.attr("openmp") = false;
#endif
  for (auto fn : imusim_py::registry(false)) fn(m);
}
