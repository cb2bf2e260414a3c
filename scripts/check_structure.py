"""Import structure of the ``imusim`` package: import circles and imports that point up the layers.

Reads the sources only (``ast``; nothing is imported). Every import counts, also the ones inside
functions (a lazy import is still a dependency). ``from pkg import name`` counts as an import of the
module ``pkg.name`` when that is a module, else of ``pkg``. Layers (docs/design.md, top to bottom)::

    5  cli, commands, bench                          entry points
    4  generate, har, diffusion                      pipelines
    3  imu, data, motion, losses                     domain
    2  ops                                           public kernel-backed ops
    1  triton, reference                             backends (the compiled ones live in csrc/)
    0  kinematics, constants, _backend, _consts, errors, viz     ground

The package root (``imusim/__init__.py``: lazy re-exports and ``__version__``) is outside the layers.

    python scripts/check_structure.py [--verbose] [--json OUT]    exit status 1 on a circle or an upward import
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

LAYERS = {"cli": 5, "commands": 5, "bench": 5, "__main__": 5,
          "generate": 4, "har": 4, "diffusion": 4,
          "imu": 3, "data": 3, "motion": 3, "losses": 3,
          "ops": 2,
          "triton": 1, "reference": 1,
          "kinematics": 0, "constants": 0, "_backend": 0, "_consts": 0, "errors": 0, "viz": 0}


def modules(pkg: Path) -> dict:
    out = {}
    for p in sorted(pkg.rglob("*.py")):
        parts = list(p.relative_to(pkg.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph(pkg: Path) -> dict:
    mods = modules(pkg)
    edges = {m: set() for m in mods}
    for m, p in mods.items():
        is_pkg = p.name == "__init__.py"
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = m.split(".") if is_pkg else m.split(".")[:-1]
                    parts = parts[:len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
                targets = subs + ([base] if len(subs) < len(node.names) else [])
            else:
                continue
            edges[m].update(t for t in targets if t in mods and t != m)
    return edges


def cycles(edges: dict) -> list:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return sorted(out)


def layer(m: str):
    parts = m.split(".")
    return None if len(parts) == 1 else LAYERS.get(parts[1])


def upward(edges: dict) -> list:
    """(importer, imported, its layer, their layer) where the imported module sits in a higher layer."""
    out = []
    for a, bs in edges.items():
        for b in bs:
            la, lb = layer(a), layer(b)
            if la is not None and lb is not None and lb > la:
                out.append((a, b, la, lb))
    return sorted(out)


def unlayered(edges: dict) -> list:
    return sorted({m.split(".")[1] for m in edges if "." in m and layer(m) is None})


def check(pkg: Path) -> dict:
    edges = import_graph(pkg)
    cyc = cycles(edges)
    return {"modules": len(edges), "imports": sum(len(v) for v in edges.values()),
            "cycles": [{"modules": c, "edges": sorted(f"{a} -> {b}" for a in c for b in edges[a] if b in c)} for c in cyc],
            "upward": [f"{a} [{la}] -> {b} [{lb}]" for a, b, la, lb in upward(edges)],
            "unlayered": unlayered(edges)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=str(Path(__file__).resolve().parents[1] / "imusim"))
    ap.add_argument("--verbose", "-v", action="store_true", help="list the edges of each circle and every upward import")
    ap.add_argument("--json", help="also write the result to this file")
    a = ap.parse_args(argv)
    r = check(Path(a.package))
    print(f"{r['modules']} modules, {r['imports']} imports; {len(r['cycles'])} import circle(s), "
          f"{len(r['upward'])} upward import(s)" + (f"; packages outside the layers: {r['unlayered']}" if r["unlayered"] else ""))
    for c in r["cycles"]:
        print("  circle: " + ", ".join(c["modules"]))
        if a.verbose:
            for e in c["edges"]:
                print("      " + e)
    if a.verbose:
        for u in r["upward"]:
            print("  upward: " + u)
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=1))
    return 1 if r["cycles"] or r["upward"] or r["unlayered"] else 0


if __name__ == "__main__":
    sys.exit(main())
