"""Property-based fuzzing of the file loaders (issue 16): whatever a BVH, DeepMimic, motion/AMASS .npz or
real-data .npz file holds, loading it gives a valid result or one of the project's named errors
(CorruptFileError, which BVHError is) — never another exception, a signal or a hang (each case runs under
a time limit). Examples per test are kept small so the suite stays fast; raise IMUSIM_FUZZ_EXAMPLES to
fuzz longer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import zipfile

import numpy as np
import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from imusim.data import Motion, load_bvh, load_deepmimic, load_motion  # noqa: E402
from imusim.errors import CorruptFileError  # noqa: E402
from imusim.har import IMUSet, load_npz  # noqa: E402

N = int(os.environ.get("IMUSIM_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=N, deadline=None, derandomize=os.environ.get("IMUSIM_FUZZ_RANDOM") is None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
LIMIT_S = 10


@contextlib.contextmanager
def time_limit(seconds=LIMIT_S):
    """A hang fails the example (SIGALRM) instead of stalling the suite."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"loader still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _valid_motion(m):
    assert isinstance(m, Motion)
    assert torch.isfinite(m.local_rot).all() and torch.isfinite(m.root_pos).all() and m.fps > 0
    return m


def _load(fn, path):
    """Run a loader: a Motion/IMUSet or a named error; anything else fails the property."""
    with time_limit():
        try:
            return fn(path)
        except CorruptFileError as e:
            assert str(path.name) in str(e)  # the error names the file
            return None


# ------------------------------------------------------------------------------------------------ BVH
BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Head
    {
      OFFSET 0 20 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 0 5 0
      }
    }
  }
  JOINT LeftLeg
  {
    OFFSET 8 -40 0
    CHANNELS 3 Zrotation Xrotation Yrotation
  }
}
MOTION
Frames: 4
Frame Time: 0.033333
0 90 0 0 0 0 1 2 3 4 5 6 7 8 9
1 91 0 5 0 0 1 2 3 4 5 6 7 8 9
2 92 0 10 0 0 1 2 3 4 5 6 7 8 9
3 93 0 15 0 0 1 2 3 4 5 6 7 8 9
"""
WEIRD = ["", "nan", "inf", "-inf", "1e308", "-1e308", "1e400", "0", "-1", "3.5", "x", "{", "}", "ROOT", "JOINT",
         "End", "Site", "CHANNELS", "OFFSET", "Frames:", "Frame", "Time:", "MOTION", "HIERARCHY", "99999999999",
         "-5", "Xrotation", "Yposition", "\x00", "é", "1,5"]


@st.composite
def bvh_text(draw):
    toks = [ln.split(" ") for ln in BVH.splitlines()]
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["replace", "delete_line", "dup_line", "insert", "truncate", "swap"]))
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        if op == "replace" and toks[i]:
            j = draw(st.integers(0, len(toks[i]) - 1))
            toks[i][j] = draw(st.sampled_from(WEIRD) | st.text(max_size=6) | st.floats().map(repr))
        elif op == "delete_line":
            del toks[i]
        elif op == "dup_line":
            toks.insert(i, list(toks[i]))
        elif op == "insert":
            toks[i].insert(draw(st.integers(0, len(toks[i]))), draw(st.sampled_from(WEIRD)))
        elif op == "truncate":
            toks = toks[:i]
        else:
            k = draw(st.integers(0, len(toks) - 1))
            toks[i], toks[k] = toks[k], toks[i]
    return "\n".join(" ".join(t) for t in toks)


@FUZZ
@given(text=bvh_text(), gz=st.booleans())
def test_bvh_fuzz(tmp_path_factory, text, gz):
    d = tmp_path_factory.mktemp("bvh")
    p = d / ("m.bvh.gz" if gz else "m.bvh")
    if gz:
        import gzip
        raw = gzip.compress(text.encode("utf-8", "surrogatepass"))
        p.write_bytes(raw[: len(raw) - (len(text) % 3)])  # sometimes a truncated gzip stream
    else:
        p.write_text(text, encoding="utf-8", errors="surrogatepass")
    m = _load(load_bvh, p)
    if m is not None:
        _valid_motion(m)


@FUZZ
@given(data=st.binary(max_size=400))
def test_bvh_random_bytes(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("bvhb") / "r.bvh"
    p.write_bytes(b"HIERARCHY\n" + data if data[:1] != b"H" else data)
    m = _load(load_bvh, p)
    if m is not None:
        _valid_motion(m)


# ------------------------------------------------------------------------------------------- DeepMimic
CHAR = {"Skeleton": {"Joints": [
    {"ID": 0, "Name": "root", "Type": "none", "Parent": -1, "AttachX": 0, "AttachY": 0, "AttachZ": 0},
    {"ID": 1, "Name": "chest", "Type": "spherical", "Parent": 0, "AttachX": 0, "AttachY": 0.2, "AttachZ": 0},
    {"ID": 2, "Name": "knee", "Type": "revolute", "Parent": 1, "AttachX": 0, "AttachY": -0.4, "AttachZ": 0},
    {"ID": 3, "Name": "hand", "Type": "fixed", "Parent": 2, "AttachX": 0.1, "AttachY": 0, "AttachZ": 0}]}}
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.sampled_from([0.0, 1e308]))


@st.composite
def deepmimic_files(draw):
    char = json.loads(json.dumps(CHAR))
    n = draw(st.integers(0, 2))
    for _ in range(n):  # character mutations
        j = draw(st.sampled_from(char["Skeleton"]["Joints"]))
        key = draw(st.sampled_from(["ID", "Name", "Type", "Parent", "AttachX"]))
        j[key] = draw(st.one_of(VALUES, st.text(max_size=4), st.none(), st.sampled_from(["ball", "spherical"])))
    T = draw(st.integers(0, 4))
    width = draw(st.sampled_from([13, 13, 13, 12, 14]))  # 1 + 3 + 4 + 4 + 1 for this character
    rows = [[draw(st.floats(0.01, 0.1))] + [draw(st.floats(-2, 2)) for _ in range(width - 1)] for _ in range(T)]
    for _ in range(draw(st.integers(0, 3))):
        if rows:
            r = draw(st.integers(0, len(rows) - 1))
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(VALUES)
    if rows and draw(st.booleans()):
        rows[0][4:8] = [0, 0, 0, 0]  # zero root quaternion
    motion = {"Loop": "wrap", "Frames": rows}
    if draw(st.integers(0, 5)) == 0:
        motion = draw(st.sampled_from([[], {"Frames": "abc"}, {"Frames": [[1, 2], [3]]}, {"NoFrames": 1}, 5]))

    def dumps(x):
        s = json.dumps(x)  # NaN/Infinity literals allowed: Python's json reads them
        return s[: draw(st.integers(0, len(s)))] if draw(st.integers(0, 6)) == 0 else s
    return dumps(char), dumps(motion)


@FUZZ
@given(files=deepmimic_files())
def test_deepmimic_fuzz(tmp_path_factory, files):
    d = tmp_path_factory.mktemp("dm")
    (d / "character_humanoid3d.json").write_text(files[0])
    p = d / "humanoid3d_walk.txt"
    p.write_text(files[1])
    with time_limit():
        try:
            m = load_deepmimic(p)
        except CorruptFileError as e:
            assert "character_humanoid3d.json" in str(e) or p.name in str(e)
            return
    _valid_motion(m)


# ------------------------------------------------------------------------------------- motion / AMASS npz
ARR = st.one_of(
    st.builds(lambda shape, v: np.full(shape, v), st.tuples(*[st.integers(0, 3)] * 2), VALUES),
    st.builds(lambda s: np.zeros(s), st.sampled_from([(2, 1, 3, 3), (3, 3), (2, 3), (1, 3), (2, 66), (0,), ()])),
    st.builds(lambda t: np.tile(np.eye(3), (t, 1, 1, 1)), st.integers(0, 3)),
    st.just(np.array("text")), st.just(np.array(["a", "b"])), st.just(np.array(30.0)),
    st.just(np.array([1, 2], dtype=np.int8)), st.just(np.array([True])))
META = st.one_of(
    st.just({"format": "imusim-motion-1", "fps": 30.0,
             "skeleton": {"name": "s", "names": ["root"], "parents": [-1]}}),
    st.fixed_dictionaries({"format": st.sampled_from(["imusim-motion-1", "x"]), "fps": VALUES,
                           "skeleton": st.one_of(st.none(), st.fixed_dictionaries(
                               {"name": st.text(max_size=3), "names": st.lists(st.text(max_size=2), max_size=3),
                                "parents": st.lists(st.integers(-2, 3), max_size=3)}))}),
    st.text(max_size=10), st.integers())


@st.composite
def npz_bytes(draw):
    kind = draw(st.sampled_from(["motion", "amass", "random", "bytes", "truncated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "motion":
        T = draw(st.integers(0, 4))
        arrs = {"local_rot": np.tile(np.eye(3), (T, 1, 1, 1)), "root_pos": np.zeros((T, 3)), "offsets": np.zeros((1, 3))}
        meta = draw(META)
        arrs["meta"] = np.array(json.dumps(meta) if not isinstance(meta, str) else meta)
        if draw(st.booleans()):
            arrs["local_rot"] = arrs["local_rot"] * draw(st.sampled_from([1.0, 1.5, -1.0, 0.0, np.nan]))
    elif kind == "amass":
        T = draw(st.integers(0, 4))
        arrs = {"poses": np.zeros((T, 72)), "trans": np.zeros((T, 3)), "mocap_framerate": np.array(60.0)}
    else:
        arrs = {}
    for _ in range(draw(st.integers(0, 3))):
        arrs[draw(st.sampled_from(["meta", "local_rot", "root_pos", "offsets", "poses", "trans", "mocap_framerate",
                                   "gender", "X"]))] = draw(ARR)
    buf = io.BytesIO()
    np.savez(buf, **arrs)
    raw = buf.getvalue()
    if kind == "truncated":
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@FUZZ
@given(raw=npz_bytes())
def test_motion_npz_fuzz(tmp_path_factory, raw):
    p = tmp_path_factory.mktemp("npz") / "clip.npz"
    p.write_bytes(raw)
    m = _load(load_motion, p)
    if m is not None:
        _valid_motion(m)


# ----------------------------------------------------------------------------------- real-data npz (HAR)
@st.composite
def real_npz(draw):
    N, T, C = draw(st.integers(0, 4)), draw(st.integers(0, 12)), draw(st.sampled_from([3, 6, 2]))
    arrs = {"X": np.random.default_rng(0).normal(size=(N, T, C)).astype(np.float32),
            "y": np.array(["a", "b", "c", "d"][:N]), "rate": np.array(draw(VALUES)),
            "channels": np.array(["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"][:C]),
            "placement": np.array("wrist_l"), "acc_unit": np.array(draw(st.sampled_from(["m/s^2", "g", "mg"])))}
    if draw(st.booleans()):
        arrs["gravity"] = np.array(draw(st.sampled_from(["included", "removed", "maybe"])))
    if draw(st.booleans()) and N:
        arrs["X"][0, ..., 0] = draw(VALUES)
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.sampled_from(list(arrs) + ["groups", "gyro_unit"]))
        if draw(st.booleans()):
            arrs.pop(k, None)
        else:
            arrs[k] = draw(ARR)
    buf = io.BytesIO()
    np.savez(buf, **arrs)
    return buf.getvalue()


@FUZZ
@given(raw=real_npz())
def test_real_npz_fuzz(tmp_path_factory, raw):
    p = tmp_path_factory.mktemp("real") / "wisdm.npz"
    p.write_bytes(raw)
    s = _load(load_npz, p)
    if s is not None:
        assert isinstance(s, IMUSet) and s.rate > 0 and np.isfinite(s.X).all()
        assert len(s.y) == len(s.X) and len(s.channels) == s.X.shape[2]


def test_zip_bomb_like_member_is_named(tmp_path):
    """A zip whose member is not an .npy array."""
    p = tmp_path / "odd.npz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("X.npy", b"not an npy header")
    with pytest.raises(CorruptFileError, match="odd.npz"):
        load_npz(p)
