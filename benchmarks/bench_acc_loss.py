"""L_acc providers side by side (pytest-benchmark).

Providers: ``eager`` (the naive PyTorch reference, imusim/reference/acc_loss.py), ``compile``
(``torch.compile`` of that same naive code), ``copy`` (a plain ``dst.copy_(src)`` of one input: the
memory-bandwidth yardstick measured in the same run) and every imusim backend available for the
device (``cpp`` on CPU; ``cuda`` and ``triton`` on a GPU).

Cases: ``[B, 196, 22, 3]`` (time_dim=1) and MDM's ``[B, 263, 1, 196]`` (time_dim=-1) for B in 64, 256,
1024, float32, mode ``fwd`` (no grad) or ``fwd+bwd`` (gradient w.r.t. pred). ``extra_info`` of each
result holds the bytes moved by a one-pass algorithm (fwd: read pred and target = 2N·4 bytes;
fwd+bwd: read both and write the gradient = 3N·4 bytes), the achieved GB/s and its share of the copy
bandwidth. Run::

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \
        .venv/bin/python -m pytest benchmarks/bench_acc_loss.py --benchmark-group-by=param:case \
        --benchmark-columns=min,median,mean,rounds

``-k "1024 and fwd+bwd"`` selects the target case. Peak extra memory is measured by ``imusim bench
acc-loss`` (fresh process per provider), not here.
"""

from __future__ import annotations

import functools

import pytest
import torch

import imusim
from imusim.reference.acc_loss import acc_loss as ref_acc_loss

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
LAYOUTS = {"btj3": ((196, 22, 3), 1), "mdm": ((263, 1, 196), -1)}
BATCHES = (64, 256, 1024)
MODES = ("fwd", "fwd+bwd")
PROVIDERS = ["copy", "eager", "compile"] + [b for b in imusim.backends(DEVICE) if b != "torch"]


@functools.lru_cache(maxsize=None)
def _inputs(layout: str, B: int):
    tail, td = LAYOUTS[layout]
    g = torch.Generator().manual_seed(0)
    p = torch.randn((B, *tail), generator=g).to(DEVICE)
    q = torch.randn((B, *tail), generator=g).to(DEVICE)
    return p, q, td


@functools.lru_cache(maxsize=None)
def _compiled(td: int, case):
    # one compiled function per case: dynamo's recompile limit must never fall back to eager silently
    return torch.compile(lambda p, q: ref_acc_loss(p, q, time_dim=td), dynamic=False)


def _fn(provider: str, td: int, case=None):
    if provider == "eager":
        return lambda p, q: ref_acc_loss(p, q, time_dim=td)
    if provider == "compile":
        return _compiled(td, case)
    return lambda p, q: imusim.acc_loss(p, q, time_dim=td, backend=provider)


def _sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _step(provider, p, q, td, mode):
    if provider == "copy":
        dst = torch.empty_like(p)
        return lambda: (dst.copy_(p), _sync())
    fn = _fn(provider, td, (tuple(p.shape), mode))
    if mode == "fwd":
        def run():
            with torch.no_grad():
                fn(p, q)
            _sync()
        return run
    leaf = p.detach().requires_grad_()

    def run():
        torch.autograd.grad(fn(leaf, q), leaf)
        _sync()
    return run


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_acc_loss(benchmark, layout, B, mode, provider):
    if provider == "copy" and mode != "fwd":
        pytest.skip("the copy yardstick is timed once per case")
    p, q, td = _inputs(layout, B)
    step = _step(provider, p, q, td, mode)
    step()  # compile / warm caches
    nbytes = p.numel() * p.element_size()
    slow = provider == "eager" and B >= 256
    benchmark.group = f"{layout} B={B} {mode}"
    benchmark.extra_info["case"] = f"{layout}[{B}] {mode}"
    benchmark.pedantic(step, rounds=5 if slow else 20, warmup_rounds=1 if slow else 3, iterations=1)
    t = benchmark.stats.stats.min
    moved = 2 * nbytes if provider == "copy" else (2 if mode == "fwd" else 3) * nbytes
    benchmark.extra_info.update(bytes_moved=moved, GBps=round(moved / t / 1e9, 2))
