"""``imusim bench humanml3d-build``: throughput and memory of ``imusim data build --humanml3d`` on a
synthetic HumanML3D directory (random features, HumanML3D's length distribution roughly: 40–199
frames, 3 whole-motion captions and one sub-clip caption per motion, 80/5/15 % splits).

Reported: motions/s, MB/s of features written, the peak Python-heap allocation during the build
(tracemalloc: numpy arrays included), and the data size, to show that memory stays at one motion."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

NAME = "humanml3d-build"
COLS = ["motions", "frames", "data_MB", "seconds", "motions_per_s", "MB_per_s", "peak_alloc_MB", "clips"]


def make_layout(root: Path, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    ids = [f"{i:06d}" for i in range(n)]
    for k in ids:
        T = int(rng.integers(40, 200))
        np.save(root / "new_joint_vecs" / f"{k}.npy", rng.standard_normal((T, 263)).astype(np.float32))
        s = T / 20 * 0.25
        (root / "texts" / f"{k}.txt").write_text(
            "a person walks forward.#a/DET person/NOUN walk/VERB forward/ADV#0.0#0.0\n"
            "someone walks.#someone/PRON walk/VERB#0.0#0.0\n"
            "a man strolls ahead.#a/DET man/NOUN stroll/VERB ahead/ADV#0.0#0.0\n"
            f"a person jumps.#a/DET person/NOUN jump/VERB#{s:.2f}#{T / 20:.2f}\n")
    a, b = int(0.8 * n), int(0.85 * n)
    for name, part in (("train", ids[:a]), ("val", ids[a:b]), ("test", ids[b:])):
        (root / f"{name}.txt").write_text("\n".join(part) + "\n")
    np.save(root / "Mean.npy", np.zeros(263, np.float32))
    np.save(root / "Std.npy", np.ones(263, np.float32))


def bench(motions: int = 2000, tmp=None):
    from ..data.humanml3d import build_humanml3d

    with tempfile.TemporaryDirectory(dir=tmp) as d:
        d = Path(d)
        make_layout(d / "HumanML3D", motions)
        tracemalloc.start()
        t0 = time.perf_counter()
        meta = build_humanml3d(d / "out", d / "HumanML3D", progress=True)
        dt = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        frames = meta["storage"]["shape"][0]
        mb = frames * 263 * 4 / 1e6
    return [{"motions": motions, "frames": frames, "data_MB": round(mb, 1), "seconds": round(dt, 2),
             "motions_per_s": round(motions / dt, 1), "MB_per_s": round(mb / dt, 1),
             "peak_alloc_MB": round(peak / 1e6, 2), "clips": len(meta["clips"])}]


def add_arguments(p):
    p.add_argument("--motions", type=int, default=2000, help="synthetic motions (HumanML3D has 29,232 incl. mirrored)")
    p.add_argument("--tmp", default=None, help="directory for the synthetic data (default: the system's temp dir)")
    p.add_argument("--json", help="also write the rows to this JSON file")


def run(args):
    from ._util import report

    report(bench(args.motions, args.tmp), COLS, args.json)
    return 0
