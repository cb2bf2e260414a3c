"""Seeded per-rendering augmentation: counter-based draws, bounds, batch independence."""

import numpy as np
import pytest
from scipy import stats

from imusim.generate.augment import Augment, hash_normals, hash_uniforms, rendering_seeds
from imusim.imu.render import Mounts
from imusim.imu.sensors import PRESETS
from imusim.kinematics import SMPL22


def test_hash_draws_are_uniform_normal_and_per_seed():
    seeds = np.arange(20000, dtype=np.uint64) * np.uint64(7919) + np.uint64(3)
    u = hash_uniforms(seeds, 4, stream=1)
    assert u.shape == (20000, 4) and (u > 0).all() and (u < 1).all()
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03  # draws of one seed are independent
    z = hash_normals(seeds, 3, stream=2)
    assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    # a seed's draws do not depend on which other seeds are in the batch, or where
    np.testing.assert_array_equal(hash_uniforms(seeds[[5, 3]], 4, 1), u[[5, 3]])
    assert not np.allclose(hash_uniforms(seeds[:10], 4, 1), hash_uniforms(seeds[:10], 4, 9))  # streams differ


def test_rendering_seeds_differ_per_variant_and_item():
    s = rendering_seeds(np.repeat(np.arange(100, dtype=np.uint64), 4), np.tile(np.arange(4), 100))
    assert len(set(s.tolist())) == 400


def test_augment_bounds_and_mirroring():
    base = Mounts.from_sensors([PRESETS["wrist_r"], PRESETS["thigh_l"]], SMPL22)
    seeds = rendering_seeds(np.arange(4000, dtype=np.uint64), np.zeros(4000))
    aug = Augment(mirror=0.3, speed=(0.9, 1.2), jitter_cm=2.0, rot_deg=10.0)
    m, mirrored, speed = aug.draw(seeds, base, SMPL22)
    assert abs(mirrored.mean() - 0.3) < 0.03 and speed.min() >= 0.9 and speed.max() <= 1.2
    wr = SMPL22.index("right_wrist")
    lw = SMPL22.index("left_wrist")
    assert (m.joints[~mirrored, 0] == wr).all() and (m.joints[mirrored, 0] == lw).all()
    M = np.diag([-1.0, 1.0, 1.0])
    off = np.where(mirrored[:, None, None], m.offsets @ M, m.offsets)  # undo the reflection
    assert np.abs(off - base.offsets).max() <= 0.02 + 1e-12  # ±2 cm per axis
    R = np.where(mirrored[:, None, None, None], M @ m.rotations, m.rotations)
    d = R @ np.swapaxes(base.rotations, -1, -2)  # the mount rotation noise
    ang = np.degrees(np.arccos(np.clip((np.trace(d, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))
    assert ang.max() <= 10.0 + 1e-6 and ang.mean() > 3.0
    assert (np.linalg.det(m.rotations[mirrored]) < 0).all() and (np.linalg.det(m.rotations[~mirrored]) > 0).all()
    m2, mir2, sp2 = aug.draw(seeds[[7, 1]], base, SMPL22)  # same seeds, other batch: same draws
    np.testing.assert_array_equal(m2.offsets, m.offsets[[7, 1]])
    np.testing.assert_array_equal(sp2, speed[[7, 1]])
