"""HumanML3D 263-d features on the shipped sample, round trips, normaliser."""

import numpy as np
import pytest
import torch

from imusim.motion.humanml import (GROUPS, N_FEATS, Normalizer, canonicalise, features_from_positions,
                                   recover_from_ric)
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


def test_features_layout_and_channels_that_match_the_sample():
    _, J, V = sample()
    F = features_from_positions(J)
    assert F.shape == (J.shape[0] - 1, N_FEATS)
    n = F.shape[0]
    err = {k: (F[:n, s] - V[:n, s]).abs().max().item() for k, s in GROUPS.items()}
    # root height and foot contacts are reproduced exactly; the channels that depend on the facing
    # direction estimate (root rotation velocity, root-relative positions/velocities, rot6d) do not
    # match the sample yet (see docs/results.md: measured errors and the open question)
    assert err["root_y"] < 1e-6 and err["foot_contact"] == 0.0


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
