import numpy as np
import pytest
import torch

from imusim.kinematics import SMPL22, SMPL24, Skeleton
from imusim.kinematics.presets import T2M_RAW_DIRECTIONS, get_preset
from tests.conftest import require_data


def test_smpl22_lengths_match_humanml3d_sample():
    P = np.load(require_data("humanml3d_sample", "new_joints", "012314.npy"))
    for j, p in enumerate(SMPL22.parents):
        if p >= 0:
            L = np.linalg.norm(P[:, j] - P[:, p], axis=-1)
            assert abs(L.mean() - SMPL22.bone_lengths()[j].item()) < 2e-5, SMPL22.names[j]
    # directions are HumanML3D's raw offsets
    d = SMPL22.offsets / SMPL22.bone_lengths().clamp_min(1e-9)[:, None]
    torch.testing.assert_close(d[1:], torch.tensor(T2M_RAW_DIRECTIONS[1:], dtype=torch.float64))


def test_presets_and_validation():
    assert SMPL24.names[:22] == SMPL22.names and SMPL24.parents[22:] == (20, 21)
    assert get_preset("smpl22") is SMPL22
    with pytest.raises(KeyError, match="presets"):
        get_preset("KIT")
    with pytest.raises(ValueError, match=r"parents\[1\].*must be in \[0, 0\]"):
        Skeleton(("a", "b"), (-1, 1), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"offsets must have shape \[2, 3\]"):
        Skeleton(("a", "b"), (-1, 0), torch.zeros(3, 3))
    with pytest.raises(KeyError, match="not in skeleton"):
        SMPL22.index("tail")
    sub = SMPL22.subset(["pelvis", "spine3", "head"])
    assert sub.parents == (-1, 0, 1)
    torch.testing.assert_close(sub.offsets[2], SMPL22.offsets[12] + SMPL22.offsets[15])


def _write_tiny_smpl(path, V=60, seed=0):
    rng = np.random.default_rng(seed)
    J = 24
    v = rng.normal(0, 0.3, (V, 3))
    Jreg = rng.random((J, V))
    Jreg /= Jreg.sum(1, keepdims=True)
    w = rng.random((V, J))
    w /= w.sum(1, keepdims=True)
    parents = np.array([4294967295, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21])
    np.savez(path, v_template=v, shapedirs=rng.normal(0, 0.01, (V, 3, 10)), posedirs=np.zeros((V * 3, 207)),
             J_regressor=Jreg, weights=w, kintree_table=np.stack([parents, np.arange(J)]),
             f=rng.integers(0, V, (20, 3)).astype(np.int64))
    return v, Jreg


def test_from_smpl_with_synthetic_model(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.npz"
    v, Jreg = _write_tiny_smpl(path)
    sk = Skeleton.from_smpl(path, num_joints=24)
    J = Jreg @ v
    assert sk.names == SMPL24.names
    for j, p in enumerate(SMPL24.parents):
        if p >= 0:
            np.testing.assert_allclose(sk.offsets[j].numpy(), J[j] - J[p], atol=1e-5)
    sk_b = Skeleton.from_smpl(path, betas=[2.0, -1.0], num_joints=22)
    assert sk_b.num_joints == 22 and not torch.allclose(sk_b.offsets, sk.offsets[:22])
