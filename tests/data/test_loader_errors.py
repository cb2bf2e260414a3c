"""Loader errors name the file; a Motion refuses what is not a motion (issue 16)."""

import json

import numpy as np
import pytest
import torch

from imusim.data import Motion, load_bvh, load_deepmimic, load_motion
from imusim.errors import CorruptFileError, UnknownNameError
from imusim.kinematics import SMPL22
from imusim.kinematics.rotations import axis_angle_to_matrix
from tests.conftest import require_data


def _motion(T=5, dtype=torch.float64):
    aa = torch.randn(T, 22, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 0.3
    return axis_angle_to_matrix(aa).to(dtype), torch.zeros(T, 3, dtype=dtype)


def test_motion_refuses_non_rotations_with_frame_and_joint():
    L, r = _motion()
    Motion(SMPL22, L, r, 20.0)  # proper rotations pass
    Motion(SMPL22, L.float(), r.float(), 20.0)  # float32 rounding passes
    bad = L.clone()
    bad[3, 7] *= 1.01  # a 1 % scale: no longer orthonormal
    with pytest.raises(ValueError, match=r"clip\.npz: local_rot\[3, 7\] \(joint left_ankle\) is not a rotation matrix"):
        Motion(SMPL22, bad, r, 20.0, source="clip.npz")
    refl = L.clone()
    refl[1, 2] = -refl[1, 2]  # det = -1: a reflection
    with pytest.raises(ValueError, match=r"local_rot\[1, 2\].*det = -1"):
        Motion(SMPL22, refl, r, 20.0)
    nan = L.clone()
    nan[4, 0, 1, 1] = float("nan")
    with pytest.raises(ValueError, match="non-finite value at frame 4, joint pelvis"):
        Motion(SMPL22, nan, r, 20.0)
    r2 = r.clone()
    r2[2, 1] = float("inf")
    with pytest.raises(ValueError, match="root_pos has a non-finite value at frame 2"):
        Motion(SMPL22, L, r2, 20.0)
    for fps in (0.0, float("nan"), float("inf"), "x"):
        with pytest.raises(ValueError, match="fps must be"):
            Motion(SMPL22, L, r, fps)


def test_motion_npz_with_sheared_rotations_is_a_named_file_error(tmp_path):
    L, r = _motion()
    p = Motion(SMPL22, L, r, 20.0).save_npz(tmp_path / "m.npz")
    z = dict(np.load(p))
    z["local_rot"][0, 0, 0, 1] += 0.5
    np.savez(tmp_path / "sheared.npz", **z)
    with pytest.raises(CorruptFileError, match=r"sheared\.npz: .*not a rotation matrix"):
        load_motion(tmp_path / "sheared.npz")
    z = dict(np.load(p))
    z["meta"] = np.array(json.dumps({"format": "imusim-motion-1", "fps": 20}))
    np.savez(tmp_path / "nometa.npz", **z)
    with pytest.raises(CorruptFileError, match=r"nometa\.npz: meta lacks 'skeleton'"):
        load_motion(tmp_path / "nometa.npz")


def test_amass_npz_errors_name_the_file(tmp_path):
    np.savez(tmp_path / "a.npz", poses=np.zeros((4, 72)), trans=np.zeros((4, 3)), mocap_framerate=np.array(0.0))
    with pytest.raises(CorruptFileError, match=r"a\.npz: mocap_framerate must be a finite number > 0"):
        load_motion(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", poses=np.full((4, 72), np.nan), trans=np.zeros((4, 3)), mocap_framerate=np.array(60.0))
    with pytest.raises(CorruptFileError, match=r"b\.npz: poses/trans hold non-finite values"):
        load_motion(tmp_path / "b.npz")


def _dm(tmp_path, frames, char=None):
    src = require_data("deepmimic", "character_humanoid3d.json")
    (tmp_path / "character_humanoid3d.json").write_text(char if char is not None else src.read_text())
    p = tmp_path / "humanoid3d_x.txt"
    p.write_text(json.dumps({"Loop": "wrap", "Frames": frames}))
    return p


def test_deepmimic_bad_frames_are_named(tmp_path):
    good = json.loads(require_data("deepmimic", "humanoid3d_walk.txt").read_text())["Frames"][:3]
    m = load_deepmimic(_dm(tmp_path, good))
    assert m.num_frames == 3
    zero = [list(f) for f in good]
    zero[1][4:8] = [0, 0, 0, 0]
    with pytest.raises(CorruptFileError, match=r"humanoid3d_x\.txt: frame 1: the root quaternion is \(near\) zero"):
        load_deepmimic(_dm(tmp_path, zero))
    dur = [list(f) for f in good]
    dur[0][0] = 0.0
    with pytest.raises(CorruptFileError, match=r"frame durations .* must be > 0"):
        load_deepmimic(_dm(tmp_path, dur))
    with pytest.raises(CorruptFileError, match=r"Frames must be \[T >= 1, 44\]"):
        load_deepmimic(_dm(tmp_path, []))
    with pytest.raises(CorruptFileError, match=r"character_humanoid3d\.json: not a DeepMimic character file"):
        load_deepmimic(_dm(tmp_path, good, char='{"Skeleton": {"Joints": [{"ID": 0}]}}'))


def test_deepmimic_angle_too_large_for_a_rotation(tmp_path):
    """Found by the fuzz test: a revolute angle of 1.3e154 rad gives a NaN rotation; the Motion check
    (non-finite local_rot) becomes a file error, not a bare ValueError."""
    good = json.loads(require_data("deepmimic", "humanoid3d_walk.txt").read_text())["Frames"][:2]
    big = [list(f) for f in good]
    big[0][20] = 1.3407807929942597e+154  # right_knee, the first revolute joint of humanoid3d
    with pytest.raises(CorruptFileError, match=r"humanoid3d_x\.txt: local_rot has a non-finite value at frame 0"):
        load_deepmimic(_dm(tmp_path, big))


def test_unknown_joint_is_a_key_and_value_error():
    with pytest.raises(UnknownNameError, match="joint 'nope' not in skeleton 'SMPL22'") as e:
        SMPL22.index("nope")
    assert isinstance(e.value, KeyError) and isinstance(e.value, ValueError)
    assert str(e.value).startswith("joint 'nope'")  # not the quoted repr a KeyError prints
