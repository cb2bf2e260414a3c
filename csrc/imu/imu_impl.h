// Per-frame bodies shared by the CPU and CUDA IMU kernels (the SO(3) maps in common/so3.h, the FK step in
// fk/fk_impl.h).
#pragma once
#include <math.h>

#include "common/mat3.h"
#include "common/so3.h"
#include "fk/fk_impl.h"

namespace imusim {

constexpr int IMU_MAX_J = 64;

// Sensor poses of one frame: pose[s*12 + 0..8] = R_ws, pose[s*12 + 9..11] = p_s.
// G/P scratch [J*9], [J*3]; only the `needed` joints are computed.
// L points at the frame's rotations: rot_dim = 9 (matrices) or 3 (axis-angle, converted here).
template <typename T>
IMUSIM_HD void frame_sensor_poses(int K, const int32_t* needed, const int32_t* parents, const T* off, const T* Lf,
                                  const T* root, int S, const int32_t* sjoint, const T* soff, const T* srot, T* G,
                                  T* P, T* pose, int rot_dim = 9) {
  for (int k = 0; k < K; ++k) {
    const int j = needed[k];
    const int p = parents[j];
    T Lbuf[9];
    const T* Lj = Lf + 9 * j;
    if (rot_dim == 3) {
      rodrigues(Lf + 3 * j, Lbuf);
      Lj = Lbuf;
    }
    fk_step(j, p, off, Lj, root, G, P);
  }
  for (int s = 0; s < S; ++s) {
    const int j = sjoint[s];
    T* out = pose + 12 * s;
    mat3_mul(G + 9 * j, srot + 9 * s, out);
    T v[3];
    mat3_vec(G + 9 * j, soff + 3 * s, v);
    for (int i = 0; i < 3; ++i) out[9 + i] = P[3 * j + i] + v[i];
  }
}

// Outputs at the middle frame from poses of frames t-1, t, t+1.
template <typename T>
IMUSIM_HD void frame_imu(int S, const T* pm, const T* p0, const T* pp, T inv_dt2, T inv_2dt, const T* g, T* acc,
                         T* gyro, T* ori) {
  for (int s = 0; s < S; ++s) {
    const T* a = pm + 12 * s;
    const T* b = p0 + 12 * s;
    const T* c = pp + 12 * s;
    T f[3];
    for (int i = 0; i < 3; ++i) f[i] = (c[9 + i] - T(2) * b[9 + i] + a[9 + i]) * inv_dt2 - g[i];
    mat3t_vec(b, f, acc + 3 * s);
    T w1[3], w2[3];
    rel_log(a, b, w1);
    rel_log(b, c, w2);
    for (int i = 0; i < 3; ++i) gyro[3 * s + i] = (w1[i] + w2[i]) * inv_2dt;
    if (ori)
      for (int i = 0; i < 9; ++i) ori[9 * s + i] = b[i];
  }
}

// Backward of frame_imu for one output: pose gradients (12 per sensor: R 9, p 3) of the frames
// t−1, t, t+1 are accumulated into ga, gb, gc. gori may be null.
template <typename T>
IMUSIM_HD void frame_imu_backward(int S, const T* pm, const T* p0, const T* pp, T inv_dt2, T inv_2dt, const T* g,
                                  const T* gacc, const T* ggyro, const T* gori, T* ga, T* gb, T* gc) {
  for (int s = 0; s < S; ++s) {
    const T* a = pm + 12 * s;
    const T* b = p0 + 12 * s;
    const T* c = pp + 12 * s;
    T* Ga = ga + 12 * s;
    T* Gb = gb + 12 * s;
    T* Gc = gc + 12 * s;
    const T* ge = gacc + 3 * s;
    T f[3];
    for (int i = 0; i < 3; ++i) f[i] = (c[9 + i] - T(2) * b[9 + i] + a[9 + i]) * inv_dt2 - g[i];
    outer_acc(f, ge, Gb);  // acc = Rb^T f: gRb += f gacc^T
    T gf[3];
    mat3_vec(b, ge, gf);  // gf = Rb gacc
    for (int i = 0; i < 3; ++i) {
      const T d = gf[i] * inv_dt2;
      Ga[9 + i] += d;
      Gb[9 + i] -= T(2) * d;
      Gc[9 + i] += d;
    }
    T gw[3] = {ggyro[3 * s] * inv_2dt, ggyro[3 * s + 1] * inv_2dt, ggyro[3 * s + 2] * inv_2dt};
    rel_log_backward(a, b, gw, Ga, Gb);
    rel_log_backward(b, c, gw, Gb, Gc);
    if (gori)
      for (int i = 0; i < 9; ++i) Gb[i] += gori[9 * s + i];
  }
}

}  // namespace imusim
