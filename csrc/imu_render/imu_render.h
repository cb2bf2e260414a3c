// Batched virtual-IMU rendering for the bulk generator: many motions of different lengths and frame
// rates, each with its own sensor mounts and its own seed, in one call, forward only.
//
// Motions live in one frame pool: item b uses frames start[b] .. start[b] + length[b] - 1 of
// L [F, J, rot_dim] (rot_dim 9: row-major matrices, 3: axis-angle) and root [F, 3], played at fps[b].
// Per item and sensor s: joint sjoint[b, s], mount offset soff[b, s] (m, joint frame) and rotation
// srot[b, s] (3x3 row-major). A reflection M R_js (M = diag(-1, 1, 1), det < 0) on the mirror joint
// renders the mirror image of the body: the sensor pose is then computed in the world reflected across
// x = 0, R = M G_j M R_js, p = M (P_j + G_j M o) with mount offset M o (gravity has no x component), so
// orientations stay proper rotations and acc/gyro are exactly those of the mirrored motion.
// At most 64 sensors.
//
// Per item (the same maths as imusim.synthesize_imu with rate=):
//  1. sensor poses at the motion's frames: FK of the joints on the item's sensor chains,
//     R_ws = G_j R_js, p_s = P_j + G_j o_s;
//  2. output times t_o = o * fps / rate (in source frames), o = 0 .. n_out - 1; positions by cubic
//     Hermite with centred tangents (second-order one-sided at the ends), orientations by shortest-path
//     quaternion slerp; when fps == rate the source poses are used as they are;
//  3. acc[o-1] = R_ws[o]^T ((p[o+1] - 2 p[o] + p[o-1]) rate^2 - g),
//     gyro[o-1] = (log(R[o-1]^T R[o]) + log(R[o]^T R[o+1])) rate / 2, o = 1 .. n_out - 2;
//  4. optional magnetometer: mag[o-1] = R_ws[o]^T m_w (m_w: the item's world-frame field, µT);
//  5. optional sensor error model, drawn from the item's seed only (imusim/imu/noise.py is the reference):
//     per item, sensor and channel group (acc, gyro, mag)
//       y = diag(1 + s + k_s dT) A x + G f + b0 + k_b dT + walk + flicker + gauss_markov + white,
//       y = lowpass(y), clipped to +-range, rounded to resolution,
//     A = I + [e]x + C_fixed + C (cross-axis), G the gyro's g-sensitivity (f: the ideal specific force),
//     dT the temperature offset from the reference (per item or per output row). The constants come from
//     one xoshiro256** stream per item; the per-sample draws from 8 interleaved xoshiro256** lanes by output
//     row and channel (imu_render_cpu.cpp), so that each draw depends only on the seed, S and its row: not
//     on the batch, the thread count or the kernel's blocking, and a shorter item is a prefix of a longer
//     one. The magnetometer has streams of its own (adding it leaves the acc/gyro noise unchanged).
// Output rows out_off[b] .. out_off[b] + n_out[b] - 3 of out [N, S, 3K] (K = 2: acc xyz, gyro xyz; K = 3:
// + mag xyz) and of the optional ori [N, S, 9] (R_ws). Items with n_out[b] < 3 write nothing. errors
// (optional) [B, S, K, 27] receives the drawn constants (double): diag(1 + s) A (9, row-major), b0 (3),
// k_b (3), k_s (3), G (9; zero except for the gyro).
#pragma once
#include <cstdint>

namespace imusim {

// One channel group's error terms (see imusim/imu/noise.py). Python passes them as a flat array of
// kAxisFields numbers in the order of the fields below (imusim/imu/render.py, _axis_fields).
struct NoiseAxisSpec {
  double white = 0;       // per-sample std of the white noise (density * sqrt(rate))
  double bias = 0;        // std of the constant bias
  double rw = 0;          // per-sample std of the bias random-walk increments (bias_rw * sqrt(1/rate))
  double scale = 0;       // std of the per-axis scale-factor error
  double mis = 0;         // std of the misalignment small angles (rad)
  double range = 0;       // saturation at +-range (<= 0: none)
  double resolution = 0;  // quantisation step (<= 0: none)
  double cross = 0;       // std of each off-diagonal entry of the cross-axis matrix
  double cfix[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};  // fixed coupling added to I (row-major)
  double gsens = 0;       // gyro: std of each entry of G (per unit of specific force)
  double tc_bias = 0;     // std of the bias temperature coefficient (unit / K)
  double tc_scale = 0;    // std of the scale temperature coefficient (1 / K)
  double flicker = 0;     // std of each Voss-McCartney component (bias instability / sqrt 2)
  double gm_std = 0;      // Gauss-Markov steady-state std
  double gm_phi = 0;      // its per-sample coefficient exp(-1 / (rate tau))
  int nsos = 0;           // low-pass: number of biquads (0: none), at most kMaxSos
  double sos[4][5] = {};  // per biquad b0 b1 b2 a1 a2 (a0 = 1)
};
constexpr int kMaxSos = 4;
constexpr int kAxisFields = 24 + 5 * kMaxSos;
constexpr int kErrFields = 27;

struct RenderSpec {
  int J, S;
  const int32_t* parents;  // [J], parents[j] < j (topological order)
  const void* offsets;     // [J,3] scalar type of the kernel
  int rot_dim = 9;
  double rate;
  double g[3];
  bool mag = false;        // render the magnetometer (mag_field per item)
  bool noise = false;
  int flicker_k = 0;       // Voss-McCartney components
  NoiseAxisSpec acc, gyro, magn;
};

// mag_field [B, 3] (µT, world frame; needed when sp.mag), dtemp_item [B] and dtemp_row [N] (K, temperature
// minus the reference; either may be null: 0), errors [B, S, K, kErrFields] (may be null).
template <typename T>
void imu_render_cpu(const RenderSpec& sp, int64_t B, const T* L, const T* root, const int64_t* start,
                    const int64_t* length, const double* fps, const int64_t* n_out, const int64_t* out_off,
                    const int32_t* sjoint, const T* soff, const T* srot, const uint64_t* seeds, const double* mag_field,
                    const double* dtemp_item, const double* dtemp_row, T* out, T* ori, double* errors);

// n standard normal draws of the white-noise stream of an item seeded with `seed` (one sensor, acc + gyro),
// in draw order (for tests of the noise source).
void normal_draws_cpu(uint64_t seed, int64_t n, float* out);

}  // namespace imusim
