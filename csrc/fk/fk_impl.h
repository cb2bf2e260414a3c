// Per-frame FK forward/backward bodies shared by the CPU and CUDA kernels.
#pragma once
#include "common/mat3.h"

namespace imusim {

// One joint of FK: G_j = G_p L_j, P_j = P_p + G_p o_j; the root (p < 0): G_j = L_j, P_j = root.
// G [*, 9], P [*, 3] indexed by joint; Lj: joint j's local rotation (row-major 3x3); off: [J, 3].
template <typename T>
IMUSIM_HD void fk_step(int j, int p, const T* off, const T* Lj, const T* root, T* G, T* P) {
  if (p < 0) {
    for (int k = 0; k < 9; ++k) G[9 * j + k] = Lj[k];
    P[3 * j] = root[0];
    P[3 * j + 1] = root[1];
    P[3 * j + 2] = root[2];
  } else {
    mat3_mul(G + 9 * p, Lj, G + 9 * j);
    T v[3];
    mat3_vec(G + 9 * p, off + 3 * j, v);
    P[3 * j] = P[3 * p] + v[0];
    P[3 * j + 1] = P[3 * p + 1] + v[1];
    P[3 * j + 2] = P[3 * p + 2] + v[2];
  }
}

template <typename T>
IMUSIM_HD void fk_frame(int J, const int32_t* parents, const T* off, const T* L, const T* root, T* G, T* P) {
  for (int j = 0; j < J; ++j) fk_step(j, int(parents[j]), off, L + 9 * j, root, G, P);
}

// aG [J*9], aP [J*3] are scratch accumulators (initialised here from gG, gP).
template <typename T>
IMUSIM_HD void fk_frame_backward(int J, const int32_t* parents, const T* off, const T* L, const T* G, const T* gG,
                                 const T* gP, T* gL, T* groot, T* aG, T* aP) {
  for (int k = 0; k < 9 * J; ++k) aG[k] = gG ? gG[k] : T(0);
  for (int k = 0; k < 3 * J; ++k) aP[k] = gP ? gP[k] : T(0);
  for (int j = J - 1; j >= 0; --j) {
    const int p = parents[j];
    if (p < 0) {
      for (int k = 0; k < 9; ++k) gL[9 * j + k] = aG[9 * j + k];
      groot[0] += aP[3 * j];
      groot[1] += aP[3 * j + 1];
      groot[2] += aP[3 * j + 2];
    } else {
      mat3_tmul(G + 9 * p, aG + 9 * j, gL + 9 * j);
      mat3_mul_t_acc(aG + 9 * j, L + 9 * j, aG + 9 * p);
      outer_acc(aP + 3 * j, off + 3 * j, aG + 9 * p);
      aP[3 * p] += aP[3 * j];
      aP[3 * p + 1] += aP[3 * j + 1];
      aP[3 * p + 2] += aP[3 * j + 2];
    }
  }
}

}  // namespace imusim
