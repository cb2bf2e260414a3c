"""Reading ``.npz`` files that come from users: no pickle, and every failure names the file.

``np.load`` reports a damaged or foreign file with errors that do not say which file it was (a
``BadZipFile``, a pickle refusal, a ``zlib.error``, or silently an ``ndarray`` for ``.npy`` content);
:func:`read_npz` turns all of them into :class:`~imusim.errors.CorruptFileError`.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from ..errors import CorruptFileError


def read_npz(path, required: Sequence[str] = (), what: str = ".npz file") -> Dict[str, np.ndarray]:
    """All arrays of the ``.npz`` at ``path`` (loaded), checking that the ``required`` fields exist.

    Raises FileNotFoundError when the file is missing and CorruptFileError (file named) when it is not
    a readable ``.npz`` archive or lacks a required field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    with open(path, "rb") as f:
        head = f.read(6)
    if head[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):  # a zip archive (empty or not)
        kind = "an .npy array" if head == b"\x93NUMPY" else f"starts with {head!r}"
        raise CorruptFileError(path, f"not an .npz (zip) archive: {kind}")
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise CorruptFileError(path, f"not a readable .npz archive ({type(e).__name__}: {e})") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise CorruptFileError(path, "holds a single .npy array, not an .npz archive of named arrays")
    try:
        with z:
            out = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as e:
        raise CorruptFileError(path, f"damaged .npz archive ({type(e).__name__}: {e})") from None
    missing = [k for k in required if k not in out]
    if missing:
        raise CorruptFileError(path, f"missing field(s) {missing}; it has {sorted(out)}")
    return out


def npz_json(path, arrays: Dict[str, np.ndarray], key: str) -> dict:
    """The JSON object stored as a string in field ``key`` (e.g. ``meta``), or CorruptFileError."""
    a = arrays[key]
    try:
        d = json.loads(str(a.item() if a.shape == () else a))
    except (ValueError, TypeError) as e:
        raise CorruptFileError(path, f"field {key!r} is not valid JSON ({e})") from None
    if not isinstance(d, dict):
        raise CorruptFileError(path, f"field {key!r} must be a JSON object, got {type(d).__name__}")
    return d


def scalar(path, arrays: Dict[str, np.ndarray], key: str, kind=float):
    """Field ``key`` as one ``kind`` value (float/str), or CorruptFileError."""
    a = np.asarray(arrays[key])
    if a.size != 1:
        raise CorruptFileError(path, f"field {key!r} must be a single value, got shape {list(a.shape)}")
    try:
        return kind(a.reshape(()).item())
    except (TypeError, ValueError) as e:
        raise CorruptFileError(path, f"field {key!r} must be a {kind.__name__}, got {a.reshape(()).item()!r} ({e})") \
            from None
