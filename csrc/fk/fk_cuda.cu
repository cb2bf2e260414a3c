// CUDA forward kinematics: one thread per frame, the same per-frame bodies as the CPU (fk_impl.h).
// Skeleton arrays are small and read through the read-only cache. Backward scratch lives in local
// memory (J <= FK_MAX_J).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "fk/fk.h"
#include "fk/fk_impl.h"

namespace imusim {
namespace {
constexpr int FK_MAX_J = 64;

template <typename T>
__global__ void fk_fwd_kernel(int64_t N, int J, const int32_t* parents, const T* off, const T* L, const T* root, T* G,
                              T* P) {
  int64_t n = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (n >= N) return;
  fk_frame(J, parents, off, L + n * J * 9, root + n * 3, G + n * J * 9, P + n * J * 3);
}

template <typename T>
__global__ void fk_bwd_kernel(int64_t N, int J, const int32_t* parents, const T* off, const T* L, const T* G,
                              const T* gG, const T* gP, T* gL, T* groot) {
  int64_t n = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (n >= N) return;
  T aG[9 * FK_MAX_J], aP[3 * FK_MAX_J];
  T* gr = groot + n * 3;
  gr[0] = gr[1] = gr[2] = T(0);
  fk_frame_backward(J, parents, off, L + n * J * 9, G + n * J * 9, gG ? gG + n * J * 9 : nullptr,
                    gP ? gP + n * J * 3 : nullptr, gL + n * J * 9, gr, aG, aP);
}

void check(const char* what) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("imusim CUDA ") + what + ": " + cudaGetErrorString(e));
}
}  // namespace

void fk_forward_cuda(int dtype, int64_t N, int J, const int32_t* parents, const void* off, const void* L,
                     const void* root, void* G, void* P, void* stream) {
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((N + threads - 1) / threads);
  auto st = static_cast<cudaStream_t>(stream);
  if (N == 0) return;
  if (dtype == 0)
    fk_fwd_kernel<float><<<blocks, threads, 0, st>>>(N, J, parents, (const float*)off, (const float*)L,
                                                     (const float*)root, (float*)G, (float*)P);
  else
    fk_fwd_kernel<double><<<blocks, threads, 0, st>>>(N, J, parents, (const double*)off, (const double*)L,
                                                      (const double*)root, (double*)G, (double*)P);
  check("fk forward");
}

void fk_backward_cuda(int dtype, int64_t N, int J, const int32_t* parents, const void* off, const void* L,
                      const void* G, const void* gG, const void* gP, void* gL, void* groot, void* stream) {
  if (J > FK_MAX_J) throw std::invalid_argument("fk_backward_cuda: at most 64 joints");
  const int threads = 128;
  const unsigned blocks = static_cast<unsigned>((N + threads - 1) / threads);
  auto st = static_cast<cudaStream_t>(stream);
  if (N == 0) return;
  if (dtype == 0)
    fk_bwd_kernel<float><<<blocks, threads, 0, st>>>(N, J, parents, (const float*)off, (const float*)L, (const float*)G,
                                                     (const float*)gG, (const float*)gP, (float*)gL, (float*)groot);
  else
    fk_bwd_kernel<double><<<blocks, threads, 0, st>>>(N, J, parents, (const double*)off, (const double*)L,
                                                      (const double*)G, (const double*)gG, (const double*)gP,
                                                      (double*)gL, (double*)groot);
  check("fk backward");
}

}  // namespace imusim
