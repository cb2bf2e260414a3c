"""AMASS-style .npz (synthetic files written here) and HumanML3D .npy loaders."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from imusim.data import load_amass, load_humanml3d, load_motion
from imusim.reference.fk import forward_kinematics
from tests.conftest import require_data

C = torch.tensor([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=torch.float64)  # z-up -> y-up


def _smplx_joints(poses, trans, J_rest):
    """Independent reference: smplx's batch_rodrigues + batch_rigid_transform in AMASS's z-up world,
    then rotated to y-up. ``J_rest`` [22, 3] absolute rest joints (model frame)."""
    from smplx.lbs import batch_rigid_transform, batch_rodrigues

    from imusim.kinematics.presets import SMPL_PARENTS

    T = poses.shape[0]
    rm = batch_rodrigues(torch.from_numpy(poses[:, :66]).reshape(-1, 3)).view(T, 22, 3, 3)
    par = torch.tensor(SMPL_PARENTS[:22])
    posed, _ = batch_rigid_transform(rm, J_rest.expand(T, 22, 3).clone(), par)
    return (posed + torch.from_numpy(trans)[:, None]) @ C.T


def _write_amass(path, T=9, width=156, seed=0, rate_key="mocap_framerate", **extra):
    rng = np.random.default_rng(seed)
    poses = rng.normal(0, 0.4, (T, width))
    trans = rng.normal(0, 1, (T, 3))
    np.savez(path, poses=poses, trans=trans, **{rate_key: np.array(120.0)}, gender=np.array("female"),
             betas=rng.normal(0, 1, 16), **extra)
    return poses, trans


@pytest.mark.parametrize("width,rate_key", [(156, "mocap_framerate"), (72, "mocap_frame_rate"),
                                            (165, "mocap_frame_rate")])
def test_amass_default_skeleton_matches_smplx_reference(tmp_path, width, rate_key):
    from imusim.data.amass import DEFAULT_PELVIS_REST, smpl22_tpose

    p = tmp_path / "clip_poses.npz"
    poses, trans = _write_amass(p, width=width, rate_key=rate_key)
    m = load_motion(p)
    assert m.fps == 120.0 and m.num_frames == 9 and m.labels["gender"] == "female"
    assert m.skeleton.names[:2] == ("pelvis", "left_hip") and m.skeleton.num_joints == 22
    sk = smpl22_tpose()
    # absolute rest joints of the default skeleton: pelvis rest + accumulated offsets
    J = torch.zeros(22, 3, dtype=torch.float64)
    J[0] = torch.tensor(DEFAULT_PELVIS_REST, dtype=torch.float64)
    for j in range(1, 22):
        J[j] = J[sk.parents[j]] + sk.offsets[j]
    _, P = forward_kinematics(m.local_rot, m.root_pos, m.skeleton.parents, m.skeleton.offsets)
    torch.testing.assert_close(P, _smplx_joints(poses, trans, J), atol=1e-7, rtol=0)  # smplx adds 1e-8 to angles


def test_amass_tpose_skeleton_is_upright_t():
    from imusim.data.amass import smpl22_tpose
    from imusim.kinematics.presets import SMPL22

    sk = smpl22_tpose()
    torch.testing.assert_close(sk.bone_lengths(), SMPL22.bone_lengths())
    names = sk.names
    assert sk.offsets[names.index("left_elbow"), 0] > 0.2 and sk.offsets[names.index("right_wrist"), 0] < -0.2
    assert sk.offsets[names.index("left_knee"), 1] < -0.3 and sk.offsets[names.index("head"), 1] > 0


def test_amass_z_up_becomes_y_up(tmp_path):
    # AMASS's usual root orientation: +90° about x stands the y-up model up in the z-up world
    T = 4
    poses = np.zeros((T, 156))
    poses[:, :3] = [np.pi / 2, 0, 0]
    trans = np.tile([0.3, -0.2, 0.95], (T, 1))  # z = height in AMASS
    p = tmp_path / "stand.npz"
    np.savez(p, poses=poses, trans=trans, mocap_framerate=np.array(60.0))
    m = load_amass(p)
    torch.testing.assert_close(m.local_rot[:, 0], torch.eye(3, dtype=torch.float64).expand(T, 3, 3), atol=1e-12,
                               rtol=0)
    P = m.joint_positions()
    assert (P[:, 15, 1] > P[:, 0, 1] + 0.4).all()  # head above pelvis along +y
    assert (P[:, 10, 1] < P[:, 0, 1] - 0.7).all()  # feet below
    assert abs(float(m.root_pos[0, 1]) - (0.95 + 0.03)) < 1e-12  # y = trans z (+ pelvis rest z)


def test_amass_with_user_model_file(tmp_path):
    from smplx.lbs import blend_shapes, vertices2joints

    from tests.kinematics.test_skeleton import _write_tiny_smpl

    model = tmp_path / "SMPL_NEUTRAL.npz"
    v, Jreg = _write_tiny_smpl(model)
    p = tmp_path / "c.npz"
    poses, trans = _write_amass(p, width=72)
    m = load_amass(p, model_path=str(model))
    betas = np.load(p)["betas"][:10]
    with np.load(model) as z:
        vv = torch.from_numpy(z["v_template"])[None] + blend_shapes(torch.from_numpy(betas)[None],
                                                                  torch.from_numpy(z["shapedirs"]))
    J = vertices2joints(torch.from_numpy(Jreg), vv)[0, :22]
    P = m.joint_positions()
    torch.testing.assert_close(P, _smplx_joints(poses, trans, J), atol=1e-6, rtol=0)


def test_amass_bad_files_name_the_field(tmp_path):
    p = tmp_path / "bad.npz"
    np.savez(p, poses=np.zeros((5, 156)), mocap_framerate=np.array(30.0))
    with pytest.raises(ValueError, match=r"bad.npz: AMASS-style .npz needs field 'trans'"):
        load_amass(p)
    np.savez(p, poses=np.zeros((5, 156)), trans=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="mocap_framerate' or 'mocap_frame_rate'"):
        load_amass(p)
    np.savez(p, poses=np.zeros((5, 30)), trans=np.zeros((5, 3)), mocap_framerate=np.array(30.0))
    with pytest.raises(ValueError, match=r"field 'poses' must be \[T, 3\*K\]"):
        load_amass(p)
    np.savez(p, poses=np.zeros((5, 72)), trans=np.zeros((4, 3)), mocap_framerate=np.array(30.0))
    with pytest.raises(ValueError, match=r"field 'trans' must be \[5, 3\]"):
        load_amass(p)


def test_humanml3d_new_joints_and_vecs_load_as_motion():
    d = require_data("humanml3d_sample")
    P = torch.from_numpy(np.load(d / "new_joints" / "012314.npy")).double()
    for f in (d / "new_joints" / "012314.npy", d / "new_joint_vecs" / "012314.npy"):
        m = load_motion(f)
        assert m.fps == 20.0 and m.skeleton.num_joints == 22 and m.labels["dataset"] == "humanml3d"
        R = m.local_rot
        torch.testing.assert_close(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand_as(R),
                                   atol=1e-9, rtol=0)
        err = (m.joint_positions() - P).norm(dim=-1)
        assert err.max() < 1e-4, err.max()


def test_humanml3d_bad_shape(tmp_path):
    p = tmp_path / "x.npy"
    np.save(p, np.zeros((10, 21, 3)))
    with pytest.raises(ValueError, match=r"x.npy: expected HumanML3D new_joints \[T, 22, 3\]"):
        load_motion(p)


def test_rotation_reference_sanity():
    # the C used above is a proper rotation (-90° about x)
    torch.testing.assert_close(C, torch.from_numpy(Rotation.from_rotvec([-np.pi / 2, 0, 0]).as_matrix()),
                               atol=1e-12, rtol=0)
