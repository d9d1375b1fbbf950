"""``# statelint: ignore[...]``, ``# noqa: SL...`` and ``# statelint: ignore-file[...]`` comments.

Comments are found with :mod:`tokenize`, so text inside strings never counts.
Only SL codes in a ``noqa`` comment are honoured: a bare ``# noqa`` written for
another linter does not silence statelint.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator

from statelint.model import Finding, Suppression

_IGNORE = re.compile(r"#\s*statelint:\s*ignore(?!-file)(?:\[(?P<codes>[^\]]*)\])?(?P<reason>.*)$", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_FILE = re.compile(r"^[ \t]*#\s*statelint:\s*ignore-file(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE | re.MULTILINE)


def split_codes(text: str) -> tuple[str, ...]:
    return tuple(part.strip().upper() for part in re.split(r"[,\s]+", text) if part.strip())


def file_ignores(text: str) -> tuple[str, ...] | None:
    """Codes/prefixes ignored for the whole file; ``()`` means every code; None: no comment."""
    if "ignore-file" not in text:
        return None
    found: list[str] = []
    for match in _FILE.finditer(text):
        if match.group("codes") is None:
            return ()
        found.extend(split_codes(match.group("codes")))
    return tuple(found) if found else None


def _comments(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(line, column, comment, alone-on-its-line) for every comment in ``text``."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Unparseable input: fall back to a line scan (strings may then look like comments).
        for number, line in enumerate(text.splitlines(), start=1):
            index = line.find("#")
            if index >= 0:
                yield number, index + 1, line[index:], not line[:index].strip()
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            row, col = token.start
            yield row, col + 1, token.string, not token.line[:col].strip()


def parse_suppressions(text: str) -> list[Suppression]:
    """Every suppression comment in ``text``."""
    if "statelint" not in text and "noqa" not in text.lower():
        return []
    out: list[Suppression] = []
    for line, column, comment, alone in _comments(text):
        lines = (line + 1,) if alone else (line,)
        match = _IGNORE.search(comment)
        if match:
            codes = split_codes(match.group("codes")) if match.group("codes") is not None else None
            out.append(Suppression(line, column, codes, match.group("reason").strip(), "ignore", lines))
            continue
        match = _NOQA.search(comment)
        if match:
            codes = tuple(code for code in split_codes(match.group("codes")) if code.startswith("SL"))
            if codes:
                out.append(Suppression(line, column, codes, "", "noqa", lines))
    return out


def _code_matches(code: str, selectors: Iterable[str]) -> bool:
    return any(code.startswith(selector) for selector in selectors)


def suppressing(finding: Finding, suppressions: Iterable[Suppression]) -> Suppression | None:
    """The suppression that silences ``finding``, if any."""
    first, last = finding.span.line, finding.span.end_line
    for suppression in suppressions:
        if not any(first <= line <= last for line in suppression.lines):
            continue
        if suppression.codes is None or _code_matches(finding.code, suppression.codes):
            return suppression
    return None


def file_ignored(code: str, ignores: tuple[str, ...] | None) -> bool:
    if ignores is None:
        return False
    return ignores == () or _code_matches(code, ignores)
