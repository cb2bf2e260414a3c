"""``imusim bench acc-loss``: L_acc providers side by side.

Providers: naive eager PyTorch (imusim/reference), ``torch.compile`` of the same naive code, and
each imusim backend for the device. Shapes ``[B, 196, 22, 3]`` (time_dim=1) and MDM's
``[B, 263, 1, 196]`` (time_dim=-1). Forward and forward+backward (gradient w.r.t. pred).
Bytes moved: the traffic of a one-pass algorithm, the same for every provider: the forward reads pred
and target (2N·s bytes for N elements of s bytes), forward+backward reads both and writes the gradient
(3N·s; imusim's cpp backend does exactly this in eager autograd, two-pass implementations move 5N·s).
GB/s = bytes / time; bw_share = that over the bandwidth of a plain copy of one input measured in the
same run (2N·s bytes per copy), i.e. the share of the practical memory roofline.
Peak extra memory: see imusim/bench/_util.py (fresh process per provider, resident-set high-water).
"""

from __future__ import annotations

import statistics

import torch

NAME = "acc-loss"


def _inputs(shape, device, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(shape, generator=g, dtype=dtype).to(device)
    q = torch.randn(shape, generator=g, dtype=dtype).to(device)
    return p, q


def providers(device):
    import imusim
    from imusim.reference.acc_loss import acc_loss as ref

    out = {"eager": lambda p, q, td: ref(p, q, time_dim=td)}
    comp = torch.compile(lambda p, q, td: ref(p, q, time_dim=td), dynamic=False)
    out["compile"] = comp
    for be in imusim.backends(device):
        if be == "torch" or (be == "triton" and torch.device(device).type == "cpu"):
            continue
        out[f"imusim-{be}"] = (lambda b: (lambda p, q, td: imusim.acc_loss(p, q, time_dim=td, backend=b)))(be)
    return out


def _call(fn, p, q, td, mode):
    if mode == "fwd":
        with torch.no_grad():
            return fn(p, q, td)
    pp = p.detach().requires_grad_()
    loss = fn(pp, q, td)
    (g,) = torch.autograd.grad(loss, pp)
    return g


def peak_extra(provider: str, shape, td: int, mode: str) -> int:
    """Fresh-process peak extra bytes of one provider (called through bench._util.peak_in_subprocess)."""
    from ._util import measure_peak_extra_cpu

    torch.set_num_threads(torch.get_num_threads())
    fn = providers("cpu")[provider]
    p, q = _inputs(tuple(shape), "cpu")
    for _ in range(2):  # compile and warm up at full size; freed blocks go back to the OS (see _util)
        _call(fn, p, q, td, mode)

    def setup():
        return lambda: _call(fn, p, q, td, mode)

    return measure_peak_extra_cpu(setup)


def bench(batches=(64, 256, 1024), device="cpu", repeats=10, memory=True, layouts=("btj3", "mdm"), progress=True):
    from ._util import peak_in_subprocess, timeit

    rows = []
    shapes = []
    for B in batches:
        if "btj3" in layouts:
            shapes.append(((B, 196, 22, 3), 1))
        if "mdm" in layouts:
            shapes.append(((B, 263, 1, 196), -1))
    it = [(s, td, m) for s, td in shapes for m in ("fwd", "fwd+bwd")]
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="acc-loss", leave=False)
    bw_cache = {}
    for shape, td, mode in it:
        p, q = _inputs(shape, device)
        # fresh providers per case: one torch.compile'd function per shape and mode, so that dynamo's
        # recompile limit never silently falls back to eager
        torch._dynamo.reset()
        provs = providers(device)
        nbytes = p.numel() * p.element_size()
        moved = (2 if mode == "fwd" else 3) * nbytes
        # interleaved rounds (copy + every provider once per round): slow drifts of a shared machine hit all
        # providers alike. "ms" is the median, "min_ms" the fastest round (least disturbed by other load)
        dst = torch.empty_like(p)
        calls = {"copy": lambda: dst.copy_(p)}
        calls.update({name: (lambda fn: (lambda: _call(fn, p, q, td, mode)))(fn) for name, fn in provs.items()})
        times = {name: [] for name in calls}
        for name, c in calls.items():  # warm-up / compile
            c(), c()
        for _ in range(repeats):
            for name, c in calls.items():
                times[name].append(timeit(c, 1, 0, device))
        med = {name: statistics.median(v) for name, v in times.items()}
        bw = 2 * nbytes / med["copy"]
        base = med["eager"]
        for name, fn in provs.items():
            t = med[name]
            row = {"shape": "x".join(map(str, shape)), "mode": mode, "provider": name, "ms": round(t * 1e3, 3),
                   "min_ms": round(min(times[name]) * 1e3, 3),
                   "min_vs_eager": round(min(times["eager"]) / min(times[name]), 2),
                   "speedup_vs_eager": round(base / t, 2), "GB/s": round(moved / t / 1e9, 1),
                   "bw_share": f"{100 * moved / t / bw:.0f}%", "copy_GB/s": round(bw / 1e9, 1)}
            if memory and torch.device(device).type == "cpu":
                extra = peak_in_subprocess("imusim.bench.acc_loss", "peak_extra",
                                           {"provider": name, "shape": list(shape), "td": td, "mode": mode})
                row["extra_mem_x_input"] = round(extra / nbytes, 2)
            elif torch.device(device).type == "cuda":
                torch.cuda.reset_peak_memory_stats()
                b0 = torch.cuda.memory_allocated()
                _call(fn, p, q, td, mode)
                row["extra_mem_x_input"] = round((torch.cuda.max_memory_allocated() - b0) / nbytes, 2)
            rows.append(row)
    for r in rows:  # ratios vs compile
        c = next(x for x in rows if x["shape"] == r["shape"] and x["mode"] == r["mode"] and x["provider"] == "compile")
        r["speedup_vs_compile"] = round(c["ms"] / r["ms"], 2)
        r["min_vs_compile"] = round(c["min_ms"] / r["min_ms"], 2)
    return rows


COLS = ["shape", "mode", "provider", "ms", "speedup_vs_eager", "speedup_vs_compile", "min_ms", "min_vs_eager",
        "min_vs_compile", "GB/s", "copy_GB/s", "bw_share", "extra_mem_x_input"]


def add_arguments(p):
    p.add_argument("--sizes", "--batches", dest="batches", default="64,256,1024",
                   help="batch sizes B (comma-separated)")
    p.add_argument("--layouts", default="btj3,mdm", help="btj3 = [B,196,22,3]; mdm = [B,263,1,196] (time_dim=-1)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--repeats", type=int, default=10, help="timed runs per provider (median reported)")
    p.add_argument("--no-memory", action="store_true", help="skip the per-provider fresh-process memory runs")
    p.add_argument("--json", help="also write the rows to this JSON file")


def run(args):
    from ._util import report

    try:
        batches = tuple(int(b) for b in args.batches.split(","))
    except ValueError:
        raise ValueError(f"--sizes must be comma-separated integers, got {args.batches!r}") from None
    rows = bench(batches, args.device, args.repeats, not args.no_memory,
                 tuple(args.layouts.split(",")))
    report(rows, COLS, args.json)
    return 0
