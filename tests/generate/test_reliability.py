"""The generator's store under concurrency, corruption, batches without windows, resume with another
configuration and bad arguments (issue 16)."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from imusim.cli import main
from imusim.errors import CorruptFileError, StoreLockedError
from imusim.generate.plan import make_plan, window_id
from imusim.generate.run import run_items
from imusim.generate.store import ShardWriter, clear, finalize, load, verify

ACTS = {"a": ["p1", "p2"], "b": ["q"]}


def _stream(it, hz=50):
    rng = np.random.default_rng(it.seed % 2**32)
    return rng.normal(size=(int(it.seconds * hz), 2, 6)).astype(np.float32)


def _produce(items):
    for it in items:
        yield it, _stream(it), "fake"


def _expected(plan, W, stride):
    out = {}
    for it in plan:
        x = _stream(it)
        n = 1 + (len(x) - W) // stride if len(x) >= W else 0
        for k in range(n):
            out[window_id(it.index, k)] = x[k * stride:k * stride + W]
    return out


def _make(root, plan, batch=3, shard_windows=10, W=64, stride=32, produce=_produce):
    with ShardWriter(root, meta={"rate": 50}) as w:
        stats = run_items(plan, produce, w, W=W, stride=stride, shard_windows=shard_windows, batch=batch,
                          progress=False, sample_shape=(2, 6))
    finalize(root)
    return stats


def _assert_store(root, want):
    s = load(root, verify="full")
    assert sorted(s.window_ids.tolist()) == sorted(want)  # nothing lost, nothing duplicated
    X = s.array()
    for i, wid in enumerate(s.window_ids):
        np.testing.assert_array_equal(X[i], want[int(wid)])
    return s


# --------------------------------------------------------------------------------- batches, no window
@pytest.mark.parametrize("batch", [1, 2, 5, 64])
def test_batches_without_windows_are_recorded_done_and_content_is_batch_independent(tmp_path, batch):
    """Motions of 0.5–1.5 s against 1.28-s windows: many batches yield no window (used to abort with
    'cannot reshape array of size 0'); the store must not depend on the batch size."""
    plan = make_plan(ACTS, per_activity=8, seed=3, seconds=(0.5, 1.5))
    stats = _make(tmp_path, plan, batch=batch)
    want = _expected(plan, 64, 32)
    assert 0 < len(want) and stats["no_window_items"] > 0
    _assert_store(tmp_path, want)
    with ShardWriter(tmp_path) as w:
        assert w.done_items() == {it.index for it in plan}  # items without windows too: resume redoes nothing


def test_first_batches_without_any_rendering(tmp_path):
    """A produce() that renders nothing for the first batches (and a run that renders nothing at all)."""
    plan = make_plan(ACTS, per_activity=4, seed=1, seconds=(2.0, 3.0))

    def produce(items):  # the first 5 items are not rendered at all
        return [(it, _stream(it), "fake") for it in items if it.index >= 5]

    _make(tmp_path / "a", plan, batch=2, produce=produce)
    want = {k: v for k, v in _expected(plan, 64, 32).items() if (k >> 20) >= 5}
    _assert_store(tmp_path / "a", want)
    _make(tmp_path / "b", plan, batch=2, produce=lambda items: [])
    s = load(tmp_path / "b")
    assert len(s) == 0 and s.array().shape == (0, 64, 2, 6)  # the sample shape was given
    with ShardWriter(tmp_path / "b") as w:
        assert w.done_items() == {it.index for it in plan}


# ---------------------------------------------------------------------------------- one writer per rank
def test_second_writer_is_refused_naming_the_holder(tmp_path):
    w = ShardWriter(tmp_path)
    with pytest.raises(StoreLockedError, match=r"writer-r000.lock is held by another writer \(pid \d+ on "):
        ShardWriter(tmp_path)
    code = ("import sys; from imusim.generate.store import ShardWriter\n"
            "try:\n ShardWriter(sys.argv[1])\nexcept ValueError as e:\n print(e); sys.exit(3)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 3 and "held by another writer" in out.stdout and f"pid {__import__('os').getpid()}" in out.stdout
    ShardWriter(tmp_path, rank=1).close()  # another rank is fine
    w.close()
    ShardWriter(tmp_path).close()  # released


def test_writer_notices_its_lock_file_replaced(tmp_path):
    w = ShardWriter(tmp_path)
    (tmp_path / "writer-r000.lock").unlink()
    with pytest.raises(StoreLockedError, match="deleted or replaced"):
        w.write(np.zeros((1, 4, 1, 6), np.float32), ["a"], ["p"], ["s"], [0], [0], [0])
    assert not list((tmp_path / "shards").glob("*.h5"))  # nothing committed
    w.close()


SCRIPT = r"""
import sys, time, numpy as np
from imusim.generate.plan import make_plan
from imusim.generate.run import run_items
from imusim.generate.store import ShardWriter, finalize
plan = make_plan({"a": ["p1", "p2"], "b": ["q"]}, per_activity=10, seed=7, seconds=(1.0, 3.0))
def produce(items):
    for it in items:
        time.sleep(0.02)
        rng = np.random.default_rng(it.seed % 2**32)
        yield it, rng.normal(size=(int(it.seconds * 50), 2, 6)).astype(np.float32), "fake"
try:
    w = ShardWriter(sys.argv[1], meta={"rate": 50})
except ValueError as e:
    print(e, file=sys.stderr)
    sys.exit(2)
run_items(plan, produce, w, W=64, stride=32, shard_windows=8, batch=3, progress=False)
finalize(sys.argv[1])
"""


@pytest.mark.slow
def test_two_writers_started_together_one_refuses_content_intact(tmp_path):
    """The issue's repro: two generators on one directory at the same time used to give 310-331 windows of
    which ~216 unique. Now exactly one runs, the other exits at once naming it, the store is exact."""
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    out = tmp_path / "store"
    procs = [subprocess.Popen([sys.executable, str(script), str(out)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    res = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(rc for rc, _ in res) == [0, 2], res
    assert "held by another writer" in [e for rc, e in res if rc == 2][0]
    plan = make_plan(ACTS, per_activity=10, seed=7, seconds=(1.0, 3.0))
    _assert_store(out, _expected(plan, 64, 32))
    lines = (out / "manifest-r000.jsonl").read_text().splitlines()
    assert len(lines) == len({json.loads(x)["shard"] for x in lines})  # no duplicated manifest lines


# ---------------------------------------------------------------------------------------- corruption
def _corrupt(path, how):
    b = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(b[: len(b) // 2]))
    elif how == "flip":  # same size, one byte of the window data
        b[len(b) // 2] ^= 0xFF
        path.write_bytes(bytes(b))
    else:  # overwritten with something else entirely
        path.write_bytes(b"not an hdf5 file" * 100)


@pytest.mark.parametrize("how", ["truncate", "flip", "garbage"])
def test_corrupt_shard_is_named_found_by_verify_and_redone_by_resume(tmp_path, how):
    plan = make_plan(ACTS, per_activity=5, seed=2, seconds=(1.0, 3.0))
    _make(tmp_path, plan, shard_windows=4)
    want = _expected(plan, 64, 32)
    shards = sorted((tmp_path / "shards").glob("*.h5"))
    assert len(shards) >= 3
    bad = shards[1]
    _corrupt(bad, how)
    rows = verify(tmp_path)
    assert [r["shard"] for r in rows if not r["ok"]] == [f"shards/{bad.name}"]
    # load names the file: at open (truncated, garbage) or when its windows are first read (flipped byte)
    with pytest.raises(CorruptFileError, match=bad.name):
        load(tmp_path).array()
    with pytest.raises(CorruptFileError, match=bad.name):
        load(tmp_path, verify="full")
    if how != "flip":
        with pytest.warns(UserWarning, match=bad.name):
            s = load(tmp_path, skip_bad=True)
        assert len(s.skipped) == 1 and 0 < len(s) < len(want)
    # the CLI reports it (exit 1) ...
    assert main(["generate", "--verify", str(tmp_path)]) == 1
    # ... and a resumed writer drops it; its items are redone: the store is complete and exact again
    _make(tmp_path, plan, shard_windows=4)
    assert main(["generate", "--verify", str(tmp_path)]) == 0
    _assert_store(tmp_path, want)


def test_truncated_manifest_and_meta_do_not_crash_load(tmp_path):
    plan = make_plan(ACTS, per_activity=2, seed=2, seconds=(1.0, 3.0))
    _make(tmp_path, plan)
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(CorruptFileError, match="meta.json: not valid JSON"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="store directory not found"):
        load(tmp_path / "nope")


def test_clear_refuses_while_a_writer_runs(tmp_path):
    plan = make_plan(ACTS, per_activity=2, seed=2, seconds=(1.0, 3.0))
    _make(tmp_path, plan)
    w = ShardWriter(tmp_path)
    with pytest.raises(StoreLockedError):
        clear(tmp_path)
    assert list((tmp_path / "shards").glob("*.h5"))  # nothing deleted
    w.close()
    clear(tmp_path)
    assert not list((tmp_path / "shards").glob("*.h5")) and not list(tmp_path.glob("manifest*"))


# ------------------------------------------------------------------------------- command-line checks
@pytest.mark.parametrize("args,pattern", [
    (["--seconds", "9,4"], r"--seconds must be 'lo,hi' with 0 < lo <= hi, got '9,4'"),
    (["--seconds", "4"], r"--seconds must be two numbers 'lo,hi', got '4'"),
    (["--shard-windows", "0"], r"--shard-windows must be >= 1, got 0"),
    (["--batch", "0"], r"--batch must be >= 1, got 0"),
    (["--per-activity", "0"], r"--per-activity must be >= 1, got 0"),
    (["--rate", "nan"], r"--rate must be a finite number > 0, got nan"),
    (["--window", "100"], r"--window 100 s is longer than the longest motion"),
    (["--speed", "a,b"], r"--speed must be two numbers"),
    (["--variants", "0"], r"--variants must be in 1..256, got 0"),
    (["--resume", "--overwrite"], r"--resume and --overwrite exclude each other"),
    (["--activities", "ACTS"], r"activity 'walking' needs a prompt string or a list of them, got int 5"),
    (["--activities", "MISSING"], r"activities file not found"),
])
def test_bad_arguments_one_line_exit_2(tmp_path, capsys, args, pattern):
    import re
    (tmp_path / "acts.yaml").write_text("walking: 5\n")
    args = [str(tmp_path / "acts.yaml") if a == "ACTS" else str(tmp_path / "none.yaml") if a == "MISSING" else a
            for a in args]
    rc = main(["generate", "--from-mocap", str(tmp_path), "--out", str(tmp_path / "s"), *args])
    err = capsys.readouterr().err
    assert rc == 2 and re.search(pattern, err), err
    assert "Traceback" not in err and err.strip().count("\n") == 0


def test_cli_resume_refuses_another_configuration_then_overwrite(tmp_path, shared_data, capsys):
    out = tmp_path / "store"
    args = ["generate", "--from-mocap", str(shared_data), "--per-activity", "2", "--out", str(out),
            "--seconds", "3,4", "--activities", str(tmp_path / "acts.yaml")]
    (tmp_path / "acts.yaml").write_text("walking: [a person walks.]\nrunning: [a person runs.]\n")
    assert main(args) == 0
    ids = sorted(load(out).window_ids.tolist())
    meta = json.loads((out / "meta.json").read_text())
    capsys.readouterr()
    assert main(args + ["--resume", "--seed", "1", "--per-activity", "3"]) == 2
    err = capsys.readouterr().err
    assert "per_activity: 2 in the store, 3 now; seed: 0 in the store, 1 now" in err
    assert json.loads((out / "meta.json").read_text()) == meta  # untouched
    assert main(args + ["--resume", "--batch", "1", "--shard-windows", "3"]) == 0  # not content: accepted
    assert sorted(load(out).window_ids.tolist()) == ids
    assert main(args + ["--overwrite", "--per-activity", "3"]) == 0  # a new run, asked for
    assert json.loads((out / "meta.json").read_text())["config"]["per_activity"] == 3
    assert len(set(load(out).items.tolist())) > len(set(np.array(ids) >> 20))


def test_non_finite_rendering_is_refused_naming_its_source(tmp_path):
    """A broken clip (e.g. BVH values of 1e300) renders inf: an error naming it, not inf windows in the store."""
    plan = make_plan(ACTS, per_activity=3, seed=4, seconds=(2.0, 3.0))

    def produce(items):
        for it in items:
            x = _stream(it)
            if it.index == 4:
                x[10, 1, 3] = np.inf
            yield it, x, f"clip{it.index}.bvh"

    with pytest.raises(ValueError, match=r"non-finite IMU values .* item 4 \('b'\) from 'clip4.bvh'"):
        _make(tmp_path, plan, batch=2, produce=produce)
    s = load(tmp_path)
    assert np.isfinite(s.array()).all() and 4 not in set(s.items.tolist())
