#include "bind_util.h"
#include "imu_render/imu_render.h"
#include "registry.h"

namespace imusim_py {

namespace {
// the layout of imusim/imu/render.py::_axis_fields
imusim::NoiseAxisSpec axis(const std::array<double, imusim::kAxisFields>& a) {
  imusim::NoiseAxisSpec n;
  n.white = a[0];
  n.bias = a[1];
  n.rw = a[2];
  n.scale = a[3];
  n.mis = a[4];
  n.range = a[5];
  n.resolution = a[6];
  n.cross = a[7];
  for (int q = 0; q < 9; ++q) n.cfix[q] = a[8 + q];
  n.gsens = a[17];
  n.tc_bias = a[18];
  n.tc_scale = a[19];
  n.flicker = a[20];
  n.gm_std = a[21];
  n.gm_phi = a[22];
  n.nsos = int(a[23]);
  for (int j = 0; j < imusim::kMaxSos; ++j)
    for (int q = 0; q < 5; ++q) n.sos[j][q] = a[24 + 5 * j + q];
  return n;
}
using Axis = std::array<double, imusim::kAxisFields>;
}  // namespace

void bind_imu_render(py::module_& m) {
  auto gil = py::call_guard<py::gil_scoped_release>();
  m.attr("imu_render_axis_fields") = imusim::kAxisFields;
  m.attr("imu_render_err_fields") = imusim::kErrFields;
  m.def(
      "imu_render",
      [](bool f64, int J, int S, uintptr_t parents, uintptr_t offsets, int rot_dim, double rate, double gx, double gy,
         double gz, bool mag, bool noise, int flicker_k, Axis acc, Axis gyro, Axis magn, int64_t B, uintptr_t L,
         uintptr_t root, uintptr_t start, uintptr_t length, uintptr_t fps, uintptr_t n_out, uintptr_t out_off,
         uintptr_t sjoint, uintptr_t soff, uintptr_t srot, uintptr_t seeds, uintptr_t mag_field, uintptr_t dtemp_item,
         uintptr_t dtemp_row, uintptr_t out, uintptr_t ori, uintptr_t errors) {
        imusim::RenderSpec sp;
        sp.J = J;
        sp.S = S;
        sp.parents = (const int32_t*)parents;
        sp.offsets = (const void*)offsets;
        sp.rot_dim = rot_dim;
        sp.rate = rate;
        sp.g[0] = gx;
        sp.g[1] = gy;
        sp.g[2] = gz;
        sp.mag = mag;
        sp.noise = noise;
        sp.flicker_k = flicker_k;
        sp.acc = axis(acc);
        sp.gyro = axis(gyro);
        sp.magn = axis(magn);
        const auto* st = (const int64_t*)start;
        const auto* ln = (const int64_t*)length;
        const auto* fp = (const double*)fps;
        const auto* no = (const int64_t*)n_out;
        const auto* oo = (const int64_t*)out_off;
        const auto* sj = (const int32_t*)sjoint;
        const auto* sd = (const uint64_t*)seeds;
        const auto* mf = (const double*)mag_field;
        const auto* ti = (const double*)dtemp_item;
        const auto* tr = (const double*)dtemp_row;
        auto* er = (double*)errors;
        if (f64)
          imusim::imu_render_cpu<double>(sp, B, (const double*)L, (const double*)root, st, ln, fp, no, oo, sj,
                                         (const double*)soff, (const double*)srot, sd, mf, ti, tr, (double*)out,
                                         (double*)ori, er);
        else
          imusim::imu_render_cpu<float>(sp, B, (const float*)L, (const float*)root, st, ln, fp, no, oo, sj,
                                        (const float*)soff, (const float*)srot, sd, mf, ti, tr, (float*)out,
                                        (float*)ori, er);
      },
      gil);
  m.def(
      "normal_draws", [](uint64_t seed, int64_t n, uintptr_t out) { imusim::normal_draws_cpu(seed, n, (float*)out); },
      gil);
}
static Registrar reg("imu_render", &bind_imu_render);

}  // namespace imusim_py
