"""The hostile corpus: source files built at run time, each with the one outcome it must have.

A file reaches libcst only when one of an enabled rule's needles occurs in it; any
other file is only syntax-checked with CPython's ``compile()`` (``_syntax_check`` in
engine/analyze.py). Cases that matter on both routes come in two variants: ``needle``
(starts with ``import uvicorn``) and ``plain`` (no needle of any rule).

Every case is scanned next to :data:`GOOD`, whose finding must survive whatever its
neighbour does to the engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from statelint.engine.runner import LIGHT_LIMIT

#: A file with one known finding, that every scan must still report.
GOOD = 'import uvicorn\nuvicorn.run(app, host="127.0.0.1")\n'
GOOD_ROW = ("good.py", "SL301", 2)
#: The same loopback bind, to end hostile files with: reported only if the whole file was analysed.
BIND = 'uvicorn.run(app, host="127.0.0.1")'
NEEDLE = "import uvicorn\n"
#: Needles, no finding: padding files that the workers must parse.
PAD = "import uvicorn\nVALUE = 1\n"
#: Enough files to skip the in-parent shortcut (engine/runner.py), whatever its limit is today.
PADDING = LIGHT_LIMIT + 8

Row = tuple[str, str, int]  # (path, code, line)


@dataclass(frozen=True)
class Case:
    """One hostile file and what scanning it must report (besides GOOD's finding)."""

    name: str
    content: bytes
    rows: tuple[tuple[str, int], ...] = ()  # (code, line) for this file
    message: str | None = None  # a fragment of its SL001 message
    filename: str = ""
    extra: dict[str, bytes] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.filename or f"{self.name}.py"

    def expected(self, prefix: str = "") -> list[Row]:
        return [(prefix + self.path, code, line) for code, line in self.rows]


def _text(*parts: str) -> bytes:
    return "".join(parts).encode()


def _nested_functions(depth: int, head: str) -> str:
    lines = [head.rstrip("\n")] if head else []
    lines += [" " * level + f"def level_{level}():" for level in range(depth)]
    lines.append(" " * depth + BIND)
    return "\n".join(lines) + "\n"


def _nested_comprehensions(depth: int) -> str:
    """``[[[... x for x in y] for x in y] ...]`` ``depth`` brackets deep (CPython allows 200)."""
    return "[" * depth + "x" + " for x in y]" * depth


def _big_file() -> bytes:
    """10 MB, most of it one string of 200,000 lines (a generated data module); the bind on the last line."""
    row = "padding " * 6 + "\n"
    count = 10 * 1024 * 1024 // len(row)
    return _text(NEEDLE, 'DATA = """\n', row * count, '"""\n', BIND, "\n")


BIG_LINES = 10 * 1024 * 1024 // len("padding " * 6 + "\n") + 4
INDENT_LIMIT = 100  # CPython's tokenizer: "too many levels of indentation" beyond this

CASES: tuple[Case, ...] = (
    # -- depth and size ----------------------------------------------------------------------------
    Case(
        "parens_needle",
        _text(NEEDLE, "x = ", "(" * 3000, ")" * 3000, "\n"),
        (("SL001", 2),),
        "cannot parse file: too many nested parentheses",
    ),
    Case(
        "parens_plain",
        _text("x = ", "(" * 3000, ")" * 3000, "\n"),
        (("SL001", 1),),
        "cannot parse file: too many nested parentheses",
    ),
    Case("chain_needle", _text(NEEDLE, "x = ", " + ".join(["a"] * 400), "\n", BIND, "\n"), (("SL301", 3),)),
    Case("chain_plain", _text("x = ", " + ".join(["a"] * 400), "\n")),
    Case("functions_needle", _text(_nested_functions(INDENT_LIMIT - 2, NEEDLE)), (("SL301", INDENT_LIMIT),)),
    Case("functions_plain", _text(_nested_functions(INDENT_LIMIT - 2, "").replace("uvicorn.run", "run"))),
    Case(
        # libcst's tokenizer gives no position for this error: line 1 (see the report of issue 8).
        "indents_needle",
        _text(_nested_functions(150, NEEDLE)),
        (("SL001", 1),),
        "too many indentation levels",
    ),
    Case(
        "indents_plain",
        _text(_nested_functions(150, "").replace("uvicorn.run", "run")),
        (("SL001", INDENT_LIMIT + 1),),
        "too many levels of indentation",
    ),
    Case(
        "comprehensions_needle",
        _text(NEEDLE, "x = ", _nested_comprehensions(150), "\n", "y = {k: {v for v in w} for k in (z for z in q)}\n", BIND, "\n"),
        (("SL301", 4),),
    ),
    Case("comprehensions_plain", _text("print(", _nested_comprehensions(190), ")\n")),
    Case("big_needle", _big_file(), (("SL301", BIG_LINES),)),
    Case("big_plain", _big_file().replace(b"uvicorn", b"server")),
    Case("long_line", _text(NEEDLE, "x = '", "a" * (1024 * 1024), "'; ", BIND, "\n"), (("SL301", 2),)),
    Case("empty", b""),
    # -- encodings and line ends -------------------------------------------------------------------
    Case(
        "invalid_utf8",
        b"import uvicorn\nx = '\xff\xfe'\n" + BIND.encode() + b"\n",
        (("SL001", 2),),
        "cannot decode file as utf-8: invalid start byte",
    ),
    Case(
        "invalid_utf8_plain",
        b"x = 1\ny = '\xc3('\n",
        (("SL001", 2),),
        "cannot decode file as utf-8: invalid continuation byte",
    ),
    Case(
        "bad_cookie",
        b"#!/usr/bin/env python\n# -*- coding: klingon -*-\nimport uvicorn\n",
        (("SL001", 2),),
        "cannot decode file: unknown encoding: klingon",
    ),
    Case(
        "not_a_text_codec",
        b"# coding: rot13\nimport uvicorn\n",
        (("SL001", 1),),
        "is not a text encoding",
    ),
    Case("nul_byte", b"import uvicorn\nx = 1\x00\n", (("SL001", 2),), "source contains a NUL byte"),
    Case("bom_crlf", b"\xef\xbb\xbf" + _text(NEEDLE, BIND, "\n").replace(b"\n", b"\r\n"), (("SL301", 2),)),
    Case("lone_cr", _text(NEEDLE.rstrip("\n"), "\r", BIND, "\n"), (("SL301", 2),)),
    Case("nul_after_lone_cr", b"x = 1\ry = 2\x00\n", (("SL001", 2),), "source contains a NUL byte"),
    # -- not Python 3 ------------------------------------------------------------------------------
    Case("python2_needle", _text(NEEDLE, "print 'hello'\n"), (("SL001", 2),), "cannot parse file"),
    Case(
        "python2_plain",
        _text("print 'hello'\n"),
        (("SL001", 1),),
        "cannot parse file: Missing parentheses in call to 'print'",
    ),
    Case(
        # libcst's tokenizer gives no position for this error: line 1 (see the report of issue 8).
        "tabs_needle",
        _text(NEEDLE, "if True:\n        x = 1\n\ty = 2\n"),
        (("SL001", 1),),
        "inconsistent mixing of tabs and spaces",
    ),
    Case(
        "tabs_plain",
        _text("if True:\n        x = 1\n\ty = 2\n"),
        (("SL001", 3),),
        "inconsistent use of tabs and spaces in indentation",
    ),
)


def write(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def write_case(root: Path, case: Case) -> None:
    write(root, {"good.py": GOOD.encode(), case.path: case.content, **case.extra})


def write_padding(root: Path, folder: str = "pad") -> None:
    """:data:`PADDING` files some rule must parse, none with a finding."""
    write(root, {f"{folder}/pad_{number:02}.py": PAD.encode() for number in range(PADDING)})


def rows(findings: Iterable[dict[str, object]]) -> list[Row]:
    return [(str(f["path"]), str(f["code"]), int(f["line"])) for f in findings]  # type: ignore[call-overload]


def tree_digest(root: Path, skip: Callable[[Path], bool] = lambda path: False) -> dict[str, tuple[str, int]]:
    """Every entry under ``root`` (not following links): what it is and its content's hash."""
    import hashlib

    out: dict[str, tuple[str, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if skip(path):
                continue
            key = path.relative_to(root).as_posix()
            info = path.lstat()
            if path.is_symlink():
                out[key] = ("link:" + os.readlink(path), info.st_mode)
            elif path.is_file():
                out[key] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode)
            else:
                out[key] = ("dir" if path.is_dir() else "other", info.st_mode)
    return out
