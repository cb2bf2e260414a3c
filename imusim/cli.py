"""The ``imusim`` command line.

Each sub-command lives in its own module under ``imusim/commands/`` and exposes
``register(subparsers)`` which adds its parser and sets ``func`` (called with the parsed args, returns
an exit code). Modules are discovered automatically, so adding a command never edits this file.
"""

from __future__ import annotations

import argparse
import os
import importlib
import pkgutil
import sys


def build_parser() -> argparse.ArgumentParser:
    from . import __version__, commands

    p = argparse.ArgumentParser(
        prog="imusim",
        description="Text → human motion → virtual IMU (accelerometer + gyroscope), fused kinematics/IMU "
                    "kernels, the acceleration loss L_acc, and HAR evaluation on real recordings.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'imusim COMMAND --help' for the options of one command.")
    p.add_argument("--version", action="version", version=f"imusim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        mod.register(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError, TypeError) as e:  # user errors: message, no traceback
        if os.environ.get("IMUSIM_DEBUG"):
            raise
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"imusim {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
