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
//  4. optional sensor error model, drawn from the item's seed only (xoshiro256** + ziggurat normals),
//     so a rendering does not depend on the batch it is in: per item, sensor and kind (acc, gyro)
//     y = clip(M x + b0 + cumsum(rw) + white, +-range) rounded to resolution, M = diag(1+s)(I + [e]x).
//     The bias random walk takes uniform increments of the same variance (its value after n steps is
//     Gaussian to within the central limit theorem: the walk's law is the same Brownian motion); the
//     white noise is Gaussian per sample. The constant errors come from one stream, the per-sample draws
//     from 8 interleaved streams by output row and channel (imu_render_cpu.cpp), so each draw depends only
//     on the seed, S and its row: not on the batch, the thread count or the kernel's blocking.
// Output rows out_off[b] .. out_off[b] + n_out[b] - 3 of out [N, S, 6] (acc xyz, gyro xyz) and of the
// optional ori [N, S, 9] (R_ws). Items with n_out[b] < 3 write nothing.
#pragma once
#include <cstdint>

namespace imusim {

struct NoiseAxisSpec {
  double white = 0;       // per-sample std of the white noise (density * sqrt(rate))
  double bias = 0;        // std of the constant bias
  double rw = 0;          // per-sample std of the bias random-walk increments (bias_rw * sqrt(1/rate))
  double scale = 0;       // std of the per-axis scale-factor error
  double mis = 0;         // std of the misalignment small angles (rad)
  double range = 0;       // saturation at +-range (<= 0: none)
  double resolution = 0;  // quantisation step (<= 0: none)
};

struct RenderSpec {
  int J, S;
  const int32_t* parents;  // [J], parents[j] < j (topological order)
  const void* offsets;     // [J,3] scalar type of the kernel
  int rot_dim = 9;
  double rate;
  double g[3];
  bool noise = false;
  NoiseAxisSpec acc, gyro;
};

template <typename T>
void imu_render_cpu(const RenderSpec& sp, int64_t B, const T* L, const T* root, const int64_t* start,
                    const int64_t* length, const double* fps, const int64_t* n_out, const int64_t* out_off,
                    const int32_t* sjoint, const T* soff, const T* srot, const uint64_t* seeds, T* out, T* ori);

// n standard normal draws of the generator seeded with `seed` (for tests of the noise source).
void normal_draws_cpu(uint64_t seed, int64_t n, float* out);

}  // namespace imusim
