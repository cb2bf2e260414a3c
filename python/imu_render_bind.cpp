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
      [](const std::string& dtype, int joints, int sensors, uintptr_t parents, uintptr_t offsets, int rot_dim,
         double rate, const std::array<double, 3>& g, bool mag, bool noise, int flicker_k, Axis acc_noise,
         Axis gyro_noise, Axis mag_noise, int64_t batch, uintptr_t local_rot, uintptr_t root, uintptr_t start,
         uintptr_t length, uintptr_t fps, uintptr_t n_out, uintptr_t out_offsets, uintptr_t sensor_joints,
         uintptr_t sensor_offsets, uintptr_t sensor_rotations, uintptr_t seeds, uintptr_t mag_field,
         uintptr_t dtemp_item, uintptr_t dtemp_row, uintptr_t out, uintptr_t ori, uintptr_t errors) {
        imusim::RenderSpec sp;
        sp.J = joints;
        sp.S = sensors;
        sp.parents = (const int32_t*)parents;
        sp.offsets = (const void*)offsets;
        sp.rot_dim = rot_dim;
        sp.rate = rate;
        sp.g[0] = g[0];
        sp.g[1] = g[1];
        sp.g[2] = g[2];
        sp.mag = mag;
        sp.noise = noise;
        sp.flicker_k = flicker_k;
        sp.acc = axis(acc_noise);
        sp.gyro = axis(gyro_noise);
        sp.magn = axis(mag_noise);
        const auto* st = (const int64_t*)start;
        const auto* ln = (const int64_t*)length;
        const auto* fp = (const double*)fps;
        const auto* no = (const int64_t*)n_out;
        const auto* oo = (const int64_t*)out_offsets;
        const auto* sj = (const int32_t*)sensor_joints;
        const auto* sd = (const uint64_t*)seeds;
        const auto* mf = (const double*)mag_field;
        const auto* ti = (const double*)dtemp_item;
        const auto* tr = (const double*)dtemp_row;
        auto* er = (double*)errors;
        if (dtype_of(dtype) == DType::f64)
          imusim::imu_render_cpu<double>(sp, batch, (const double*)local_rot, (const double*)root, st, ln, fp, no, oo,
                                         sj, (const double*)sensor_offsets, (const double*)sensor_rotations, sd, mf,
                                         ti, tr, (double*)out, (double*)ori, er);
        else
          imusim::imu_render_cpu<float>(sp, batch, (const float*)local_rot, (const float*)root, st, ln, fp, no, oo,
                                        sj, (const float*)sensor_offsets, (const float*)sensor_rotations, sd, mf, ti,
                                        tr, (float*)out, (float*)ori, er);
      },
      "Batched rendering of a frame pool (csrc/imu_render/imu_render.h); per-item arrays are host pointers: "
      "start, length, n_out, out_offsets int64 [B], fps float64 [B], sensor_joints int32 [B, S], "
      "sensor_offsets [B, S, 3], sensor_rotations [B, S, 3, 3], seeds uint64 [B]; mag_field float64 [B, 3], "
      "dtemp_item [B], dtemp_row [N], ori and errors [B, S, K, 27] may be 0.",
      py::arg("dtype"), py::arg("joints"), py::arg("sensors"), py::arg("parents"), py::arg("offsets"),
      py::arg("rot_dim"), py::arg("rate"), py::arg("g"), py::arg("mag"), py::arg("noise"), py::arg("flicker_k"),
      py::arg("acc_noise"), py::arg("gyro_noise"), py::arg("mag_noise"), py::arg("batch"), py::arg("local_rot"),
      py::arg("root"), py::arg("start"), py::arg("length"), py::arg("fps"), py::arg("n_out"), py::arg("out_offsets"),
      py::arg("sensor_joints"), py::arg("sensor_offsets"), py::arg("sensor_rotations"), py::arg("seeds"),
      py::arg("mag_field"), py::arg("dtemp_item"), py::arg("dtemp_row"), py::arg("out"), py::arg("ori"),
      py::arg("errors"), gil);
  m.def(
      "normal_draws", [](uint64_t seed, int64_t n, uintptr_t out) { imusim::normal_draws_cpu(seed, n, (float*)out); },
      "n white-noise normals of an item seeded with seed (one sensor), in draw order, into float32 out.",
      py::arg("seed"), py::arg("n"), py::arg("out"), gil);
}
static Registrar reg("imu_render", &bind_imu_render);

}  // namespace imusim_py
