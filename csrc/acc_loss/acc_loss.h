// Fused acceleration loss L_acc (second-order temporal differences).
//
//   e[b,t,f]  = pred[b,t,f] - target[b,t,f]
//   r[b,t,f]  = e[t+1] - 2 e[t] + e[t-1]              t = 1 .. T-2
//   w[b,t]    = mask[t-1] & mask[t] & mask[t+1]       (1 when mask is null)
//   forward:  out[b]   = sum_{t,f} w r^2                (raw per-sample sums, double)
//   backward: grad[b,t,f] = coef[b] * (R[t-1] - 2 R[t] + R[t+1]),  R = w r (0 outside 1..T-2)
//
// Normalisation (mean / sum / per-sample), dt scaling and the chain rule factor 2 live in coef[b]
// and in the Python caller; the kernels only do the memory-bound passes.
#pragma once
#include <cstdint>
#include "common/defs.h"

namespace imusim {

template <typename scalar_t>
void acc_loss_forward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target,
                          const uint8_t* mask /* [B,T] contiguous or null */, double* out /* [B] */);

template <typename scalar_t>
void acc_loss_backward_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                           const double* coef /* [B] */, View3<scalar_t> grad_pred,
                           View3<scalar_t> grad_target /* data may be null */);

// Forward and backward in one pass (for eager autograd, where coef is known before the backward):
// out[b] = Σ w r² as in the forward, and grad = coef[b] (R[t-1] - 2 R[t] + R[t+1]) as in the backward.
template <typename scalar_t>
void acc_loss_fused_cpu(View3<const scalar_t> pred, View3<const scalar_t> target, const uint8_t* mask,
                        const double* coef, double* out /* [B] */, View3<scalar_t> grad_pred,
                        View3<scalar_t> grad_target /* data may be null */);

// CUDA versions: same contract, launched on `stream` (cudaStream_t as void*). `out` must be zeroed
// device memory. dtype codes: 0 float32, 1 float64, 2 float16, 3 bfloat16 (accumulate in float32/64).
void acc_loss_forward_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                           double* out, void* stream);
void acc_loss_backward_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                            const double* coef, View3<void> grad_pred, View3<void> grad_target, void* stream);
// Forward sums (into zeroed `out`) and gradients in one pass, as acc_loss_fused_cpu.
void acc_loss_fused_cuda(int dtype, View3<const void> pred, View3<const void> target, const uint8_t* mask,
                         const double* coef, double* out, View3<void> grad_pred, View3<void> grad_target,
                         void* stream);

}  // namespace imusim
