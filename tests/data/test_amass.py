import numpy as np
import pytest
import torch

from imusim.data import load_motion
from imusim.data.amass import smpl_tpose_skeleton


def test_amass_rest_pose_is_upright_tpose_and_z_up_converted(tmp_path):
    T = 10
    poses = np.zeros((T, 156))
    poses[:, 0] = np.pi / 2  # AMASS standing: the y-up SMPL model rotated +90° about x into the z-up world
    trans = np.stack([np.linspace(0, 1, T), np.zeros(T), np.full(T, 0.9)], -1)  # z-up: 0.9 m high, walking +x
    f = tmp_path / "a.npz"
    np.savez(f, poses=poses, trans=trans, mocap_framerate=np.float64(60), gender="female")
    m = load_motion(f)
    assert m.fps == 60 and m.skeleton.name == "SMPL22" and m.labels["gender"] == "female"
    P = m.joint_positions()
    assert torch.allclose(P[:, 0, 1], torch.full((T,), 0.9, dtype=torch.float64))  # z-up height → y
    assert P[0, 15, 1] > P[0, 0, 1] + 0.4  # head above pelvis
    assert P[0, 20, 0] > 0.5 and P[0, 21, 0] < -0.5  # T-pose arms along ±x
    torch.testing.assert_close(P[-1, 0, 0] - P[0, 0, 0], torch.tensor(1.0, dtype=torch.float64))


def test_amass_root_rotation_about_vertical(tmp_path):
    from scipy.spatial.transform import Rotation

    poses = np.zeros((3, 72))
    # standing (+90° about x) then turned 90° about the z-up vertical
    poses[:, :3] = (Rotation.from_rotvec([0, 0, np.pi / 2]) * Rotation.from_rotvec([np.pi / 2, 0, 0])).as_rotvec()
    f = tmp_path / "b.npz"
    np.savez(f, poses=poses, trans=np.zeros((3, 3)), mocap_frame_rate=np.float64(30))
    P = load_motion(f).joint_positions()
    # left wrist (T-pose +x) turns to z-up +y, which is −z in the y-up world; still upright
    d = P[0, 20] - P[0, 0]
    assert d[2] < -0.5 and abs(d[0]) < 0.1
    assert P[0, 15, 1] > P[0, 0, 1] + 0.4


def test_amass_errors(tmp_path):
    f = tmp_path / "c.npz"
    np.savez(f, poses=np.zeros((3, 72)), trans=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="mocap_framerate"):
        load_motion(f)
    np.savez(f, poses=np.zeros((3, 30)), trans=np.zeros((3, 3)), mocap_framerate=30.0)
    with pytest.raises(ValueError, match="K >= 22"):
        load_motion(f)
    assert smpl_tpose_skeleton().num_joints == 22
