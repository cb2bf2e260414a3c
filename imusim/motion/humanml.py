"""HumanML3D's 263-d motion representation (Guo et al. 2022) for the 22-joint SMPL body.

Layout of one frame (``[..., T−1, 263]`` from ``T`` frames of joint positions), named slices below:

=================  ======  ===========================================================================
slice              dims    meaning
=================  ======  ===========================================================================
ROOT_ROT_VEL       0:1     root angular velocity about y (rad/frame; the half-angle's arcsin, as the
                           reference pipeline stores it)
ROOT_LIN_VEL       1:3     root linear velocity in x/z, in the root's facing frame (m/frame)
ROOT_Y             3:4     root height (m)
RIC                4:67    21 joint positions relative to the root, in the facing frame (m)
ROT6D              67:193  21 joint rotations (continuous 6-d: first two columns) from HumanML3D's IK
LOCAL_VEL          193:259 22 joint velocities in the facing frame (m/frame)
FOOT_CONTACT       259:263 left ankle, left toe, right ankle, right toe contacts (0/1)
=================  ======  ===========================================================================

Conventions follow the reference pipeline (HumanML3D ``motion_representation.ipynb``/MDM): y up,
the body faces +z at the first frame, 20 fps; feet are in contact when the squared per-frame
displacement of the joint is below 0.002 m². ``recover_from_ric`` inverts the root integration exactly.

Facing direction. Two different estimates are used by the reference, and both are reproduced here:

* first-frame canonicalisation (``canonicalise``): across = (r_hip − l_hip) + (r_shoulder − l_shoulder),
  forward = up × across, unsmoothed, rotated onto +z;
* the per-frame root rotation (``inverse_kinematics``, which drives the root velocities, ``ric``,
  ``rot6d`` and the local velocities): the reference IK unpacks the face-joint list ``[2, 1, 17, 16]``
  as (l_hip, r_hip, r_shoulder, l_shoulder), so its hip term is reversed: across =
  (l_hip − r_hip) + (r_shoulder − l_shoulder) (the shoulder line minus the hip line).  forward =
  up × across is Gaussian-smoothed along time (σ = 20 frames, ``mode='nearest'``, 4σ truncation),
  re-normalised, and the root rotation is the one taking it to +z, except at frame 0 where it is the
  identity.  ``facing="reference"`` (default) uses this; ``facing="anatomical"`` uses the
  (r_hip − l_hip) + (r_shoulder − l_shoulder) line for the root rotation as well (the behaviour before
  the reference was matched).  Either choice is inverted exactly by ``recover_from_ric``.

Features computed from a HumanML3D clip's ``new_joints`` then agree with its ``new_joint_vecs``
to float32 precision except near the end: ``new_joints`` lacks the source's last frame (features
keep T−1 of T frames), and that frame enters the smoothed facing of the last 4σ = 80 frames.
Written from the published definitions; no reference code is copied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import torch

from ..constants import HUMANML3D_FPS
from ..kinematics.rotations import (matrix_to_rot6d, quaternion_apply, quaternion_between, quaternion_conjugate,
                                   quaternion_multiply, quaternion_to_matrix)

ROOT_ROT_VEL = slice(0, 1)
ROOT_LIN_VEL = slice(1, 3)
ROOT_Y = slice(3, 4)
RIC = slice(4, 67)
ROT6D = slice(67, 193)
LOCAL_VEL = slice(193, 259)
FOOT_CONTACT = slice(259, 263)
GROUPS = {"root_rot_vel": ROOT_ROT_VEL, "root_lin_vel": ROOT_LIN_VEL, "root_y": ROOT_Y, "ric": RIC,
          "rot6d": ROT6D, "local_vel": LOCAL_VEL, "foot_contact": FOOT_CONTACT}
N_FEATS = 263
FACE_JOINTS = (2, 1, 17, 16)  # r_hip, l_hip, r_shoulder, l_shoulder
FEET_L, FEET_R = (7, 10), (8, 11)
KINEMATIC_CHAIN = ((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15), (9, 14, 17, 19, 21), (9, 13, 16, 18, 20))


# quaternion helpers: imusim/kinematics/rotations.py (HumanML3D's qmul / qinv / qrot / qbetween)
qmul, qinv, qrot, qbetween = quaternion_multiply, quaternion_conjugate, quaternion_apply, quaternion_between


def _quat_to_cont6d(q):
    return matrix_to_rot6d(quaternion_to_matrix(q))


# ------------------------------------------------------------------------------------ features
FACINGS = ("reference", "anatomical")


def _facing_forward(P, smooth: bool, facing: str = "anatomical"):
    """Unit forward direction ``[T, 3]``: up × across (see the module docstring for ``facing``)."""
    r_hip, l_hip, sdr_r, sdr_l = FACE_JOINTS
    if facing == "reference":  # the reference IK's (l_hip, r_hip, ...) unpacking of [2, 1, 17, 16]
        r_hip, l_hip = l_hip, r_hip
    elif facing != "anatomical":
        raise ValueError(f"facing must be one of {FACINGS}, got {facing!r}")
    across = (P[..., r_hip, :] - P[..., l_hip, :]) + (P[..., sdr_r, :] - P[..., sdr_l, :])
    across = across / across.norm(dim=-1, keepdim=True)
    up = torch.tensor([0.0, 1.0, 0.0], dtype=P.dtype).expand_as(across)
    fwd = torch.cross(up, across, dim=-1)
    if smooth:
        from scipy.ndimage import gaussian_filter1d

        fwd = torch.from_numpy(gaussian_filter1d(fwd.numpy(), 20, axis=0, mode="nearest"))
    return fwd / fwd.norm(dim=-1, keepdim=True)


def inverse_kinematics(P: torch.Tensor, facing: str = "reference", root: Optional[torch.Tensor] = None) -> torch.Tensor:
    """HumanML3D-style IK: local quaternions ``[T, 22, 4]``; root = rotation taking the smoothed facing
    direction (``facing``: see the module docstring) to +z (identity at frame 0), or the given ``root``
    quaternions ``[T, 4]``; other joints the swing from the raw rest direction."""
    from ..kinematics.presets import T2M_RAW_DIRECTIONS

    T = P.shape[0]
    raw = torch.tensor(T2M_RAW_DIRECTIONS, dtype=P.dtype)
    if root is None:
        fwd = _facing_forward(P, smooth=True, facing=facing)
        target = torch.tensor([0.0, 0.0, 1.0], dtype=P.dtype).expand_as(fwd)
        root = qbetween(fwd, target)
        root[0] = torch.tensor([1.0, 0, 0, 0], dtype=P.dtype)
    elif root.shape != (T, 4):
        raise ValueError(f"inverse_kinematics: root must be [T, 4] = {[T, 4]} quaternions, got {list(root.shape)}")
    quat = torch.zeros(T, 22, 4, dtype=P.dtype)
    quat[:, 0] = root
    for chain in KINEMATIC_CHAIN:
        R = root
        for a, b in zip(chain[:-1], chain[1:]):
            u = raw[b].expand(T, 3)
            v = P[:, b] - P[:, a]
            v = v / v.norm(dim=-1, keepdim=True)
            loc = qmul(qinv(R), qbetween(u, v))
            quat[:, b] = loc
            R = qmul(R, loc)
    return quat


def canonicalise(P: torch.Tensor) -> torch.Tensor:
    """Floor at y = 0, first-frame root xz at the origin, first-frame facing +z (``[T, 22, 3]``)."""
    P = P.clone()
    P[..., 1] -= P[..., 1].min()
    P = P - P[0, 0] * torch.tensor([1.0, 0.0, 1.0], dtype=P.dtype)
    fwd0 = _facing_forward(P[:1], smooth=False, facing="anatomical")
    q = qbetween(fwd0, torch.tensor([[0.0, 0.0, 1.0]], dtype=P.dtype))
    return qrot(q.expand(*P.shape[:-1], 4), P)


def features_from_positions(joints: torch.Tensor, fps: float = HUMANML3D_FPS, canonical: bool = True,
                            feet_threshold: float = 0.002, facing: str = "reference",
                            root: Optional[torch.Tensor] = None) -> torch.Tensor:
    """263-d features ``[T−1, 263]`` from joint positions ``[T, 22, 3]`` (m, y-up, at 20 fps).

    ``canonical`` first applies the reference preprocessing (floor, origin, face +z). The skeleton is
    taken as given (retarget to SMPL22's bone lengths first, e.g. ``imusim.data.retarget``).
    ``facing`` selects the per-frame root-facing estimate: ``"reference"`` reproduces HumanML3D's
    (hip term reversed, see the module docstring), ``"anatomical"`` uses hips + shoulders; ``root``
    (quaternions ``[T, 4]``, with ``canonical=False``) gives the root frame instead of estimating it.
    """
    if fps != HUMANML3D_FPS:
        raise ValueError(f"features_from_positions: HumanML3D features are defined at 20 fps, got fps={fps}")
    P = torch.as_tensor(joints, dtype=torch.float64)
    if facing not in FACINGS:
        raise ValueError(f"features_from_positions: facing must be one of {FACINGS}, got {facing!r}")
    if P.dim() != 3 or P.shape[1:] != (22, 3) or P.shape[0] < 2:
        raise ValueError(f"features_from_positions: joints must be [T>=2, 22, 3], got {list(P.shape)}")
    if root is not None and canonical:
        raise ValueError("features_from_positions: root gives the positions' own root frame; use canonical=False")
    if canonical:
        P = canonicalise(P)
    G = P.clone()
    # foot contacts from squared displacement
    def contact(idx):
        d = (G[1:, list(idx)] - G[:-1, list(idx)]).square().sum(-1)
        return (d < feet_threshold).to(P.dtype)

    feet_l, feet_r = contact(FEET_L), contact(FEET_R)
    # no sign fixing: cont6d is sign-invariant and qbetween's root quaternions have w >= 0, as in the reference
    quat = inverse_kinematics(P, facing=facing, root=root)
    cont6d = _quat_to_cont6d(quat)
    r_rot = quat[:, 0]
    vel = qrot(r_rot[1:], P[1:, 0] - P[:-1, 0])
    r_vel = qmul(r_rot[1:], qinv(r_rot[:-1]))
    # root-relative positions in the facing frame (RIFKE)
    R = P - P[:, :1] * torch.tensor([1.0, 0.0, 1.0], dtype=P.dtype)
    R = qrot(r_rot[:, None].expand(-1, 22, 4), R)
    root_y = R[:, 0, 1:2]
    r_vel_y = torch.asin(r_vel[:, 2:3].clamp(-1, 1))
    root_data = torch.cat([r_vel_y, vel[:, [0, 2]], root_y[:-1]], -1)
    ric = R[:, 1:].reshape(len(R), -1)[:-1]
    rot = cont6d[:, 1:].reshape(len(cont6d), -1)[:-1]
    local_vel = qrot(r_rot[:-1, None].expand(-1, 22, 4), G[1:] - G[:-1]).reshape(len(G) - 1, -1)
    return torch.cat([root_data, ric, rot, local_vel, feet_l, feet_r], -1)


def consistent_features(features: torch.Tensor, feet_threshold: float = 0.002) -> torch.Tensor:
    """Features ``[T−1, 263]`` whose redundant channels agree with the motion that ``features`` ``[T, 263]`` define.

    The root channels and ``ric`` define the motion (``recover_from_ric``: what ``features_to_motion`` and every
    IMU read); ``rot6d``, ``local_vel`` and ``foot_contact`` describe the same motion a second time, and a generator
    can put anything there. Here they are re-derived from the joint positions, in the features' own root frame (the
    integrated ``root_rot_vel``), as ``features_from_positions`` derives them: the IK's local rotations, the
    frame-to-frame joint displacement rotated into the root frame, and the contacts (squared displacement below
    ``feet_threshold`` m²). The last frame has no successor and is dropped. For features of a recorded motion this
    returns ``features[:-1]`` up to rounding; docs/realism.md §29 measures how far generated ones are from it."""
    F = torch.as_tensor(features)
    if F.dim() != 2 or F.shape[-1] != 263 or F.shape[0] < 2:
        raise ValueError(f"consistent_features: features must be [T>=2, 263], got {list(F.shape)}")
    F = F.double()
    q, _ = recover_root_rot_pos(F)
    re = features_from_positions(recover_from_ric(F, 22), canonical=False, feet_threshold=feet_threshold, root=q)
    return torch.cat([F[:-1, :67], re[:, 67:]], -1).to(torch.as_tensor(features).dtype)


def recover_root_rot_pos(data: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Root rotation quaternions ``[..., T, 4]`` and positions ``[..., T, 3]`` by integrating the root channels."""
    rot_vel = data[..., 0]
    ang = torch.zeros_like(rot_vel)
    ang[..., 1:] = rot_vel[..., :-1]
    ang = torch.cumsum(ang, -1)
    q = torch.zeros(*data.shape[:-1], 4, dtype=data.dtype, device=data.device)
    q[..., 0] = torch.cos(ang)
    q[..., 2] = torch.sin(ang)
    pos = torch.zeros(*data.shape[:-1], 3, dtype=data.dtype, device=data.device)
    pos[..., 1:, 0] = data[..., :-1, 1]
    pos[..., 1:, 2] = data[..., :-1, 2]
    pos = qrot(qinv(q), pos)
    pos = torch.cumsum(pos, -2)
    pos[..., 1] = data[..., 3]
    return q, pos


def recover_from_ric(data: torch.Tensor, joints_num: int = 22) -> torch.Tensor:
    """Joint positions ``[..., T, J, 3]`` from features ``[..., T, 263]`` (differentiable)."""
    data = torch.as_tensor(data)
    q, r = recover_root_rot_pos(data)
    pos = data[..., 4:(joints_num - 1) * 3 + 4].reshape(*data.shape[:-1], joints_num - 1, 3)
    pos = qrot(qinv(q)[..., None, :].expand(*pos.shape[:-1], 4), pos)
    pos = torch.stack([pos[..., 0] + r[..., None, 0], pos[..., 1], pos[..., 2] + r[..., None, 2]], -1)
    return torch.cat([r[..., None, :], pos], -2)


def root_forward_speed(features, frames: Optional[int] = None, fps: float = HUMANML3D_FPS) -> float:
    """The mean forward speed (m/s) of the root over the first ``frames`` frames (None: all) of features
    ``[T, 263]`` (de-normalised): the mean of ROOT_LIN_VEL's forward (z) channel, m/frame in the root's facing frame,
    times ``fps``. Signed: a backward walk reads negative."""
    f = torch.as_tensor(features)
    if f.dim() != 2 or f.shape[-1] < ROOT_LIN_VEL.stop:
        raise ValueError(f"root_forward_speed: features must be [T, F >= {ROOT_LIN_VEL.stop}], got {list(f.shape)}")
    return float(f[:frames, ROOT_LIN_VEL.stop - 1].double().mean()) * fps


def positions_from_features(features: torch.Tensor) -> torch.Tensor:
    return recover_from_ric(features, 22)


class Normalizer:
    """Mean/std normalisation of feature vectors (``[..., 263]``)."""

    def __init__(self, mean, std, eps: float = 1e-8):
        self.mean = torch.as_tensor(np.asarray(mean), dtype=torch.float32)
        self.std = torch.as_tensor(np.asarray(std), dtype=torch.float32).clamp_min(eps)

    @classmethod
    def from_files(cls, mean_path, std_path) -> "Normalizer":
        return cls(np.load(mean_path), np.load(std_path))

    def save(self, directory) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / "Mean.npy", self.mean.numpy())
        np.save(d / "Std.npy", self.std.numpy())

    def normalize(self, x):
        return (x - self.mean.to(x)) / self.std.to(x)

    def denormalize(self, x):
        return x * self.std.to(x) + self.mean.to(x)
