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

Each shard (format 2) holds ``windows`` float32 ``[N, W, S, 6]`` (acc xyz m/s², gyro xyz rad/s per
sensor, sensor frame; contiguous, so it can be memory-mapped), per window ``label`` (HDF5 enum int16:
the activity), ``window_id`` int64 (globally unique, assigned from the work item), ``item`` int64 (the
work item index), ``seed`` int64 (the item's seed) and ``rendering`` int32, an index into the shard's
table ``renderings/`` with one row per rendering of a motion: ``prompt``, ``source`` (UTF-8),
``item``, ``variant``, ``seed`` (uint64, the rendering's augmentation/noise seed), ``mirrored``,
``speed``. Strings are stored once per rendering rather than once per window (3 variable-length
strings per window cost more than the windows' own maths at 100k windows/s). ``load()`` expands the
table back to per-window arrays; format-1 shards (per-window ``label``/``prompt``/``source`` strings)
are still read.

A shard is written to ``*.h5.tmp``, fsync'd, renamed, then its manifest line is appended and fsync'd.
Killing the writer at any moment therefore loses at most the shard in progress: a shard file without a
manifest line (killed between rename and append) is deleted and redone on resume, a ``.tmp`` file is
deleted, and a manifest line always points at a complete file.
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
        """Per-window lists (convenience API): strings are folded into the renderings table."""
        n = len(windows)
        for name, v in (("label", label), ("prompt", prompt), ("source", source), ("seed", seed),
                        ("window_id", window_id), ("item", item)):
            if len(v) != n:
                raise ValueError(f"ShardWriter.write: {name} must have {n} entries (one per window), got {len(v)}")
        names, codes = np.unique(np.asarray(label, dtype=str), return_inverse=True) if n else (np.array([], str), np.zeros(0, int))
        keys = list(zip(prompt, source, (int(i) for i in item)))
        table, rendering = {}, np.empty(n, dtype=np.int32)
        for k, key in enumerate(keys):
            rendering[k] = table.setdefault(key, len(table))
        rows = list(table)
        ren = {"prompt": [r[0] for r in rows], "source": [r[1] for r in rows],
               "item": np.array([r[2] for r in rows], dtype=np.int64), "variant": np.zeros(len(rows), np.int32),
               "seed": np.zeros(len(rows), np.uint64), "mirrored": np.zeros(len(rows), bool),
               "speed": np.ones(len(rows), np.float32)}
        return self.write_arrays(windows, codes, list(names), rendering, np.asarray(window_id, np.int64),
                                 np.asarray(item, np.int64), np.asarray(seed, np.int64), ren)

    def write_arrays(self, windows: np.ndarray, label_codes: np.ndarray, label_names: Sequence[str],
                     rendering: np.ndarray, window_id: np.ndarray, item: np.ndarray, seed: np.ndarray,
                     renderings: Dict[str, Sequence], record_items: Optional[Sequence[int]] = None) -> ShardRecord:
        """Commit one shard (format 2). Per window: ``label_codes`` into ``label_names``, ``rendering``
        into the ``renderings`` table (``prompt``, ``source``, ``item``, ``variant``, ``seed``,
        ``mirrored``, ``speed``, each ``[R]``). ``record_items``: the work items this shard completes
        (default: those with windows in it; items too short for a window are recorded too, so a resumed
        run does not redo them)."""
        import h5py

        windows = np.ascontiguousarray(windows, dtype=np.float32)
        n = windows.shape[0]
        for name, v in (("label_codes", label_codes), ("rendering", rendering), ("window_id", window_id),
                        ("item", item), ("seed", seed)):
            if len(v) != n:
                raise ValueError(f"ShardWriter.write: {name} must have {n} entries (one per window), got {len(v)}")
        R = len(renderings["prompt"])
        for k in ("prompt", "source", "item", "variant", "seed", "mirrored", "speed"):
            if len(renderings[k]) != R:
                raise ValueError(f"ShardWriter.write: renderings[{k!r}] must have {R} entries, got {len(renderings[k])}")
        name = f"shard-r{self.rank:03d}-{self.seq:06d}.h5"
        final = self.root / "shards" / name
        tmp = final.with_name(name + ".tmp")
        str_t = h5py.string_dtype("utf-8")
        enum_t = h5py.enum_dtype({str(c): i for i, c in enumerate(label_names)}, basetype="i2")
        with h5py.File(tmp, "w") as f:
            f.create_dataset("windows", data=windows)  # contiguous: memory-mappable
            f.create_dataset("label", data=np.asarray(label_codes, dtype=np.int16), dtype=enum_t)
            f.create_dataset("rendering", data=np.asarray(rendering, dtype=np.int32))
            f.create_dataset("window_id", data=np.asarray(window_id, dtype=np.int64))
            f.create_dataset("item", data=np.asarray(item, dtype=np.int64))
            f.create_dataset("seed", data=np.asarray(seed, dtype=np.int64))
            g = f.create_group("renderings")
            g.create_dataset("prompt", data=np.array(list(renderings["prompt"]), dtype=object), dtype=str_t)
            g.create_dataset("source", data=np.array(list(renderings["source"]), dtype=object), dtype=str_t)
            g.create_dataset("item", data=np.asarray(renderings["item"], dtype=np.int64))
            g.create_dataset("variant", data=np.asarray(renderings["variant"], dtype=np.int32))
            g.create_dataset("seed", data=np.asarray(renderings["seed"], dtype=np.uint64))
            g.create_dataset("mirrored", data=np.asarray(renderings["mirrored"], dtype=bool))
            g.create_dataset("speed", data=np.asarray(renderings["speed"], dtype=np.float32))
            f.attrs["channels"] = ",".join(CHANNELS)
            f.attrs["format"] = 2
            f.flush()
            os.fsync(f.id.get_vfd_handle())
        tmp.replace(final)
        _fsync_dir(final.parent)
        done = np.unique(np.concatenate([np.asarray(item, np.int64), np.asarray(record_items if record_items is not None
                                                                               else [], np.int64)]))
        rec = ShardRecord(f"shards/{name}", self.rank, self.seq, n, done.tolist())
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
    ``seeds``, ``items``, ``variants``, ``mirrored``, ``speeds`` are per-window arrays loaded at open;
    ``array()`` materialises all windows ``[N, W, S, 6]``; ``memmap(k)`` maps shard k's windows
    without reading them (uncompressed contiguous HDF5 dataset).
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
        cols: Dict[str, list] = {k: [] for k in ("label", "prompt", "source", "seed", "window_id", "item",
                                                 "variant", "mirrored", "speed")}
        dec = lambda v: np.array([x.decode() if isinstance(x, bytes) else x for x in v], dtype=object)  # noqa: E731
        for r in recs:
            f = h5py.File(self.root / r.shard, "r")
            self._files.append(f)
            self._offsets.append(self._offsets[-1] + f["windows"].shape[0])
            for k in ("seed", "window_id", "item"):
                cols[k].append(f[k][()])
            if "rendering" in f:  # format 2
                names = {v: k for k, v in h5py.check_enum_dtype(f["label"].dtype).items()}
                codes = f["label"][()]
                lut = np.array([names.get(i, "") for i in range(max(names, default=-1) + 1)], dtype=object)
                cols["label"].append(lut[codes] if len(codes) else np.array([], dtype=object))
                ri = f["rendering"][()]
                g = f["renderings"]
                for k in ("prompt", "source"):
                    cols[k].append(dec(g[k][()])[ri] if len(ri) else np.array([], dtype=object))
                for k in ("variant", "mirrored", "speed"):
                    cols[k].append(g[k][()][ri])
            else:  # format 1: per-window strings
                n = f["windows"].shape[0]
                for k in ("label", "prompt", "source"):
                    cols[k].append(dec(f[k][()]))
                cols["variant"].append(np.zeros(n, np.int32))
                cols["mirrored"].append(np.zeros(n, bool))
                cols["speed"].append(np.ones(n, np.float32))
        self.labels = np.concatenate(cols["label"]).astype(str)
        self.prompts = np.concatenate(cols["prompt"]).astype(str)
        self.sources = np.concatenate(cols["source"]).astype(str)
        self.seeds = np.concatenate(cols["seed"])
        self.window_ids = np.concatenate(cols["window_id"])
        self.items = np.concatenate(cols["item"])
        self.variants = np.concatenate(cols["variant"])
        self.mirrored = np.concatenate(cols["mirrored"])
        self.speeds = np.concatenate(cols["speed"])

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

    def memmap(self, k: int) -> np.ndarray:
        """Shard ``k``'s windows ``[n, W, S, 6]`` as a read-only ``np.memmap`` (no copy, lazily paged)."""
        ds = self._files[k]["windows"]
        off = ds.id.get_offset()
        if off is None:  # empty dataset
            return ds[()]
        return np.memmap(self._files[k].filename, dtype=np.float32, mode="r", offset=off, shape=ds.shape)

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
