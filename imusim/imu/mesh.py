"""Sensors on SMPL mesh vertices (as TransPose / IMUPoser / DIP place them), by skinning only those vertices.

With a user-owned SMPL model file (not shipped: licensed), a sensor can sit on the skin instead of on a
rigid joint mount. Its position is the linear-blend-skinned vertex, including the shape (``betas``) and
pose-corrective blend shapes of that vertex only::

    v_rest = v_template + shapedirs·β + posedirs·(R_local[1:] − I)          (vertex n only)
    p_n(t) = Σ_j w_nj · (G_j(t) (v_rest − J_j) + P_j(t))                      (G, P: global FK)

which equals smplx's full-mesh forward at those vertices (tested). Its orientation is that of a joint
(default: the joint with the largest skinning weight; TransPose uses the elbows for wrist vertices)
times the mount rotation ``R_js``. Accelerations come from second differences of the vertex path,
angular rates from successive orientations, exactly as for joint sensors (``imusim.reference.imu``).

``TRANSPOSE_SENSORS``: the vertex/joint pairs of TransPose (Yi et al. 2021; left/right wrist, left/right
knee, head, pelvis) plus IMUPoser's thigh vertices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import torch

from ..kinematics.skeleton import Skeleton
from ..constants import gravity_vector
from .synth import IMUResult, poses_to_imu

_OP = "imusim.synthesize_imu_mesh"


@dataclass(frozen=True)
class VertexSensor:
    """A sensor on mesh vertex ``vertex``, oriented like ``joint`` (None: the vertex's dominant joint)
    times ``rotation`` (``R_js``, 3×3 nested sequence, sensor axes in the joint frame)."""

    name: str
    vertex: int
    joint: Optional[str] = None
    rotation: tuple = field(default=((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)))


# TransPose (vi_mask / ji_mask) and IMUPoser (thigh vertices) placements on the 6,890-vertex SMPL mesh
TRANSPOSE_SENSORS = {
    "wrist_l": VertexSensor("wrist_l", 1961, "left_elbow"),
    "wrist_r": VertexSensor("wrist_r", 5424, "right_elbow"),
    "knee_l": VertexSensor("knee_l", 1176, "left_knee"),
    "knee_r": VertexSensor("knee_r", 4662, "right_knee"),
    "head": VertexSensor("head", 411, "head"),
    "pelvis": VertexSensor("pelvis", 3021, "pelvis"),
    "thigh_l": VertexSensor("thigh_l", 876, "left_hip"),
    "thigh_r": VertexSensor("thigh_r", 4362, "right_hip"),
}


class SMPLBody:
    """The parts of an SMPL model that vertex sensors need, for one body shape.

    Attributes: ``skeleton`` (SMPL24 tree, this shape's rest offsets), ``v_shaped`` ``[V, 3]``,
    ``J_rest`` ``[24, 3]``, ``weights`` ``[V, 24]``, ``posedirs`` ``[207, V, 3]`` (float64)."""

    def __init__(self, skeleton: Skeleton, v_shaped, J_rest, weights, posedirs):
        self.skeleton = skeleton
        self.v_shaped, self.J_rest, self.weights, self.posedirs = v_shaped, J_rest, weights, posedirs

    @property
    def num_vertices(self) -> int:
        return self.v_shaped.shape[0]

    @classmethod
    def from_model(cls, model_path, betas=None, gender: str = "neutral") -> "SMPLBody":
        """From an SMPL model file (``.npz`` read without unpickling, or the official ``.pkl``)."""
        from smplx.lbs import blend_shapes, vertices2joints

        from ..kinematics.presets import SMPL_NAMES, SMPL_PARENTS
        from ..kinematics.skeleton import load_smplx_model

        model = load_smplx_model(model_path, "smpl", gender, dtype=torch.float64)
        nb = model.shapedirs.shape[-1]
        b = torch.zeros(1, nb, dtype=torch.float64)
        if betas is not None:
            bt = torch.as_tensor(betas, dtype=torch.float64).reshape(-1)
            if bt.numel() > nb:
                raise ValueError(f"SMPLBody.from_model: betas has {bt.numel()} values, model has {nb} shape components")
            b[0, : bt.numel()] = bt
        v = model.v_template.double()[None] + blend_shapes(b, model.shapedirs.double())
        J = vertices2joints(model.J_regressor.double(), v)[0]
        off = torch.stack([J[0] * 0 if p < 0 else J[j] - J[p] for j, p in enumerate(SMPL_PARENTS)])
        sk = Skeleton(SMPL_NAMES, SMPL_PARENTS, off, f"smpl-{gender}")
        V = v.shape[1]
        posedirs = model.posedirs.double().reshape(-1, V, 3)
        return cls(sk, v[0], J, model.lbs_weights.double(), posedirs)

    def _check_vertices(self, vertices: Sequence[int], what: str = "vertices"):
        for i, v in enumerate(vertices):
            if not isinstance(v, int) or not 0 <= v < self.num_vertices:
                raise ValueError(f"{what}[{i}]: expected a vertex index in [0, {self.num_vertices}), got {v!r}")

    def _pad24(self, L: torch.Tensor) -> torch.Tensor:
        J = L.shape[-3]
        if J == 24:
            return L
        if J == 22:  # SMPL22 motions (HumanML3D body): the hands keep their rest pose
            eye = torch.eye(3, dtype=L.dtype, device=L.device).expand(*L.shape[:-3], 2, 3, 3)
            return torch.cat([L, eye], -3)
        raise ValueError(f"local_rot: expected 22 or 24 joints (SMPL body), got {J} (shape {tuple(L.shape)})")

    def vertex_positions(self, local_rot: torch.Tensor, root_pos: torch.Tensor, vertices: Sequence[int], *,
                         rot_format: str = "matrix", pose_blend: bool = True, backend: Optional[str] = None):
        """Skinned positions ``[..., T, n, 3]`` of ``vertices`` and global rotations ``[..., T, 24, 3, 3]``.

        ``local_rot`` ``[..., T, 22|24, 3, 3]`` (or another ``rot_format``), ``root_pos`` ``[..., T, 3]``: the
        pelvis joint position in the world (m; smplx's ``transl`` = root_pos − J_rest[0])."""
        from ..kinematics.rotations import to_matrix
        from ..ops.fk import forward_kinematics

        self._check_vertices(list(vertices))
        L = self._pad24(to_matrix(local_rot, rot_format))
        dt, dev = L.dtype, L.device
        G, P = forward_kinematics(L, root_pos.to(dt), self.skeleton, backend=backend)
        idx = torch.as_tensor(list(vertices), dtype=torch.long, device=dev)
        v0 = self.v_shaped.to(dev, dt)[idx]  # [n, 3]
        if pose_blend:
            eye = torch.eye(3, dtype=dt, device=dev)
            pf = (L[..., 1:, :, :] - eye).reshape(*L.shape[:-3], 207)
            v0 = v0 + torch.einsum("...k,knc->...nc", pf, self.posedirs.to(dev, dt)[:, idx])
        d = v0[..., :, None, :] - self.J_rest.to(dev, dt)  # [..., n, 24, 3]
        w = self.weights.to(dev, dt)[idx]  # [n, 24]
        rot = torch.einsum("...jab,...njb->...nja", G, d.expand(*G.shape[:-3], *d.shape[-3:]))
        p = torch.einsum("nj,...nja->...na", w, rot + P[..., None, :, :])
        return p, G


def synthesize_imu_mesh(local_rot: torch.Tensor, root_pos: torch.Tensor, body: SMPLBody,
                        sensors: Sequence, fps: float, *, rate: Optional[float] = None, up: str = "y", noise=None,
                        rot_format: str = "matrix", pose_blend: bool = True, seed: Optional[int] = None) -> IMUResult:
    """Virtual IMU signals of sensors on mesh vertices (see the module docstring).

    Args:
        local_rot: ``[..., T, 22|24, 3, 3]`` SMPL local rotations (or rot6d/axis-angle/quaternion).
        root_pos: ``[..., T, 3]`` pelvis positions (m).
        body: :class:`SMPLBody` (one shape).
        sensors: :class:`VertexSensor` objects or names of ``TRANSPOSE_SENSORS``.
        fps, rate, up, noise, seed: as :func:`imusim.synthesize_imu` (resampling: cubic Hermite positions,
            slerp orientations; ``T' = T_rate − 2``).

    Returns:
        :class:`IMUResult`: ``acc`` / ``gyro`` ``[..., T', S, 3]`` (m/s², rad/s, sensor frame), ``orientation``.
    """
    from ..ops._validate import check_rate, resampled_frames
    from .noise import apply_noise
    from .profiles import get_noise_model

    sens: List[VertexSensor] = []
    for i, s in enumerate(sensors if not isinstance(sensors, str) else sensors.split(",")):
        if isinstance(s, str):
            if s.strip() not in TRANSPOSE_SENSORS:
                raise ValueError(f"{_OP}: sensors[{i}]: unknown vertex sensor {s!r} (known: "
                                 f"{', '.join(TRANSPOSE_SENSORS)}) — or pass VertexSensor objects")
            s = TRANSPOSE_SENSORS[s.strip()]
        if not isinstance(s, VertexSensor):
            raise TypeError(f"{_OP}: sensors[{i}]: expected a VertexSensor or a name, got {type(s).__name__}")
        sens.append(s)
    body._check_vertices([s.vertex for s in sens], f"{_OP}: sensors[].vertex, i.e. sensors")
    fps = check_rate("fps", fps, op=_OP)
    rate = check_rate("rate", rate, op=_OP, optional=True)
    if up not in ("y", "z"):
        raise ValueError(f"{_OP}: up must be 'y' or 'z', got {up!r}")
    if root_pos.dim() < 2 or root_pos.shape[-1] != 3:
        raise ValueError(f"{_OP}: root_pos: expected [..., T, 3], got shape {tuple(root_pos.shape)}")
    p, G = body.vertex_positions(local_rot, root_pos, [s.vertex for s in sens], rot_format=rot_format,
                                 pose_blend=pose_blend)
    sk = body.skeleton
    joints = [sk.index(s.joint) if s.joint else int(body.weights[s.vertex].argmax()) for s in sens]
    Rjs = torch.stack([torch.as_tensor(s.rotation, dtype=G.dtype, device=G.device) for s in sens])
    R = G[..., joints, :, :] @ Rjs  # [..., T, S, 3, 3]
    lead, T = p.shape[:-3], p.shape[-3]
    R, p = R.reshape(-1, T, len(sens), 3, 3), p.reshape(-1, T, len(sens), 3)
    out_rate = rate if rate is not None else fps
    n = resampled_frames(T, fps, out_rate)
    if n < 3:
        raise ValueError(f"{_OP}: need at least 3 samples at {out_rate} Hz to differentiate, got {n}")
    g = torch.tensor(gravity_vector(up), dtype=torch.float64)
    acc, gyro, ori = poses_to_imu(R, p, fps, out_rate, g)
    model = get_noise_model(noise)
    if model is not None:
        acc, gyro = apply_noise(acc, gyro, out_rate, model, seed=seed)
    Tn, S = acc.shape[1], len(sens)
    return IMUResult(acc.reshape(*lead, Tn, S, 3), gyro.reshape(*lead, Tn, S, 3), ori.reshape(*lead, Tn, S, 3, 3),
                     out_rate, [s.name for s in sens])
