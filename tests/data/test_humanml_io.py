"""HumanML3D .npy loader (AMASS tests: tests/data/test_amass.py)."""

import numpy as np
import pytest
import torch

from imusim.data import load_motion
from tests.conftest import require_data


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
