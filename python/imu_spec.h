#pragma once
#include "bind_util.h"
#include "imu/imu.h"

namespace imusim_py {
// spec tuple: (J, K, S, parents*, needed*, sjoint*, offsets*, soff*, srot*, dt, gx, gy, gz)
inline imusim::ImuSpec make_spec(int J, int K, int S, uintptr_t parents, uintptr_t needed, uintptr_t sjoint, uintptr_t off,
                          uintptr_t soff, uintptr_t srot, double dt, double gx, double gy, double gz,
                          int rot_dim = 9) {
  imusim::ImuSpec sp;
  sp.J = J;
  sp.K = K;
  sp.S = S;
  sp.parents = (const int32_t*)parents;
  sp.needed = (const int32_t*)needed;
  sp.sjoint = (const int32_t*)sjoint;
  sp.offsets = (const void*)off;
  sp.soff = (const void*)soff;
  sp.srot = (const void*)srot;
  sp.dt = dt;
  sp.g[0] = gx;
  sp.g[1] = gy;
  sp.g[2] = gz;
  sp.rot_dim = rot_dim;
  return sp;
}

}  // namespace imusim_py
