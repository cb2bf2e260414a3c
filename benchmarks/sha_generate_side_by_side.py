"""The shard SHA-256 (issue 16) in the whole generator IMU stage, side by side on a quiet machine.

Runs ``imusim bench generate`` in one process, alternating rounds with the store's real ``file_sha256`` and
with it stubbed out, and prints/writes the best windows/s of each mode per noise model.

    MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=4294967296 \\
        python benchmarks/sha_generate_side_by_side.py --rounds 3 --json benchmarks/sha_generate.json
"""
import argparse
import json
import tempfile
from pathlib import Path

from imusim.cli import main as cli
from imusim.generate import store


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--motions", type=int, default=8192)
    ap.add_argument("--json")
    a = ap.parse_args()
    real = store.file_sha256
    best = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for mode in ("with_sha256", "without"):
                store.file_sha256 = real if mode == "with_sha256" else (lambda p, chunk=0: "0" * 64)
                out = Path(tmp) / f"{mode}_{r}.json"
                cli(["bench", "generate", "--motions", str(a.motions), "--fps", "20", "--noise", "off,on",
                     "--repeats", "3", "--json", str(out)])
                for row in json.loads(out.read_text())["rows"]:
                    key = (mode, row["noise+aug"])
                    best[key] = max(best.get(key, 0), row["windows/s"])
    store.file_sha256 = real
    rows = [{"mode": m, "noise": n, "windows_per_s": round(v)} for (m, n), v in sorted(best.items())]
    for row in rows:
        print(row)
    if a.json:
        Path(a.json).write_text(json.dumps({"rounds": a.rounds, "motions": a.motions, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
