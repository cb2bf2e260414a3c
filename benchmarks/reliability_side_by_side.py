"""Side by side costs of the issue-16 reliability changes (one process, interleaved repeats, ratios).

1. ``acc_loss`` masked paths: the fused CPU kernel before the NaN fix (``git show 8c3c337:csrc/acc_loss/...``)
   and now, compiled into one library with the build's flags (-O3 -march=native -fopenmp ...), called on
   the same buffers (float32, fwd+bwd in one pass, [B,196,22·3] rows and MDM's [B,263,1,196] columns).
2. Generator writes: ``run_items`` + ``ShardWriter`` with the per-shard SHA-256 and with it stubbed out
   (windows/s of the whole loop on pre-rendered streams, i.e. the I/O-bound worst case).
3. HAR upper bound on a large real set: the full real→real CV, the default class-stratified subsample of
   5000 windows, and a cache hit.

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 OMP_NUM_THREADS=1 \\
        .venv/bin/python benchmarks/reliability_side_by_side.py --json benchmarks/reliability.json
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OLD = "8c3c337"  # last commit before the masked-NaN fix of the cpp kernel

WRAP = r"""
#include <cstdint>
#include "common/defs.h"
namespace imusim_old { using imusim::View3; template <typename S> void acc_loss_fused_cpu(View3<const S>, View3<const S>,
  const uint8_t*, const double*, double*, View3<S>, View3<S>); }
namespace imusim_new { using imusim::View3; template <typename S> void acc_loss_fused_cpu(View3<const S>, View3<const S>,
  const uint8_t*, const double*, double*, View3<S>, View3<S>); }
using imusim::View3;
extern "C" void fused(int which, const float* p, const float* q, const uint8_t* m, const double* coef, double* out,
                      float* g, int64_t B, int64_t T, int64_t F, int64_t sb, int64_t st, int64_t sf) {
  View3<const float> P{p, B, T, F, sb, st, sf}, Q{q, B, T, F, sb, st, sf};
  View3<float> G{g, B, T, F, sb, st, sf}, H{nullptr, B, T, F, 0, 0, 0};
  if (which == 0) imusim_old::acc_loss_fused_cpu<float>(P, Q, m, coef, out, G, H);
  else imusim_new::acc_loss_fused_cpu<float>(P, Q, m, coef, out, G, H);
}
"""


def _build(tmp: Path) -> ctypes.CDLL:
    srcs = {"old": subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD}:csrc/acc_loss/acc_loss_cpu.cpp"],
                                  check=True, capture_output=True, text=True).stdout,
            "new": (ROOT / "csrc/acc_loss/acc_loss_cpu.cpp").read_text()}
    files = []
    for v, s in srcs.items():
        s = s.replace("namespace imusim {", f"namespace imusim_{v} {{\nusing imusim::View3;", 1)
        s = s.replace("}  // namespace imusim\n", f"}}  // namespace imusim_{v}\n")
        (tmp / f"{v}.cpp").write_text(s)
        files.append(str(tmp / f"{v}.cpp"))
    (tmp / "wrap.cpp").write_text(WRAP)
    so = tmp / "libsbs.so"
    subprocess.run(["g++", "-O3", "-fno-math-errno", "-ffp-contract=fast", "-march=native", "-fopenmp",
                    "-DIMUSIM_OPENMP", "-fPIC", "-shared", f"-I{ROOT / 'csrc'}", *files, str(tmp / "wrap.cpp"),
                    "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    P = ctypes.c_void_p
    lib.fused.argtypes = [ctypes.c_int, P, P, P, P, P, P] + [ctypes.c_int64] * 6
    return lib


def acc_loss_masked(repeats: int):
    rows = []
    with tempfile.TemporaryDirectory() as d:
        lib = _build(Path(d))
        rng = np.random.default_rng(0)
        for name, B, T, F, layout in (("[64,196,22,3]", 64, 196, 66, "row"), ("[256,196,22,3]", 256, 196, 66, "row"),
                                      ("[64,263,1,196]", 64, 196, 263, "col")):
            shape = (B, T, F) if layout == "row" else (B, F, T)
            p, q = rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32)
            g = np.empty_like(p)
            sb, st, sf = (T * F, F, 1) if layout == "row" else (F * T, 1, T)
            m = (np.arange(T)[None] < rng.integers(40, T + 1, B)[:, None]).astype(np.uint8)
            coef, out = np.ones(B), np.zeros(B)
            for masked in (False, True):
                res = {0: [], 1: []}
                for _ in range(3):
                    for which in (0, 1):
                        ts = []
                        for _ in range(repeats):
                            t0 = time.perf_counter()
                            lib.fused(which, p.ctypes.data, q.ctypes.data, m.ctypes.data if masked else None,
                                      coef.ctypes.data, out.ctypes.data, g.ctypes.data, B, T, F, sb, st, sf)
                            ts.append(time.perf_counter() - t0)
                        res[which].append(statistics.median(ts[3:]))
                o, n = min(res[0]), min(res[1])
                rows.append({"shape": name, "masked": masked, "before_ms": round(o * 1e3, 3),
                             "after_ms": round(n * 1e3, 3), "after/before": round(n / o, 3)})
                print("acc_loss", rows[-1], flush=True)
    return rows


def generator_writes(n_items: int):
    from imusim.generate import store
    from imusim.generate.plan import make_plan
    from imusim.generate.run import run_items

    plan = make_plan({"a": ["p"], "b": ["q"]}, per_activity=n_items // 2, seed=0, seconds=(6.0, 9.0))
    streams = {it.index: np.random.default_rng(it.index).normal(size=(int(it.seconds * 50), 2, 6)).astype(np.float32)
               for it in plan}

    def produce(items):
        return [(it, streams[it.index], "x") for it in items]

    real_hash = store.file_sha256
    out = {"with_sha256": [], "without": []}
    for _ in range(3):
        for mode in ("with_sha256", "without"):
            store.file_sha256 = real_hash if mode == "with_sha256" else (lambda p, chunk=0: "0" * 64)
            d = Path(tempfile.mkdtemp(dir="/tmp"))
            try:
                with store.ShardWriter(d) as w:
                    s = run_items(plan, produce, w, W=128, stride=64, shard_windows=2048, batch=256, progress=False)
                out[mode].append(s["windows"] / s["seconds"])
            finally:
                shutil.rmtree(d)
    store.file_sha256 = real_hash
    a, b = max(out["with_sha256"]), max(out["without"])
    row = {"windows": s["windows"], "windows_per_s_with_sha256": round(a), "windows_per_s_without": round(b),
           "with/without": round(a / b, 3)}
    print("generator", row, flush=True)
    return row


def har_bound(n_windows: int):
    from imusim.har import IMUSet
    from imusim.har.evaluate import real_upper_bound

    rng = np.random.default_rng(0)
    T, classes = 51, ["a", "b", "c", "d"]
    y = np.array([classes[i % 4] for i in range(n_windows)])
    t = np.arange(T) / 20.0
    X = np.stack([np.sin(2 * np.pi * (1 + classes.index(c)) * t)[:, None] * rng.normal(1, 0.2, 6)
                  + rng.normal(size=(T, 6)) for c in y]).astype(np.float32)
    real = IMUSet(X, y, 20.0, ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"], gravity="removed",
                  groups=np.arange(n_windows) // 10)
    row = {"real_windows": n_windows, "classifiers": ["rf"], "repeats": 1}
    with tempfile.TemporaryDirectory() as d:
        for name, kw in (("full", dict(max_windows=None)), ("subsample_5000", dict(max_windows=5000, cache=Path(d))),
                         ("cache_hit", dict(max_windows=5000, cache=Path(d)))):
            t0 = time.perf_counter()
            res, info = real_upper_bound(real, classes, ("rf",), 1, 40, **kw)
            row[f"{name}_s"] = round(time.perf_counter() - t0, 3)
            row[f"{name}_macro_f1"] = round(res[0]["macro_f1"], 4)
            row[f"{name}_status"] = info["status"]
    print("har bound", row, flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--items", type=int, default=4000, help="generator work items (6-9 s at 50 Hz, 2 sensors)")
    ap.add_argument("--har-windows", type=int, default=12000)
    a = ap.parse_args()
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": f"{platform.machine()} {platform.processor()}".strip(), "command": "see module docstring",
           "acc_loss_masked": acc_loss_masked(a.repeats), "generator_writes": generator_writes(a.items),
           "har_bound": har_bound(a.har_windows)}
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
