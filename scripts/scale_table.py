#!/usr/bin/env python
"""Tables of scripts/realism_scale.sh's round (issue 14, training length and model size; docs/realism.md §37).

Reads OUT/denoiser.json (scripts/denoiser_probe.py), OUT/pace_NAME.json (scripts/impulsiveness_probe.py) and
OUT/motion_eval*.json (imusim evaluate-motion) and prints Markdown: per checkpoint the held-out x0 loss and the wrists'
acceleration error of the denoiser at low, middle and high noise; the pace screen (wrist RMS |a| and root speed per
prompt); the motion evaluation; and for names that differ only in their training seed (``..._sN``) the mean ± std
over seeds. Names are SIZE_STEPSk_sSEED (scripts/realism_scale.sh).

    python scripts/scale_table.py docs/realism/scale > docs/realism/scale/tables.md
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path

NAME = re.compile(r"^(?P<cfg>.+)_s(?P<seed>\d+)$")


def _stem(path: str) -> str:
    return Path(path).name.removesuffix(".safetensors")


def denoiser_rows(js: dict) -> dict:
    """{name: {column: value}}: the held-out x0 loss l_x0 (conditional, mean of the walking and running clips) at
    t = 0, 300 and 700; the wrists' acceleration error (m/s², walking and running) at t = 0 (§3's floor); and the
    walking wrists' ratio to the truth at t = 700 (§4's leak of the input noise into the x0 prediction)."""
    acc = defaultdict(dict)
    for r in js["rows"]:
        if r["mode"] == "cond":
            acc[_stem(r["checkpoint"])][(r["activity"], r["t"])] = r
    out = {}
    for name, d in acc.items():
        row = {f"l_x0 t={t}": (d[("walk", t)]["l_x0"] + d[("run", t)]["l_x0"]) / 2 for t in (0, 300, 700)}
        row["wrist err walk t=0"] = d[("walk", 0)]["rms_err"]
        row["wrist err run t=0"] = d[("run", 0)]["rms_err"]
        row["wrist ratio walk t=700"] = d[("walk", 700)]["ratio"]
        out[name] = row
    return out


def pace_rows(out_dir: Path) -> tuple[dict, list]:
    """{name: {prompt: (wrist RMS median m/s², root speed median m/s)}}, the prompts of every file in order (a
    prompt that a checkpoint was not asked is missing from its row)."""
    rows, prompts = {}, []
    for f in sorted(out_dir.glob("pace_*.json")):
        js = json.loads(f.read_text())
        prompts += [q for q in js["prompts"] if q not in prompts]
        for name, c in js["checkpoints"].items():
            rows[name] = {p: (v["wrist"]["rms"]["median"], v["root_speed"]["median"]) for p, v in c["prompts"].items()}
    return rows, prompts


def motion_rows(js: dict, cols=("l_acc", "fid", "jerk", "joint_acc", "foot_skating")) -> dict:
    out = {}
    for c in [js["real"], *js["checkpoints"]]:
        out[c["name"]] = {k: c.get(k) for k in cols}
    return out


def seed_means(rows: dict) -> dict:
    """{cfg (name without _sN): {column: (mean, std, n)}} over the names that share a configuration."""
    groups = defaultdict(list)
    for name, row in rows.items():
        m = NAME.match(name)
        if m:
            groups[m["cfg"]].append(row)
    out = {}
    for cfg, rs in groups.items():
        if len(rs) < 2:
            continue
        out[cfg] = {}
        for k in rs[0]:
            vals = [r[k] for r in rs if isinstance(r.get(k), (int, float))]
            if len(vals) == len(rs):
                out[cfg][k] = (statistics.mean(vals), statistics.stdev(vals), len(vals))
    return out


def _table(rows: dict, cols: list, fmt=".3f") -> str:
    lines = ["| checkpoint | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in rows.items():
        cells = []
        for c in cols:
            v = row.get(c)
            if isinstance(v, tuple) and len(v) == 3:
                cells.append(f"{v[0]:{fmt}} ± {v[1]:{fmt}}")
            elif isinstance(v, tuple):
                cells.append(", ".join(f"{x:.2f}" for x in v))
            elif isinstance(v, (int, float)):
                cells.append(f"{v:{fmt}}")
            else:
                cells.append("–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="the round's output directory (docs/realism/scale)")
    a = ap.parse_args(argv)
    out = Path(a.out)
    parts = []
    if (out / "denoiser.json").exists():
        d = denoiser_rows(json.loads((out / "denoiser.json").read_text()))
        cols = list(next(iter(d.values())))
        parts += ["## The denoiser on noised test clips (conditional; l_x0 on normalised features, wrist m/s²)",
                  _table(d, cols), ""]
        sm = seed_means(d)
        if sm:
            parts += ["Over training seeds:", _table(sm, cols), ""]
    p, prompts = pace_rows(out)
    if p:
        parts += ["## The pace screen (guidance 2.5; wrist RMS |a| m/s², root speed m/s; medians of 16 motions)",
                  _table(p, prompts), ""]
        for i, what in ((0, "wrist RMS |a| m/s²"), (1, "root speed m/s")):
            sm = seed_means({n: {q: v[q][i] for q in prompts if q in v} for n, v in p.items()})
            if sm:
                parts += [f"Over training seeds ({what}):", _table(sm, prompts, ".2f"), ""]
    for f in sorted(out.glob("motion_eval*.json")):
        m = motion_rows(json.loads(f.read_text()))
        cols = list(next(iter(m.values())))
        parts += [f"## The motion evaluation on the test split ({f.name})", _table(m, cols), ""]
        sm = seed_means(m)
        if sm:
            parts += ["Over training seeds:", _table(sm, cols), ""]
    print("\n".join(parts))


if __name__ == "__main__":
    main()
