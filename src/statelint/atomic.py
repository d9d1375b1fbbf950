"""Atomic file writes: a temporary file in the same folder, renamed into place.

A reader (another statelint run sharing the cache, a CI step reading the report)
sees the old file or the new one, never half of one. Only :mod:`os` is needed:
:mod:`tempfile` pulls in :mod:`random` and :mod:`shutil` (and with it the
compression modules), which cost a pre-commit run more than the writes do.
"""

from __future__ import annotations

import os
from pathlib import Path

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_ATTEMPTS = 100


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, newlines as given) in one rename.

    The file gets the permissions a plain ``open(path, "w")`` would give it (the
    umask applies), not :func:`tempfile.mkstemp`'s owner-only ones.
    """
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one rename; with ``mode``, the new file gets those
    permission bits (an edited source file keeps its own, an executable script stays one)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = _create(directory, path.name)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _write_all(fd: int, data: bytes) -> None:
    """``data`` to the descriptor, however many calls it takes: unbuffered, as one record of
    the result cache is written whole (a text file object costs a third of the write)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _create(directory: Path, name: str) -> tuple[int, str]:
    """A new, exclusively created file next to where ``name`` goes; unique across processes
    and hosts sharing the folder (the pid, and random bytes, name it)."""
    for _ in range(_ATTEMPTS):
        temp = os.path.join(directory, f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, _FLAGS, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name for {name} in {directory}")
