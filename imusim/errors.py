"""The project's named errors.

All of them are ``ValueError`` subclasses (bad input, not a bug), so ``except ValueError`` keeps
working, and the command line prints their message on one line and exits with status 2 (set
``IMUSIM_DEBUG=1`` for the traceback). Anything else that escapes a command is a bug and shows its
traceback.

* :class:`CorruptFileError` — a file that exists but cannot be used: truncated, overwritten, not the
  format it claims, or failing its recorded checksum. ``path`` names it (``line`` when known).
* :class:`StoreLockedError` — a generator store (rank) already has a writer.
* :class:`UnknownNameError` — a joint, preset or sensor name that does not exist (also a ``KeyError``).
* ``imusim.data.BVHError`` — a malformed BVH file (file and line), a ``CorruptFileError`` too.
"""

from __future__ import annotations

from typing import Optional


class CorruptFileError(ValueError):
    def __init__(self, path, reason: str, line: Optional[int] = None, hint: str = ""):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {reason}" + (f" ({hint})" if hint else ""))
        self.path, self.reason, self.line = str(path), reason, line


class UnknownNameError(KeyError, ValueError):
    """A name that is not known; a ``KeyError`` (lookup) and a ``ValueError`` (bad input) at once."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else ""


class StoreLockedError(ValueError):
    def __init__(self, path, holder: str):
        super().__init__(f"{path} is held by another writer ({holder}); a store rank has one writer at a time: "
                         f"wait for it to finish, or write to another --out")
        self.path, self.holder = str(path), holder
