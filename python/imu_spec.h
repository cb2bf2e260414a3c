#pragma once
#include "bind_util.h"
#include "imu/imu.h"

namespace imusim_py {
using Vec3 = std::array<double, 3>;

// The ImuSpec of the named spec arguments every IMU binding takes (see imusim/ops/imu.py, _spec_kwargs):
// joints J, needed K (ancestor-closed, topological joint list), sensors S (joint per sensor), pointers to
// parents [J] int32, needed [K] int32, sensor_joints [S] int32, offsets [J, 3], sensor_offsets [S, 3],
// sensor_rotations [S, 3, 3] (the kernel's scalar type), dt (s), g (m/s^2, world frame), rot_dim 9 | 3.
inline imusim::ImuSpec make_spec(int joints, int n_needed, int n_sensors, uintptr_t parents, uintptr_t needed,
                                 uintptr_t sensor_joints, uintptr_t offsets, uintptr_t sensor_offsets,
                                 uintptr_t sensor_rotations, double dt, const Vec3& g, int rot_dim) {
  imusim::ImuSpec sp;
  sp.J = joints;
  sp.K = n_needed;
  sp.S = n_sensors;
  sp.parents = (const int32_t*)parents;
  sp.needed = (const int32_t*)needed;
  sp.sjoint = (const int32_t*)sensor_joints;
  sp.offsets = (const void*)offsets;
  sp.soff = (const void*)sensor_offsets;
  sp.srot = (const void*)sensor_rotations;
  sp.dt = dt;
  sp.g[0] = g[0];
  sp.g[1] = g[1];
  sp.g[2] = g[2];
  sp.rot_dim = rot_dim;
  return sp;
}

#define IMUSIM_SPEC_ARGS                                                                                   \
  py::arg("joints"), py::arg("n_needed"), py::arg("n_sensors"), py::arg("parents"), py::arg("needed"),   \
      py::arg("sensor_joints"), py::arg("offsets"), py::arg("sensor_offsets"), py::arg("sensor_rotations"), \
      py::arg("dt"), py::arg("g"), py::arg("rot_dim")
#define IMUSIM_SPEC_PARAMS                                                                                  \
  int joints, int n_needed, int n_sensors, uintptr_t parents, uintptr_t needed, uintptr_t sensor_joints,   \
      uintptr_t offsets, uintptr_t sensor_offsets, uintptr_t sensor_rotations, double dt, const Vec3 &g, int rot_dim
#define IMUSIM_SPEC                                                                                          \
  make_spec(joints, n_needed, n_sensors, parents, needed, sensor_joints, offsets, sensor_offsets, sensor_rotations, \
            dt, g, rot_dim)

}  // namespace imusim_py
