"""Rotation conversions (batched over leading dims ``...``, differentiable, float32/float64).

Conventions
-----------
* Rotation matrices act on column vectors: ``v_world = R @ v_local``.
* Quaternions are (w, x, y, z); :func:`matrix_to_quaternion` returns the canonical sign (w ≥ 0).
* Axis-angle: a 3-vector whose direction is the axis and whose norm is the angle (rad).
* rot6d: the first two **columns** of the matrix, ``[R[:, 0], R[:, 1]]`` flattened column-wise as
  ``(r00, r10, r20, r01, r11, r21)`` — HumanML3D/MDM's ``quaternion_to_cont6d`` layout; back by
  Gram–Schmidt (Zhou et al. 2019).
* Euler angles for BVH: an order string like ``"ZXY"`` means intrinsic rotations in channel order,
  ``R = R_Z(a0) @ R_X(a1) @ R_Y(a2)``.
"""

from __future__ import annotations

import torch

ROT_FORMATS = {"matrix": (3, 3), "rot6d": (6,), "axis_angle": (3,), "quaternion": (4,)}


def _sinc_like(theta):
    """sin(θ)/θ with a Taylor branch near 0."""
    small = theta.abs() < 1e-4
    t = torch.where(small, torch.ones_like(theta), theta)
    return torch.where(small, 1 - theta * theta / 6, torch.sin(t) / t)


def axis_angle_to_matrix(aa: torch.Tensor) -> torch.Tensor:
    """``[..., 3]`` → ``[..., 3, 3]`` (Rodrigues, stable at 0)."""
    theta2 = (aa * aa).sum(-1, keepdim=True)
    theta = theta2.clamp_min(1e-24).sqrt()
    small = theta2 < 1e-8
    # sin(θ)/θ and (1−cos θ)/θ² with series near 0
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / torch.where(small, torch.ones_like(theta), theta))
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / torch.where(small, torch.ones_like(theta2), theta2))
    x, y, z = aa.unbind(-1)
    o = torch.zeros_like(x)
    K = torch.stack([o, -z, y, z, o, -x, -y, x, o], -1).view(*aa.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device)
    return eye + a[..., None] * K + b[..., None] * (K @ K)


def quaternion_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """``[..., 4]`` (w, x, y, z; normalised here) → ``[..., 3, 3]``."""
    q = q / q.norm(dim=-1, keepdim=True)
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1).view(*q.shape[:-1], 3, 3)


def matrix_to_quaternion(R: torch.Tensor) -> torch.Tensor:
    """``[..., 3, 3]`` → ``[..., 4]`` (w ≥ 0), numerically stable branch per element (Shepperd)."""
    m = R
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    cands = torch.stack([
        torch.stack([1 + m00 + m11 + m22, m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], -1),
        torch.stack([m[..., 2, 1] - m[..., 1, 2], 1 + m00 - m11 - m22, m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0]], -1),
        torch.stack([m[..., 0, 2] - m[..., 2, 0], m[..., 0, 1] + m[..., 1, 0], 1 - m00 + m11 - m22, m[..., 1, 2] + m[..., 2, 1]], -1),
        torch.stack([m[..., 1, 0] - m[..., 0, 1], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1], 1 - m00 - m11 + m22], -1),
    ], -2)  # [..., 4, 4]: row k ∝ q (scaled by 4 q_k)
    diag = torch.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1)
    k = diag.argmax(-1, keepdim=True)
    q = torch.gather(cands, -2, k[..., None].expand(*k.shape[:-1], 1, 4)).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


def quaternion_to_axis_angle(q: torch.Tensor) -> torch.Tensor:
    """``[..., 4]`` → ``[..., 3]`` with angle in [0, π]."""
    q = q / q.norm(dim=-1, keepdim=True)
    q = torch.where(q[..., :1] < 0, -q, q)
    s = q[..., 1:].norm(dim=-1, keepdim=True)
    angle = 2 * torch.atan2(s, q[..., :1])
    return q[..., 1:] * (angle / s.clamp_min(1e-12)) * (s > 1e-12) + q[..., 1:] * 2 * (s <= 1e-12)


def axis_angle_to_quaternion(aa: torch.Tensor) -> torch.Tensor:
    """``[..., 3]`` axis-angle → ``[..., 4]`` unit quaternion (w, x, y, z), w ≥ 0 for angles ≤ π."""
    theta = aa.norm(dim=-1, keepdim=True)
    half = 0.5 * theta
    return torch.cat([torch.cos(half), aa * 0.5 * _sinc_like(half)], -1)


def matrix_to_axis_angle(R: torch.Tensor) -> torch.Tensor:
    """``[..., 3, 3]`` → ``[..., 3]`` axis-angle, angle in [0, π] (via the stable quaternion branch, so
    exact at 0 and at π)."""
    return quaternion_to_axis_angle(matrix_to_quaternion(R))


def rot6d_to_matrix(d6: torch.Tensor) -> torch.Tensor:
    """``[..., 6]`` (two columns) → ``[..., 3, 3]`` by Gram–Schmidt."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = a1 / a1.norm(dim=-1, keepdim=True)
    b2 = a2 - (b1 * a2).sum(-1, keepdim=True) * b1
    b2 = b2 / b2.norm(dim=-1, keepdim=True)
    b3 = torch.cross(b1, b2, dim=-1)
    return torch.stack([b1, b2, b3], dim=-1)


def matrix_to_rot6d(R: torch.Tensor) -> torch.Tensor:
    """``[..., 3, 3]`` → ``[..., 6]`` = (column 0, column 1)."""
    return torch.cat([R[..., :, 0], R[..., :, 1]], -1)


def _axis_matrix(axis: str, a: torch.Tensor) -> torch.Tensor:
    c, s, o, i = torch.cos(a), torch.sin(a), torch.zeros_like(a), torch.ones_like(a)
    if axis == "X":
        m = [i, o, o, o, c, -s, o, s, c]
    elif axis == "Y":
        m = [c, o, s, o, i, o, -s, o, c]
    else:
        m = [c, -s, o, s, c, o, o, o, i]
    return torch.stack(m, -1).view(*a.shape, 3, 3)


def _check_order(order: str) -> str:
    o = order.upper()
    if len(o) != 3 or set(o) - set("XYZ") or o[0] == o[1] or o[1] == o[2]:
        raise ValueError(f"euler order must be 3 axes from X, Y, Z (e.g. 'ZXY'), got {order!r}")
    return o


def euler_to_matrix(angles: torch.Tensor, order: str, degrees: bool = False) -> torch.Tensor:
    """Intrinsic Euler ``[..., 3]`` in ``order`` (BVH channel order) → ``[..., 3, 3]``."""
    o = _check_order(order)
    if degrees:
        angles = angles * (torch.pi / 180)
    R = _axis_matrix(o[0], angles[..., 0])
    R = R @ _axis_matrix(o[1], angles[..., 1])
    return R @ _axis_matrix(o[2], angles[..., 2])


def matrix_to_euler(R: torch.Tensor, order: str, degrees: bool = False) -> torch.Tensor:
    """Inverse of :func:`euler_to_matrix`: ``[..., 3, 3]`` → ``[..., 3]`` angles in ``order``.

    Tait–Bryan orders only (three distinct axes); the middle angle is in [−π/2, π/2], the others in
    (−π, π]. In gimbal lock (middle angle ±π/2) the first angle is arbitrary and the third matches it,
    so ``euler_to_matrix(matrix_to_euler(R))`` reproduces ``R`` everywhere.
    """
    o = _check_order(order)
    if len(set(o)) != 3:
        raise ValueError(f"matrix_to_euler supports Tait–Bryan orders (three distinct axes), got {order!r}")
    idx = {"X": 0, "Y": 1, "Z": 2}
    i, j, k = idx[o[0]], idx[o[1]], idx[o[2]]
    sign = 1.0 if (j - i) % 3 == 1 else -1.0  # cyclic (XYZ, YZX, ZXY) or not
    # R = R_i(a) R_j(b) R_k(c): R[i,k] = sign·sin(b), |R[i,i]|² + |R[i,j]|² = cos²(b)
    b = torch.atan2(sign * R[..., i, k], torch.hypot(R[..., i, i], R[..., i, j]))
    a = torch.atan2(-sign * R[..., j, k], R[..., k, k])
    # c from the residual R_k(c) = (R_i(a) R_j(b))ᵀ R: exact also in gimbal lock (b = ±π/2), where a is
    # arbitrary (any a with its matching c reproduces R)
    M = (_axis_matrix(o[0], a) @ _axis_matrix(o[1], b)).transpose(-1, -2) @ R
    k1, k2 = (k + 1) % 3, (k + 2) % 3
    c = torch.atan2(M[..., k2, k1], M[..., k1, k1])
    out = torch.stack([a, b, c], -1)
    return out * (180 / torch.pi) if degrees else out


def quaternion_multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product ``a ⊗ b`` of ``[..., 4]`` (w, x, y, z) quaternions (broadcast); matrix of the
    result = ``quaternion_to_matrix(a) @ quaternion_to_matrix(b)``."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                        aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], -1)


def quaternion_conjugate(q: torch.Tensor) -> torch.Tensor:
    """``[..., 4]`` → the conjugate (w, −x, −y, −z): the inverse of a unit quaternion (no constant tensor, so
    nothing is copied to the device)."""
    return torch.cat([q[..., :1], -q[..., 1:]], -1)


def quaternion_apply(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate vectors ``v [..., 3]`` by unit quaternions ``q [..., 4]`` (broadcast):
    ``v + 2w (u × v) + 2 u × (u × v)`` with q = (w, u)."""
    u = q[..., 1:]
    w = q[..., :1]
    t = 2 * torch.cross(u, v, dim=-1)
    return v + w * t + torch.cross(u, t, dim=-1)


def quaternion_between(v0: torch.Tensor, v1: torch.Tensor) -> torch.Tensor:
    """The unit quaternion of the shortest rotation taking direction ``v0 [..., 3]`` onto ``v1`` (w ≥ 0)."""
    v = torch.cross(v0, v1, dim=-1)
    w = (v0.square().sum(-1) * v1.square().sum(-1)).sqrt() + (v0 * v1).sum(-1)
    q = torch.cat([w[..., None], v], -1)
    return q / q.norm(dim=-1, keepdim=True)


def quaternion_slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    """Shortest-path slerp between unit quaternions ``[..., 4]`` at fraction ``t`` (broadcastable)."""
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.dim() and t.shape[-1] != 1:
        t = t[..., None]
    dot = (a * b).sum(-1, keepdim=True)
    b = torch.where(dot < 0, -b, b)
    dot = dot.abs().clamp(max=1.0)
    theta = torch.acos(dot)
    s = torch.sin(theta)
    near = s < 1e-6
    w0 = torch.where(near, 1 - t, torch.sin((1 - t) * theta) / torch.where(near, torch.ones_like(s), s))
    w1 = torch.where(near, t, torch.sin(t * theta) / torch.where(near, torch.ones_like(s), s))
    q = w0 * a + w1 * b
    return q / q.norm(dim=-1, keepdim=True)


def to_matrix(x: torch.Tensor, rot_format: str) -> torch.Tensor:
    """Convert rotations in ``rot_format`` (matrix, rot6d, axis_angle, quaternion) to ``[..., 3, 3]``."""
    if rot_format not in ROT_FORMATS:
        raise ValueError(f"rot_format must be one of {list(ROT_FORMATS)}, got {rot_format!r}")
    tail = ROT_FORMATS[rot_format]
    if tuple(x.shape[-len(tail):]) != tail:
        raise ValueError(f"rot_format={rot_format!r} expects rotations shaped [..., {', '.join(map(str, tail))}], "
                         f"got [..., {', '.join(map(str, x.shape[-len(tail):]))}]")
    if rot_format == "matrix":
        return x
    if rot_format == "rot6d":
        return rot6d_to_matrix(x)
    if rot_format == "axis_angle":
        return axis_angle_to_matrix(x)
    return quaternion_to_matrix(x)
