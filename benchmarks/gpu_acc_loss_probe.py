"""Where the time of L_acc forward+backward goes on a GPU: the kernels alone vs the whole eager call.

The first H200 run (benchmarks/RESULTS.md) measured every provider at 6-16 % of copy bandwidth at
[1024, 196, 22, 3] and could not tell per-call overhead from slow kernels. This probe times, with CUDA events,
median of ``--repeats`` (after warm-up), for each shape:

* ``copy``: ``dst.copy_(pred)`` (2N bytes), the practical bandwidth roofline;
* ``k_fwd``, ``k_bwd``, ``k_fused``: the CUDA kernels alone, called on preallocated buffers (no Python
  wrapper, no allocation): forward sums (2N bytes), backward gradients (3N), fused forward + backward (3N);
* ``eager_fused``: ``imusim.acc_loss(...)`` + ``torch.autograd.grad`` as a training step calls it (the one-pass
  path, 3N), ``eager_2k``: the same through the custom ops (forward kernel, then backward kernel, 5N);
* ``graph_fused``: the eager fused call captured once in a CUDA graph and replayed (launch and Python overhead
  gone, allocations fixed);
* ``compile``: ``torch.compile`` of the naive reference, forward + backward (``--compile``; cold caches cost ~20 s).

bw_share = (bytes a one-pass algorithm must move) / time / (copy bandwidth): 3N for forward+backward, 2N forward.
Each fused result is checked against the float64 reference before it is timed.

    python benchmarks/gpu_acc_loss_probe.py --sizes 1024,8192 --json out/acc_probe.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch


def _events_ms(fn, repeats: int, warmup: int = 3) -> list:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        out.append(a.elapsed_time(b))
    return out


def probe(shape, td, repeats=20, with_compile=False, dtype=torch.float32):
    import imusim
    from imusim import _backend
    from imusim.ops.acc_loss import _as_btf, _coef, _reduce, _sums_op, _valid_terms
    from imusim.reference.acc_loss import acc_loss as ref

    gen = torch.Generator(device="cuda").manual_seed(0)
    p = torch.randn(shape, device="cuda", generator=gen, dtype=dtype)
    q = torch.randn(shape, device="cuda", generator=gen, dtype=dtype)
    N = p.numel() * p.element_size()
    mod = _backend.cuda_module()
    p3, q3 = _as_btf(p, td), _as_btf(q, td)
    B, T, F = p3.shape
    n = _valid_terms(None, B, T, p.device) * F
    coef = _coef("mean", n, 1.0)
    sums = torch.zeros(B, dtype=torch.float64, device="cuda")
    g = torch.empty_like(p)
    g3 = _as_btf(g, td)
    dst = torch.empty_like(p)
    st = _backend.cuda_stream(p3)
    common = dict(dtype=_backend.dtype_name(p3), pred=p3.data_ptr(), size=list(p3.shape), pred_strides=list(p3.stride()),
                  target=q3.data_ptr(), target_strides=list(q3.stride()), mask=0)
    gkw = dict(coef=coef.data_ptr(), grad_pred=g3.data_ptr(), grad_pred_strides=list(g3.stride()), grad_target=0,
               grad_target_strides=[0, 0, 0], stream=st)

    # correctness first (fp64 reference of the same inputs)
    pr = p.double().requires_grad_()
    lr = ref(pr, q.double(), time_dim=td)
    gr, = torch.autograd.grad(lr, pr)
    pp = p.detach().requires_grad_()
    lf = imusim.acc_loss(pp, q, time_dim=td, backend="cuda")
    gf, = torch.autograd.grad(lf, pp)
    err_loss = abs(float(lf) - float(lr)) / abs(float(lr))
    err_grad = float((gf.double() - gr).abs().max() / gr.abs().max())
    ok = err_loss < 1e-4 and err_grad < 1e-3
    del pr, gr, gf, lf

    def k_fwd():
        sums.zero_()
        mod.acc_loss_forward(out=sums.data_ptr(), stream=st, **common)

    def k_bwd():
        mod.acc_loss_backward(**common, **gkw)

    def k_fused():
        sums.zero_()
        mod.acc_loss_fused(out=sums.data_ptr(), **common, **gkw)

    def eager_fused():
        x = p.detach().requires_grad_()
        return torch.autograd.grad(imusim.acc_loss(x, q, time_dim=td, backend="cuda"), x)[0]

    def eager_2k():
        x = p.detach().requires_grad_()
        s = _sums_op(x, q, None, td, "cuda")
        return torch.autograd.grad(_reduce("mean", s, n, 1.0, torch.float32), x)[0]

    calls = {"copy": (lambda: dst.copy_(p), 2), "k_fwd": (k_fwd, 2), "k_bwd": (k_bwd, 3), "k_fused": (k_fused, 3),
             "eager_fused": (eager_fused, 3), "eager_2k": (eager_2k, 3)}
    # CUDA graph of the eager fused call
    xg = p.detach().clone().requires_grad_()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            torch.autograd.grad(imusim.acc_loss(xg, q, time_dim=td, backend="cuda"), xg)
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    try:
        with torch.cuda.graph(graph):
            lg = imusim.acc_loss(xg, q, time_dim=td, backend="cuda")
            gg, = torch.autograd.grad(lg, xg)
        calls["graph_fused"] = (graph.replay, 3)
    except Exception as e:  # recorded, not fatal
        print(f"graph capture failed: {e!r}", file=sys.stderr)
    if with_compile:
        comp = torch.compile(lambda a, b: ref(a, b, time_dim=td), dynamic=False)

        def compiled():
            x = p.detach().requires_grad_()
            return torch.autograd.grad(comp(x, q), x)[0]
        t0 = time.perf_counter()
        compiled()
        torch.cuda.synchronize()
        print(f"compile {shape}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        calls["compile"] = (compiled, 3)
    times = {k: [] for k in calls}
    for k, (fn, _) in calls.items():  # warm-up
        _events_ms(fn, 1, 2)
    for _ in range(repeats):  # interleaved rounds
        for k, (fn, _) in calls.items():
            times[k] += _events_ms(fn, 1, 0)
    med = {k: statistics.median(v) for k, v in times.items()}
    copy_bw = 2 * N / (med["copy"] * 1e-3)
    rows = []
    for k, (fn, mult) in calls.items():
        t = med[k] * 1e-3
        rows.append({"shape": "x".join(map(str, shape)), "dtype": str(dtype).replace("torch.", ""), "call": k,
                     "ms": round(med[k], 4), "min_ms": round(min(times[k]), 4), "GB/s": round(mult * N / t / 1e9, 1),
                     "bw_share": round(mult * N / t / copy_bw, 3), "copy_GB/s": round(copy_bw / 1e9, 1),
                     "check_ok": ok, "rel_err_loss": err_loss, "rel_err_grad": err_grad})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1024,8192", help="batch sizes B (comma-separated)")
    ap.add_argument("--layouts", default="btj3,mdm", help="btj3 = [B,196,22,3]; mdm = [B,263,1,196] (time_dim=-1)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--compile", action="store_true", help="also torch.compile of the reference (cold: ~20 s/shape)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    if not torch.cuda.is_available():
        raise SystemExit("gpu_acc_loss_probe: needs a CUDA device")
    rows = []
    for B in (int(x) for x in a.sizes.split(",")):
        for lay in a.layouts.split(","):
            shape, td = ((B, 196, 22, 3), 1) if lay == "btj3" else ((B, 263, 1, 196), -1)
            rows += probe(shape, td, a.repeats, a.compile)
            for r in [x for x in rows if x["shape"] == "x".join(map(str, shape))]:
                print(f"{r['shape']:>18} {r['call']:>12} {r['ms']:9.4f} ms {r['GB/s']:8.1f} GB/s "
                      f"{100 * r['bw_share']:5.1f} % ok={r['check_ok']}", flush=True)
            out = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "argv": sys.argv, "rows": rows}
            if a.json:  # after every shape: a run cut short keeps what it measured
                with open(a.json, "w") as f:
                    json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
