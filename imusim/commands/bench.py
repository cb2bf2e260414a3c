"""``imusim bench NAME``: performance benchmarks (see imusim/bench/)."""

import importlib
import pkgutil


def register(sub):
    from .. import bench

    p = sub.add_parser("bench", help="run a benchmark (providers side by side, ratios and bandwidth)",
                       description="Benchmarks compare naive PyTorch, torch.compile and each imusim backend side by "
                                   "side in one process. Run CPU benchmarks with MALLOC_MMAP_THRESHOLD_=2147483647 "
                                   "MALLOC_TRIM_THRESHOLD_=4294967296.")
    bsub = p.add_subparsers(dest="bench", metavar="NAME")
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{bench.__name__}.{info.name}")
        bp = bsub.add_parser(mod.NAME, help=(mod.__doc__ or "").strip().splitlines()[0])
        mod.add_arguments(bp)
        bp.set_defaults(func=mod.run)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])
