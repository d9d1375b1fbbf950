"""``--add-noqa``: a ``# statelint: ignore[CODE]`` comment on every current finding, as ruff's
``--add-noqa`` adds ``# noqa`` ones: with the baseline, the fastest way to adopt statelint on a
code base that already has findings.

A comment goes where :mod:`statelint.engine.suppressions` reads it: at the end of a line the
finding spans, or alone on the line above its first line. Only a line that ends in code (with
:mod:`tokenize`'s NEWLINE or NL token: not inside a multi-line string, not after a backslash)
takes one at its end; a finding that no such place covers is left alone and named. Codes join
a statelint comment already on the line (``ignore[SL302]`` -> ``ignore[SL302, SL301]``, a
``noqa: SL302`` likewise); another comment is kept and the new one follows it. Each file is
checked before it is written: it must still parse if it parsed before, every comment it had must
still suppress what it did, and every finding must now be suppressed. Files are replaced
atomically, in their own encoding and line endings, keeping their permissions.
"""

from __future__ import annotations

import ast
import io
import os
import re
import stat
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from statelint.atomic import write_bytes
from statelint.engine.suppressions import parse_suppressions, suppressing
from statelint.model import Finding, Span, Suppression

#: Codes never given a comment: a file that cannot be parsed cannot hold one (SL001), and an
#: unused suppression is fixed by removing it (SL002).
SKIPPED_CODES = {"SL001": "the file could not be parsed", "SL002": "remove or correct the suppression instead"}
_IGNORE_CODES = re.compile(r"(?i)#\s*statelint:\s*ignore(?![-\w])\[(?P<codes>[^\]]*)\]")
_NOQA_CODES = re.compile(r"(?i)#\s*noqa:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)")


class Skipped(NamedTuple):
    """A finding that got no comment, and why."""

    finding: Finding
    reason: str


class Outcome(NamedTuple):
    """What ``--add-noqa`` did: comments written, findings they cover, files changed, findings left."""

    comments: int
    findings: int
    files: int
    skipped: list[Skipped]
    errors: list[str]


class _Source:
    """One file's text split as :mod:`tokenize` splits it, and where a comment may go."""

    def __init__(self, text: str) -> None:
        self.lines = io.StringIO(text).readlines()
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        #: Lines that end outside any token (a NEWLINE or NL token ends them).
        self.fresh_ends = {token.start[0] for token in tokens if token.type in (tokenize.NEWLINE, tokenize.NL)}
        self.comments = {token.start[0]: (token.start[1], token.string) for token in tokens if token.type == tokenize.COMMENT}

    def takes_comment_at_end(self, row: int) -> bool:
        """A comment appended to line ``row`` is read as that line's (the line holds code)."""
        if row not in self.fresh_ends or not 0 < row <= len(self.lines):
            return False
        code = self.lines[row - 1]
        if row in self.comments:
            code = code[: self.comments[row][0]]
        return bool(code.strip())

    def takes_line_above(self, row: int) -> bool:
        """A comment line inserted before line ``row`` starts outside any token."""
        return row == 1 or (row - 1) in self.fresh_ends


def add_noqa(findings: Iterable[Finding], base: Path) -> Outcome:
    """Write a suppression comment for each of ``findings`` (paths relative to ``base``)."""
    by_path: dict[str, list[Finding]] = {}
    skipped: list[Skipped] = []
    for finding in findings:
        if finding.code in SKIPPED_CODES:
            skipped.append(Skipped(finding, SKIPPED_CODES[finding.code]))
        elif not finding.path.endswith((".py", ".pyi")) or finding.path == "-":
            skipped.append(Skipped(finding, "not a Python file: use per-file-ignores in the configuration"))
        else:
            by_path.setdefault(finding.path, []).append(finding)
    comments = covered = files = 0
    errors: list[str] = []
    for path, found in sorted(by_path.items()):
        try:
            done, left = _add_to_file(base / path, found)
        except (OSError, UnicodeError, SyntaxError, tokenize.TokenError, _Unsafe) as exc:
            errors.append(f"{path}: not changed: {exc}")
            continue
        skipped.extend(left)
        if done:
            comments += done
            covered += len(found) - len(left)
            files += 1
    return Outcome(comments, covered, files, skipped, errors)


class _Unsafe(Exception):
    """The edited text failed a check: the file is left as it was."""


def _add_to_file(path: Path, findings: list[Finding]) -> tuple[int, list[Skipped]]:
    """Comment ``findings`` in ``path``; (comments written, findings left without one)."""
    real = Path(os.path.realpath(path))
    data = real.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    source = _Source(text)
    suppressions = parse_suppressions(text)
    merges: dict[Suppression, set[str]] = {}  # an existing statelint comment -> codes to add
    appends: dict[int, set[str]] = {}  # row -> codes of a new comment at its end
    inserts: dict[int, set[str]] = {}  # row -> codes of a new comment line above it
    left: list[Skipped] = []
    for finding in findings:
        first, last = finding.span.line, finding.span.end_line
        existing = _mergeable(suppressions, first, last)
        row = next((r for r in range(first, last + 1) if source.takes_comment_at_end(r)), None)
        if existing is not None:
            merges.setdefault(existing, set()).add(finding.code)
        elif row is not None:
            appends.setdefault(row, set()).add(finding.code)
        elif source.takes_line_above(first):
            inserts.setdefault(first, set()).add(finding.code)
        else:
            left.append(Skipped(finding, "no line of it can hold a comment (each ends inside a string or after a backslash)"))
    if not (merges or appends or inserts):
        return 0, left
    lines = list(source.lines)
    for suppression, codes in merges.items():
        lines[suppression.line - 1] = _merged(lines[suppression.line - 1], suppression, codes)
    for row, codes in appends.items():
        body, ending = _split_ending(lines[row - 1])
        lines[row - 1] = body.rstrip(" \t") + "  " + _comment(codes) + ending
    newline = _newline(lines)
    for row in sorted(inserts, reverse=True):
        line = lines[row - 1]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        lines.insert(row - 1, indent + _comment(inserts[row]) + newline)
    new_text = "".join(lines)
    handled = [f for f in findings if all(f is not s.finding for s in left)]
    _verify(text, new_text, suppressions, handled, sorted(inserts))
    mode = stat.S_IMODE(real.stat().st_mode)
    write_bytes(real, new_text.encode(encoding), mode)
    return len(merges) + len(appends) + len(inserts), left


def _mergeable(suppressions: list[Suppression], first: int, last: int) -> Suppression | None:
    """A statelint comment with codes that already covers a line of the finding: the code joins it."""
    for suppression in suppressions:
        if suppression.codes is not None and any(first <= line <= last for line in suppression.lines):
            return suppression
    return None


def _merged(line: str, suppression: Suppression, codes: set[str]) -> str:
    """``line`` whose statelint comment ``suppression`` lists ``codes`` too, after its own."""
    column = suppression.column - 1
    pattern = _IGNORE_CODES if suppression.kind == "ignore" else _NOQA_CODES
    match = pattern.search(line, column)
    if match is None:  # the comment as parse_suppressions read it has no codes to extend
        raise _Unsafe(f"line {suppression.line}: its suppression comment cannot take more codes")
    listed = match.group("codes").rstrip()
    at = match.start("codes") + len(listed)
    added = ", ".join(sorted(codes))
    return line[:at] + (f", {added}" if listed.strip() else added) + line[at:]


def _comment(codes: set[str]) -> str:
    return f"# statelint: ignore[{', '.join(sorted(codes))}]"


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _newline(lines: list[str]) -> str:
    """The file's line ending (its first line's), for a line that gets one."""
    for line in lines:
        ending = _split_ending(line)[1]
        if ending:
            return ending
    return "\n"


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _verify(before: str, after: str, old: list[Suppression], handled: list[Finding], inserted: list[int]) -> None:
    """Raise :class:`_Unsafe` unless ``after`` parses (when ``before`` did), keeps every comment's
    codes, and suppresses every handled finding (its lines moved down by the lines inserted above)."""
    if _parses(before) and not _parses(after):
        raise _Unsafe("the comments would break the code")

    def moved(row: int) -> int:
        return row + sum(1 for at in inserted if at <= row)

    new = parse_suppressions(after)
    for suppression in old:
        target = moved(suppression.line)
        if not any(n.line == target and _keeps(suppression, n) for n in new):
            raise _Unsafe(f"the comment on line {suppression.line} would change")
    for finding in handled:
        span = finding.span
        shifted = finding._replace(span=Span(moved(span.line), span.column, moved(span.end_line), span.end_column))
        if suppressing(shifted, new) is None:
            raise _Unsafe(f"line {span.line}: {finding.code} would not be suppressed")


def _keeps(old: Suppression, new: Suppression) -> bool:
    if old.codes is None or new.codes is None:
        return old.codes is None and new.codes is None
    return old.kind == new.kind and set(old.codes) <= set(new.codes)
