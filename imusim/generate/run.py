"""The generator loop: work items → motions → IMU streams → windows → shards.

``run_items`` is independent of where motions come from (diffusion sampling or mocap) and of how the
IMU is synthesised: it takes a ``produce(items) -> iterable of (item, stream [T, S, 6] float32, source)``
callable, so both paths share the windowing, sharding, resume and progress logic.

Shards contain whole work items; an item is never split across shards, so "which items are done"
is exactly the union of the committed shards' item lists and a resumed run skips them.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable, List, Optional, Tuple

import numpy as np

from .plan import WorkItem, window_id
from .store import ShardWriter
from .windows import sliding_windows

Produce = Callable[[List[WorkItem]], Iterable[Tuple[WorkItem, np.ndarray, str]]]


def run_items(items: List[WorkItem], produce: Produce, writer: ShardWriter, *, W: int, stride: int,
              shard_windows: int = 65536, batch: int = 32, progress: bool = True,
              on_shard: Optional[Callable] = None) -> dict:
    """Generate every item not yet committed in ``writer``; returns counts and timings."""
    done = writer.done_items()
    todo = [it for it in items if it.index not in done]
    buf = {k: [] for k in ("windows", "label", "prompt", "source", "seed", "window_id", "item")}
    n_buf = 0
    stats = {"items": 0, "windows": 0, "skipped_items": len(items) - len(todo), "t_produce": 0.0, "t_write": 0.0}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(items), initial=len(items) - len(todo), desc=f"generate r{writer.rank}", unit="motion")
    t_start = time.perf_counter()

    def flush():
        nonlocal n_buf
        if n_buf == 0:
            return
        t0 = time.perf_counter()
        X = np.concatenate(buf["windows"])
        rec = writer.write(X, sum(buf["label"], []), sum(buf["prompt"], []), sum(buf["source"], []),
                           np.concatenate(buf["seed"]), np.concatenate(buf["window_id"]), np.concatenate(buf["item"]))
        stats["t_write"] += time.perf_counter() - t0
        for v in buf.values():
            v.clear()
        n_buf = 0
        if on_shard:
            on_shard(rec)

    for s in range(0, len(todo), batch):
        chunk = todo[s:s + batch]
        t0 = time.perf_counter()
        produced = list(produce(chunk))
        stats["t_produce"] += time.perf_counter() - t0
        for it, stream, source in produced:
            w = sliding_windows(np.asarray(stream, dtype=np.float32), W, stride)
            n = len(w)
            buf["windows"].append(w)
            buf["label"].append([it.activity] * n)
            buf["prompt"].append([it.prompt] * n)
            buf["source"].append([source] * n)
            buf["seed"].append(np.full(n, it.seed, dtype=np.int64))
            buf["window_id"].append(np.array([window_id(it.index, k) for k in range(n)], dtype=np.int64))
            buf["item"].append(np.full(n, it.index, dtype=np.int64))
            n_buf += n
            stats["items"] += 1
            stats["windows"] += n
            if bar:
                bar.update(1)
                el = time.perf_counter() - t_start
                bar.set_postfix(windows=stats["windows"], wps=f"{stats['windows'] / max(el, 1e-9):.0f}")
        if n_buf >= shard_windows:
            flush()
    flush()
    if bar:
        bar.close()
    stats["seconds"] = time.perf_counter() - t_start
    return stats
