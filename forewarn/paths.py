"""Checks of the paths a command is given, before it spends minutes on them.

Each raises ``PathError`` (a ``ForewarnError``: one line on stderr, exit 2) whose message
starts with the path and says what is wrong with it, so an operator never reads a traceback
for a typo. ``describe_os_error`` turns an ``OSError`` met later (a race, a full disk) into
the same kind of line.
"""

from __future__ import annotations

import os
from pathlib import Path

from forewarn.errors import ForewarnError

__all__ = ["PathError", "describe_os_error", "output_file", "read_utf8", "readable_file"]


class PathError(ForewarnError):
    """A path given on the command line cannot be used for what it was given for."""


def readable_file(path: Path, what: str) -> Path:
    """``path`` if it is a file this process can read."""
    if not path.exists():
        raise PathError(f"{what} {path} does not exist")
    if path.is_dir():
        raise PathError(f"{what} {path} is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise PathError(f"{what} {path} cannot be read (permission denied)")
    return path


def read_utf8(path: Path, what: str) -> str:
    """The text of ``path``; a file that is not UTF-8 is named with the offending byte."""
    readable_file(path, what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PathError(describe_os_error(exc, what, path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PathError(f"{what} {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                        f"offset {exc.start})") from None


def output_file(path: Path, what: str) -> Path:
    """``path`` if a file can be written there: not a directory, in an existing,
    writable directory (a missing directory is a typo more often than a wish)."""
    if path.is_dir():
        raise PathError(f"{what} {path} is a directory; give a file name")
    parent = path.parent
    if not parent.exists():
        raise PathError(f"{what} {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise PathError(f"{what} {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PathError(f"{what} {path}: directory {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise PathError(f"{what} {path} is not writable")
    return path


def describe_os_error(exc: OSError, what: str, path: Path | None = None) -> str:
    """One line: what, which path, and the system's reason (no errno noise)."""
    where = exc.filename if exc.filename is not None else path
    reason = exc.strerror or str(exc)
    return f"{what} {where}: {reason.lower() if reason[:1].isupper() else reason}"
