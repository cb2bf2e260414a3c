// imusim._C_cuda: the CUDA backend. Ops register themselves (python/registry.h).
#include "registry.h"

PYBIND11_MODULE(_C_cuda, m) {
  m.doc() = "imusim CUDA kernels (torch-free)";
  for (auto fn : imusim_py::registry(true)) fn(m);
}
