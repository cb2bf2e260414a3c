// Shared definitions for the torch-free imusim core (CPU and CUDA).
// Tensors cross the boundary as raw pointers + sizes + strides (in elements).
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define IMUSIM_HD __host__ __device__ __forceinline__
#else
#define IMUSIM_HD inline
#endif

namespace imusim {

// A strided [B, T, F] view: batch, time, (flattened) feature.
template <typename T>
struct View3 {
  T* data;
  int64_t B, T_, F;
  int64_t sb, st, sf;  // strides in elements
  IMUSIM_HD int64_t off(int64_t b, int64_t t, int64_t f) const { return b * sb + t * st + f * sf; }
};

}  // namespace imusim
