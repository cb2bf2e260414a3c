"""SIGKILL the generator loop at random moments; resume; the store must hold every window exactly once."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPT = r"""
import sys, time, numpy as np
from imusim.generate.plan import make_plan, rank_items
from imusim.generate.run import run_items
from imusim.generate.store import ShardWriter, finalize
plan = make_plan({"a": ["p1", "p2"], "b": ["q"]}, per_activity=20, seed=7, seconds=(1.0, 3.0))
rank, world = int(sys.argv[2]), int(sys.argv[3])
def produce(items):
    for it in items:
        time.sleep(float(sys.argv[4]))
        rng = np.random.default_rng(it.seed % 2**32)
        yield it, rng.normal(size=(int(it.seconds * 50), 2, 6)).astype(np.float32), "fake"
w = ShardWriter(sys.argv[1], rank=rank, meta={"rate": 50})
run_items(rank_items(plan, rank, world), produce, w, W=32, stride=16, shard_windows=20, batch=3, progress=False)
finalize(sys.argv[1])
"""


def _expected():
    from imusim.generate.plan import make_plan, window_id
    plan = make_plan({"a": ["p1", "p2"], "b": ["q"]}, per_activity=20, seed=7, seconds=(1.0, 3.0))
    ids, data = [], {}
    for it in plan:
        T = int(it.seconds * 50)
        x = np.random.default_rng(it.seed % 2**32).normal(size=(T, 2, 6)).astype(np.float32)
        n = 1 + (T - 32) // 16 if T >= 32 else 0
        for k in range(n):
            ids.append(window_id(it.index, k))
            data[ids[-1]] = x[k * 16:k * 16 + 32]
    return ids, data


def _committed(tmp):
    m = tmp / "manifest-r000.jsonl"
    return m.read_text().count("\n") if m.exists() else 0


def _run(tmp, script, args, sleep, kill_after=None):
    """Run the generator; with ``kill_after`` SIGKILL it that many seconds after it has committed one
    more shard than before (so the kill lands mid-run however slow the machine is)."""
    p = subprocess.Popen([sys.executable, str(script), str(tmp), *args, str(sleep)])
    if kill_after is None:
        assert p.wait(timeout=120) == 0
        return
    before = _committed(tmp)
    t0 = time.time()
    while _committed(tmp) <= before and p.poll() is None and time.time() - t0 < 60:
        time.sleep(0.01)
    time.sleep(kill_after)
    p.send_signal(signal.SIGKILL)
    p.wait()


@pytest.mark.slow
def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path):
    from imusim.generate.store import load
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    out = tmp_path / "store"
    from imusim.generate.store import ShardWriter
    rng = np.random.default_rng(0)
    partial = 0
    for k in range(4):  # several kills at random moments
        _run(out, script, ["0", "1"], 0.05, kill_after=float(rng.uniform(0.0, 0.3)))
        done = len(ShardWriter(out).done_items()) if out.exists() else 0
        partial += 0 < done < 60
    assert partial >= 1, "no kill landed in the middle of the run: the test would prove nothing"
    _run(out, script, ["0", "1"], 0.0)
    s = load(out)
    ids, data = _expected()
    assert sorted(s.window_ids.tolist()) == sorted(ids)  # nothing lost, nothing duplicated
    for i, wid in enumerate(s.window_ids):
        np.testing.assert_array_equal(s[i], data[int(wid)])  # nothing truncated or corrupted
    assert not list((out / "shards").glob("*.tmp"))


@pytest.mark.slow
def test_two_ranks_same_content_as_one(tmp_path):
    from imusim.generate.store import load
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    _run(tmp_path / "one", script, ["0", "1"], 0.0)
    for r in range(2):
        _run(tmp_path / "two", script, [str(r), "2"], 0.0)
    a, b = load(tmp_path / "one"), load(tmp_path / "two")
    oa, ob = np.argsort(a.window_ids), np.argsort(b.window_ids)
    np.testing.assert_array_equal(a.window_ids[oa], b.window_ids[ob])
    np.testing.assert_array_equal(a.array()[oa], b.array()[ob])
    np.testing.assert_array_equal(a.labels[oa], b.labels[ob])
