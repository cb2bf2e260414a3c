"""HumanML3D 263-d features on the shipped sample, round trips, normaliser."""

import numpy as np
import pytest
import torch

from imusim.motion.humanml import (root_forward_speed, FOOT_CONTACT, GROUPS, LOCAL_VEL, N_FEATS, ROT6D, Normalizer, canonicalise,
                                   consistent_features, features_from_positions, inverse_kinematics, qinv, qrot,
                                   recover_from_ric, recover_root_rot_pos)
from tests.conftest import require_data


def sample():
    d = require_data("humanml3d_sample")
    J = torch.from_numpy(np.load(d / "new_joints" / "012314.npy")).double()
    V = torch.from_numpy(np.load(d / "new_joint_vecs" / "012314.npy")).double()
    return d, J, V


def test_recover_from_ric_matches_new_joints():
    _, J, V = sample()
    P = recover_from_ric(V, 22)
    assert P.shape == J.shape
    assert (P - J).abs().max() < 1e-4
    # batched and float32
    P2 = recover_from_ric(torch.stack([V, V]).float(), 22)
    assert (P2[1].double() - J).abs().max() < 1e-4


def _group_errors(F, V, rows):
    return {k: (F[:rows, s] - V[:rows, s]).abs().max().item() for k, s in GROUPS.items()}


def _source_last_frame(J, V):
    """The source frame that new_joints lacks (features keep T−1 of T frames): last joint positions plus
    the last row's local velocities, rotated back from the facing frame by the integrated root rotation."""
    q, _ = recover_root_rot_pos(V)
    return J[-1] + qrot(qinv(q[-1]).expand(22, 4), V[-1, LOCAL_VEL].reshape(22, 3))


# per-group tolerances met on the sample (float32 data): measured max abs 1.4e-7, 4e-8, 0, 2.2e-7, 7.8e-6,
# 3.4e-7, 0
TOL = {"root_rot_vel": 1e-6, "root_lin_vel": 1e-6, "root_y": 1e-6, "ric": 1e-6, "rot6d": 2e-5,
       "local_vel": 1e-6, "foot_contact": 0.0}


def test_features_layout_and_all_groups_match_the_sample():
    _, J, V = sample()
    F = features_from_positions(J)
    assert F.shape == (J.shape[0] - 1, N_FEATS)
    # new_joints = recover_from_ric(new_joint_vecs) has one frame fewer than the source clip; the
    # source's last frame is inside the facing filter's 4σ = 80-frame window of the last rows only, so
    # every earlier row is determined by the positions alone and matches
    rows = J.shape[0] - 81
    err = _group_errors(F, V, rows)
    assert all(err[k] <= TOL[k] for k in GROUPS), err
    # with that frame restored (from the sample's own last local-velocity row), every row matches
    J2 = torch.cat([J, _source_last_frame(J, V)[None]])
    F2 = features_from_positions(J2)
    assert F2.shape == V.shape
    err = _group_errors(F2, V, len(V))
    assert all(err[k] <= TOL[k] for k in GROUPS), err
    # without it the tail differs only through the facing estimate (measured 3e-4 rad/frame, 1.4e-4,
    # 6.8e-3, 1.3e-2, 4.1e-4), height and contacts never
    err = _group_errors(F, V, F.shape[0])
    assert err["root_y"] <= TOL["root_y"] and err["foot_contact"] == 0.0
    assert err["root_rot_vel"] < 1e-3 and err["root_lin_vel"] < 1e-3 and err["local_vel"] < 1e-3
    assert err["ric"] < 1e-2 and err["rot6d"] < 2e-2


def test_reference_facing_is_what_the_sample_needs():
    # the hips+shoulders ("anatomical") facing for the root rotation is off by up to ~0.2 rad; only root
    # height and contacts then match
    _, J, V = sample()
    F = features_from_positions(J, facing="anatomical")
    err = _group_errors(F, V, J.shape[0] - 81)
    assert err["root_y"] <= TOL["root_y"] and err["foot_contact"] == 0.0
    assert err["root_rot_vel"] > 0.1 and err["ric"] > 0.1 and err["rot6d"] > 0.1
    # both facings round-trip exactly through recover_from_ric
    C = canonicalise(J)
    for facing in ("reference", "anatomical"):
        P = recover_from_ric(features_from_positions(J, facing=facing), 22)
        assert (P - C[:-1]).abs().max() < 1e-9, facing


def test_round_trip_positions_features_positions():
    _, J, _ = sample()
    C = canonicalise(J)
    F = features_from_positions(J)
    P = recover_from_ric(F, 22)
    # features keep T-1 frames; the facing frame is re-estimated, so compare the shape of the body
    # (root-relative positions in the body's own facing frame) and the root height
    torch.testing.assert_close(P[:, 0, 1], C[:-1, 0, 1], atol=1e-9, rtol=0)
    rel_P = (P - P[:, :1]).norm(dim=-1)
    rel_C = (C[:-1] - C[:-1, :1]).norm(dim=-1)
    assert (rel_P - rel_C).abs().max() < 1e-6
    # the root path: same travelled distance per frame
    torch.testing.assert_close((P[1:, 0] - P[:-1, 0])[:, [0, 2]].norm(dim=-1),
                               (C[1:-1, 0] - C[:-2, 0])[:, [0, 2]].norm(dim=-1), atol=1e-6, rtol=0)


def test_consistent_features_reproduce_humanml3d_own_redundant_channels():
    # HumanML3D's reference features of the sample (its own IK, velocities and contacts): re-deriving the redundant
    # channels from the motion the root and ric channels define gives them back (rotations to float32 precision)
    _, _, V = sample()
    C = consistent_features(V)
    assert C.shape == (len(V) - 1, N_FEATS) and C.dtype == V.dtype
    err = _group_errors(C, V, len(C))
    assert err["rot6d"] <= 2e-5 and err["local_vel"] <= 1e-6 and err["foot_contact"] == 0.0, err
    assert all(err[k] == 0.0 for k in ("root_rot_vel", "root_lin_vel", "root_y", "ric")), err
    assert consistent_features(V.float()).dtype == torch.float32


def test_consistent_features_replace_what_the_positions_do_not_say():
    _, _, V = sample()
    g = torch.Generator().manual_seed(0)
    noisy = V.clone()
    for s in (ROT6D, LOCAL_VEL, FOOT_CONTACT):
        noisy[:, s] += torch.randn(len(V), s.stop - s.start, generator=g, dtype=V.dtype)
    # the motion (root + ric) is untouched, so the re-derived channels are those of the clean features
    torch.testing.assert_close(consistent_features(noisy), consistent_features(V), atol=1e-12, rtol=0)
    # a motion that moves: local velocities are the joints' displacement to the next frame in the root frame
    P = recover_from_ric(V, 22)
    q, _ = recover_root_rot_pos(V)
    C = consistent_features(noisy)
    want = qrot(q[:-1, None].expand(-1, 22, 4), P[1:] - P[:-1]).reshape(len(V) - 1, -1)
    torch.testing.assert_close(C[:, LOCAL_VEL], want)
    with pytest.raises(ValueError, match=r"features must be \[T>=2, 263\], got \[5, 262\]"):
        consistent_features(torch.zeros(5, 262))
    with pytest.raises(ValueError, match=r"root must be \[T, 4\] = \[5, 4\] quaternions, got \[4, 4\]"):
        inverse_kinematics(torch.zeros(5, 22, 3), root=torch.zeros(4, 4))
    with pytest.raises(ValueError, match="root gives the positions' own root frame; use canonical=False"):
        features_from_positions(P, root=q)


def test_normalizer_round_trip(tmp_path):
    d, _, V = sample()
    nz = Normalizer.from_files(d / "Mean.npy", d / "Std.npy")
    x = V.float()
    torch.testing.assert_close(nz.denormalize(nz.normalize(x)), x, atol=1e-5, rtol=1e-5)
    nz.save(tmp_path)
    nz2 = Normalizer.from_files(tmp_path / "Mean.npy", tmp_path / "Std.npy")
    torch.testing.assert_close(nz2.mean, nz.mean)


def test_errors():
    with pytest.raises(ValueError, match="20 fps"):
        features_from_positions(torch.zeros(5, 22, 3), fps=30)
    with pytest.raises(ValueError, match=r"\[T>=2, 22, 3\]"):
        features_from_positions(torch.zeros(5, 21, 3))
    with pytest.raises(ValueError, match="facing"):
        features_from_positions(torch.zeros(5, 22, 3), facing="hips")


def test_root_forward_speed_is_the_ground_speed_along_the_facing_direction():
    """A still pose carried over the ground at 1.2 m/s: along +x and along +z the forward speeds are the speed's
    projections on the body's (fixed) facing direction, so their squares add up to 1.2²; backwards reads negative; a
    crop of the first frames and a bad shape are handled."""
    _, J, _ = sample()
    pose = torch.as_tensor(J[:1]).double().repeat(40, 1, 1)
    t = torch.arange(40, dtype=torch.float64)[:, None] / 20.0
    fwd = {}
    for axis in (0, 2):
        P = pose.clone()
        P[..., axis] += 1.2 * t
        fwd[axis] = root_forward_speed(features_from_positions(P))
        back = pose.clone()
        back[..., axis] -= 1.2 * t
        assert root_forward_speed(features_from_positions(back)) == pytest.approx(-fwd[axis], abs=1e-6)
    assert fwd[0] ** 2 + fwd[2] ** 2 == pytest.approx(1.2 ** 2, rel=1e-6)
    f = torch.zeros(10, N_FEATS)
    f[:4, 2], f[4:, 2] = 0.05, 0.0
    assert root_forward_speed(f, frames=4) == pytest.approx(1.0) and root_forward_speed(f) == pytest.approx(0.4)
    with pytest.raises(ValueError, match=r"features must be \[T, F >= 3\], got \[10\]"):
        root_forward_speed(torch.zeros(10))
