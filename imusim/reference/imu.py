"""Reference virtual IMU (naive PyTorch): FK → sensor pose → finite differences → sensor frame."""

from __future__ import annotations

import torch

from .fk import forward_kinematics


def sensor_poses(local_rot, root_pos, parents, offsets, sjoint, soff, srot):
    """``R_ws [..., T, S, 3, 3]``, ``p_s [..., T, S, 3]``."""
    G, P = forward_kinematics(local_rot, root_pos, parents, offsets)
    Gs = G[..., sjoint, :, :]
    R = Gs @ srot.to(Gs)
    p = P[..., sjoint, :] + (Gs @ soff.to(Gs)[..., None]).squeeze(-1)
    return R, p


def so3_log(R):
    """vee(log R) for ``[..., 3, 3]`` (angle < π)."""
    tr = R[..., 0, 0] + R[..., 1, 1] + R[..., 2, 2]
    c = ((tr - 1) / 2).clamp(-1 + 1e-12, 1 - 1e-12)
    th = torch.acos(c)
    k = torch.where(th < 1e-4, 0.5 + th * th / 12, th / (2 * torch.sin(th).clamp_min(1e-30)))
    v = torch.stack([R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]], -1)
    return k[..., None] * v


def imu_from_poses(R, p, dt: float, g):
    """acc/gyro/orientation at frames 1..T−2 from sensor poses ``R [..., T, S, 3, 3]``, ``p [..., T, S, 3]``."""
    a = (p[..., 2:, :, :] - 2 * p[..., 1:-1, :, :] + p[..., :-2, :, :]) / (dt * dt)
    f = a - g.to(a)
    Rm = R[..., 1:-1, :, :, :]
    acc = (Rm.transpose(-1, -2) @ f[..., None]).squeeze(-1)
    w1 = so3_log(R[..., :-2, :, :, :].transpose(-1, -2) @ Rm)
    w2 = so3_log(Rm.transpose(-1, -2) @ R[..., 2:, :, :, :])
    gyro = (w1 + w2) / (2 * dt)
    return acc, gyro, Rm


def synthesize(local_rot, root_pos, parents, offsets, sjoint, soff, srot, dt: float, g):
    R, p = sensor_poses(local_rot, root_pos, parents, offsets, sjoint, soff, srot)
    return imu_from_poses(R, p, dt, g)
