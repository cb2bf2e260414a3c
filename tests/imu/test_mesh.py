"""Sensors on SMPL mesh vertices: parity with smplx's full forward, analytic physics, errors.

The SMPL model files are licensed and not available here: the tests write a small synthetic model in
SMPL's layout (24 joints, shape and pose blend shapes) and read it back through smplx.
"""

import math

import numpy as np
import pytest
import torch

from imusim.constants import GRAVITY
from imusim.imu import SMPLBody, VertexSensor, synthesize_imu_mesh
from imusim.kinematics.presets import SMPL_PARENTS

G = GRAVITY  # the project's one gravity constant (standard gravity)


def _write_smpl(path, V=80, seed=0):
    rng = np.random.default_rng(seed)
    J = 24
    # a vaguely body-shaped cloud: vertices near random joints of a 1.7 m tall stick
    v = rng.normal(0, 0.25, (V, 3)) + np.array([0, 0.9, 0])
    Jreg = rng.random((J, V)) ** 4
    Jreg /= Jreg.sum(1, keepdims=True)
    w = rng.random((V, J)) ** 6
    w /= w.sum(1, keepdims=True)
    parents = np.array([4294967295] + list(SMPL_PARENTS[1:]))
    np.savez(path, v_template=v, shapedirs=rng.normal(0, 0.01, (V, 3, 10)),
             posedirs=rng.normal(0, 0.01, (V, 3, 207)), J_regressor=Jreg, weights=w,
             kintree_table=np.stack([parents, np.arange(J)]), f=rng.integers(0, V, (20, 3)).astype(np.int64))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("smpl") / "SMPL_NEUTRAL.npz"
    _write_smpl(p)
    return p


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-7), (torch.float32, 1e-5)])
def test_vertex_positions_match_smplx_forward(model_file, dtype, tol):
    # f64: without betas the match is 1e-16; with betas smplx's lbs() departs from its own
    # v_template + blend_shapes by ~3e-8 m (seen at the rest pose), hence 1e-7
    import smplx
    from smplx.utils import Struct
    from smplx.vertex_ids import vertex_ids as VERTEX_IDS

    betas = torch.tensor([[1.0, -0.5, 0.3]], dtype=torch.float64)
    body = SMPLBody.from_model(model_file, betas=betas[0])
    with np.load(model_file) as z:
        ref = smplx.SMPL(model_path=str(model_file), data_struct=Struct(**{k: z[k] for k in z.files}),
                         num_betas=10, dtype=torch.float64,
                         vertex_ids={k: 0 for k in VERTEX_IDS["smplh"]})  # landmark vertices of a real mesh
    T = 5
    g = torch.Generator().manual_seed(1)
    aa = torch.randn(T, 24, 3, generator=g, dtype=torch.float64) * 0.6
    transl = torch.randn(T, 3, generator=g, dtype=torch.float64)
    b10 = torch.zeros(T, 10, dtype=torch.float64)
    b10[:, :3] = betas
    from imusim.kinematics.rotations import axis_angle_to_matrix
    Rm = axis_angle_to_matrix(aa)  # matrices for both (smplx's Rodrigues adds 1e-8 to the angle)
    out = ref(betas=b10, global_orient=Rm[:, :1], body_pose=Rm[:, 1:], transl=transl, pose2rot=False)
    verts = [0, 7, 33, 79]
    root = body.J_rest[0] + transl  # the pelvis position in the world
    p, _ = body.vertex_positions(Rm.to(dtype), root.to(dtype), verts)
    torch.testing.assert_close(p.double(), out.vertices[:, verts], atol=tol, rtol=0)
    # without pose correctives it differs (the test model's posedirs are not zero)
    p0, _ = body.vertex_positions(aa, root, verts, rot_format="axis_angle", pose_blend=False)
    assert (p0 - out.vertices[:, verts]).abs().max() > 1e-4


def test_at_rest_reads_gravity_and_spin_reads_omega(model_file):
    body = SMPLBody.from_model(model_file)
    T, fps = 200, 100.0
    L = torch.eye(3, dtype=torch.float64).expand(T, 24, 3, 3).clone()
    root = body.J_rest[0].expand(T, 3).clone()
    s = VertexSensor("s", 11)
    r = synthesize_imu_mesh(L, root, body, [s], fps)
    j = int(body.weights[11].argmax())
    torch.testing.assert_close(r.acc[:, 0], torch.tensor([0.0, G, 0.0], dtype=torch.float64).expand(T - 2, 3),
                               atol=1e-9, rtol=0)  # joint frames are world-aligned at rest: +g along y
    assert r.gyro.abs().max() < 1e-9
    # spin the whole body about the vertical axis through the pelvis at ω
    w = 2.0
    t = torch.arange(T, dtype=torch.float64) / fps
    aa = torch.zeros(T, 24, 3, dtype=torch.float64)
    aa[:, 0, 1] = w * t
    r = synthesize_imu_mesh(aa, root, body, [s], fps, rot_format="axis_angle")
    torch.testing.assert_close(r.gyro[:, 0], torch.tensor([0.0, w, 0.0], dtype=torch.float64).expand(T - 2, 3),
                               atol=1e-6, rtol=0)
    d = body.v_shaped[11] - body.J_rest[0]
    rad = math.hypot(d[0].item(), d[2].item())
    horiz = r.acc[:, 0, [0, 2]].norm(dim=-1)
    torch.testing.assert_close(horiz, torch.full_like(horiz, w * w * rad), atol=2e-3 * max(1, w * w * rad), rtol=1e-3)
    torch.testing.assert_close(r.acc[:, 0, 1], torch.full((T - 2,), G, dtype=torch.float64), atol=1e-9, rtol=0)
    assert j == int(body.weights[11].argmax())


def test_resampling_smpl22_input_and_gradients(model_file):
    body = SMPLBody.from_model(model_file)
    T = 30
    aa = (torch.randn(T, 22, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.1)
    aa.requires_grad_(True)
    root = body.J_rest[0].expand(T, 3).clone()
    r = synthesize_imu_mesh(aa, root, body, "wrist_l,pelvis" if body.num_vertices > 5424 else
                            [VertexSensor("a", 3), VertexSensor("b", 50, "pelvis")], 30.0, rate=60.0,
                            rot_format="axis_angle")
    assert r.acc.shape == (int(29 / 30 * 60) + 1 - 2, 2, 3) and r.rate == 60.0
    (r.acc.square().sum() + r.gyro.square().sum()).backward()
    assert torch.isfinite(aa.grad).all() and aa.grad.abs().sum() > 0


def test_errors_name_the_argument(model_file):
    body = SMPLBody.from_model(model_file)
    L = torch.eye(3, dtype=torch.float64).expand(10, 24, 3, 3)
    root = torch.zeros(10, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"sensors.*vertex index in \[0, 80\), got 5424"):
        synthesize_imu_mesh(L, root, body, "wrist_r", 30.0)
    with pytest.raises(ValueError, match="unknown vertex sensor 'elbow'"):
        synthesize_imu_mesh(L, root, body, "elbow", 30.0)
    with pytest.raises(ValueError, match="local_rot: expected 22 or 24 joints"):
        synthesize_imu_mesh(L[:, :20], root, body, [VertexSensor("a", 1)], 30.0)
    with pytest.raises(ValueError, match="betas has 12 values"):
        SMPLBody.from_model(model_file, betas=[0.0] * 12)
