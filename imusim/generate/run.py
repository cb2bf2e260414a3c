"""The generator loop: work items → renderings (IMU streams) → windows → shards.

``run_items`` is independent of where motions come from (diffusion sampling or mocap) and of how the
IMU is synthesised: it takes a ``produce(items)`` callable returning a :class:`Rendered` batch (all
renderings of those items back to back in one array) — or, for simple sources, an iterable of
``(item, stream [T, S, 6] float32, source)`` — so both paths share the windowing, sharding, resume and
progress logic.

Shards contain whole work items (all renderings of an item); an item is never split across shards,
so "which items are done" is exactly the union of the committed shards' item lists and a resumed run
skips them. Windows of a batch are cut with one gather into a preallocated shard buffer; a full
buffer is written by a background thread (h5py and fsync release the GIL) while the next batch is
computed; two buffers alternate, so at most one shard is in flight.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .plan import WorkItem, window_id
from .store import ShardWriter
from .windows import window_index

MAX_WINDOWS_PER_RENDERING = 1 << 12  # window ids: item << 20 | variant << 12 | k
MAX_VARIANTS = 1 << 8


@dataclass
class Rendered:
    """Renderings of a batch of work items: rendering r is ``data[offsets[r]:offsets[r + 1]]`` (``[T_r, S, 6]``
    float32) of ``items[r]`` (variant ``variants[r]``), made from ``sources[r]``."""
    items: List[WorkItem]
    data: np.ndarray
    offsets: np.ndarray
    sources: List[str]
    variants: np.ndarray = None
    seeds: np.ndarray = None
    mirrored: np.ndarray = None
    speeds: np.ndarray = None

    def __post_init__(self):
        R = len(self.items)
        self.offsets = np.asarray(self.offsets, dtype=np.int64)
        if self.offsets.shape != (R + 1,) or len(self.sources) != R:
            raise ValueError(f"Rendered: {R} items need offsets [{R + 1}] and {R} sources, got "
                             f"{list(self.offsets.shape)} and {len(self.sources)}")
        self.variants = np.zeros(R, np.int32) if self.variants is None else np.asarray(self.variants, np.int32)
        self.seeds = np.zeros(R, np.uint64) if self.seeds is None else np.asarray(self.seeds, np.uint64)
        self.mirrored = np.zeros(R, bool) if self.mirrored is None else np.asarray(self.mirrored, bool)
        self.speeds = np.ones(R, np.float32) if self.speeds is None else np.asarray(self.speeds, np.float32)

    @staticmethod
    def from_streams(produced: Iterable[Tuple[WorkItem, np.ndarray, str]]) -> "Rendered":
        items, streams, sources = [], [], []
        for it, x, src in produced:
            items.append(it)
            streams.append(np.asarray(x, dtype=np.float32))
            sources.append(src)
        lens = [len(x) for x in streams]
        off = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        data = np.concatenate(streams) if streams else np.zeros((0, 0, 6), np.float32)  # no rendering: no shape
        return Rendered(items, data, off, sources)


Produce = Callable[[List[WorkItem]], Union[Rendered, Iterable[Tuple[WorkItem, np.ndarray, str]]]]


class _ShardBuffer:
    """Preallocated windows + per-window metadata of one shard in the making (grows if a batch overflows)."""

    def __init__(self, cap: int, tail: tuple):
        self.cap, self.tail = cap, tail
        self.X = np.empty((cap, *tail), np.float32)
        self.meta = {k: np.empty(cap, np.int64) for k in ("label", "rendering", "window_id", "item", "seed")}
        self.n = 0
        self.ren: dict = {k: [] for k in ("prompt", "source", "item", "variant", "seed", "mirrored", "speed")}
        self.items: List[int] = []
        self.future: Optional[Future] = None

    def reserve(self, extra: int):
        if self.n + extra <= self.cap:
            return
        cap = max(2 * self.cap, self.n + extra)
        X = np.empty((cap, *self.tail), np.float32)
        X[:self.n] = self.X[:self.n]
        self.X = X
        for k, v in self.meta.items():
            m = np.empty(cap, np.int64)
            m[:self.n] = v[:self.n]
            self.meta[k] = m
        self.cap = cap

    def reset(self):
        self.n = 0
        self.ren = {k: [] for k in self.ren}
        self.items = []


def run_items(items: List[WorkItem], produce: Produce, writer: ShardWriter, *, W: int, stride: int,
              shard_windows: int = 65536, batch: int = 32, progress: bool = True,
              on_shard: Optional[Callable] = None, label_names: Optional[Sequence[str]] = None,
              sample_shape: Optional[tuple] = None) -> dict:
    """Generate every item not yet committed in ``writer``; returns counts and timings
    (``t_produce``: sources; ``t_window``: cutting windows; ``t_write``: waiting for shard writes;
    ``no_window_items``: items too short for one window, recorded done all the same).

    A batch may yield no window (motions shorter than ``W``) or no rendering at all: its items are
    still recorded as done in the next shard, so the content never depends on ``batch``.
    ``sample_shape``: ``(S, 6)`` of a rendering's sample, for a store whose items yield nothing at all
    (otherwise taken from the first rendering)."""
    for name, v in (("W", W), ("stride", stride), ("shard_windows", shard_windows), ("batch", batch)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"run_items: {name} must be an integer >= 1, got {v!r}")
    done = writer.done_items()
    todo = [it for it in items if it.index not in done]
    names = list(label_names) if label_names is not None else sorted({it.activity for it in items})
    code = {a: i for i, a in enumerate(names)}
    stats = {"items": 0, "windows": 0, "renderings": 0, "skipped_items": len(items) - len(todo), "t_produce": 0.0,
             "t_window": 0.0, "t_write": 0.0, "no_window_items": 0}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(items), initial=len(items) - len(todo), desc=f"generate r{writer.rank}", unit="motion")
    t_start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imusim-shard-writer")
    bufs: List[Optional[_ShardBuffer]] = [None, None]
    cur = 0
    early: List[int] = []  # items done before the first rendering fixed the sample shape

    def make_buffers(tail):
        bufs[0] = _ShardBuffer(max(shard_windows, 1), tail)
        bufs[1] = _ShardBuffer(max(shard_windows, 1), tail)

    def wait(b: Optional[_ShardBuffer]):
        if b is not None and b.future is not None:
            t0 = time.perf_counter()
            rec = b.future.result()  # re-raises the writer thread's error
            stats["t_write"] += time.perf_counter() - t0
            b.future = None
            if on_shard:
                on_shard(rec)

    def flush():
        nonlocal cur
        b = bufs[cur]
        if b is None or not b.items:
            return
        m = b.meta
        n = b.n
        b.future = pool.submit(writer.write_arrays, b.X[:n], m["label"][:n], names, m["rendering"][:n],
                               m["window_id"][:n], m["item"][:n], m["seed"][:n], b.ren, b.items)
        cur = 1 - cur
        wait(bufs[cur])  # the other buffer's write must be done before it is refilled
        if bufs[cur] is not None:
            bufs[cur].reset()

    try:
        for s in range(0, len(todo), batch):
            chunk = todo[s:s + batch]
            t0 = time.perf_counter()
            r = produce(chunk)
            if not isinstance(r, Rendered):
                r = Rendered.from_streams(r)
            t1 = time.perf_counter()
            stats["t_produce"] += t1 - t0
            if len(r.data) and not np.isfinite(r.data.sum()):  # one fast pass; the exact check only on alarm
                fin = np.isfinite(r.data.reshape(len(r.data), -1)).all(1)
                bad = [q for q in range(len(r.items)) if not fin[r.offsets[q]:r.offsets[q + 1]].all()]
                if bad:
                    q = bad[0]
                    raise ValueError(f"generate: {len(bad)} rendering(s) have non-finite IMU values (inf/NaN), the "
                                     f"first of item {r.items[q].index} ({r.items[q].activity!r}) from "
                                     f"{r.sources[q]!r}: its motion is broken; nothing of this batch was written")
            rid, k, first = window_index(r.offsets, W, stride)
            if len(rid) and (k.max() >= MAX_WINDOWS_PER_RENDERING or r.variants.max() >= MAX_VARIANTS):
                raise ValueError(f"generate: at most {MAX_WINDOWS_PER_RENDERING} windows per rendering and "
                                 f"{MAX_VARIANTS} variants per motion (window ids item<<20 | variant<<12 | k); "
                                 f"use shorter motions or a larger stride")
            nwin = len(rid)
            with_win = {int(i) for i in np.unique(np.array([it.index for it in r.items], np.int64)[rid])} if nwin \
                else set()
            stats["no_window_items"] += sum(it.index not in with_win for it in chunk)
            if len(r.items):
                tail = (W, *r.data.shape[1:])
                if bufs[cur] is None:
                    make_buffers(tail)
                if bufs[cur].tail != tail:
                    raise ValueError(f"generate: every rendering needs the shape "
                                     f"[T, {', '.join(map(str, bufs[cur].tail[1:]))}], "
                                     f"got [T, {', '.join(map(str, tail[1:]))}]")
            b = bufs[cur]
            if b is None:  # nothing rendered yet: these items join the first shard
                early += [it.index for it in chunk]
                stats["items"] += len(chunk)
                if bar:
                    bar.update(len(chunk))
                continue
            if early:
                b.items += early
                early = []
            b.reserve(nwin)
            o = b.n
            if nwin:  # one gather: rows first .. first + W − 1 of each window
                flat = r.data.reshape(len(r.data), -1)
                idx = first[:, None] + np.arange(W)[None, :]
                np.take(flat, idx, axis=0, out=b.X[o:o + nwin].reshape(nwin, W, -1))
            r0 = len(b.ren["prompt"])
            ren_items = np.array([it.index for it in r.items], dtype=np.int64)
            b.meta["label"][o:o + nwin] = np.array([code[it.activity] for it in r.items], np.int64)[rid]
            b.meta["rendering"][o:o + nwin] = r0 + rid
            b.meta["window_id"][o:o + nwin] = window_id(ren_items[rid], k, r.variants[rid].astype(np.int64))
            b.meta["item"][o:o + nwin] = ren_items[rid]
            b.meta["seed"][o:o + nwin] = np.array([it.seed for it in r.items], dtype=np.int64)[rid]
            b.ren["prompt"] += [it.prompt for it in r.items]
            b.ren["source"] += list(r.sources)
            b.ren["item"] += ren_items.tolist()
            b.ren["variant"] += r.variants.tolist()
            b.ren["seed"] += r.seeds.tolist()
            b.ren["mirrored"] += r.mirrored.tolist()
            b.ren["speed"] += r.speeds.tolist()
            b.n += nwin
            b.items += [it.index for it in chunk]
            stats["t_window"] += time.perf_counter() - t1
            stats["items"] += len(chunk)
            stats["renderings"] += len(r.items)
            stats["windows"] += nwin
            if bar:
                bar.update(len(chunk))
                el = time.perf_counter() - t_start
                bar.set_postfix(windows=stats["windows"], wps=f"{stats['windows'] / max(el, 1e-9):.0f}")
            if b.n >= shard_windows:
                flush()
        if early:  # the whole run rendered nothing: record the items in an empty shard
            if sample_shape is None:
                raise ValueError("generate: no work item produced a rendering, so the sample shape is unknown: "
                                 "pass sample_shape=(S, 6)")
            make_buffers((W, *sample_shape))
            bufs[cur].items += early
            early = []
        flush()
        wait(bufs[0])
        wait(bufs[1])
    finally:
        pool.shutdown(wait=True)
    if bar:
        bar.close()
    stats["seconds"] = time.perf_counter() - t_start
    return stats
