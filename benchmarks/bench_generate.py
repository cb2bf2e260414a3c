"""The bulk generator's cost per window (pytest-benchmark); same workloads as ``imusim bench generate``.

* ``imu-stage``: the generator's own IMU stage on in-memory motions (SMPL22 rotation matrices, 10 s
  each, at ``fps_in`` 20 Hz = the diffusion rate, resampled to 50 Hz, or 50 Hz) → ``render_imu`` with
  the default augmentation and the BMI160 error model (``noise`` on) or ideal sensors → 2.56 s windows,
  1.28 s stride → atomic HDF5 shards written by the background writer (``run_items``).
  ``extra_info['windows_per_s']`` is the figure of the issue's target (100,000 windows/s on this 2-core
  CPU, 1,000,000 on an H100).
* ``end-to-end``: text → DDIM sampling (CFG) → IK → the same IMU stage with a shipped checkpoint,
  per DDIM step count and renderings per sampled motion; ``extra_info['ms/window']``.

Run::

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \\
        .venv/bin/python -m pytest benchmarks/bench_generate.py --benchmark-columns=min,median,rounds
"""

from __future__ import annotations

import pytest
import torch

from imusim.bench.generate import bench, bench_end_to_end

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.mark.parametrize("fps_in", [20.0, 50.0])
@pytest.mark.parametrize("noise", [True, False], ids=["bmi160", "ideal"])
def test_imu_stage(benchmark, fps_in, noise):
    rows = []
    benchmark.pedantic(lambda: rows.append(bench(4096, 512, 10.0, "wrist_r,thigh_r", fps_in, noise, 1, repeats=1)),
                       rounds=3, warmup_rounds=1)
    best = max(rows, key=lambda r: r["windows/s"])
    benchmark.extra_info.update(best, windows_per_s=best["windows/s"], device="cpu")


@pytest.mark.parametrize("steps,variants", [(50, 1), (10, 1), (10, 4)])
def test_end_to_end(benchmark, steps, variants):
    from imusim.diffusion.zoo import CHECKPOINT_DIR

    if not (CHECKPOINT_DIR / "refined.safetensors").exists():
        pytest.skip("no shipped checkpoint")
    rows = benchmark.pedantic(bench_end_to_end, args=("refined",),
                              kwargs=dict(motions=32, batch=32, steps=(steps,), device=DEVICE, variants=(variants,)),
                              rounds=1)
    benchmark.extra_info.update(rows[0])
