"""``imusim synth MOTION``: a motion file → virtual IMU signals (.npz) and a plot."""

import argparse
import math


def register(sub):
    p = sub.add_parser("synth", help="synthesise virtual IMU signals from a motion file",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description="Load a motion (BVH/.bvh.gz, DeepMimic .txt, imusim or AMASS-style .npz), put "
                                   "virtual sensors on the body and write accelerometer (specific force, m/s², sensor "
                                   "frame) and gyroscope (rad/s, sensor frame) signals. Sensor presets (wrist_r, "
                                   "thigh_r, pelvis, chest, head, ankle_l, upper_arm_r, ...) are defined on the SMPL "
                                   "body: motions on other skeletons with a built-in joint map (Bandai Namco, "
                                   "DeepMimic) are retargeted to SMPL22 at their own frame rate first. 'joint:NAME' "
                                   "places an identity-mounted sensor on any joint of the file's own skeleton "
                                   "(use --no-retarget).")
    p.add_argument("motion", help="motion file")
    p.add_argument("--sensors", default="wrist_r,thigh_r", help="comma-separated presets or joint:NAME")
    p.add_argument("--rate", type=float, default=50.0, help="output rate (Hz)")
    p.add_argument("--out", required=True,
                   help="output .npz (acc, gyro[, mag], orientation, rate, sensor_names, units, noise); '.npz' is added when "
                        "missing; an existing directory gets MOTION_NAME_imu.npz inside it")
    p.add_argument("--plot", help="also write a PNG of the signals")
    p.add_argument("--noise", default=None,
                   help="sensor error model: a datasheet profile (bmi160, bmi270, lsm6dso, icm42688p, mpu6050, mti630, "
                        "ideal; imusim/imu/profiles.py) or none (default: ideal sensors)")
    p.add_argument("--mag", action="store_true",
                   help="also a magnetometer (µT, sensor frame; Earth field 50 µT, 60° inclination, north along +z)")
    p.add_argument("--mag-field", default="50,60", metavar="UT,DEG",
                   help="with --mag: Earth field strength (µT) and inclination (degrees below the horizon)")
    p.add_argument("--temperature", type=float, default=None,
                   help="sensor temperature (°C) for the error model's bias/scale drift (default: the profile's "
                        "reference temperature, no drift)")
    p.add_argument("--seed", type=int, default=0, help="noise seed")
    p.add_argument("--no-retarget", action="store_true", help="use the file's own skeleton (joint:NAME sensors)")
    p.add_argument("--backend", default=None, help="cpp, cuda or torch (default: fastest available)")
    p.set_defaults(func=_run)


def synth_motion(m, sensors, rate, noise=None, seed=0, retarget=True, backend=None, mag=False, temperature=None):
    """A loaded Motion → IMUResult (retargeting to SMPL22 at the motion's own rate when needed); ``mag``: False,
    True (default Earth field) or a world-frame field [3] (µT)."""
    from ..data.retarget import builtin_map, retarget_to_smpl22
    from ..imu import synthesize_imu
    from ..kinematics import SMPL22, SMPL24

    if retarget and m.skeleton.names not in (SMPL22.names, SMPL24.names) and builtin_map(m.skeleton) is not None:
        m = retarget_to_smpl22(m, fps=m.fps)
    return m, synthesize_imu(m.local_rot, m.root_pos, m.skeleton, sensors, m.fps, rate=rate, noise=noise, seed=seed,
                             backend=backend, mag_field=mag if mag is not False else None, temperature=temperature)


def _run(a):
    from pathlib import Path

    import numpy as np

    from ..data import load_motion

    if not (math.isfinite(a.rate) and a.rate > 0):
        raise ValueError(f"--rate must be a finite number > 0 (Hz), got {a.rate}")
    out = Path(a.out)
    if out.is_dir():
        out = out / f"{Path(a.motion).name.split('.')[0]}_imu.npz"
    elif out.suffix != ".npz":
        out = out.with_name(out.name + ".npz")  # what np.savez would write: say so, and plot next to it
    from ..imu.profiles import get_noise_model

    try:
        noise = get_noise_model(a.noise)
    except ValueError as e:
        raise ValueError(f"--noise: {e}") from None
    if a.temperature is not None and not math.isfinite(a.temperature):
        raise ValueError(f"--temperature must be a finite number (°C), got {a.temperature}")
    mag = False
    if a.mag:
        from ..imu.magnetic import earth_field
        try:
            strength, inc = (float(x) for x in a.mag_field.split(","))
            mag = earth_field(strength, inc)
        except ValueError as e:
            raise ValueError(f"--mag-field must be 'strength,inclination' (µT, degrees): {e}") from None
    m = load_motion(a.motion)
    m, r = synth_motion(m, a.sensors, a.rate, noise, a.seed, not a.no_retarget, a.backend, mag, a.temperature)
    for name, x in (("accelerometer", r.acc), ("gyroscope", r.gyro)):
        if not bool(np.isfinite(x.float().numpy()).all()):  # as written (float32)
            raise ValueError(f"{a.motion}: the {name} signal is not finite (inf/NaN): the motion's positions or "
                             f"angles are too large to differentiate (largest |root position| "
                             f"{float(m.root_pos.abs().max()):.3g} m); nothing written")
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = {"mag": r.mag.float().numpy(), "mag_unit": "uT"} if r.mag is not None else {}
    np.savez(out, acc=r.acc.float().numpy(), gyro=r.gyro.float().numpy(), orientation=r.orientation.float().numpy(),
             rate=np.float64(r.rate), sensor_names=np.array(r.sensor_names), acc_unit="m/s^2", gyro_unit="rad/s",
             source=str(a.motion), skeleton=m.skeleton.name, noise=noise.name if noise is not None else "none",
             **extra)
    print(f"wrote {out}: {r.acc.shape[0]} samples at {r.rate:g} Hz ({r.acc.shape[0] / r.rate:.2f} s), "
          f"sensors {', '.join(r.sensor_names)}")
    if a.plot:
        from ..viz import plot_imu

        plot_imu(r.acc.numpy(), r.gyro.numpy(), r.rate, r.sensor_names, a.plot, title=Path(a.motion).name)
        print(f"wrote {a.plot}")
    return 0
