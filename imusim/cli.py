"""The ``imusim`` command line.

Each sub-command lives in its own module under ``imusim/commands/`` and exposes
``register(subparsers)`` which adds its parser and sets ``func`` (called with the parsed args, returns
an exit code). Modules are discovered automatically, so adding a command never edits this file.

Errors: a user error — a ``ValueError`` (bad argument or file content; the project's named errors in
:mod:`imusim.errors` are ValueErrors) or an ``OSError`` about a file (missing, unreadable, disk full) —
prints one line ``imusim COMMAND: error: ...`` on stderr and exits with status 2. Anything else is a
bug and shows its traceback. ``IMUSIM_DEBUG=1`` shows the traceback of user errors too.
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
    except (ValueError, OSError) as e:  # user errors: one line, no traceback (other exceptions are bugs)
        if os.environ.get("IMUSIM_DEBUG"):
            raise
        print(f"imusim {args.command}: error: {user_message(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"imusim {args.command}: interrupted", file=sys.stderr)
        return 130


def user_message(e: BaseException) -> str:
    """One line for a user error: the message (an OSError's with its file), no newlines."""
    if isinstance(e, OSError) and e.strerror:
        where = f": {e.filename}" if e.filename else ""
        msg = f"{e.strerror}{where}"
    else:
        msg = str(e) or type(e).__name__
    return " ".join(msg.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
