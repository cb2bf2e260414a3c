"""Sensor error profiles of real parts, from their datasheets, with every assumption next to its number.

``get_noise_model(name)`` (:mod:`imusim.imu.noise`) and ``--noise NAME`` on the command line pick one;
``list_noise_models()`` lists them. Units as in :class:`~imusim.imu.noise.AxisNoise`: acc m/s², gyro
rad/s, mag µT.

How the numbers were read (the same rule for every part):

* **The datasheets were not at hand while these profiles were written** (no internet on the build
  machine): values are given as we know them from the cited document and revision and must be checked
  against your copy before they are used for anything that matters. Values marked *assumed* are not in
  the datasheet at all.
* A datasheet tolerance "±X (typ)" is read as 2σ of the part-to-part spread: ``std = X / 2`` (constant
  bias, sensitivity/scale error, cross-axis sensitivity, temperature coefficients).
* Noise density is used as given (the Allan deviation at τ = 1 s, see :mod:`imusim.imu.noise`); an
  RMS noise ``σ`` quoted at an output rate ``f`` becomes a density ``σ / √f``.
* Range: the full-scale setting a wearable typically uses (±8 g, ±2000 °/s) unless said otherwise;
  resolution: full range / 2^16 (16-bit output registers).
* Bandwidth: the −3 dB point of the part's digital low-pass in its default/"normal" filter mode, as a
  fraction of the output data rate where the part ties it to the ODR; the filter order is not given in
  any of these datasheets and is *assumed* 2 (Butterworth).
* Bias instability (the flat floor of the Allan deviation, datasheets' "in-run bias stability") and the
  bias random walk are not specified for the consumer parts: values are *assumed*, typical of published
  Allan analyses of consumer MEMS (gyro a few °/h, accelerometer tens of µg), and the random walk is
  set so that its +½ slope meets the floor at τ = 300 s (``bias_rw = floor·√(3/300 s)``).
* Magnetometer: the consumer IMUs here have none; the profile uses the companion magnetometer that is
  commonly paired with the part (named per profile); hard iron (``bias_std``) and soft iron
  (``scale_std``, ``cross_axis_std``) include the wearable's own electronics and are *assumed*.
"""

from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional

from .noise import DEG, G, AxisNoise, NoiseModel

MG = 1e-3 * G      # m/s² per mg
UG = 1e-6 * G      # m/s² per µg
DPH = DEG / 3600   # rad/s per °/h
GAUSS = 100.0      # µT per gauss
ACC8 = 8 * G
GYRO2000 = 2000 * DEG


def _rw_meeting_floor(floor: float, tau: float = 300.0) -> float:
    """The random walk whose Allan deviation ``K·√(τ/3)`` equals ``floor`` at ``tau`` seconds."""
    return floor * math.sqrt(3.0 / tau)


def bmi160() -> NoiseModel:
    acc_bi, gyro_bi = 60 * UG, 6 * DPH  # assumed (not in the datasheet)
    return NoiseModel(
        name="BMI160",
        source="Bosch Sensortec BMI160 datasheet BST-BMI160-DS000 (revisions 07/08); magnetometer: BMM150 "
               "(BST-BMM150-DS001), the companion in BMX160/BMI160+BMM150 boards",
        acc=AxisNoise(
            range=ACC8, resolution=2 * ACC8 / 2 ** 16,      # ±8 g of ±2/4/8/16 g, 16 bit
            noise_density=180 * UG,                          # 180 µg/√Hz (typ, normal mode)
            bias_std=40 * MG / 2,                            # zero-g offset ±40 mg (typ)
            bias_tempco_std=1.0 * MG / 2,                    # zero-g offset temperature drift ±1 mg/K (typ)
            scale_std=0.01 / 2,                              # sensitivity tolerance ±1 % (typ)
            scale_tempco_std=0.0003 / 2,                     # sensitivity temperature drift ±0.03 %/K (typ)
            cross_axis_std=0.01 / 2,                         # cross-axis sensitivity ±1 % (typ)
            bandwidth_odr=0.405,                             # normal mode: −3 dB 40.5 Hz at ODR 100 Hz
            bias_instability=acc_bi, bias_rw=_rw_meeting_floor(acc_bi)),
        gyro=AxisNoise(
            range=GYRO2000, resolution=2 * GYRO2000 / 2 ** 16,  # ±2000 °/s, 16 bit
            noise_density=0.007 * DEG,                       # 0.007 °/s/√Hz (typ)
            bias_std=3 * DEG / 2,                            # zero-rate offset ±3 °/s (typ)
            bias_tempco_std=0.05 * DEG / 2,                  # zero-rate offset over temperature ±0.05 °/s/K (typ)
            scale_std=0.01 / 2,                              # sensitivity tolerance ±1 % (typ)
            scale_tempco_std=0.0002 / 2,                     # sensitivity over temperature ±0.02 %/K (typ)
            cross_axis_std=0.01 / 2,                         # cross-axis sensitivity ±1 % (typ)
            g_sensitivity=0.1 * DEG / G,                     # g-sensitivity 0.1 °/s/g (typ), std of each entry
            bandwidth_odr=0.399,                             # normal mode: −3 dB 39.9 Hz at ODR 100 Hz
            bias_instability=gyro_bi, bias_rw=_rw_meeting_floor(gyro_bi)),
        mag=_bmm150())


def _bmm150() -> AxisNoise:
    return AxisNoise(
        range=1300.0, resolution=0.3,                        # ±1300 µT (x, y; z ±2500 µT), 0.3 µT/LSB
        noise_density=0.6 / math.sqrt(10.0),                 # 0.6 µT RMS, regular preset at 10 Hz
        bias_std=10.0,                                       # assumed: offset after trim + device hard iron
        scale_std=0.02, cross_axis_std=0.01)                 # assumed soft iron


def bmi270() -> NoiseModel:
    acc_bi, gyro_bi = 40 * UG, 4 * DPH  # assumed
    return NoiseModel(
        name="BMI270",
        source="Bosch Sensortec BMI270 datasheet BST-BMI270-DS000 (rev. 1.x, 2020-2021); magnetometer: BMM150 "
               "(BST-BMM150-DS001) on the auxiliary interface",
        acc=AxisNoise(
            range=ACC8, resolution=2 * ACC8 / 2 ** 16,
            noise_density=160 * UG,                          # 160 µg/√Hz (typ, high-performance mode)
            bias_std=20 * MG / 2,                            # zero-g offset ±20 mg (typ)
            bias_tempco_std=0.25 * MG / 2,                   # zero-g offset temperature drift ±0.25 mg/K (typ)
            scale_std=0.004 / 2,                             # sensitivity error ±0.4 % (typ)
            scale_tempco_std=0.00004 / 2,                    # sensitivity temperature drift ±0.004 %/K (typ)
            cross_axis_std=0.01 / 2,                         # cross-axis sensitivity ±1 % (typ)
            bandwidth_odr=0.405,                             # normal (avg4) filter mode, as the BMI160: 40.5 Hz at 100 Hz
            bias_instability=acc_bi, bias_rw=_rw_meeting_floor(acc_bi)),
        gyro=AxisNoise(
            range=GYRO2000, resolution=2 * GYRO2000 / 2 ** 16,
            noise_density=0.008 * DEG,                       # 0.008 °/s/√Hz (typ)
            bias_std=0.5 * DEG / 2,                          # zero-rate offset ±0.5 °/s (typ)
            bias_tempco_std=0.02 * DEG / 2,                  # zero-rate offset temperature drift ±0.02 °/s/K (typ)
            scale_std=0.004 / 2,                             # sensitivity error ±0.4 % (typ, after CRT)
            scale_tempco_std=0.0002 / 2,                     # sensitivity temperature drift ±0.02 %/K (typ)
            cross_axis_std=0.01 / 2,                         # cross-axis sensitivity ±1 % (typ)
            g_sensitivity=0.1 * DEG / G,                     # assumed 0.1 °/s/g (the BMI160's value)
            bandwidth_odr=0.4,                               # normal filter mode, ≈ 0.4 × ODR (as the BMI160)
            bias_instability=gyro_bi, bias_rw=_rw_meeting_floor(gyro_bi)),
        mag=_bmm150())


def lsm6dso() -> NoiseModel:
    acc_bi, gyro_bi = 40 * UG, 4 * DPH  # assumed
    return NoiseModel(
        name="LSM6DSO",
        source="STMicroelectronics LSM6DSO datasheet DS12140 (rev. 2/3, 2019; LSM6DSOX: DS13013, same sensing "
               "figures); magnetometer: LIS3MDL (DocID024204), ST's usual companion",
        acc=AxisNoise(
            range=ACC8, resolution=2 * ACC8 / 2 ** 16,
            noise_density=70 * UG,                           # 70 µg/√Hz (typ, high-performance mode)
            bias_std=20 * MG / 2,                            # zero-g level offset accuracy ±20 mg (typ)
            bias_tempco_std=0.1 * MG / 2,                    # zero-g level change vs temperature ±0.1 mg/°C (typ)
            scale_std=0.01 / 2,                              # assumed ±1 % (sensitivity tolerance not specified)
            scale_tempco_std=0.0001 / 2,                     # sensitivity change vs temperature ±0.01 %/°C (typ)
            cross_axis_std=0.01 / 2,                         # assumed ±1 % (not specified)
            bandwidth=None,                                  # LPF1 at ODR/2, LPF2 off: nothing below the output Nyquist
            bias_instability=acc_bi, bias_rw=_rw_meeting_floor(acc_bi)),
        gyro=AxisNoise(
            range=GYRO2000, resolution=2 * GYRO2000 / 2 ** 16,
            noise_density=3.8e-3 * DEG,                      # 3.8 mdps/√Hz (typ)
            bias_std=1.0 * DEG / 2,                          # zero-rate level ±1 dps (typ)
            bias_tempco_std=0.01 * DEG / 2,                  # zero-rate level change vs temperature ±0.01 dps/°C (typ)
            scale_std=0.01 / 2,                              # assumed ±1 % (not specified)
            scale_tempco_std=0.00007 / 2,                    # sensitivity change vs temperature ±0.007 %/°C (typ)
            cross_axis_std=0.01 / 2,                         # assumed ±1 % (not specified)
            g_sensitivity=0.1 * DEG / G,                     # assumed 0.1 °/s/g (not specified)
            bandwidth_odr=33.0 / 104.0,                      # LPF1 (FTYPE 000): 33 Hz at ODR 104 Hz
            bias_instability=gyro_bi, bias_rw=_rw_meeting_floor(gyro_bi)),
        mag=AxisNoise(
            range=4 * GAUSS, resolution=GAUSS / 6842,        # ±4 gauss, 6842 LSB/gauss
            noise_density=0.32 / math.sqrt(80.0),            # 3.2 mgauss RMS (x, y; ultra-high-performance) at 80 Hz
            bias_std=1.0 * GAUSS / 2 / 5,                    # zero-gauss offset ±1 gauss (typ) is before the user's
                                                             # offset calibration; assumed 1/5 of it remains (10 µT)
            scale_std=0.02, cross_axis_std=0.01))            # assumed soft iron


def icm42688p() -> NoiseModel:
    acc_bi, gyro_bi = 40 * UG, 3 * DPH  # assumed
    return NoiseModel(
        name="ICM-42688-P",
        source="TDK InvenSense ICM-42688-P datasheet DS-000347 (rev. 1.x, 2020-2021); magnetometer: AK09916 "
               "(the ICM-20948's), assumed as a companion",
        acc=AxisNoise(
            range=ACC8, resolution=2 * ACC8 / 2 ** 16,
            noise_density=70 * UG,                           # 70 µg/√Hz (typ, low-noise mode)
            bias_std=20 * MG / 2,                            # zero-g offset ±20 mg (typ)
            bias_tempco_std=0.15 * MG / 2,                   # zero-g level change vs temperature ±0.15 mg/°C (typ)
            scale_std=0.005 / 2,                             # sensitivity tolerance ±0.5 % (typ)
            scale_tempco_std=0.00005 / 2,                    # assumed ±0.005 %/°C
            cross_axis_std=0.01 / 2,                         # cross-axis sensitivity ±1 % (typ)
            bandwidth_odr=0.25, filter_order=2,              # UI filter at ODR/4 (BW index 1 at ODR >= 400 Hz); order assumed
            bias_instability=acc_bi, bias_rw=_rw_meeting_floor(acc_bi)),
        gyro=AxisNoise(
            range=GYRO2000, resolution=2 * GYRO2000 / 2 ** 16,
            noise_density=0.0028 * DEG,                      # 0.0028 °/s/√Hz (typ)
            bias_std=0.5 * DEG / 2,                          # zero-rate offset ±0.5 °/s (typ)
            bias_tempco_std=0.005 * DEG / 2,                 # zero-rate offset change vs temperature ±0.005 °/s/°C (typ)
            scale_std=0.005 / 2,                             # sensitivity tolerance ±0.5 % (typ)
            scale_tempco_std=0.00005 / 2,                    # assumed ±0.005 %/°C
            cross_axis_std=0.0125 / 2,                       # cross-axis sensitivity ±1.25 % (typ)
            g_sensitivity=0.1 * DEG / G,                     # assumed 0.1 °/s/g (not specified)
            bandwidth_odr=0.25, filter_order=2,              # UI filter at ODR/4, as the accelerometer
            bias_instability=gyro_bi, bias_rw=_rw_meeting_floor(gyro_bi)),
        mag=_ak09916())


def _ak09916() -> AxisNoise:
    return AxisNoise(
        range=4900.0, resolution=0.15,                       # ±4900 µT, 0.15 µT/LSB (16 bit)
        noise_density=0.4 / math.sqrt(100.0),                # assumed 0.4 µT RMS at 100 Hz
        bias_std=10.0,                                       # assumed: offset + device hard iron
        scale_std=0.02, cross_axis_std=0.01)                 # assumed soft iron


def mpu6050() -> NoiseModel:
    acc_bi, gyro_bi = 100 * UG, 15 * DPH  # assumed
    return NoiseModel(
        name="MPU-6050",
        source="InvenSense MPU-6000/MPU-6050 product specification PS-MPU-6000A-00 rev. 3.4 (2013) and register map "
               "RM-MPU-6000A-00 rev. 4.2; magnetometer: AK8963 (the MPU-9250's), assumed as a companion",
        acc=AxisNoise(
            range=ACC8, resolution=2 * ACC8 / 2 ** 16,       # AFS_SEL = 2: ±8 g, 4096 LSB/g
            noise_density=400 * UG,                          # power spectral density 400 µg/√Hz (typ)
            bias_std=50 * MG / 2,                            # zero-g output ±50 mg X/Y (Z: ±80 mg, modelled as X/Y)
            bias_tempco_std=35 * MG / 70 / 2,                # zero-g change ±35 mg over 0..70 °C (X/Y)
            scale_std=0.03 / 2,                              # initial calibration tolerance ±3 %
            scale_tempco_std=0.0002 / 2,                     # sensitivity change vs temperature ±0.02 %/°C
            cross_axis_std=0.02 / 2,                         # cross-axis sensitivity ±2 %
            bandwidth_odr=0.42,                              # DLPF_CFG chosen just below ODR/2 (assumed): 21 Hz at 50 Hz,
                                                             # 44 Hz at 100 Hz
            bias_instability=acc_bi, bias_rw=_rw_meeting_floor(acc_bi)),
        gyro=AxisNoise(
            range=GYRO2000, resolution=2 * GYRO2000 / 2 ** 16,  # FS_SEL = 3: ±2000 °/s, 16.4 LSB/(°/s)
            noise_density=0.005 * DEG,                       # rate noise spectral density 0.005 °/s/√Hz
            bias_std=20 * DEG / 2,                           # initial zero-rate output tolerance ±20 °/s
            bias_tempco_std=20 * DEG / 125 / 2,              # ZRO variation ±20 °/s over −40..85 °C
            scale_std=0.03 / 2,                              # initial sensitivity tolerance ±3 %
            scale_tempco_std=0.02 / 125 / 2,                 # sensitivity change ±2 % over −40..85 °C
            cross_axis_std=0.02 / 2,                         # cross-axis sensitivity ±2 %
            g_sensitivity=0.1 * DEG / G,                     # linear acceleration sensitivity 0.1 °/s/g
            bandwidth_odr=0.42,                              # DLPF, as the accelerometer (42 Hz at 100 Hz)
            bias_instability=gyro_bi, bias_rw=_rw_meeting_floor(gyro_bi)),
        mag=AxisNoise(
            range=4912.0, resolution=0.15,                   # AK8963 16-bit mode: ±4912 µT, 0.15 µT/LSB
            noise_density=0.5 / math.sqrt(100.0),            # assumed 0.5 µT RMS at 100 Hz
            bias_std=10.0, scale_std=0.02, cross_axis_std=0.01))  # assumed hard / soft iron


def mti630() -> NoiseModel:
    acc_bi, gyro_bi = 15 * UG, 8 * DPH  # in-run bias stability (datasheet)
    return NoiseModel(
        name="Xsens MTi-630",
        source="Xsens MTi 600-series datasheet (2020-2022 revisions; document number not at hand). Factory "
               "calibrated over temperature: scale, alignment and temperature terms are small (assumed values)",
        acc=AxisNoise(
            range=10 * G,                                    # ±10 g; float output, no quantisation modelled
            noise_density=60 * UG,                           # 60 µg/√Hz
            bias_instability=acc_bi,                         # in-run bias stability 15 µg
            bias_rw=_rw_meeting_floor(acc_bi, 1000.0),       # assumed: meets the floor at τ = 1000 s
            bias_std=1 * MG / 2,                             # assumed ±1 mg bias repeatability
            scale_std=0.0005, misalignment_std=0.05 * DEG,   # assumed after calibration: 0.05 %, 0.05°
            cross_axis_std=0.0005),                          # assumed 0.05 %
        gyro=AxisNoise(
            range=GYRO2000,
            noise_density=0.007 * DEG,                       # 0.007 °/s/√Hz
            bias_instability=gyro_bi,                        # in-run bias stability 8 °/h
            bias_rw=_rw_meeting_floor(gyro_bi, 1000.0),      # assumed: meets the floor at τ = 1000 s
            bias_std=0.2 * DEG / 2,                          # assumed ±0.2 °/s bias repeatability
            g_sensitivity=0.001 * DEG / G,                   # g-sensitivity (calibrated) 0.001 °/s/g
            scale_std=0.0005, misalignment_std=0.05 * DEG,   # assumed after calibration
            cross_axis_std=0.0005),
        mag=AxisNoise(
            range=8 * GAUSS,                                 # ±8 G
            noise_density=0.05,                              # assumed 0.5 mG/√Hz
            bias_std=2.0, scale_std=0.005, cross_axis_std=0.005))  # assumed after in-field calibration


def ideal() -> NoiseModel:
    return NoiseModel(name="ideal", source="no sensor errors")


PROFILES: Dict[str, Callable[[], NoiseModel]] = {
    "ideal": ideal,
    "bmi160": bmi160,
    "bmi270": bmi270,
    "lsm6dso": lsm6dso,
    "icm42688p": icm42688p,
    "mpu6050": mpu6050,
    "mti630": mti630,
}
ALIASES = {"default": "bmi160", "lsm6dsox": "lsm6dso", "icm-42688-p": "icm42688p", "icm42688": "icm42688p",
           "mpu-6050": "mpu6050", "xsens": "mti630", "mti-630": "mti630", "xsens-mti630": "mti630"}


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def list_noise_models() -> List[str]:
    """Profile names accepted by ``get_noise_model`` / ``--noise`` (aliases not included)."""
    return list(PROFILES)


def get_profile(name: str) -> NoiseModel:
    k = _key(name)
    k = ALIASES.get(k, k)
    k2 = k.replace("-", "")
    f = PROFILES.get(k) or PROFILES.get(k2) or PROFILES.get(ALIASES.get(k2, ""))
    if f is None:
        raise ValueError(f"unknown noise model {name!r}; known: {', '.join(list(PROFILES) + ['none'])} "
                         f"(aliases: {', '.join(sorted(ALIASES))})")
    return f()


def get_noise_model(noise) -> Optional[NoiseModel]:
    """None / ``"none"`` → None (ideal sensor, no model); a :class:`NoiseModel` → itself; a profile name
    (``"bmi160"``, ``"ideal"``, ... see :func:`imusim.imu.profiles.list_noise_models`) → that profile.
    An unknown name raises a ValueError listing the known ones."""
    if noise is None or isinstance(noise, NoiseModel):
        return noise
    if isinstance(noise, str):
        if noise.strip().lower() == "none":
            return None
        return get_profile(noise)
    raise ValueError(f"noise must be None, a profile name or a NoiseModel, got {noise!r}")


def _register():
    from . import noise as _noise

    _noise._PROFILE_LOOKUP[:] = [get_noise_model]


_register()
