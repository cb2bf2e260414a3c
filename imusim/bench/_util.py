"""Timing, peak-memory and bandwidth helpers shared by the benchmarks.

* time: median of ``repeats`` runs after ``warmup`` runs (CUDA: synchronised).
* peak extra memory (CPU): each provider runs in a fresh subprocess with glibc's mmap threshold fixed
  at 64 KiB (``MALLOC_MMAP_THRESHOLD_=65536``), so every tensor-sized block is mmapped and given back
  to the OS when freed and the resident set follows the live allocations. The provider runs twice at
  full size first (compilation, caches), then the peak resident set of one more run (VmHWM, reset
  through /proc/self/clear_refs) minus the resident set just before it is reported. This counts every
  byte the provider touches: autograd intermediates, compiled-code buffers, the returned gradient and
  kernel-internal scratch. GPU: torch.cuda.max_memory_allocated.
* bandwidth: a plain ``dst.copy_(src)`` of the same size measured in the same run (2 bytes moved per
  byte copied) is the machine's practical memory bandwidth.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Callable

import torch


def sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timeit(fn: Callable, repeats: int = 10, warmup: int = 2, device="cpu") -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure_peak_extra_cpu(setup: Callable[[], Callable]) -> int:
    """Peak bytes above the post-setup resident set while running the returned callable once."""
    fn = setup()
    base = _rss_kib("VmRSS:")
    if not reset_peak_rss():
        return -1
    fn()
    return max(0, (_rss_kib("VmHWM:") - base) * 1024)


def peak_in_subprocess(module: str, func: str, kwargs: dict) -> int:
    """Run ``module.func(**kwargs)`` (which returns bytes) in a fresh interpreter."""
    code = (f"import json,sys; from {module} import {func}; "
            f"print(json.dumps({func}(**json.loads(sys.argv[1]))))")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count())),
           "MALLOC_MMAP_THRESHOLD_": "65536"}
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    out = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return int(json.loads(out.stdout.strip().splitlines()[-1]))


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{cpu}, {os.cpu_count()} cores, {gpu}, torch {torch.__version__}"


def fmt_table(rows, cols) -> str:
    w = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]
    line = "| " + " | ".join(str(c).ljust(x) for c, x in zip(cols, w)) + " |"
    sep = "|" + "|".join("-" * (x + 2) for x in w) + "|"
    body = ["| " + " | ".join(str(r.get(c, "")).ljust(x) for c, x in zip(cols, w)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def report(rows, cols, json_path=None) -> None:
    """Print the machine line and the table; also write ``{"machine", "rows"}`` to ``json_path``."""
    print(f"machine: {machine()}")
    print(fmt_table(rows, cols))
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": machine(), "rows": rows}, f, indent=1)
