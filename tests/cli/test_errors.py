"""The command line reports user errors in one line (exit 2) and lets bugs show their traceback."""

import errno
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from imusim.cli import main
from tests.conftest import SHARED_DATA

WALK = SHARED_DATA / "bandai_namco_1" / "dataset-1_walk_normal_001.bvh"


def _bvh_variant(tmp_path, name, frames=None, first_value=None, cut_after_header=False):
    if not WALK.exists():
        pytest.skip(f"shared data not found: {WALK}")
    lines = WALK.read_text().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("Frame Time"))
    j = next(k for k, ln in enumerate(lines) if ln.startswith("Frames:"))
    if frames is not None:
        lines[j] = f"Frames: {frames}"
    if first_value is not None:
        vals = lines[i + 3].split()
        vals[0] = first_value
        lines[i + 3] = " ".join(vals)
    if cut_after_header:
        lines = lines[:i + 1]
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def _files(tmp_path):
    (tmp_path / "hello.npz").write_text("hello")
    np.save(tmp_path / "arr.npy", np.zeros(3))
    (tmp_path / "arr.npz").write_bytes((tmp_path / "arr.npy").read_bytes())
    np.savez(tmp_path / "badmeta.npz", meta=np.array("{not json"), local_rot=np.zeros((4, 1, 3, 3)),
             root_pos=np.zeros((4, 3)), offsets=np.zeros((1, 3)))
    good = tmp_path / "good.npz"
    np.savez(good, x=np.zeros(1000))
    (tmp_path / "trunc.npz").write_bytes(good.read_bytes()[:300])


CASES = [  # (argv with TMP placeholders, pattern the single stderr line must match)
    (["synth", "TMP/missing.bvh", "--out", "TMP/o.npz"], r"motion file not found: .*missing\.bvh"),
    (["synth", "HUGE", "--out", "TMP/o.npz"], r"huge\.bvh: the accelerometer signal is not finite"),
    (["synth", "ZERO", "--out", "TMP/o.npz"], r"zero\.bvh:0: the file has no frames"),
    (["synth", "NEG", "--out", "TMP/o.npz"], r"neg\.bvh:\d+: Frames must be >= 0, got -3"),
    (["synth", "TMP/hello.npz", "--out", "TMP/o.npz"], r"hello\.npz: not an \.npz \(zip\) archive: starts with b'hello"),
    (["synth", "TMP/arr.npz", "--out", "TMP/o.npz"], r"arr\.npz: not an \.npz \(zip\) archive: an \.npy array"),
    (["synth", "TMP/trunc.npz", "--out", "TMP/o.npz"], r"trunc\.npz: not a readable \.npz archive"),
    (["synth", "TMP/badmeta.npz", "--out", "TMP/o.npz"], r"badmeta\.npz: field 'meta' is not valid JSON"),
    (["synth", "WALK", "--out", "TMP/o.npz", "--rate", "0"], r"--rate must be a finite number > 0 \(Hz\), got 0"),
    (["synth", "WALK", "--out", "TMP/o.npz", "--sensors", "elbow_x"], r"unknown sensor 'elbow_x'"),
    (["synth", "WALK", "--out", "TMP/o.npz", "--no-retarget", "--sensors", "joint:nope"], r"joint 'nope' not in"),
    (["generate", "--verify", "TMP/nostore"], r"not a generator store"),
    (["evaluate-motion", "--checkpoint", "original", "--checkpoint", "TMP/nope.safetensors@smooth=2"],
     r"checkpoint '.*nope\.safetensors': not a file"),  # at once, not after building data and training
    (["evaluate-motion", "--checkpoint", "original", "--fid-encoders", "0"], r"--fid-encoders must be >= 1, got 0"),
    (["bench", "acc-loss", "--sizes", "64,x"], r"--sizes must be comma-separated integers, got '64,x'"),
    (["evaluate", "--real", "TMP/hello.npz", "--synthetic", "a=TMP", "--out", "TMP/r"], r"hello\.npz: not an \.npz"),
]


@pytest.mark.parametrize("argv,pattern", CASES, ids=[f"{c[0][0]}-{i}" for i, c in enumerate(CASES)])
def test_user_errors_print_one_line_and_exit_2(tmp_path, capsys, monkeypatch, argv, pattern):
    import re

    monkeypatch.delenv("IMUSIM_DEBUG", raising=False)
    _files(tmp_path)
    subs = {"TMP": str(tmp_path), "WALK": str(WALK)}
    if any(a in ("HUGE", "ZERO", "NEG") for a in argv):
        subs.update(HUGE=str(_bvh_variant(tmp_path, "huge.bvh", first_value="1e300")),
                    ZERO=str(_bvh_variant(tmp_path, "zero.bvh", frames=0, cut_after_header=True)),
                    NEG=str(_bvh_variant(tmp_path, "neg.bvh", frames=-3)))
    if "WALK" in argv and not WALK.exists():
        pytest.skip("shared data not found")
    argv = [subs.get(a, a) for a in argv]
    argv = [a.replace("TMP", str(tmp_path)) if a.startswith("TMP") else a for a in argv]
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    err = [ln for ln in err if "error:" in ln]
    assert rc == 2 and len(err) == 1, err
    assert re.search(pattern, err[0]), err[0]
    assert not (tmp_path / "o.npz").exists()  # nothing written


def test_bug_keeps_its_traceback(monkeypatch):
    """A TypeError/KeyError/RuntimeError inside a command is a bug: not turned into a one-liner."""
    import imusim.commands.plot as plot

    for exc in (TypeError("boom"), KeyError("k"), RuntimeError("r"), IndexError("i")):
        def bad(a, exc=exc):
            raise exc
        monkeypatch.setattr(plot, "_run", bad)
        with pytest.raises(type(exc)):
            main(["plot", "x.bvh", "--out", "x.png"])


def test_debug_env_shows_user_error_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("IMUSIM_DEBUG", "1")
    with pytest.raises(FileNotFoundError):
        main(["synth", str(tmp_path / "missing.bvh"), "--out", str(tmp_path / "o.npz")])


def test_disk_full_is_one_line(monkeypatch, capsys):
    import imusim.commands.plot as plot

    def full(a):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/store/shards/x.h5")
    monkeypatch.setattr(plot, "_run", full)
    assert main(["plot", "x.bvh", "--out", "x.png"]) == 2
    assert capsys.readouterr().err.strip() == "imusim plot: error: No space left on device: /data/store/shards/x.h5"


def test_traceback_only_for_bugs_in_a_real_process(tmp_path):
    """End to end in a fresh interpreter: a user error has no 'Traceback' on stderr."""
    out = subprocess.run([sys.executable, "-m", "imusim", "synth", str(tmp_path / "nope.bvh"), "--out",
                          str(tmp_path / "o.npz")], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "nope.bvh" in out.stderr


def test_synth_out_names_the_file_it_writes(tmp_path, capsys):
    if not WALK.exists():
        pytest.skip("shared data not found")
    assert main(["synth", str(WALK), "--out", str(tmp_path / "sig")]) == 0
    assert (tmp_path / "sig.npz").exists() and f"wrote {tmp_path / 'sig.npz'}:" in capsys.readouterr().out
    d = tmp_path / "dir"
    d.mkdir()
    assert main(["synth", str(WALK), "--out", str(d)]) == 0
    want = d / "dataset-1_walk_normal_001_imu.npz"
    assert want.exists() and f"wrote {want}:" in capsys.readouterr().out
    assert not Path(str(d) + ".npz").exists()
