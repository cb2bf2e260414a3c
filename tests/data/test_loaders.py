"""BVH / DeepMimic loaders, Motion files, retargeting onto SMPL22."""

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imusim.data import BVHError, Motion, load_bvh, load_motion, save_bvh
from imusim.kinematics.rotations import axis_angle_to_matrix
from imusim.kinematics.skeleton import Skeleton
from tests.conftest import require_data


def test_every_bandai1_bvh_loads():
    files = sorted(require_data("bandai_namco_1").glob("*.bvh"))
    assert len(files) == 174
    for f in files:
        m = load_bvh(f)
        assert m.skeleton.num_joints == 21 and abs(m.fps - 30) < 1e-3
        L = m.skeleton.bone_lengths()[1:]
        assert 0.02 < L.median() < 0.4 and L.max() < 0.6  # metres
        assert float(m.labels["bvh_max_translation_deviation_m"]) < 1e-3
        P = m.joint_positions()
        feet = P[:, [m.skeleton.index(n) for n in ("Toes_L", "Toes_R", "Foot_L", "Foot_R")], 1]
        assert feet.min() > -0.05 and feet.min(1).values.median() < 0.2  # feet roughly on the floor (y-up)


def test_end_sites_kept_as_leaves():
    f = require_data("bandai_namco_1", "dataset-1_run_normal_001.bvh")
    m, me = load_bvh(f), load_bvh(f, end_sites=True)
    extra = me.skeleton.num_joints - m.skeleton.num_joints
    assert extra > 0 and all(n.endswith("_end") for n in me.skeleton.names[m.skeleton.num_joints:])
    torch.testing.assert_close(me.joint_positions()[:, :m.skeleton.num_joints], m.joint_positions())
    # an end site sits at its parent's position + parent's global rotation @ end offset
    j = m.skeleton.num_joints
    p = me.skeleton.parents[j]
    G, P = me.fk()
    torch.testing.assert_close(P[:, j], P[:, p] + G[:, p] @ me.skeleton.offsets[j])


def test_bandai2_gz_reads_as_is():
    files = sorted(require_data("bandai_namco_2").glob("*.bvh.gz"))[::60]
    for f in files:
        m = load_motion(f)
        assert m.num_frames > 10 and m.skeleton.names[0] == "Hips"


def test_every_deepmimic_clip_loads():
    files = sorted(require_data("deepmimic").glob("humanoid3d_*.txt"))
    assert len(files) == 20
    for f in files:
        m = load_motion(f)
        assert m.skeleton.num_joints == 15 and 10 < m.fps < 130
        R = m.local_rot
        torch.testing.assert_close(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand_as(R),
                                   atol=1e-6, rtol=0)


def rand_motion(sk, T=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    R = axis_angle_to_matrix(0.6 * torch.randn(T, sk.num_joints, 3, generator=g, dtype=torch.float64))
    return Motion(sk, R, torch.randn(T, 3, generator=g, dtype=torch.float64), 30.0, "rand", {})


def test_bvh_roundtrip(tmp_path):
    from imusim.kinematics import SMPL22

    m = rand_motion(SMPL22)
    for unit in ("m", "cm"):
        p = save_bvh(m, tmp_path / f"x_{unit}.bvh", unit=unit)
        m2 = load_bvh(p, unit=unit)
        assert sorted(m2.skeleton.names) == sorted(SMPL22.names)  # written depth-first
        perm = [m2.skeleton.index(n) for n in SMPL22.names]
        assert [m2.skeleton.names[m2.skeleton.parents[perm[j]]] for j in range(1, 22)] == \
            [SMPL22.names[p] for p in SMPL22.parents[1:]]
        torch.testing.assert_close(m2.joint_positions()[:, perm], m.joint_positions(), atol=1e-5, rtol=0)
    gz = tmp_path / "x.bvh.gz"
    gz.write_bytes(gzip.compress((tmp_path / "x_m.bvh").read_bytes()))
    m3 = load_motion(gz)
    torch.testing.assert_close(m3.joint_positions()[:, [m3.skeleton.index(n) for n in SMPL22.names]],
                               m.joint_positions(), atol=1e-5, rtol=0)


def test_motion_npz_roundtrip(tmp_path):
    from imusim.kinematics import SMPL24

    m = rand_motion(SMPL24)
    m.labels["activity"] = "walk"
    m2 = load_motion(m.save_npz(tmp_path / "m.npz"))
    torch.testing.assert_close(m2.local_rot, m.local_rot)
    assert m2.labels == m.labels and m2.skeleton.names == SMPL24.names


# ---------------------------------------------------------------- fuzz / property tests of the parser
@st.composite
def hierarchies(draw):
    J = draw(st.integers(1, 7))
    parents = [-1] + [draw(st.integers(0, j - 1)) for j in range(1, J)]
    offs = draw(st.lists(st.tuples(*[st.floats(-50, 50, allow_nan=False)] * 3), min_size=J, max_size=J))
    orders = draw(st.lists(st.sampled_from(["ZXY", "XYZ", "YZX", "ZYX"]), min_size=J, max_size=J))
    T = draw(st.integers(1, 5))
    return parents, offs, orders, T


def write_bvh(parents, offs, orders, T, seed=0):
    J = len(parents)
    rng = np.random.default_rng(seed)
    lines = ["HIERARCHY"]
    chans = []

    def rec(j, d):
        ind = " " * d
        lines.append(f"{ind}{'ROOT' if j == 0 else 'JOINT'} j{j}")
        lines.append(ind + "{")
        lines.append(f"{ind} OFFSET {offs[j][0]} {offs[j][1]} {offs[j][2]}")
        rc = " ".join(f"{a}rotation" for a in orders[j])
        if j == 0:
            lines.append(f"{ind} CHANNELS 6 Xposition Yposition Zposition {rc}")
            chans.append(6)
        else:
            lines.append(f"{ind} CHANNELS 3 {rc}")
            chans.append(3)
        kids = [k for k in range(J) if parents[k] == j]
        for k in kids:
            rec(k, d + 1)
        if not kids:
            lines.extend([ind + " End Site", ind + " {", ind + "  OFFSET 0 1 0", ind + " }"])
        lines.append(ind + "}")

    rec(0, 0)
    C = sum(chans)
    lines += ["MOTION", f"Frames: {T}", "Frame Time: 0.04"]
    data = rng.uniform(-90, 90, (T, C))
    lines += [" ".join(f"{v:.5f}" for v in row) for row in data]
    return "\n".join(lines) + "\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=hierarchies(), cut=st.floats(0.0, 1.0), flip=st.integers(0, 10 ** 6))
def test_bvh_parser_fuzz(tmp_path, h, cut, flip):
    parents, offs, orders, T = h
    text = write_bvh(parents, offs, orders, T)
    p = tmp_path / "f.bvh"
    p.write_text(text)
    m = load_bvh(p, unit="m")  # valid files parse
    assert m.num_frames == T and abs(m.fps - 25) < 1e-9
    # truncations and corruptions: BVHError naming file and line, never another exception
    k = int(cut * len(text))
    bad = [text[:k], text[:k] + "@" + text[k + 1:], text.replace("OFFSET", "OFFS", 1 + flip % 2)]
    for b in bad:
        if b == text:
            continue
        p.write_text(b)
        try:
            load_bvh(p, unit="m")
        except BVHError as e:
            assert str(p) in str(e) and e.line >= 0
        # a cut exactly at a line end of the motion block can still be a valid, shorter file


def test_bvh_errors_name_file_and_line(tmp_path):
    p = tmp_path / "bad.bvh"
    p.write_text("HIERARCHY\nROOT a\n{\n OFFSET 0 0\n}\n")
    with pytest.raises(BVHError, match=r"bad.bvh:4: OFFSET needs 3 numbers"):
        load_bvh(p)
    p.write_text(write_bvh([-1, 0], [(0, 0, 0), (0, 1, 0)], ["ZXY", "ZXY"], 3).rsplit("\n", 2)[0] + "\n")
    with pytest.raises(BVHError, match="declares 3 frames but has only 2"):
        load_bvh(p)


def test_retarget_bandai_and_deepmimic_to_smpl22(tmp_path):
    from imusim.data.retarget import retarget_to_smpl22
    from imusim.kinematics import SMPL22

    for f in (require_data("bandai_namco_1", "dataset-1_run_normal_001.bvh"),
              require_data("deepmimic", "humanoid3d_run.txt")):
        m = load_motion(f)
        r = retarget_to_smpl22(m)
        assert r.skeleton is SMPL22 and r.fps == 20.0
        assert abs(r.duration - m.duration) < 0.06
        P = r.joint_positions()
        feet = P[:, [7, 8, 10, 11], 1]
        assert abs(feet.min().item()) < 1e-9 and feet.min(1).values.median() < 0.15  # on the floor
        L = (P[:, 1:] - P[:, list(SMPL22.parents[1:])]).norm(dim=-1)
        torch.testing.assert_close(L, SMPL22.bone_lengths()[1:].expand_as(L), atol=1e-9, rtol=0)
        assert P[:, 15, 1].mean() > P[:, 0, 1].mean() + 0.3  # head above pelvis: upright
