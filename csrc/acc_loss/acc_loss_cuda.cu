// CUDA kernels for the fused acceleration loss. Same contract as acc_loss_cpu.cpp (see acc_loss.h).
//
// One thread per output element. The linear index is decomposed so that consecutive threads walk the
// dimension (time or feature) with the smaller stride, keeping global loads coalesced for both the
// [B, T, J, 3] and MDM's [B, F, 1, T] layouts. Neighbouring frames are re-read through L1/L2, so DRAM
// traffic stays at one read of pred and target (plus one write of the gradient in the backward).
// Forward: block-reduce w r^2, one double atomicAdd per block into out[b].
// Fused (eager autograd, coef known in the forward): the backward kernel that also block-reduces w r^2 of its own
// frame into out[b], so forward + backward read pred and target once and write the gradient once (3N traffic, the
// two-kernel path moves 5N). The per-sample index is decomposed in 32 bits when T*F fits (64-bit division is a long
// software sequence on the GPU), in 64 bits otherwise.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "acc_loss/acc_loss.h"

namespace imusim {
namespace {

template <typename S>
struct Acc {
  using type = float;
};
template <>
struct Acc<double> {
  using type = double;
};

template <typename S>
__device__ __forceinline__ typename Acc<S>::type ld(const S* p) {
  return static_cast<typename Acc<S>::type>(*p);
}
template <>
__device__ __forceinline__ float ld<__half>(const __half* p) {
  return __half2float(*p);
}
template <>
__device__ __forceinline__ float ld<__nv_bfloat16>(const __nv_bfloat16* p) {
  return __bfloat162float(*p);
}
template <typename S, typename A>
__device__ __forceinline__ S cvt(A v) {
  return static_cast<S>(v);
}
template <>
__device__ __forceinline__ __half cvt<__half, float>(float v) {
  return __float2half(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 cvt<__nv_bfloat16, float>(float v) {
  return __float2bfloat16(v);
}

struct Geo {
  int64_t T, F, n_inner, n_outer;  // per sample: n_inner * n_outer = T * F
  bool time_fast;
};

__device__ __forceinline__ bool valid(const uint8_t* m, int64_t t) {
  return m == nullptr || (m[t - 1] && m[t] && m[t + 1]);
}

template <typename S>
__device__ __forceinline__ typename Acc<S>::type resid(const View3<const S>& p, const View3<const S>& q, int64_t b,
                                                         int64_t t, int64_t f) {
  using A = typename Acc<S>::type;
  const S* pp = p.data + p.off(b, t, f);
  const S* qq = q.data + q.off(b, t, f);
  A e0 = ld(pp - p.st) - ld(qq - q.st);
  A e1 = ld(pp) - ld(qq);
  A e2 = ld(pp + p.st) - ld(qq + q.st);
  return e2 - A(2) * e1 + e0;
}

template <typename A>
__device__ __forceinline__ A block_sum(A v) {
  __shared__ A warp_sums[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) warp_sums[wid] = v;
  __syncthreads();
  if (wid == 0) {
    v = (lane < (blockDim.x + 31) / 32) ? warp_sums[lane] : A(0);
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  }
  return v;
}

// grid: (ceil(T*F / block), B)
template <typename S, typename I>
__global__ void fwd_kernel(View3<const S> p, View3<const S> q, const uint8_t* mask, double* out, Geo g) {
  using A = typename Acc<S>::type;
  const int64_t b = blockIdx.y;
  const uint8_t* m = mask ? mask + b * g.T : nullptr;
  const I n = static_cast<I>(g.T * g.F), n_inner = static_cast<I>(g.n_inner);
  const I T = static_cast<I>(g.T);
  A s = 0;
  for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
    const I inner = i % n_inner, outer = i / n_inner;
    const I t = g.time_fast ? inner : outer;
    const I f = g.time_fast ? outer : inner;
    if (t >= 1 && t <= T - 2 && valid(m, t)) {
      A r = resid(p, q, b, t, f);
      s += r * r;
    }
  }
  s = block_sum(s);
  if (threadIdx.x == 0) atomicAdd(out + b, static_cast<double>(s));
}

// Backward (and, with SUM, the fused forward + backward). I: the integer type of the per-sample index.
template <typename S, typename I, bool SUM>
__global__ void bwd_kernel(View3<const S> p, View3<const S> q, const uint8_t* mask, const double* coef,
                           View3<S> gp, View3<S> gq, double* out, Geo g) {
  using A = typename Acc<S>::type;
  const int64_t b = blockIdx.y;
  const uint8_t* m = mask ? mask + b * g.T : nullptr;
  const A c = static_cast<A>(coef[b]);
  const I n = static_cast<I>(g.T * g.F), n_inner = static_cast<I>(g.n_inner);
  const I T = static_cast<I>(g.T);
  A s = 0;
  for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
    const I inner = i % n_inner, outer = i / n_inner;
    const I t = g.time_fast ? inner : outer;
    const I f = g.time_fast ? outer : inner;
    A acc = 0;
    if (t - 1 >= 1 && t - 1 <= T - 2 && valid(m, t - 1)) acc += resid(p, q, b, t - 1, f);
    if (t >= 1 && t <= T - 2 && valid(m, t)) {
      const A r = resid(p, q, b, t, f);
      acc -= A(2) * r;
      if (SUM) s += r * r;
    }
    if (t + 1 >= 1 && t + 1 <= T - 2 && valid(m, t + 1)) acc += resid(p, q, b, t + 1, f);
    const A v = c * acc;
    gp.data[gp.off(b, t, f)] = cvt<S>(v);
    if (gq.data) gq.data[gq.off(b, t, f)] = cvt<S>(-v);
  }
  if (SUM) {
    s = block_sum(s);
    if (threadIdx.x == 0) atomicAdd(out + b, static_cast<double>(s));
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("imusim CUDA ") + what + ": " + cudaGetErrorString(e));
}

template <typename S, typename V>
View3<S> cast_view(const V& v) {
  return View3<S>{reinterpret_cast<S*>(const_cast<void*>(static_cast<const void*>(v.data))), v.B, v.T_, v.F, v.sb, v.st, v.sf};
}

Geo geometry(const View3<const void>& p) {
  Geo g;
  g.T = p.T_;
  g.F = p.F;
  g.time_fast = p.F > 1 && (p.st < 0 ? -p.st : p.st) < (p.sf < 0 ? -p.sf : p.sf);
  g.n_inner = g.time_fast ? g.T : g.F;
  g.n_outer = g.time_fast ? g.F : g.T;
  return g;
}

dim3 grid_for(const Geo& g, int64_t B, int threads) {
  int64_t n = g.T * g.F;
  int64_t bx = (n + threads - 1) / threads;
  if (bx > 65535) bx = 65535;
  return dim3(static_cast<unsigned>(bx), static_cast<unsigned>(B));
}

template <typename S>
void launch_fwd(View3<const void> p, View3<const void> q, const uint8_t* mask, double* out, cudaStream_t st) {
  Geo g = geometry(p);
  if (p.B == 0 || g.T * g.F == 0) return;  // no term: `out` stays zero (a grid of 0 blocks is a launch error)
  const int threads = 256;
  const bool narrow = g.T * g.F < (int64_t(1) << 31) - int64_t(65535) * threads;  // i + grid stride stays in int32
  for (int64_t b0 = 0; b0 < p.B; b0 += 65535) {  // gridDim.y limit
    int64_t nb = p.B - b0 < 65535 ? p.B - b0 : 65535;
    auto pv = cast_view<const S>(p);
    auto qv = cast_view<const S>(q);
    pv.data += b0 * pv.sb;
    qv.data += b0 * qv.sb;
    const uint8_t* mb = mask ? mask + b0 * g.T : nullptr;
    if (narrow)
      fwd_kernel<S, int32_t><<<grid_for(g, nb, threads), threads, 0, st>>>(pv, qv, mb, out + b0, g);
    else
      fwd_kernel<S, int64_t><<<grid_for(g, nb, threads), threads, 0, st>>>(pv, qv, mb, out + b0, g);
  }
  check(cudaGetLastError(), "acc_loss forward launch");
}

template <typename S, bool SUM>
void launch_bwd(View3<const void> p, View3<const void> q, const uint8_t* mask, const double* coef, View3<void> gp,
                View3<void> gq, double* out, cudaStream_t st) {
  Geo g = geometry(p);
  if (p.B == 0 || g.T * g.F == 0) return;  // empty gradients
  const int threads = 256;
  const bool narrow = g.T * g.F < (int64_t(1) << 31) - int64_t(65535) * threads;  // i + grid stride stays in int32
  for (int64_t b0 = 0; b0 < p.B; b0 += 65535) {
    int64_t nb = p.B - b0 < 65535 ? p.B - b0 : 65535;
    auto pv = cast_view<const S>(p);
    auto qv = cast_view<const S>(q);
    auto gpv = cast_view<S>(gp);
    auto gqv = cast_view<S>(gq);
    pv.data += b0 * pv.sb;
    qv.data += b0 * qv.sb;
    gpv.data += b0 * gpv.sb;
    if (gqv.data) gqv.data += b0 * gqv.sb;
    const uint8_t* mb = mask ? mask + b0 * g.T : nullptr;
    double* ob = SUM ? out + b0 : nullptr;
    if (narrow)
      bwd_kernel<S, int32_t, SUM><<<grid_for(g, nb, threads), threads, 0, st>>>(pv, qv, mb, coef + b0, gpv, gqv, ob, g);
    else
      bwd_kernel<S, int64_t, SUM><<<grid_for(g, nb, threads), threads, 0, st>>>(pv, qv, mb, coef + b0, gpv, gqv, ob, g);
  }
  check(cudaGetLastError(), SUM ? "acc_loss fused launch" : "acc_loss backward launch");
}

}  // namespace

void acc_loss_forward_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                           double* out, void* stream) {
  auto st = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case 0: return launch_fwd<float>(pred, target, mask, out, st);
    case 1: return launch_fwd<double>(pred, target, mask, out, st);
    case 2: return launch_fwd<__half>(pred, target, mask, out, st);
    case 3: return launch_fwd<__nv_bfloat16>(pred, target, mask, out, st);
    default: throw std::invalid_argument("acc_loss_forward_cuda: unknown dtype code");
  }
}

void acc_loss_backward_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                            const double* coef, View3<void> grad_pred, View3<void> grad_target, void* stream) {
  auto st = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case 0: return launch_bwd<float, false>(pred, target, mask, coef, grad_pred, grad_target, nullptr, st);
    case 1: return launch_bwd<double, false>(pred, target, mask, coef, grad_pred, grad_target, nullptr, st);
    case 2: return launch_bwd<__half, false>(pred, target, mask, coef, grad_pred, grad_target, nullptr, st);
    case 3: return launch_bwd<__nv_bfloat16, false>(pred, target, mask, coef, grad_pred, grad_target, nullptr, st);
    default: throw std::invalid_argument("acc_loss_backward_cuda: unknown dtype code");
  }
}

void acc_loss_fused_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                         const double* coef, double* out, View3<void> grad_pred, View3<void> grad_target,
                         void* stream) {
  auto st = static_cast<cudaStream_t>(stream);
  switch (dtype) {
    case 0: return launch_bwd<float, true>(pred, target, mask, coef, grad_pred, grad_target, out, st);
    case 1: return launch_bwd<double, true>(pred, target, mask, coef, grad_pred, grad_target, out, st);
    case 2: return launch_bwd<__half, true>(pred, target, mask, coef, grad_pred, grad_target, out, st);
    case 3: return launch_bwd<__nv_bfloat16, true>(pred, target, mask, coef, grad_pred, grad_target, out, st);
    default: throw std::invalid_argument("acc_loss_fused_cuda: unknown dtype code");
  }
}

}  // namespace imusim
