// CPU (OpenMP over frames) forward kinematics and its hand-written backward. See fk.h.
#include <vector>

#include "fk/fk.h"
#include "fk/fk_impl.h"

namespace imusim {

template <typename T>
void fk_forward_cpu(int64_t N, int J, const int32_t* parents, const T* off, const T* L, const T* root, T* G, T* P) {
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < N; ++n)
    fk_frame(J, parents, off, L + n * J * 9, root + n * 3, G + n * J * 9, P + n * J * 3);
}

template <typename T>
void fk_backward_cpu(int64_t N, int J, const int32_t* parents, const T* off, const T* L, const T* G, const T* gG,
                     const T* gP, T* gL, T* groot) {
#pragma omp parallel
  {
    std::vector<T> aG(9 * J), aP(3 * J);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      T* gr = groot + n * 3;
      gr[0] = gr[1] = gr[2] = T(0);
      fk_frame_backward(J, parents, off, L + n * J * 9, G + n * J * 9, gG ? gG + n * J * 9 : nullptr,
                        gP ? gP + n * J * 3 : nullptr, gL + n * J * 9, gr, aG.data(), aP.data());
    }
  }
}

template void fk_forward_cpu<float>(int64_t, int, const int32_t*, const float*, const float*, const float*, float*, float*);
template void fk_forward_cpu<double>(int64_t, int, const int32_t*, const double*, const double*, const double*, double*,
                                     double*);
template void fk_backward_cpu<float>(int64_t, int, const int32_t*, const float*, const float*, const float*,
                                     const float*, const float*, float*, float*);
template void fk_backward_cpu<double>(int64_t, int, const int32_t*, const double*, const double*, const double*,
                                      const double*, const double*, double*, double*);

}  // namespace imusim
