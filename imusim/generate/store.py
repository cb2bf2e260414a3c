"""Sharded, crash-safe store of labelled IMU windows (HDF5 through h5py).

Why HDF5: self-describing (units, sensor mounts, rate and config as attributes next to the data),
read everywhere the HAR community works (h5py, MATLAB, pandas), random access to windows without
loading a shard, and one file per shard makes atomic writes (temp file + rename) trivial.

Layout of a store directory::

    DIR/
      shards/shard-r{rank:03d}-{seq:06d}.h5   one shard = whole work items (never split)
      manifest-r{rank:03d}.jsonl              append-only, one line per committed shard (fsync'd)
      manifest.json                           merged manifest (written by ``finalize``)
      meta.json                               store metadata (sensors, rate, units, config, version)

Each shard holds ``windows`` float32 ``[N, W, S, 6]`` (acc xyz m/s², gyro xyz rad/s per sensor, sensor
frame), ``label``/``prompt``/``source`` (UTF-8 strings ``[N]``), ``seed`` int64 ``[N]``,
``window_id`` int64 ``[N]`` (globally unique, assigned from the work item), ``item`` int64 ``[N]``
(the work item index). A shard is written to ``*.h5.tmp``, fsync'd, renamed, then its manifest line
is appended and fsync'd. Killing the writer at any moment therefore loses at most the shard in
progress: a shard file without a manifest line (killed between rename and append) is deleted and
redone on resume, a ``.tmp`` file is deleted, and a manifest line always points at a complete file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
UNITS = {"acc": "m/s^2", "gyro": "rad/s"}


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(str(d), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - not all filesystems allow it
        pass


@dataclass
class ShardRecord:
    shard: str
    rank: int
    seq: int
    n: int
    items: List[int]

    def to_json(self) -> str:
        return json.dumps({"shard": self.shard, "rank": self.rank, "seq": self.seq, "n": self.n,
                           "items": self.items})


def read_manifest_lines(path: Path) -> List[ShardRecord]:
    """Committed shards of one rank. A torn last line (killed mid-append) is ignored."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        try:
            d = json.loads(line)
            out.append(ShardRecord(d["shard"], d["rank"], d["seq"], d["n"], list(d["items"])))
        except (json.JSONDecodeError, KeyError):
            continue
    return out


class ShardWriter:
    """Writes the shards of one rank; ``done_items()`` tells a resumed run what to skip."""

    def __init__(self, root, rank: int = 0, meta: Optional[dict] = None):
        self.root = Path(root)
        self.rank = rank
        (self.root / "shards").mkdir(parents=True, exist_ok=True)
        self.manifest = self.root / f"manifest-r{rank:03d}.jsonl"
        self._repair_manifest()
        self.records = read_manifest_lines(self.manifest)
        self._cleanup()
        if meta is not None and rank == 0:
            mp = self.root / "meta.json"
            tmp = mp.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
            tmp.replace(mp)
        self.seq = max((r.seq for r in self.records), default=-1) + 1

    def _repair_manifest(self) -> None:
        """Drop a torn last line (killed mid-append) so the next append starts on a fresh line."""
        if not self.manifest.exists():
            return
        data = self.manifest.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data[: data.rfind(b"\n") + 1]
            with open(self.manifest, "r+b") as f:
                f.truncate(len(keep))
                f.flush()
                os.fsync(f.fileno())

    def _cleanup(self) -> None:
        committed = {r.shard for r in self.records}
        for p in (self.root / "shards").glob(f"shard-r{self.rank:03d}-*"):
            rel = f"shards/{p.name}"
            if p.name.endswith(".tmp") or rel not in committed:
                p.unlink()  # in progress when killed, or renamed but never committed

    def done_items(self) -> set:
        return {i for r in self.records for i in r.items}

    def write(self, windows: np.ndarray, label: Sequence[str], prompt: Sequence[str], source: Sequence[str],
              seed: Sequence[int], window_id: Sequence[int], item: Sequence[int]) -> ShardRecord:
        import h5py

        windows = np.ascontiguousarray(windows, dtype=np.float32)
        n = windows.shape[0]
        for name, v in (("label", label), ("prompt", prompt), ("source", source), ("seed", seed),
                        ("window_id", window_id), ("item", item)):
            if len(v) != n:
                raise ValueError(f"ShardWriter.write: {name} must have {n} entries (one per window), got {len(v)}")
        name = f"shard-r{self.rank:03d}-{self.seq:06d}.h5"
        final = self.root / "shards" / name
        tmp = final.with_name(name + ".tmp")
        str_t = h5py.string_dtype("utf-8")
        with h5py.File(tmp, "w") as f:
            f.create_dataset("windows", data=windows)  # contiguous: memory-mappable
            f.create_dataset("label", data=np.array(label, dtype=object), dtype=str_t)
            f.create_dataset("prompt", data=np.array(prompt, dtype=object), dtype=str_t)
            f.create_dataset("source", data=np.array(source, dtype=object), dtype=str_t)
            f.create_dataset("seed", data=np.asarray(seed, dtype=np.int64))
            f.create_dataset("window_id", data=np.asarray(window_id, dtype=np.int64))
            f.create_dataset("item", data=np.asarray(item, dtype=np.int64))
            f.attrs["channels"] = ",".join(CHANNELS)
            f.flush()
            os.fsync(f.id.get_vfd_handle())
        tmp.replace(final)
        _fsync_dir(final.parent)
        rec = ShardRecord(f"shards/{name}", self.rank, self.seq, n, sorted({int(i) for i in item}))
        with open(self.manifest, "a") as mf:
            mf.write(rec.to_json() + "\n")
            mf.flush()
            os.fsync(mf.fileno())
        self.records.append(rec)
        self.seq += 1
        return rec


def finalize(root) -> dict:
    """Merge every rank's manifest into ``manifest.json`` (sorted by first work item)."""
    root = Path(root)
    recs = [r for p in sorted(root.glob("manifest-r*.jsonl")) for r in read_manifest_lines(p)]
    recs.sort(key=lambda r: (min(r.items) if r.items else -1, r.rank, r.seq))
    m = {"shards": [json.loads(r.to_json()) for r in recs], "windows": sum(r.n for r in recs)}
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(m, indent=1))
    tmp.replace(root / "manifest.json")
    return m


class WindowStore:
    """Read side of a store: lazy access to windows, labels and ids across shards.

    ``windows(i)`` / ``[i]`` read one window; ``labels``, ``window_ids``, ``prompts``, ``sources``,
    ``seeds`` are small arrays loaded at open; ``array()`` materialises all windows ``[N, W, S, 6]``.
    """

    def __init__(self, root):
        import h5py

        self.root = Path(root)
        recs = [r for p in sorted(self.root.glob("manifest-r*.jsonl")) for r in read_manifest_lines(p)]
        if not recs:
            raise FileNotFoundError(f"{self.root}: no committed shards (no manifest-r*.jsonl lines)")
        recs.sort(key=lambda r: (min(r.items) if r.items else -1, r.rank, r.seq))
        self.meta = json.loads((self.root / "meta.json").read_text()) if (self.root / "meta.json").exists() else {}
        self._files, self._offsets = [], [0]
        cols: Dict[str, list] = {k: [] for k in ("label", "prompt", "source", "seed", "window_id", "item")}
        for r in recs:
            f = h5py.File(self.root / r.shard, "r")
            self._files.append(f)
            self._offsets.append(self._offsets[-1] + f["windows"].shape[0])
            for k in cols:
                v = f[k][()]
                cols[k].append(np.array([x.decode() if isinstance(x, bytes) else x for x in v])
                               if v.dtype == object else v)
        self.labels = np.concatenate(cols["label"]).astype(str)
        self.prompts = np.concatenate(cols["prompt"]).astype(str)
        self.sources = np.concatenate(cols["source"]).astype(str)
        self.seeds = np.concatenate(cols["seed"])
        self.window_ids = np.concatenate(cols["window_id"])
        self.items = np.concatenate(cols["item"])

    def __len__(self) -> int:
        return self._offsets[-1]

    def __getitem__(self, i: int) -> np.ndarray:
        if not -len(self) <= i < len(self):
            raise IndexError(f"window index {i} out of range for {len(self)} windows")
        i %= len(self)
        k = int(np.searchsorted(self._offsets, i, side="right") - 1)
        return self._files[k]["windows"][i - self._offsets[k]]

    @property
    def shape(self):
        w = self._files[0]["windows"]
        return (len(self), *w.shape[1:])

    def array(self) -> np.ndarray:
        return np.concatenate([f["windows"][()] for f in self._files]) if self._files else np.zeros((0,))

    def close(self):
        for f in self._files:
            f.close()
        self._files = []


def load(root) -> WindowStore:
    """Open a generated store (lazy). See :class:`WindowStore`."""
    return WindowStore(root)


class WindowDataset:
    """A ``torch.utils.data.Dataset`` over a store: ``(window [W, S·6] float32 tensor, class index)``."""

    def __init__(self, root, classes: Optional[Sequence[str]] = None):
        self.store = load(root)
        self.classes = list(classes) if classes is not None else sorted(set(self.store.labels.tolist()))
        self._cls = {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.store)

    def __getitem__(self, i):
        import torch

        w = self.store[i]
        return torch.from_numpy(w.reshape(w.shape[0], -1).copy()), self._cls[self.store.labels[i]]
