"""Reading and decoding source files; every failure becomes an SL001 finding.

Scanned trees are hostile: a ``.py`` name may belong to a FIFO (reading it would
block forever), a device, a directory, a broken or looping symbolic link, or a
file too large to hold in memory; a coding cookie may name any codec, including
ones that raise something other than ``UnicodeDecodeError``. Each of these becomes
a :class:`SourceError` that says what is wrong and where; nothing here raises
anything else.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tokenize

from statelint.model import Span

#: Far above any real source or configuration file; only a memory guard.
MAX_READ_BYTES = 256 * 1024 * 1024

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
# PEP 263: the cookie is a comment on line 1 or 2.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.MULTILINE)


_FIRST_LINE = Span(1, 1, 1, 1)  # a whole-file error points at the start


class SourceError(Exception):
    """Why a file could not be read, decoded or parsed, and where."""

    def __init__(self, message: str, span: Span = _FIRST_LINE) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


def read_bytes(path: str) -> bytes:
    """The content of the regular file at ``path``; never blocks on pipes or devices."""
    try:
        fd = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except OSError as exc:
        raise SourceError(_open_problem(path, exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(_directory_problem(path))
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("cannot read file: not a regular file (a pipe, socket or device)")
        if info.st_size > MAX_READ_BYTES:
            raise SourceError(f"cannot read file: too large ({_megabytes(info.st_size)}; the limit is {_megabytes(MAX_READ_BYTES)})")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_READ_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_READ_BYTES:  # grew while we read it
        raise SourceError(f"cannot read file: too large (the limit is {_megabytes(MAX_READ_BYTES)})")
    return data


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _open_problem(path: str, exc: OSError) -> str:
    if os.path.islink(path):
        if exc.errno == errno.ELOOP:
            return "cannot read file: symbolic link loop"
        if exc.errno == errno.ENOENT:
            try:
                return f"cannot read file: broken symbolic link (points to {os.readlink(path)!r}, which does not exist)"
            except OSError:
                return "cannot read file: broken symbolic link"
    if os.path.isdir(path):
        return _directory_problem(path)
    return f"cannot read file: {exc.strerror or exc}"


def _directory_problem(path: str) -> str:
    """Discovery hands over directories it could not list, so their files are not silently skipped."""
    try:
        with os.scandir(path):
            pass
    except OSError as exc:
        return f"cannot read directory: {exc.strerror or exc}; the files in it were not checked"
    return "cannot read file: it is a directory"


def decode_python(data: bytes) -> str:
    """Decode like CPython: BOM, then a coding cookie, then UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise _cookie_problem(data, str(exc.msg)) from None
    return _decode(data, encoding)


def _cookie_problem(data: bytes, message: str) -> SourceError:
    head = data[: _end_of_line(data, _end_of_line(data, 0))]
    if message.startswith("invalid or missing encoding declaration"):
        # tokenize says this when a line it searched for a cookie is not UTF-8: say where.
        try:
            _decode(head, "utf-8-sig")
        except SourceError as error:
            return error
    match = _COOKIE.search(head)
    line = _line_and_column(head, match.start())[0] if match else 1
    return SourceError(f"cannot decode file: {' '.join(message.split())}", Span(line, 1, line, 1))


def _end_of_line(data: bytes, start: int) -> int:
    end = data.find(b"\n", start)
    return len(data) if end < 0 else end + 1


def decode_text(data: bytes) -> str:
    return _decode(data, "utf-8-sig")


def _decode(data: bytes, encoding: str) -> str:
    shown = "utf-8" if encoding == "utf-8-sig" else encoding  # the BOM is optional: the encoding is UTF-8
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:  # exc.object: what the codec saw (after a BOM)
        line, column = _line_and_column(exc.object, exc.start, encoding)
        raise SourceError(f"cannot decode file as {shown}: {exc.reason}", Span(line, column, line, column + 1)) from None
    except LookupError as exc:  # a codec that is not a text encoding (rot13, zlib_codec, ...)
        raise SourceError(f"cannot decode file: {_one_line(exc)}") from None
    except (UnicodeError, ValueError, TypeError) as exc:  # codecs may raise anything (punycode, undefined)
        raise SourceError(f"cannot decode file as {shown}: {_one_line(exc)}") from None
    if "\x00" in text:
        line, column = _line_and_column(text, text.index("\x00"))
        raise SourceError("source contains a NUL byte", Span(line, column, line, column + 1))
    return text


def _one_line(exc: BaseException) -> str:
    """Codec messages may quote the offending text, newlines included: a finding is one line."""
    return " ".join(str(exc).split())


_NEWLINES = {str: re.compile(r"\r\n|\r|\n"), bytes: re.compile(rb"\r\n|\r|\n")}


def _line_and_column(data: str | bytes, offset: int, encoding: str = "utf-8") -> tuple[int, int]:
    """1-based line and character column of ``offset``, with Python's line ends (a lone CR too)."""
    line, start = 1, 0
    for match in _NEWLINES[type(data)].finditer(data, 0, offset):
        line, start = line + 1, match.end()
    if isinstance(data, str):
        return line, offset - start + 1
    try:
        return line, len(data[start:offset].decode(encoding, errors="replace")) + 1
    except (LookupError, UnicodeError, ValueError, TypeError):
        return line, offset - start + 1
