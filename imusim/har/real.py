"""Real IMU recordings for the HAR evaluation, and bringing real and synthetic windows together.

A :class:`IMUSet` is ``X`` float32 ``[N, T, C]``, ``y`` ``[N]`` str labels, ``rate`` (Hz),
``channels`` (``[C]`` names from acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z, mag_x, mag_y, mag_z),
``placement`` (a sensor preset name such as ``wrist_r``), units (``acc_unit`` m/s^2 | g, ``gyro_unit``
rad/s | deg/s, ``mag_unit`` uT | gauss | T; the project's canonical magnetometer unit is µT) and
``gravity`` ("included" when the accelerometer reads specific force, "removed" for linear
acceleration as phone/watch "user acceleration" APIs report it).

Sources:
* :func:`load_basicmotions` — BasicMotions (smart watch, 10 Hz, 10 s, standing/walking/running/
  badminton, 80 recordings) from the ``aeon`` (or ``sktime``) wheel. Its accelerometer reads ≈0 at rest
  (|a| ≈ 0.8 ± 0.7 while standing vs 9.81 for specific force): gravity was removed by the watch, so the
  set is declared ``gravity="removed"``, m/s², rad/s.
* :func:`load_npz` — the generic file: ``X``, ``y``, ``rate``, ``channels``, ``placement``,
  ``acc_unit``, optional ``gyro_unit``, ``mag_unit`` (with mag_x..mag_z channels), optional ``gravity``,
  optional ``groups`` or ``subject`` ``[N]``
  (recording/subject ids: windows of one group stay on one side of a CV split).
* :func:`load_csv` — a CSV of samples described by a small YAML (see the function).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from ..constants import GRAVITY as G  # standard gravity, m/s²

ALL_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
MAG_CHANNELS = ("mag_x", "mag_y", "mag_z")
KNOWN_CHANNELS = ALL_CHANNELS + MAG_CHANNELS
MAG_TO_UT = {"uT": 1.0, "gauss": 100.0, "T": 1e6}


@dataclass
class IMUSet:
    X: np.ndarray
    y: np.ndarray
    rate: float
    channels: List[str]
    placement: str = "wrist_r"
    acc_unit: str = "m/s^2"
    gyro_unit: Optional[str] = "rad/s"
    gravity: str = "included"
    name: str = "real"
    groups: Optional[np.ndarray] = None  # e.g. subject/recording ids for grouped CV
    mag_unit: Optional[str] = "uT"       # of mag_x..mag_z channels: uT | gauss | T

    def __post_init__(self):
        try:
            self.X = np.asarray(self.X, dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{self.name}: X must be a numeric array [N, T, C] ({e})") from None
        self.y = np.asarray(self.y).astype(str)
        if self.y.ndim != 1:
            raise ValueError(f"{self.name}: y must be a 1-D array of N labels, got shape {list(self.y.shape)}")
        if self.X.ndim != 3:
            raise ValueError(f"{self.name}: X must be [N, T, C], got shape {list(self.X.shape)}")
        try:
            rate = float(self.rate)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: rate must be a number (Hz), got {self.rate!r}") from None
        if not (np.isfinite(rate) and rate > 0):
            raise ValueError(f"{self.name}: rate must be a finite number > 0 (Hz), got {self.rate}")
        self.rate = rate
        finite = np.isfinite(self.X).all(axis=(1, 2)) if self.X.size else np.ones(len(self.X), bool)
        if not finite.all():
            raise ValueError(f"{self.name}: X holds non-finite values (NaN/inf) in {int((~finite).sum())} of "
                             f"{len(self.X)} windows, the first at index {int(np.argmin(finite))}; remove or "
                             f"interpolate them before the evaluation")
        if len(self.y) != len(self.X):
            raise ValueError(f"{self.name}: y must have N={len(self.X)} labels, got {len(self.y)}")
        if self.groups is not None and len(self.groups) != len(self.X):
            raise ValueError(f"{self.name}: groups must have N={len(self.X)} entries (one per window), "
                             f"got {len(self.groups)}")
        if len(self.channels) != self.X.shape[2]:
            raise ValueError(f"{self.name}: channels must name the C={self.X.shape[2]} channels, got {self.channels}")
        bad = [c for c in self.channels if c not in KNOWN_CHANNELS]
        if bad:
            raise ValueError(f"{self.name}: unknown channels {bad}; expected names from {list(KNOWN_CHANNELS)}")
        if self.mag_unit is not None and self.mag_unit not in MAG_TO_UT:
            raise ValueError(f"{self.name}: mag_unit must be one of {list(MAG_TO_UT)}, got {self.mag_unit!r}")
        if self.mag_unit is None and any(c.startswith("mag") for c in self.channels):
            raise ValueError(f"{self.name}: mag channels need a mag_unit ({list(MAG_TO_UT)})")
        if self.acc_unit not in ("m/s^2", "g"):
            raise ValueError(f"{self.name}: acc_unit must be 'm/s^2' or 'g', got {self.acc_unit!r}")
        if self.gyro_unit not in (None, "rad/s", "deg/s"):
            raise ValueError(f"{self.name}: gyro_unit must be 'rad/s', 'deg/s' or absent, got {self.gyro_unit!r}")
        if self.gravity not in ("included", "removed"):
            raise ValueError(f"{self.name}: gravity must be 'included' or 'removed', got {self.gravity!r}")

    @property
    def classes(self) -> List[str]:
        return sorted(set(self.y.tolist()))

    def to_si(self) -> "IMUSet":
        """In m/s², rad/s and µT (the same object when it already is: no copy)."""
        if self.acc_unit == "m/s^2" and self.gyro_unit in (None, "rad/s") and self.mag_unit in (None, "uT"):
            return self
        X = self.X.copy()
        for i, c in enumerate(self.channels):
            if c.startswith("acc") and self.acc_unit == "g":
                X[..., i] *= G
            if c.startswith("gyro") and self.gyro_unit == "deg/s":
                X[..., i] *= np.pi / 180
            if c.startswith("mag") and self.mag_unit:
                X[..., i] *= MAG_TO_UT[self.mag_unit]
        return replace(self, X=X, acc_unit="m/s^2", gyro_unit="rad/s" if self.gyro_unit else None,
                       mag_unit="uT" if self.mag_unit else None)


def load_basicmotions() -> IMUSet:
    """BasicMotions, train and test splits together (80 × 100 samples × 6 channels, 10 Hz)."""
    try:
        from aeon.datasets import load_basic_motions
    except ImportError:  # pragma: no cover
        from sktime.datasets import load_basic_motions  # type: ignore
    Xs, ys = [], []
    for split in ("train", "test"):
        X, y = load_basic_motions(split=split)
        Xs.append(np.asarray(X, dtype=np.float32).transpose(0, 2, 1))  # [N, C, T] -> [N, T, C]
        ys.append(np.asarray(y).astype(str))
    X, y = np.concatenate(Xs), np.char.lower(np.concatenate(ys))
    return IMUSet(X, y, 10.0, list(ALL_CHANNELS), placement="wrist_l", acc_unit="m/s^2", gyro_unit="rad/s",
                  gravity="removed", name="basicmotions", groups=np.arange(len(y)))


def load_npz(path) -> IMUSet:
    """The generic real-data file (see module docstring). Errors name the file (CorruptFileError)."""
    from ..data.npz import read_npz, scalar
    from ..errors import CorruptFileError

    path = Path(path)
    z = read_npz(path, ("X", "y", "rate", "channels", "placement", "acc_unit"), what="real-data file")
    try:
        return IMUSet(z["X"], z["y"], scalar(path, z, "rate", float), [str(c) for c in np.atleast_1d(z["channels"])],
                      scalar(path, z, "placement", str), scalar(path, z, "acc_unit", str),
                      scalar(path, z, "gyro_unit", str) if "gyro_unit" in z else None,
                      scalar(path, z, "gravity", str) if "gravity" in z else "included", name=path.stem,
                      groups=z["groups"] if "groups" in z else z["subject"] if "subject" in z else None,
                      mag_unit=scalar(path, z, "mag_unit", str) if "mag_unit" in z else "uT")
    except (ValueError, TypeError) as e:
        if isinstance(e, CorruptFileError):
            raise
        raise CorruptFileError(path, str(e).removeprefix(f"{path.stem}: ")) from None


def load_csv(yaml_path) -> IMUSet:
    """CSV described by YAML::

        csv: recordings.csv        # one row per sample
        rate: 50
        window: 2.56               # s; windows are cut per (recording, label) run
        label_column: activity
        recording_column: session  # optional: consecutive rows of one recording
        channels: {acc_x: ax, acc_y: ay, acc_z: az, gyro_x: gx, gyro_y: gy, gyro_z: gz}
        placement: wrist_r
        acc_unit: g
        gyro_unit: deg/s
        mag_unit: uT               # optional, with mag_x/mag_y/mag_z channels (uT | gauss | T)
        gravity: included
    """
    import csv

    import yaml

    yaml_path = Path(yaml_path)
    cfg = yaml.safe_load(yaml_path.read_text())
    for k in ("csv", "rate", "window", "label_column", "channels", "placement", "acc_unit"):
        if k not in cfg:
            raise ValueError(f"{yaml_path}: missing key {k!r}")
    rows = list(csv.DictReader(open(yaml_path.parent / cfg["csv"], newline="")))
    chans = list(cfg["channels"].keys())
    W = int(round(cfg["window"] * cfg["rate"]))
    rec_col = cfg.get("recording_column")
    X, y, cur, key = [], [], [], None
    for ln, r in enumerate(rows, start=2):
        k = (r.get(rec_col) if rec_col else None, r[cfg["label_column"]])
        if k != key:
            cur, key = [], k
        try:
            cur.append([float(r[cfg["channels"][c]]) for c in chans])
        except (KeyError, ValueError) as e:
            raise ValueError(f"{yaml_path.parent / cfg['csv']}:{ln}: bad value ({e})") from None
        if len(cur) == W:
            X.append(cur)
            y.append(k[1])
            cur = []
    return IMUSet(np.array(X, dtype=np.float32).reshape(-1, W, len(chans)), np.array(y), float(cfg["rate"]), chans,
                  cfg["placement"], cfg["acc_unit"], cfg.get("gyro_unit"), cfg.get("gravity", "included"),
                  name=yaml_path.stem, mag_unit=cfg.get("mag_unit", "uT"))


def resample(X: np.ndarray, rate_in: float, rate_out: float, length: Optional[int] = None) -> np.ndarray:
    """Resample ``[N, T, C]`` along time (polyphase, anti-aliased) and crop/pad to ``length``."""
    from fractions import Fraction

    from scipy.signal import resample_poly

    if abs(rate_in - rate_out) > 1e-9:
        fr = Fraction(rate_out / rate_in).limit_denominator(1000)
        X = resample_poly(X, fr.numerator, fr.denominator, axis=1, padtype="line").astype(np.float32)
    if length is not None:
        if X.shape[1] >= length:
            X = X[:, :length]
        else:
            X = np.concatenate([X, np.repeat(X[:, -1:], length - X.shape[1], axis=1)], axis=1)
    return X


def remove_gravity(X: np.ndarray, channels: Sequence[str], rate: float, cutoff: float = 0.3) -> np.ndarray:
    """Linear acceleration from specific force: subtract a low-pass (Butterworth, ``cutoff`` Hz) gravity
    estimate from the acc channels, as phone/watch APIs do. Specific force reads +g upward at rest, so
    the result reads ≈0 at rest."""
    from scipy.signal import butter, filtfilt

    X = X.copy()
    idx = [i for i, c in enumerate(channels) if c.startswith("acc")]
    if not idx:
        return X
    b, a = butter(2, cutoff / (rate / 2))
    pad = min(3 * max(len(a), len(b)), X.shape[1] - 1)
    low = filtfilt(b, a, X[..., idx], axis=1, padlen=pad)
    X[..., idx] = X[..., idx] - low
    return X


def harmonise(src: IMUSet, like: IMUSet, chunk: int = 2048) -> IMUSet:
    """Bring ``src`` (e.g. synthetic) to ``like``'s (e.g. real) rate, window length, units, channel order
    and gravity convention. Missing channels are an error naming them.

    Streams over ``chunk`` windows at a time (every step acts on each window alone, so the result does
    not depend on ``chunk``): the peak extra memory is the output plus one chunk's intermediates, not
    several full copies of ``src``."""
    miss = [c for c in like.channels if c not in src.channels]
    if miss:
        raise ValueError(f"{src.name} lacks channel(s) {miss} needed to match {like.name}")
    if src.gravity == "removed" and like.gravity == "included":
        raise ValueError(f"{src.name} has gravity removed but {like.name} includes it: cannot add it back")
    sel = [src.channels.index(c) for c in like.channels]
    scale = np.ones(len(sel), np.float32)  # to m/s² and rad/s
    for i, c in enumerate(like.channels):
        if c.startswith("acc") and src.acc_unit == "g":
            scale[i] = G
        if c.startswith("gyro") and src.gyro_unit == "deg/s":
            scale[i] = np.pi / 180
        if c.startswith("mag") and src.mag_unit:
            scale[i] = MAG_TO_UT[src.mag_unit]
    N, T_out = len(src.X), like.X.shape[1]
    X = np.empty((N, T_out, len(sel)), np.float32)
    for a in range(0, N, max(1, int(chunk))):
        x = src.X[a:a + chunk][..., sel] * scale
        if src.gravity == "included" and like.gravity == "removed":
            x = remove_gravity(x, like.channels, src.rate)
        X[a:a + chunk] = resample(x, src.rate, like.rate, T_out)
    return replace(src, X=X, rate=like.rate, channels=list(like.channels), gravity=like.gravity, acc_unit="m/s^2",
                   gyro_unit="rad/s" if like.gyro_unit else None,
                   mag_unit="uT" if any(c.startswith("mag") for c in like.channels) else src.mag_unit)


def rewindow(s: IMUSet, seconds: float, stride: Optional[float] = None) -> IMUSet:
    """Cut each recording ``[N, T, C]`` into windows of ``seconds`` (stride defaults to the window), so
    long real recordings match short synthetic windows; ``groups`` keeps the source recording."""
    W = int(round(seconds * s.rate))
    st = int(round((stride or seconds) * s.rate))
    if W >= s.X.shape[1]:
        return s
    starts = list(range(0, s.X.shape[1] - W + 1, st))
    X = np.concatenate([s.X[:, a:a + W] for a in starts])
    rec = s.groups if s.groups is not None else np.arange(len(s.X))
    n = len(starts)
    return replace(s, X=X, y=np.tile(s.y, n), groups=np.tile(rec, n))
