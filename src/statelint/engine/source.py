"""Reading and decoding source files; every failure becomes an SL001 finding."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

from statelint.model import Span


@dataclass(frozen=True)
class SourceError(Exception):
    """Why a file could not be read, decoded or parsed, and where."""

    message: str
    span: Span = Span(1, 1, 1, 1)


def read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise SourceError("cannot read file: it is a directory") from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None


def decode_python(data: bytes) -> str:
    """Decode like CPython: BOM, then a coding cookie, then UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None) or 1
        raise SourceError(f"cannot decode file: {exc.msg if hasattr(exc, 'msg') else exc}", Span(line, 1, line, 1)) from None
    return _decode(data, encoding)


def decode_text(data: bytes) -> str:
    return _decode(data, "utf-8-sig")


def _decode(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"cannot decode file as {encoding}: {exc.reason}", Span(line, column, line, column + 1)) from None
    except LookupError:
        raise SourceError(f"cannot decode file: unknown encoding {encoding!r}") from None
    if "\x00" in text:
        offset = text.index("\x00")
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise SourceError("source contains a NUL byte", Span(line, column, line, column + 1))
    return text
