"""Sensor error model: white noise, bias (constant + random walk), scale factor, axis misalignment,
range saturation and quantisation, applied to ideal acc/gyro signals. Seeded (torch.Generator).

Per sequence and sensor (drawn once): scale errors ``s ~ N(0, scale_std)`` per axis, misalignment
small angles ``ε ~ N(0, misalignment_std)`` → ``M = diag(1 + s) (I + [ε]×)``; constant bias
``b0 ~ N(0, bias_std)``. Per sample: bias random walk ``b[k] = b0 + Σ N(0, bias_rw·√dt)`` and white
noise ``N(0, noise_density·√rate)`` (the discrete-time std of a continuous white noise of density N
sampled at ``rate``, as Kalibr and IMUSim use). Then ``y = clip(M x + b + n, ±range)``, rounded to
``resolution``.

Default profile: Bosch Sensortec BMI160 (datasheet BST-BMI160-DS000): accelerometer noise density
180 µg/√Hz, zero-g offset ±40 mg, sensitivity tolerance ±1 %, cross-axis sensitivity ±1 %, range ±8 g
at 16 bit; gyroscope noise density 0.007 °/s/√Hz, zero-rate offset ±3 °/s, sensitivity tolerance
±1 %, range ±2000 °/s at 16 bit. Datasheet tolerances are read as ≈ 2σ; bias random walks are not in
the datasheet and are typical consumer-MEMS values (our assumption, stated in the profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import torch

G = 9.80665
DEG = math.pi / 180


@dataclass(frozen=True)
class AxisNoise:
    noise_density: float = 0.0      # (unit)/√Hz
    bias_std: float = 0.0           # unit
    bias_rw: float = 0.0            # unit/√s
    scale_std: float = 0.0          # fraction
    misalignment_std: float = 0.0   # rad
    range: Optional[float] = None   # unit (saturation at ±range)
    resolution: Optional[float] = None  # unit per LSB


@dataclass(frozen=True)
class NoiseModel:
    acc: AxisNoise = AxisNoise()
    gyro: AxisNoise = AxisNoise()
    name: str = "custom"

    @staticmethod
    def bmi160() -> "NoiseModel":
        acc_range = 8 * G
        gyro_range = 2000 * DEG
        return NoiseModel(
            acc=AxisNoise(180e-6 * G, 0.040 * G / 2, 1e-4, 0.01 / 2, 0.01 / 2, acc_range, 2 * acc_range / 2 ** 16),
            gyro=AxisNoise(0.007 * DEG, 3 * DEG / 2, 2e-5, 0.01 / 2, 0.01 / 2, gyro_range, 2 * gyro_range / 2 ** 16),
            name="BMI160")

    @staticmethod
    def ideal() -> "NoiseModel":
        return NoiseModel(name="ideal")

    def scaled(self, k: float) -> "NoiseModel":
        """All random error magnitudes × k (range and resolution unchanged)."""
        f = lambda a: replace(a, noise_density=a.noise_density * k, bias_std=a.bias_std * k,  # noqa: E731
                              bias_rw=a.bias_rw * k, scale_std=a.scale_std * k, misalignment_std=a.misalignment_std * k)
        return NoiseModel(f(self.acc), f(self.gyro), f"{self.name}x{k}")


def _skew(e):
    z = torch.zeros_like(e[..., 0])
    return torch.stack([z, -e[..., 2], e[..., 1], e[..., 2], z, -e[..., 0], -e[..., 1], e[..., 0], z], -1).view(
        *e.shape[:-1], 3, 3)


def _apply_axis(x: torch.Tensor, p: AxisNoise, rate: float, gen: torch.Generator) -> torch.Tensor:
    """x ``[B, T, S, 3]``."""
    B, T, S, _ = x.shape
    opts = dict(dtype=x.dtype)
    rn = lambda *shape: torch.randn(*shape, generator=gen, **opts).to(x.device)  # noqa: E731
    y = x
    if p.scale_std or p.misalignment_std:
        M = torch.diag_embed(1 + p.scale_std * rn(B, 1, S, 3)) @ (torch.eye(3, **opts).to(x.device)
                                                                  + _skew(p.misalignment_std * rn(B, 1, S, 3)))
        y = (M @ y[..., None]).squeeze(-1)
    if p.bias_std:
        y = y + p.bias_std * rn(B, 1, S, 3)
    if p.bias_rw:
        y = y + torch.cumsum(p.bias_rw * math.sqrt(1.0 / rate) * rn(B, T, S, 3), dim=1)
    if p.noise_density:
        y = y + p.noise_density * math.sqrt(rate) * rn(B, T, S, 3)
    if p.range is not None:
        y = y.clamp(-p.range, p.range)
    if p.resolution:
        y = torch.round(y / p.resolution) * p.resolution
    return y


def apply_noise(acc: torch.Tensor, gyro: torch.Tensor, rate: float, model: NoiseModel,
                generator: Optional[torch.Generator] = None, seed: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Noisy copies of ``acc``/``gyro`` ``[..., T, S, 3]`` sampled at ``rate`` Hz."""
    if generator is None:
        generator = torch.Generator().manual_seed(0 if seed is None else seed)
    lead = acc.shape[:-3]
    a = acc.reshape(-1, *acc.shape[-3:])
    g = gyro.reshape(-1, *gyro.shape[-3:])
    a = _apply_axis(a, model.acc, rate, generator)
    g = _apply_axis(g, model.gyro, rate, generator)
    return a.reshape(*lead, *a.shape[-3:]), g.reshape(*lead, *g.shape[-3:])


def get_noise_model(noise) -> Optional[NoiseModel]:
    if noise is None or isinstance(noise, NoiseModel):
        return noise
    if isinstance(noise, str):
        if noise.lower() in ("bmi160", "default"):
            return NoiseModel.bmi160()
        if noise.lower() in ("none", "ideal"):
            return None
    raise ValueError(f"noise must be None, 'bmi160'/'default', 'ideal' or a NoiseModel, got {noise!r}")
