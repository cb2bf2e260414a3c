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

Each shard (format 2) holds ``windows`` float32 ``[N, W, S, C]`` (per sensor, sensor frame: C = 6 for acc
xyz m/s², gyro xyz rad/s; 9 with mag xyz µT; the shard's ``channels`` attribute names them; contiguous, so
it can be memory-mapped), per window ``label`` (HDF5 enum int16:
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

Integrity: each manifest line records the shard's size and SHA-256 (``sha256sum`` of the file). Opening
a store checks every shard's size and that it opens, and the SHA-256 of a shard is checked the first time
its windows are read (``load(verify=...)`` chooses); a bad shard raises
:class:`~imusim.errors.CorruptFileError` naming it. :func:`verify` checks every
shard; a resumed writer verifies its rank's shards in full and drops the bad ones from its manifest
(their work items are then redone). Older manifest lines without a checksum are checked by opening.

One writer per rank: a writer holds an exclusive ``flock`` on ``writer-r{rank:03d}.lock`` (pid, host and
start time inside) from construction until :meth:`ShardWriter.close` or process exit (a killed writer
releases it with its process); a second writer fails with :class:`~imusim.errors.StoreLockedError`
naming the holder, before touching anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from ..errors import CorruptFileError, StoreLockedError

CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
MAG_CHANNELS = ("mag_x", "mag_y", "mag_z")
UNITS = {"acc": "m/s^2", "gyro": "rad/s", "mag": "uT"}


def default_channels(c: int) -> tuple:
    """Channel names of a C-channel sample when the writer was not told: 6 → acc, gyro; 9 → + mag."""
    if c == 6:
        return CHANNELS
    if c == 9:
        return CHANNELS + MAG_CHANNELS
    raise ValueError(f"ShardWriter: windows have {c} channels per sensor; name them with ShardWriter(channels=...)")


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
    sha256: Optional[str] = None  # of the shard file (absent in manifests written before checksums)
    bytes: Optional[int] = None

    def to_json(self) -> str:
        d = {"shard": self.shard, "rank": self.rank, "seq": self.seq, "n": self.n, "items": self.items}
        if self.sha256 is not None:
            d.update(sha256=self.sha256, bytes=self.bytes)
        return json.dumps(d)


def read_manifest_lines(path: Path) -> List[ShardRecord]:
    """Committed shards of one rank. A torn last line (killed mid-append) is ignored."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        try:
            d = json.loads(line)
            out.append(ShardRecord(str(d["shard"]), int(d["rank"]), int(d["seq"]), int(d["n"]),
                                   [int(i) for i in d["items"]], d.get("sha256"), d.get("bytes")))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return out


def file_sha256(path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def check_shard(root, rec: ShardRecord, full: bool = True) -> Optional[str]:
    """Why shard ``rec`` of the store at ``root`` is unusable, or None when it is fine. Checks: the file
    exists, has the recorded size, (``full``) the recorded SHA-256, and opens as HDF5 with ``rec.n``
    windows. Manifest lines without a checksum get the open check only."""
    import h5py

    p = Path(root) / rec.shard
    if not p.is_file():
        return "missing"
    size = p.stat().st_size
    if rec.bytes is not None and size != rec.bytes:
        return f"size {size} bytes, the manifest recorded {rec.bytes} ({'truncated' if size < rec.bytes else 'grown'})"
    if full and rec.sha256 is not None:
        got = file_sha256(p)
        if got != rec.sha256:
            return f"SHA-256 {got[:16]}… differs from the manifest's {rec.sha256[:16]}… (overwritten or corrupted)"
    try:
        with h5py.File(p, "r") as f:
            n = f["windows"].shape[0]
    except Exception as e:  # h5py raises OSError/KeyError/ValueError for damaged files
        return f"cannot be read as a shard ({type(e).__name__}: {e})"
    if n != rec.n:
        return f"holds {n} windows, the manifest recorded {rec.n}"
    return None


def all_records(root) -> List[ShardRecord]:
    root = Path(root)
    return [r for p in sorted(root.glob("manifest-r*.jsonl")) for r in read_manifest_lines(p)]


def verify(root, full: bool = True, progress: bool = False) -> List[dict]:
    """Check every committed shard of a store (all ranks): ``[{shard, rank, n, ok, problem}]``."""
    recs = all_records(root)
    if not recs and not any(Path(root).glob("manifest-r*.jsonl")):
        raise FileNotFoundError(f"{root}: not a generator store (no manifest-r*.jsonl)")
    it = recs
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(recs, desc="verify", unit="shard")
    out = []
    for r in it:
        why = check_shard(root, r, full)
        out.append({"shard": r.shard, "rank": r.rank, "n": r.n, "ok": why is None, "problem": why})
    return out


class _RankLock:
    """Exclusive ``flock`` on ``root/writer-r{rank}.lock`` for the writer's lifetime (see module doc)."""

    def __init__(self, root: Path, rank: int):
        import fcntl

        self.path = root / f"writer-r{rank:03d}.lock"
        fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 4096, 0).decode(errors="replace").strip()
                d = json.loads(holder)
                holder = f"pid {d.get('pid')} on {d.get('host')} since {d.get('started')}"
            except (OSError, ValueError):
                holder = holder or "unknown process"
            os.close(fd)
            raise StoreLockedError(self.path, holder) from None
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode(), 0)
        self.fd = fd
        self.ino = os.fstat(fd).st_ino

    def check(self) -> None:
        """The lock file must still be ours (not deleted or replaced while we write)."""
        try:
            same = os.stat(self.path).st_ino == self.ino
        except FileNotFoundError:
            same = False
        if not same:
            raise StoreLockedError(self.path, "its lock file was deleted or replaced while this writer held it: "
                                              "another writer may be running")

    def release(self) -> None:
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    __del__ = release


class ShardWriter:
    """Writes the shards of one rank; ``done_items()`` tells a resumed run what to skip.

    Holds the rank's writer lock from construction until :meth:`close` (also a context manager).
    ``verify``: check the rank's committed shards (size, SHA-256, readable) and drop bad ones from the
    manifest so that their items are redone (``repaired`` lists them). ``meta`` is written to
    ``meta.json`` by rank 0 unless one exists (a resumed store keeps its own).
    """

    def __init__(self, root, rank: int = 0, meta: Optional[dict] = None, *, verify: bool = True,
                 channels: Optional[Sequence[str]] = None):
        self.root = Path(root)
        self.rank = rank
        # names of a sensor's channels in the windows' last axis (None: from meta, else from the count)
        self.channels = tuple(channels) if channels is not None else (
            tuple(meta["channels"]) if meta and meta.get("channels") else None)
        (self.root / "shards").mkdir(parents=True, exist_ok=True)
        self._lock = _RankLock(self.root, rank)  # before touching anything of the rank
        self.manifest = self.root / f"manifest-r{rank:03d}.jsonl"
        self._repair_manifest()
        self.records = read_manifest_lines(self.manifest)
        self._cleanup()
        self.repaired: List[tuple] = []
        if verify and self.records:
            self._drop_bad_shards()
        if meta is not None and rank == 0:
            self.write_meta(meta)
        self.seq = max((r.seq for r in self.records), default=-1) + 1

    def write_meta(self, meta: dict) -> None:
        """``meta.json`` (atomic), unless the store already has one (a resumed store keeps its own)."""
        mp = self.root / "meta.json"
        if mp.exists():
            return
        tmp = mp.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True))
        tmp.replace(mp)

    def close(self) -> None:
        """Release the writer lock (also released when the process exits)."""
        self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _drop_bad_shards(self) -> None:
        bad = {}
        for r in self.records:
            why = check_shard(self.root, r, full=True)
            if why is not None:
                bad[r.shard] = why
        if not bad:
            return
        keep = [r for r in self.records if r.shard not in bad]
        tmp = self.manifest.with_suffix(".jsonl.tmp")
        with open(tmp, "w") as f:
            f.write("".join(r.to_json() + "\n" for r in keep))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.manifest)
        _fsync_dir(self.root)
        for shard, why in bad.items():
            (self.root / shard).unlink(missing_ok=True)
            self.repaired.append((shard, why))
        self.records = keep

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
        channels = self.channels if self.channels is not None else (
            default_channels(windows.shape[-1]) if windows.ndim >= 2 else CHANNELS)
        if windows.ndim >= 2 and windows.shape[-1] != len(channels):
            raise ValueError(f"ShardWriter.write: windows have {windows.shape[-1]} channels per sensor, the store's "
                             f"channels are {list(channels)}")
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
            f.attrs["channels"] = ",".join(channels)
            f.attrs["format"] = 2
        # closed: HDF5 has written everything (it writes metadata at close). The SHA-256 of the file as
        # committed (read back from the page cache, hashlib releases the GIL) runs while fsync flushes
        # the same pages to disk, so the checksum costs little beyond the fsync itself.
        box: dict = {}
        th = threading.Thread(target=lambda: box.setdefault("sha256", file_sha256(tmp)), name="imusim-shard-sha256")
        th.start()
        fd = os.open(str(tmp), os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
            th.join()
        if "sha256" not in box:  # the hash thread failed (I/O error): hash here to raise it
            box["sha256"] = file_sha256(tmp)
        size = tmp.stat().st_size
        digest = box["sha256"]
        self._lock.check()
        tmp.replace(final)
        _fsync_dir(final.parent)
        done = np.unique(np.concatenate([np.asarray(item, np.int64), np.asarray(record_items if record_items is not None
                                                                               else [], np.int64)]))
        rec = ShardRecord(f"shards/{name}", self.rank, self.seq, n, done.tolist(), digest, size)
        with open(self.manifest, "a") as mf:
            mf.write(rec.to_json() + "\n")
            mf.flush()
            os.fsync(mf.fileno())
        self.records.append(rec)
        self.seq += 1
        return rec


def clear(root) -> None:
    """Delete a store's content (every rank's manifest and shards, the merged manifest, summary and meta)
    so that a new run can start in the directory. Fails with StoreLockedError, deleting nothing of that
    rank, when a writer is still running."""
    import re

    root = Path(root)
    ranks = set()
    for p in list(root.glob("manifest-r*.jsonl")) + list(root.glob("writer-r*.lock")) + \
            list((root / "shards").glob("shard-r*")):
        m = re.search(r"-r(\d+)", p.name)
        if m:
            ranks.add(int(m.group(1)))
    locks = [_RankLock(root, r) for r in sorted(ranks)]  # all of them first: nothing is deleted under a writer
    try:
        for r in sorted(ranks):
            (root / f"manifest-r{r:03d}.jsonl").unlink(missing_ok=True)
            for p in (root / "shards").glob(f"shard-r{r:03d}-*"):
                p.unlink()
        for name in ("manifest.json", "summary.json", "meta.json"):
            (root / name).unlink(missing_ok=True)
    finally:
        for lk in locks:
            lk.release()


def finalize(root) -> dict:
    """Merge every rank's manifest into ``manifest.json`` (sorted by first work item)."""
    root = Path(root)
    recs = all_records(root)
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
    ``array()`` materialises all windows ``[N, W, S, C]``; ``memmap(k)`` maps shard k's windows
    without reading them (uncompressed contiguous HDF5 dataset); ``channels`` names the C channels of a
    sensor (``acc_x`` .. ``gyro_z`` [, ``mag_x`` .. ``mag_z``]).

    ``verify``: ``"lazy"`` (default: at open every shard's recorded size, that it opens and its window
    count; a shard's SHA-256 the first time its windows are read, by ``[i]``, ``memmap`` or ``array``),
    ``"full"`` (every SHA-256 at open: reads the whole store), ``"size"`` (the open checks only) or
    ``"none"``. A bad shard raises :class:`~imusim.errors.CorruptFileError` naming it; with
    ``skip_bad=True`` a shard that fails at open is left out with a warning (``self.skipped``).
    """

    def __init__(self, root, verify: str = "lazy", skip_bad: bool = False):
        import h5py

        if verify not in ("none", "size", "lazy", "full"):
            raise ValueError(f"load: verify must be 'none', 'size', 'lazy' or 'full', got {verify!r}")
        self.verify = verify
        self._recs: List[ShardRecord] = []
        self._verified: set = set()
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"{self.root}: store directory not found")
        recs = all_records(self.root)
        if not recs:
            raise FileNotFoundError(f"{self.root}: no committed shards (no manifest-r*.jsonl lines)")
        recs.sort(key=lambda r: (min(r.items) if r.items else -1, r.rank, r.seq))
        mp = self.root / "meta.json"
        try:
            self.meta = json.loads(mp.read_text()) if mp.exists() else {}
        except ValueError as e:
            raise CorruptFileError(mp, f"not valid JSON ({e})") from None
        self._files, self._offsets = [], [0]
        self.skipped: List[tuple] = []
        cols: Dict[str, list] = {k: [] for k in ("label", "prompt", "source", "seed", "window_id", "item",
                                                 "variant", "mirrored", "speed")}
        dec = lambda v: np.array([x.decode() if isinstance(x, bytes) else x for x in v], dtype=object)  # noqa: E731
        for r in recs:
            why = None if verify == "none" else check_shard(self.root, r, full=verify == "full")
            f = None
            if why is None:
                try:
                    f = h5py.File(self.root / r.shard, "r")
                    part = self._columns(f, h5py, dec)
                except Exception as e:  # damaged file or missing datasets: h5py raises OSError/KeyError/...
                    if f is not None:
                        f.close()
                    why = f"cannot be read as a shard ({type(e).__name__}: {e})"
            if why is not None:
                hint = (f"manifest-r{r.rank:03d}.jsonl; `imusim generate --verify {self.root}` lists the bad shards, "
                        f"rerunning the generator with --resume redoes them")
                if not skip_bad:
                    self.close()
                    raise CorruptFileError(self.root / r.shard, why, hint=hint)
                warnings.warn(f"{self.root / r.shard}: {why}: skipped ({len(r.items)} work items, {r.n} windows)")
                self.skipped.append((r.shard, why))
                continue
            self._files.append(f)
            self._recs.append(r)
            self._offsets.append(self._offsets[-1] + f["windows"].shape[0])
            for k, v in part.items():
                cols[k].append(v)
        empty = {"label": np.array([], str), "prompt": np.array([], str), "source": np.array([], str),
                 "seed": np.zeros(0, np.int64), "window_id": np.zeros(0, np.int64), "item": np.zeros(0, np.int64),
                 "variant": np.zeros(0, np.int32), "mirrored": np.zeros(0, bool), "speed": np.zeros(0, np.float32)}
        cat = {k: np.concatenate(v) if v else empty[k] for k, v in cols.items()}
        self.labels = cat["label"].astype(str)
        self.prompts = cat["prompt"].astype(str)
        self.sources = cat["source"].astype(str)
        self.seeds = cat["seed"]
        self.window_ids = cat["window_id"]
        self.items = cat["item"]
        self.variants = cat["variant"]
        self.mirrored = cat["mirrored"]
        self.speeds = cat["speed"]
        names = [str(f.attrs.get("channels", "")) for f in self._files if f.attrs.get("channels") is not None]
        if len(set(names)) > 1:
            self.close()
            raise CorruptFileError(self.root, f"shards name different channels: {sorted(set(names))}")
        self.channels = tuple(names[0].split(",")) if names and names[0] else tuple(
            self.meta.get("channels") or CHANNELS)

    @staticmethod
    def _columns(f, h5py, dec) -> Dict[str, np.ndarray]:
        """Per-window columns of one open shard (format 1 or 2)."""
        n = f["windows"].shape[0]
        out = {k: f[k][()] for k in ("seed", "window_id", "item")}
        if "rendering" in f:  # format 2
            names = {v: k for k, v in h5py.check_enum_dtype(f["label"].dtype).items()}
            codes = f["label"][()]
            lut = np.array([names.get(i, "") for i in range(max(names, default=-1) + 1)], dtype=object)
            out["label"] = lut[codes] if len(codes) else np.array([], dtype=object)
            ri = f["rendering"][()]
            g = f["renderings"]
            for k in ("prompt", "source"):
                out[k] = dec(g[k][()])[ri] if len(ri) else np.array([], dtype=object)
            for k in ("variant", "mirrored", "speed"):
                out[k] = g[k][()][ri]
        else:  # format 1: per-window strings
            for k in ("label", "prompt", "source"):
                out[k] = dec(f[k][()])
            out["variant"] = np.zeros(n, np.int32)
            out["mirrored"] = np.zeros(n, bool)
            out["speed"] = np.ones(n, np.float32)
        bad = [k for k, v in out.items() if len(v) != n]
        if bad:
            raise ValueError(f"{bad} do not have one entry per window ({n})")
        return out

    def __len__(self) -> int:
        return self._offsets[-1]

    def _check(self, k: int) -> None:
        """SHA-256 of shard k before its windows are first used (``verify="lazy"``)."""
        if self.verify != "lazy" or k in self._verified:
            return
        r = self._recs[k]
        if r.sha256 is not None:
            got = file_sha256(self.root / r.shard)
            if got != r.sha256:
                raise CorruptFileError(self.root / r.shard, f"SHA-256 {got[:16]}… differs from the manifest's "
                                       f"{r.sha256[:16]}… (overwritten or corrupted)",
                                       hint=f"`imusim generate --verify {self.root}` lists the bad shards, "
                                            f"rerunning the generator with --resume redoes them")
        self._verified.add(k)

    def __getitem__(self, i: int) -> np.ndarray:
        if not -len(self) <= i < len(self):
            raise IndexError(f"window index {i} out of range for {len(self)} windows")
        i %= len(self)
        k = int(np.searchsorted(self._offsets, i, side="right") - 1)
        self._check(k)
        return self._files[k]["windows"][i - self._offsets[k]]

    @property
    def shape(self):
        if not self._files:
            return (0,)
        w = max((f["windows"] for f in self._files), key=lambda d: d.shape[0])  # an empty shard may lack S
        return (len(self), *w.shape[1:])

    def memmap(self, k: int) -> np.ndarray:
        """Shard ``k``'s windows ``[n, W, S, 6]`` as a read-only ``np.memmap`` (no copy, lazily paged)."""
        self._check(k)
        ds = self._files[k]["windows"]
        off = ds.id.get_offset()
        if off is None:  # empty dataset
            return ds[()]
        return np.memmap(self._files[k].filename, dtype=np.float32, mode="r", offset=off, shape=ds.shape)

    def array(self, sensor: Optional[int] = None) -> np.ndarray:
        """All windows ``[N, W, S, 6]``, or with ``sensor=k`` only that sensor's ``[N, W, 6]`` (read shard by
        shard into one preallocated array: the peak memory is the result)."""
        for k in range(len(self._files)):
            self._check(k)
        shape = tuple(self.shape)
        if len(shape) == 1:
            return np.zeros((0,), np.float32)
        if sensor is not None:
            if not -shape[2] <= sensor < shape[2]:
                raise IndexError(f"sensor {sensor} out of range for {shape[2]} sensors")
            shape = shape[:2] + shape[3:]
        out = np.empty(shape, np.float32)
        for k, f in enumerate(self._files):
            a, b = self._offsets[k], self._offsets[k + 1]
            if b > a:
                ds = f["windows"]
                out[a:b] = ds[()] if sensor is None else ds[:, :, sensor % self.shape[2], :]
        return out

    def close(self):
        for f in self._files:
            f.close()
        self._files = []


def load(root, verify: str = "lazy", skip_bad: bool = False) -> WindowStore:
    """Open a generated store (lazy). See :class:`WindowStore`."""
    return WindowStore(root, verify=verify, skip_bad=skip_bad)


class WindowDataset:
    """A ``torch.utils.data.Dataset`` over a store: ``(window [W, S·C] float32 tensor, class index)``; the
    C channels of each sensor are ``self.store.channels`` (6: acc, gyro; 9: + mag)."""

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
