"""The bulk generator's cost per window (pytest-benchmark); same workloads as ``imusim bench generate``.

* ``imu-stage``: a batch of motions (SMPL22, 50 Hz, smooth random axis-angle trajectories, 2 sensors)
  → ``synthesize_imu`` (fused kernel) → 2.56 s windows with 1.28 s stride → one HDF5 shard, with the
  stages cumulated as the ``stage`` parameter (``imu``, ``+windows``, ``+write``) so the split is
  visible. ``extra_info['windows_per_s']`` is the figure of the issue's target (100,000 windows/s on
  this 2-core CPU, 1,000,000 on an H100).
* ``end-to-end``: text → DDIM sampling (CFG) → IK → virtual IMU → windows with a shipped checkpoint
  (skipped when none is shipped), per DDIM step count; ``extra_info['ms_per_window']``.

Run::

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \\
        .venv/bin/python -m pytest benchmarks/bench_generate.py --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

import functools
import tempfile

import numpy as np
import pytest
import torch

from imusim.bench.generate import _motions, bench_end_to_end
from imusim.generate.store import ShardWriter
from imusim.generate.windows import sliding_windows, window_params
from imusim.imu import synthesize_imu
from imusim.kinematics import SMPL22

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
BATCH = 2048 if DEVICE == "cuda" else 512
SECONDS = 10.0


@functools.lru_cache(maxsize=None)
def _inputs():
    aa, root = _motions(BATCH, int(SECONDS * 50))
    return aa.to(DEVICE), root.to(DEVICE)


def _imu_stage(stage, out_dir):
    aa, root = _inputs()
    with torch.no_grad():
        r = synthesize_imu(aa, root, SMPL22, "wrist_r,thigh_r", 50.0, rot_format="axis_angle")
    x = r.stacked().cpu().numpy()
    if stage == "imu":
        return x.shape[0] * (1 + (x.shape[1] - 128) // 64)
    W, st = window_params(50.0, 2.56, 1.28)
    wins = np.concatenate([sliding_windows(x[i], W, st) for i in range(x.shape[0])])
    if stage == "+write":
        n = len(wins)
        ids = np.arange(n)
        ShardWriter(out_dir).write(wins, ["walking"] * n, ["bench"] * n, ["bench"] * n, ids, ids,
                                   np.repeat(np.arange(x.shape[0]), n // x.shape[0]))
    return len(wins)


@pytest.mark.parametrize("stage", ["imu", "+windows", "+write"])
def test_imu_stage(benchmark, stage):
    with tempfile.TemporaryDirectory() as d:
        n = _imu_stage(stage, d)  # warm-up, and the window count
        benchmark.pedantic(_imu_stage, args=(stage, d), rounds=3, warmup_rounds=0)
    benchmark.extra_info.update(windows=n, device=DEVICE,
                                windows_per_s=round(n / benchmark.stats.stats.min))


@pytest.mark.parametrize("steps", [50, 10])
def test_end_to_end(benchmark, steps):
    from imusim.diffusion.zoo import CHECKPOINT_DIR

    if not (CHECKPOINT_DIR / "refined.safetensors").exists():
        pytest.skip("no shipped checkpoint")
    rows = benchmark.pedantic(bench_end_to_end, args=("refined",),
                              kwargs=dict(motions=32, batch=32, steps=(steps,), device=DEVICE), rounds=1)
    benchmark.extra_info.update(rows[0])
