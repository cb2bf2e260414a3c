// 3x3 matrix / vector helpers shared by the CPU and CUDA kernels (row-major 3x3, column vectors).
#pragma once
#include "common/defs.h"

namespace imusim {

// C = A * B
template <typename T>
IMUSIM_HD void mat3_mul(const T* A, const T* B, T* C) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) C[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
}
// C = A^T * B
template <typename T>
IMUSIM_HD void mat3_tmul(const T* A, const T* B, T* C) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) C[3 * i + j] = A[i] * B[j] + A[3 + i] * B[3 + j] + A[6 + i] * B[6 + j];
}
// C += A * B^T
template <typename T>
IMUSIM_HD void mat3_mul_t_acc(const T* A, const T* B, T* C) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) C[3 * i + j] += A[3 * i] * B[3 * j] + A[3 * i + 1] * B[3 * j + 1] + A[3 * i + 2] * B[3 * j + 2];
}
// y = A * x
template <typename T>
IMUSIM_HD void mat3_vec(const T* A, const T* x, T* y) {
  for (int i = 0; i < 3; ++i) y[i] = A[3 * i] * x[0] + A[3 * i + 1] * x[1] + A[3 * i + 2] * x[2];
}
// y = A^T * x
template <typename T>
IMUSIM_HD void mat3t_vec(const T* A, const T* x, T* y) {
  for (int i = 0; i < 3; ++i) y[i] = A[i] * x[0] + A[3 + i] * x[1] + A[6 + i] * x[2];
}
// C += u v^T
template <typename T>
IMUSIM_HD void outer_acc(const T* u, const T* v, T* C) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) C[3 * i + j] += u[i] * v[j];
}

}  // namespace imusim
