"""FK alone and FK + virtual IMU, providers side by side (pytest-benchmark).

Providers and workloads are those of ``imusim bench fk-imu`` (imusim/bench/fk_imu.py): the smplx
pipeline (batch_rodrigues + batch_rigid_transform, then finite differences and rotation in PyTorch),
``torch.compile`` of imusim's reference, and each imusim backend. N frames = N/256 sequences of 256
frames at 50 Hz, axis-angle inputs. Run::

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \
        .venv/bin/python -m pytest benchmarks/bench_fk_imu.py --benchmark-group-by=param:case \
        --benchmark-columns=min,median,rounds -k "65536"

1,048,576 frames run only for the imusim-cpp provider (the others take minutes and many GB per call
on this 2-core machine); peak memory is measured by ``imusim bench fk-imu --memory``.
"""

import functools

import pytest

from imusim.bench.fk_imu import _inputs, _run_once, providers

FRAMES = (4096, 65536, 1048576)
CASES = [(op, N, J, S, mode) for op in ("fk", "fk+imu") for N in FRAMES for J in (22, 24)
         for S in ((0,) if op == "fk" else (2, 6)) for mode in ("fwd", "fwd+bwd")]
PROVIDERS = ("smplx", "compile", "imusim-cpp", "imusim-torch")


@functools.lru_cache(maxsize=None)
def _provs(op, J, S):
    return providers(op, J, max(S, 1))


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_fk_imu(benchmark, case, provider):
    op, N, J, S, mode = case
    if N > 300_000 and provider != "imusim-cpp":
        pytest.skip("only the fused kernel is run at 1M frames on this machine")
    fn = _provs(op, J, S)[provider]
    aa, root = _inputs(N, J)
    benchmark.extra_info.update(frames=N)
    benchmark.pedantic(_run_once, args=(fn, aa, root, mode), rounds=3 if N <= 65536 else 1, warmup_rounds=1)
