"""Print the spread probe's --sample JSONs as one markdown table: per config (rows) and prompt (columns) the log
variance of the right wrist's RMS |a| over the sampled motions and its p10 / median / p90 (m/s²).

    python scripts/spread_table.py docs/realism/keep/sampler_shipped.json docs/realism/keep/sampler_lowg.json
"""
from __future__ import annotations

import argparse
import json


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+", help="spread_probe.py --sample outputs")
    a = ap.parse_args()
    rows, prompts = [], []
    for f in a.json:
        for label, c in json.load(open(f))["configs"].items():
            rows.append((label, c))
            prompts += [p for p in c["prompts"] if p not in prompts]
    short = [p.removeprefix("a person ").rstrip(".") for p in prompts]
    print("| config (guidance high / low) | " + " | ".join(f'"{s}"' for s in short) + " |")
    print("|---" * (len(prompts) + 1) + "|")
    for label, c in rows:
        g = f'{c["guidance"]:g}' + (f' / {c["low_guidance"]:g}' if c.get("low_guidance") is not None else "")
        cells = []
        for p in prompts:
            v = c["prompts"].get(p)
            cells.append("–" if v is None else
                         f'{v["log_var"]:.3f} ({v["p10_rms"]:.1f} / {v["median_rms"]:.1f} / {v["p90_rms"]:.1f})')
        print(f"| {label} ({g}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
