// Forward kinematics over N independent frames of a J-joint tree (parents precede children).
//   G[j] = G[p] L[j]          (G[root] = L[root])
//   P[j] = P[p] + G[p] o[j]   (P[root] = root)
// All arrays contiguous: L, G [N, J, 3, 3]; root [N, 3]; P [N, J, 3]; offsets [J, 3]; parents [J].
// Backward (reverse pass over joints, per frame):
//   gL[j] = G[p]^T gG[j];  gG[p] += gG[j] L[j]^T + gP[j] o[j]^T;  gP[p] += gP[j]
#pragma once
#include <cstdint>

namespace imusim {

template <typename T>
void fk_forward_cpu(int64_t N, int J, const int32_t* parents, const T* offsets, const T* L, const T* root, T* G, T* P);

template <typename T>
void fk_backward_cpu(int64_t N, int J, const int32_t* parents, const T* offsets, const T* L, const T* G,
                     const T* gG /* nullable */, const T* gP /* nullable */, T* gL, T* groot);

// dtype 0 float32, 1 float64; parents/offsets are device pointers.
void fk_forward_cuda(int dtype, int64_t N, int J, const int32_t* parents, const void* offsets, const void* L,
                     const void* root, void* G, void* P, void* stream);
void fk_backward_cuda(int dtype, int64_t N, int J, const int32_t* parents, const void* offsets, const void* L,
                      const void* G, const void* gG, const void* gP, void* gL, void* groot, void* stream);

}  // namespace imusim
